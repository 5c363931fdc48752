package winvolumes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// The buffers below are the ones the Windows I/O controls fill, laid out as the Windows
// SDK headers define them for 64-bit Windows (winioctl.h, ntddstor.h); every parser is
// pure: bytes in, the documented structure out.

// ErrParse is wrapped by every parser error.
var ErrParse = errors.New("cannot parse")

var le = binary.LittleEndian

// I/O control codes (winioctl.h).
const (
	IoctlVolumeGetVolumeDiskExtents = 0x00560000 // IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS
	IoctlDiskGetDriveLayoutEx       = 0x00070050 // IOCTL_DISK_GET_DRIVE_LAYOUT_EX
	IoctlDiskGetLengthInfo          = 0x0007405c // IOCTL_DISK_GET_LENGTH_INFO
	IoctlStorageQueryProperty       = 0x002d1400 // IOCTL_STORAGE_QUERY_PROPERTY
)

// STORAGE_PROPERTY_ID values the agent asks IOCTL_STORAGE_QUERY_PROPERTY for.
const (
	StorageDeviceProperty            = 0
	StorageAccessAlignmentProperty   = 6
	StorageDeviceSeekPenaltyProperty = 7
)

// StoragePropertyQuery is the STORAGE_PROPERTY_QUERY input of IOCTL_STORAGE_QUERY_PROPERTY
// for a PropertyStandardQuery of property id.
func StoragePropertyQuery(id uint32) []byte {
	b := make([]byte, 12) // PropertyId, QueryType, AdditionalParameters[1] + padding
	le.PutUint32(b, id)
	return b
}

// DiskExtent is one DISK_EXTENT of VOLUME_DISK_EXTENTS: where on which disk a piece of a
// volume lies.
type DiskExtent struct {
	DiskNumber     uint32 `json:"DiskNumber"`
	StartingOffset int64  `json:"StartingOffset"`
	ExtentLength   int64  `json:"ExtentLength"`
}

// ParseDiskExtents parses VOLUME_DISK_EXTENTS: NumberOfDiskExtents (DWORD, padded to 8),
// then 24-byte DISK_EXTENTs (DiskNumber DWORD + padding, StartingOffset, ExtentLength).
func ParseDiskExtents(b []byte) ([]DiskExtent, error) {
	if len(b) < 8 {
		if len(b) >= 4 && le.Uint32(b) == 0 {
			return []DiskExtent{}, nil
		}
		return nil, fmt.Errorf("%w VOLUME_DISK_EXTENTS: %d bytes", ErrParse, len(b))
	}
	n := le.Uint32(b)
	if uint64(n)*24 > uint64(len(b)-8) {
		return nil, fmt.Errorf("%w VOLUME_DISK_EXTENTS: %d extents in %d bytes", ErrParse, n, len(b))
	}
	out := make([]DiskExtent, n)
	for i := range out {
		e := b[8+24*i:]
		out[i] = DiskExtent{DiskNumber: le.Uint32(e), StartingOffset: int64(le.Uint64(e[8:])), ExtentLength: int64(le.Uint64(e[16:]))}
		if out[i].StartingOffset < 0 || out[i].ExtentLength < 0 {
			return nil, fmt.Errorf("%w VOLUME_DISK_EXTENTS: extent %d has a negative offset or length", ErrParse, i)
		}
	}
	return out, nil
}

// Partition styles (PARTITION_STYLE).
const (
	PartitionStyleMBR = 0
	PartitionStyleGPT = 1
	PartitionStyleRAW = 2
)

// DriveLayout is DRIVE_LAYOUT_INFORMATION_EX: the disk's partition table.
type DriveLayout struct {
	PartitionStyle uint32                 `json:"PartitionStyle"` // 0 MBR, 1 GPT, 2 RAW
	Mbr            *DriveLayoutMBR        `json:"Mbr,omitempty"`
	Gpt            *DriveLayoutGPT        `json:"Gpt,omitempty"`
	PartitionEntry []PartitionInformation `json:"PartitionEntry"`
}

// DriveLayoutMBR is DRIVE_LAYOUT_INFORMATION_MBR.
type DriveLayoutMBR struct {
	Signature uint32 `json:"Signature"`
	CheckSum  uint32 `json:"CheckSum"`
}

// DriveLayoutGPT is DRIVE_LAYOUT_INFORMATION_GPT.
type DriveLayoutGPT struct {
	DiskID               string `json:"DiskId"` // "{...}"
	StartingUsableOffset int64  `json:"StartingUsableOffset"`
	UsableLength         int64  `json:"UsableLength"`
	MaxPartitionCount    uint32 `json:"MaxPartitionCount"`
}

// PartitionInformation is PARTITION_INFORMATION_EX: one entry of the layout. MBR layouts
// list every slot of the table and of each extended partition's, unused ones included
// (type 0, number 0).
type PartitionInformation struct {
	PartitionStyle     uint32        `json:"PartitionStyle"`
	StartingOffset     int64         `json:"StartingOffset"`
	PartitionLength    int64         `json:"PartitionLength"`
	PartitionNumber    uint32        `json:"PartitionNumber"`
	RewritePartition   bool          `json:"RewritePartition,omitempty"`
	IsServicePartition bool          `json:"IsServicePartition,omitempty"`
	Mbr                *PartitionMBR `json:"Mbr,omitempty"`
	Gpt                *PartitionGPT `json:"Gpt,omitempty"`
}

// PartitionMBR is PARTITION_INFORMATION_MBR.
type PartitionMBR struct {
	PartitionType       uint8  `json:"PartitionType"`
	BootIndicator       bool   `json:"BootIndicator"`
	RecognizedPartition bool   `json:"RecognizedPartition"`
	HiddenSectors       uint32 `json:"HiddenSectors"`
	PartitionID         string `json:"PartitionId,omitempty"`
}

// PartitionGPT is PARTITION_INFORMATION_GPT.
type PartitionGPT struct {
	PartitionType string `json:"PartitionType"` // "{...}"
	PartitionID   string `json:"PartitionId"`
	Attributes    uint64 `json:"Attributes"`
	Name          string `json:"Name"`
}

// Sizes of the layout structures on 64-bit Windows.
const (
	driveLayoutHeader = 48  // PartitionStyle, PartitionCount, the MBR/GPT union (40)
	partitionInfoSize = 144 // PARTITION_INFORMATION_EX
)

// ParseDriveLayout parses DRIVE_LAYOUT_INFORMATION_EX.
func ParseDriveLayout(b []byte) (DriveLayout, error) {
	if len(b) < driveLayoutHeader {
		return DriveLayout{}, fmt.Errorf("%w DRIVE_LAYOUT_INFORMATION_EX: %d bytes", ErrParse, len(b))
	}
	l := DriveLayout{PartitionStyle: le.Uint32(b), PartitionEntry: []PartitionInformation{}}
	n := le.Uint32(b[4:])
	switch l.PartitionStyle {
	case PartitionStyleMBR:
		l.Mbr = &DriveLayoutMBR{Signature: le.Uint32(b[8:]), CheckSum: le.Uint32(b[12:])}
	case PartitionStyleGPT:
		l.Gpt = &DriveLayoutGPT{DiskID: FormatGUID(b[8:24]), StartingUsableOffset: int64(le.Uint64(b[24:])),
			UsableLength: int64(le.Uint64(b[32:])), MaxPartitionCount: le.Uint32(b[40:])}
	case PartitionStyleRAW:
	default:
		return DriveLayout{}, fmt.Errorf("%w DRIVE_LAYOUT_INFORMATION_EX: partition style %d", ErrParse, l.PartitionStyle)
	}
	if uint64(n)*partitionInfoSize > uint64(len(b)-driveLayoutHeader) {
		return DriveLayout{}, fmt.Errorf("%w DRIVE_LAYOUT_INFORMATION_EX: %d partitions in %d bytes", ErrParse, n, len(b))
	}
	for i := 0; i < int(n); i++ {
		p, err := parsePartitionInformation(b[driveLayoutHeader+i*partitionInfoSize:][:partitionInfoSize])
		if err != nil {
			return DriveLayout{}, fmt.Errorf("%w (entry %d)", err, i)
		}
		l.PartitionEntry = append(l.PartitionEntry, p)
	}
	return l, nil
}

func parsePartitionInformation(e []byte) (PartitionInformation, error) {
	p := PartitionInformation{
		PartitionStyle: le.Uint32(e), StartingOffset: int64(le.Uint64(e[8:])), PartitionLength: int64(le.Uint64(e[16:])),
		PartitionNumber: le.Uint32(e[24:]), RewritePartition: e[28] != 0, IsServicePartition: e[29] != 0,
	}
	if p.StartingOffset < 0 || p.PartitionLength < 0 {
		return p, fmt.Errorf("%w PARTITION_INFORMATION_EX: negative offset or length", ErrParse)
	}
	u := e[32:]
	switch p.PartitionStyle {
	case PartitionStyleMBR:
		p.Mbr = &PartitionMBR{PartitionType: u[0], BootIndicator: u[1] != 0, RecognizedPartition: u[2] != 0,
			HiddenSectors: le.Uint32(u[4:])}
		if id := u[8:24]; !allZero(id) {
			p.Mbr.PartitionID = FormatGUID(id)
		}
	case PartitionStyleGPT:
		p.Gpt = &PartitionGPT{PartitionType: FormatGUID(u[0:16]), PartitionID: FormatGUID(u[16:32]),
			Attributes: le.Uint64(u[32:]), Name: utf16String(u[40:112])}
	case PartitionStyleRAW:
	default:
		return p, fmt.Errorf("%w PARTITION_INFORMATION_EX: partition style %d", ErrParse, p.PartitionStyle)
	}
	return p, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// FormatGUID formats a GUID as Windows prints it: {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX},
// the first three fields little-endian.
func FormatGUID(b []byte) string {
	return fmt.Sprintf("{%08X-%04X-%04X-%X-%X}", le.Uint32(b), le.Uint16(b[4:]), le.Uint16(b[6:]), b[8:10], b[10:16])
}

// PutGUID writes a GUID given as FormatGUID prints it (braces optional) into b[0:16].
func PutGUID(b []byte, s string) error {
	s = strings.Trim(s, "{}")
	var d1 uint32
	var d2, d3 uint16
	var d4 [8]byte
	if len(s) != 36 {
		return fmt.Errorf("%w GUID %q", ErrParse, s)
	}
	if _, err := fmt.Sscanf(s, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", &d1, &d2, &d3,
		&d4[0], &d4[1], &d4[2], &d4[3], &d4[4], &d4[5], &d4[6], &d4[7]); err != nil {
		return fmt.Errorf("%w GUID %q: %w", ErrParse, s, err)
	}
	le.PutUint32(b, d1)
	le.PutUint16(b[4:], d2)
	le.PutUint16(b[6:], d3)
	copy(b[8:16], d4[:])
	return nil
}

// utf16String decodes a NUL-terminated little-endian UTF-16 string.
func utf16String(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := le.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// ParseLengthInfo parses GET_LENGTH_INFORMATION: the disk's size in bytes.
func ParseLengthInfo(b []byte) (int64, error) {
	if len(b) < 8 {
		return 0, fmt.Errorf("%w GET_LENGTH_INFORMATION: %d bytes", ErrParse, len(b))
	}
	n := int64(le.Uint64(b))
	if n < 0 {
		return 0, fmt.Errorf("%w GET_LENGTH_INFORMATION: negative length", ErrParse)
	}
	return n, nil
}

// STORAGE_BUS_TYPE values the agent names.
const (
	BusTypeUsb    = 7
	BusTypeRAID   = 8
	BusTypeiScsi  = 9
	BusTypeSpaces = 16 // a Storage Spaces virtual disk
)

// StorageDeviceDescriptor is the part of STORAGE_DEVICE_DESCRIPTOR the agent uses.
type StorageDeviceDescriptor struct {
	DeviceType      uint8  `json:"DeviceType"`
	RemovableMedia  bool   `json:"RemovableMedia"`
	BusType         uint32 `json:"BusType"`
	VendorID        string `json:"VendorId,omitempty"`
	ProductID       string `json:"ProductId,omitempty"`
	ProductRevision string `json:"ProductRevision,omitempty"`
	SerialNumber    string `json:"SerialNumber,omitempty"`
}

// ParseStorageDeviceDescriptor parses STORAGE_DEVICE_DESCRIPTOR: Version, Size,
// DeviceType, DeviceTypeModifier, RemovableMedia, CommandQueueing, the offsets of the
// vendor, product, revision and serial number strings (NUL-terminated ASCII in the same
// buffer, 0 when absent), BusType.
func ParseStorageDeviceDescriptor(b []byte) (StorageDeviceDescriptor, error) {
	if len(b) < 32 {
		return StorageDeviceDescriptor{}, fmt.Errorf("%w STORAGE_DEVICE_DESCRIPTOR: %d bytes", ErrParse, len(b))
	}
	size := int(le.Uint32(b[4:]))
	if size < 32 || size > len(b) {
		size = len(b)
	}
	b = b[:size]
	d := StorageDeviceDescriptor{DeviceType: b[8], RemovableMedia: b[10] != 0, BusType: le.Uint32(b[28:])}
	str := func(off uint32) string {
		if off == 0 || int(off) >= len(b) {
			return ""
		}
		s := b[off:]
		if i := indexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		return strings.TrimSpace(string(s))
	}
	d.VendorID, d.ProductID = str(le.Uint32(b[12:])), str(le.Uint32(b[16:]))
	d.ProductRevision, d.SerialNumber = str(le.Uint32(b[20:])), str(le.Uint32(b[24:]))
	return d, nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// AccessAlignment is the part of STORAGE_ACCESS_ALIGNMENT_DESCRIPTOR the agent uses.
type AccessAlignment struct {
	BytesPerLogicalSector  uint32 `json:"BytesPerLogicalSector"`
	BytesPerPhysicalSector uint32 `json:"BytesPerPhysicalSector"`
}

// ParseAccessAlignment parses STORAGE_ACCESS_ALIGNMENT_DESCRIPTOR: Version, Size,
// BytesPerCacheLine, BytesOffsetForCacheAlignment, BytesPerLogicalSector,
// BytesPerPhysicalSector, BytesOffsetForSectorAlignment.
func ParseAccessAlignment(b []byte) (AccessAlignment, error) {
	if len(b) < 24 {
		return AccessAlignment{}, fmt.Errorf("%w STORAGE_ACCESS_ALIGNMENT_DESCRIPTOR: %d bytes", ErrParse, len(b))
	}
	return AccessAlignment{BytesPerLogicalSector: le.Uint32(b[16:]), BytesPerPhysicalSector: le.Uint32(b[20:])}, nil
}

// ParseSeekPenalty parses DEVICE_SEEK_PENALTY_DESCRIPTOR: Version, Size, IncursSeekPenalty.
func ParseSeekPenalty(b []byte) (bool, error) {
	if len(b) < 9 {
		return false, fmt.Errorf("%w DEVICE_SEEK_PENALTY_DESCRIPTOR: %d bytes", ErrParse, len(b))
	}
	return b[8] != 0, nil
}

// ParseMultiSz splits a REG_MULTI_SZ-style list of UTF-16 strings (each NUL-terminated,
// the list ended by an empty one), as GetVolumePathNamesForVolumeNameW,
// GetLogicalDriveStringsW and QueryDosDeviceW return them.
func ParseMultiSz(u []uint16) []string {
	out := []string{}
	start := 0
	for i, c := range u {
		if c != 0 {
			continue
		}
		if i == start {
			break
		}
		out = append(out, string(utf16.Decode(u[start:i])))
		start = i + 1
	}
	return out
}
