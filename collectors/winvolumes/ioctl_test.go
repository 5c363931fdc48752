package winvolumes

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
	"unicode/utf16"
	"unsafe"
)

// The structures of winioctl.h and ntddstor.h, field by field as the SDK declares them,
// with the padding a 64-bit C compiler inserts written out, so that binary.Write lays
// them out as Windows does. TestStructSizes checks them against the sizes Windows
// documents; the tests then encode buffers with them and parse them back.

type guidC [16]byte

type diskExtentC struct {
	DiskNumber     uint32
	_              [4]byte
	StartingOffset int64
	ExtentLength   int64
}

type partitionInformationGPTC struct {
	PartitionType guidC
	PartitionID   guidC
	Attributes    uint64
	Name          [36]uint16
}

type partitionInformationMBRC struct {
	PartitionType       uint8
	BootIndicator       uint8
	RecognizedPartition uint8
	_                   uint8
	HiddenSectors       uint32
	PartitionID         guidC
	_                   [112 - 24]byte // the union is as large as its GPT member
}

type partitionInformationExC struct {
	PartitionStyle     uint32
	_                  [4]byte
	StartingOffset     int64
	PartitionLength    int64
	PartitionNumber    uint32
	RewritePartition   uint8
	IsServicePartition uint8
	_                  [2]byte
	Union              [112]byte
}

type driveLayoutGPTC struct {
	DiskID               guidC
	StartingUsableOffset int64
	UsableLength         int64
	MaxPartitionCount    uint32
	_                    [4]byte
}

type driveLayoutHeaderC struct {
	PartitionStyle uint32
	PartitionCount uint32
	Union          [40]byte
}

func TestStructSizes(t *testing.T) {
	for _, tt := range []struct {
		name      string
		got, want uintptr
	}{
		{"DISK_EXTENT", unsafe.Sizeof(diskExtentC{}), 24},
		{"PARTITION_INFORMATION_GPT", unsafe.Sizeof(partitionInformationGPTC{}), 112},
		{"PARTITION_INFORMATION_EX", unsafe.Sizeof(partitionInformationExC{}), partitionInfoSize},
		{"DRIVE_LAYOUT_INFORMATION_GPT", unsafe.Sizeof(driveLayoutGPTC{}), 40},
		{"DRIVE_LAYOUT_INFORMATION_EX header", unsafe.Sizeof(driveLayoutHeaderC{}), driveLayoutHeader},
		{"PARTITION_INFORMATION_EX.StartingOffset", unsafe.Offsetof(partitionInformationExC{}.StartingOffset), 8},
		{"PARTITION_INFORMATION_EX union", unsafe.Offsetof(partitionInformationExC{}.Union), 32},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: %d bytes; want %d", tt.name, tt.got, tt.want)
		}
	}
}

func encode(t testing.TB, vs ...any) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, v := range vs {
		if err := binary.Write(&b, binary.LittleEndian, v); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func mustGUID(t testing.TB, s string) guidC {
	t.Helper()
	var g guidC
	if err := PutGUID(g[:], s); err != nil {
		t.Fatal(err)
	}
	return g
}

func name36(s string) [36]uint16 {
	var n [36]uint16
	copy(n[:], utf16.Encode([]rune(s)))
	return n
}

func TestParseDriveLayoutGPT(t *testing.T) {
	const esp, basic = "{C12A7328-F81F-11D2-BA4B-00A0C93EC93B}", "{EBD0A0A2-B9E5-4433-87C0-68B6B72699C7}"
	hdr := driveLayoutHeaderC{PartitionStyle: PartitionStyleGPT, PartitionCount: 2}
	copy(hdr.Union[:], encode(t, driveLayoutGPTC{DiskID: mustGUID(t, "{0D1B8E51-6A4C-4C3E-9B5A-0F4B5E2C7A10}"),
		StartingUsableOffset: 17408, UsableLength: 64*1024*1024*1024 - 17408 - 16896, MaxPartitionCount: 128}))
	p := func(n uint32, start, length int64, typ, id, name string, attrs uint64) partitionInformationExC {
		e := partitionInformationExC{PartitionStyle: PartitionStyleGPT, StartingOffset: start, PartitionLength: length, PartitionNumber: n}
		copy(e.Union[:], encode(t, partitionInformationGPTC{PartitionType: mustGUID(t, typ), PartitionID: mustGUID(t, id),
			Attributes: attrs, Name: name36(name)}))
		return e
	}
	b := encode(t, hdr,
		p(1, 1<<20, 100<<20, esp, "{11111111-2222-3333-4444-555555555555}", "EFI system partition", 1<<63),
		p(2, 101<<20, 10<<30, basic, "{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}", "Basic data partition", 0))
	got, err := ParseDriveLayout(b)
	if err != nil {
		t.Fatal(err)
	}
	want := DriveLayout{PartitionStyle: 1,
		Gpt: &DriveLayoutGPT{DiskID: "{0D1B8E51-6A4C-4C3E-9B5A-0F4B5E2C7A10}", StartingUsableOffset: 17408,
			UsableLength: 64<<30 - 17408 - 16896, MaxPartitionCount: 128},
		PartitionEntry: []PartitionInformation{
			{PartitionStyle: 1, StartingOffset: 1 << 20, PartitionLength: 100 << 20, PartitionNumber: 1,
				Gpt: &PartitionGPT{PartitionType: esp, PartitionID: "{11111111-2222-3333-4444-555555555555}", Attributes: 1 << 63, Name: "EFI system partition"}},
			{PartitionStyle: 1, StartingOffset: 101 << 20, PartitionLength: 10 << 30, PartitionNumber: 2,
				Gpt: &PartitionGPT{PartitionType: basic, PartitionID: "{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}", Name: "Basic data partition"}},
		}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	// A buffer cut short is an error, never a partial layout.
	if _, err := ParseDriveLayout(b[:len(b)-1]); !errors.Is(err, ErrParse) {
		t.Errorf("short buffer: %v", err)
	}
}

func TestParseDriveLayoutMBR(t *testing.T) {
	hdr := driveLayoutHeaderC{PartitionStyle: PartitionStyleMBR, PartitionCount: 4}
	copy(hdr.Union[:], encode(t, uint32(0x1A2B3C4D), uint32(0)))
	p := func(n uint32, start, length int64, typ uint8, active bool) partitionInformationExC {
		e := partitionInformationExC{PartitionStyle: PartitionStyleMBR, StartingOffset: start, PartitionLength: length, PartitionNumber: n}
		var boot uint8
		if active {
			boot = 1
		}
		m := partitionInformationMBRC{PartitionType: typ, BootIndicator: boot, RecognizedPartition: boot | 1, HiddenSectors: uint32(start / 512)}
		copy(e.Union[:], encode(t, m))
		return e
	}
	b := encode(t, hdr, p(1, 1<<20, 500<<20, 0x07, true), p(2, 501<<20, 40<<30, 0x07, false), p(0, 0, 0, 0, false), p(0, 0, 0, 0, false))
	got, err := ParseDriveLayout(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Mbr == nil || got.Mbr.Signature != 0x1A2B3C4D || len(got.PartitionEntry) != 4 {
		t.Fatalf("got %+v", got)
	}
	e := got.PartitionEntry[0]
	if e.Mbr == nil || e.Mbr.PartitionType != 7 || !e.Mbr.BootIndicator || e.Mbr.HiddenSectors != 2048 || e.Mbr.PartitionID != "" {
		t.Errorf("entry 0 = %+v (%+v)", e, e.Mbr)
	}
	if got.PartitionEntry[1].Mbr.BootIndicator || got.PartitionEntry[3].PartitionNumber != 0 {
		t.Errorf("entries %+v", got.PartitionEntry)
	}
}

func TestParseDiskExtents(t *testing.T) {
	b := encode(t, uint32(2), uint32(0), diskExtentC{DiskNumber: 1, StartingOffset: 128 << 20, ExtentLength: 40 << 30},
		diskExtentC{DiskNumber: 2, StartingOffset: 128 << 20, ExtentLength: 30 << 30})
	got, err := ParseDiskExtents(b)
	want := []DiskExtent{{1, 128 << 20, 40 << 30}, {2, 128 << 20, 30 << 30}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v %v", got, err)
	}
	// As Wine 10 answers for every volume: 32 bytes, no extent.
	if got, err := ParseDiskExtents(make([]byte, 32)); err != nil || len(got) != 0 {
		t.Errorf("Wine's answer: %v %v", got, err)
	}
	if _, err := ParseDiskExtents(b[:len(b)-8]); !errors.Is(err, ErrParse) {
		t.Errorf("short: %v", err)
	}
}

func TestParseStorageDeviceDescriptor(t *testing.T) {
	// As Wine 10 answered for \\.\PhysicalDrive0: 40 bytes, no strings, bus type 1 (SCSI).
	wine := []byte{40, 0, 0, 0, 40, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if got, err := ParseStorageDeviceDescriptor(wine); err != nil || got != (StorageDeviceDescriptor{DeviceType: 7, BusType: 1}) {
		t.Errorf("Wine's descriptor: %+v %v", got, err)
	}
	// A descriptor with its strings after the fixed part, as a disk driver fills it.
	b := make([]byte, 36)
	le.PutUint32(b[0:], 1)
	b[10] = 1                        // removable
	le.PutUint32(b[28:], BusTypeUsb) // bus
	b = append(b, "SanDisk\x00Cruzer Blade    \x001.00\x00 4C530001\x00"...)
	le.PutUint32(b[12:], 36)
	le.PutUint32(b[16:], 44)
	le.PutUint32(b[20:], 61)
	le.PutUint32(b[24:], 66)
	le.PutUint32(b[4:], uint32(len(b)))
	got, err := ParseStorageDeviceDescriptor(b)
	want := StorageDeviceDescriptor{RemovableMedia: true, BusType: BusTypeUsb, VendorID: "SanDisk", ProductID: "Cruzer Blade",
		ProductRevision: "1.00", SerialNumber: "4C530001"}
	if err != nil || got != want {
		t.Errorf("got %+v %v; want %+v", got, err, want)
	}
}

func TestParseSmallDescriptors(t *testing.T) {
	// As Wine 10 answered the seek-penalty query: 12 bytes, no penalty.
	if v, err := ParseSeekPenalty([]byte{12, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0}); err != nil || v {
		t.Errorf("seek penalty: %v %v", v, err)
	}
	a := make([]byte, 28)
	le.PutUint32(a[16:], 512)
	le.PutUint32(a[20:], 4096)
	if v, err := ParseAccessAlignment(a); err != nil || v != (AccessAlignment{512, 4096}) {
		t.Errorf("alignment: %+v %v", v, err)
	}
	if n, err := ParseLengthInfo(encode(t, int64(64<<30))); err != nil || n != 64<<30 {
		t.Errorf("length: %d %v", n, err)
	}
	for _, f := range []func([]byte) error{
		func(b []byte) error { _, err := ParseSeekPenalty(b); return err },
		func(b []byte) error { _, err := ParseAccessAlignment(b); return err },
		func(b []byte) error { _, err := ParseLengthInfo(b); return err },
		func(b []byte) error { _, err := ParseStorageDeviceDescriptor(b); return err },
	} {
		if err := f([]byte{1, 2, 3}); !errors.Is(err, ErrParse) {
			t.Errorf("short buffer: %v", err)
		}
	}
}

func TestParseMultiSz(t *testing.T) {
	u := utf16.Encode([]rune("C:\\\x00C:\\data\\\x00\x00"))
	if got := ParseMultiSz(u); !reflect.DeepEqual(got, []string{`C:\`, `C:\data\`}) {
		t.Errorf("got %q", got)
	}
	if got := ParseMultiSz([]uint16{0, 0}); len(got) != 0 {
		t.Errorf("empty list: %q", got)
	}
}

func TestGUIDRoundTrip(t *testing.T) {
	const s = "{C12A7328-F81F-11D2-BA4B-00A0C93EC93B}"
	var b [16]byte
	if err := PutGUID(b[:], s); err != nil || FormatGUID(b[:]) != s {
		t.Errorf("%s -> %x -> %s (%v)", s, b, FormatGUID(b[:]), err)
	}
	// The first three fields are little-endian on disk.
	if b[0] != 0x28 || b[3] != 0xC1 || b[4] != 0x1F || b[8] != 0xBA {
		t.Errorf("bytes %x", b)
	}
	if err := PutGUID(b[:], "{not-a-guid}"); !errors.Is(err, ErrParse) {
		t.Errorf("bad GUID: %v", err)
	}
}

func FuzzParseDriveLayout(f *testing.F) {
	f.Add(make([]byte, driveLayoutHeader))
	f.Add(append([]byte{1, 0, 0, 0, 1, 0, 0, 0}, make([]byte, driveLayoutHeader-8+partitionInfoSize)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseDriveLayout(b)
		if err == nil && len(l.PartitionEntry)*partitionInfoSize > len(b) {
			t.Fatalf("%d entries from %d bytes", len(l.PartitionEntry), len(b))
		}
	})
}

func FuzzParseDiskExtents(f *testing.F) {
	f.Add(make([]byte, 32))
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := ParseDiskExtents(b)
		if err == nil && 8+24*len(es) > max(len(b), 8) {
			t.Fatalf("%d extents from %d bytes", len(es), len(b))
		}
	})
}

func FuzzParseStorageDeviceDescriptor(f *testing.F) {
	f.Add([]byte{40, 0, 0, 0, 40, 0, 0, 0, 7, 0, 0, 0, 36, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 'x', 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseStorageDeviceDescriptor(b)
		_, _ = ParseAccessAlignment(b)
		_, _ = ParseSeekPenalty(b)
	})
}

func FuzzParseMultiSz(f *testing.F) {
	f.Add([]byte("C\x00:\x00\\\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = le.Uint16(b[2*i:])
		}
		for _, s := range ParseMultiSz(u) {
			if s == "" {
				t.Fatal("empty string in the list")
			}
		}
	})
}

func TestPhysicalDriveNumber(t *testing.T) {
	for _, tt := range []struct {
		name string
		n    uint32
		ok   bool
	}{
		{"PhysicalDrive0", 0, true}, {"PHYSICALDRIVE12", 12, true}, {"physicaldrive3", 3, true},
		{"PhysicalDrive", 0, false}, {"PhysicalDrive1a", 0, false}, {"PhysicalDrive-1", 0, false},
		{"CdRom0", 0, false}, {"PhysicalDrive99999999999", 0, false}, {"xPhysicalDrive1", 0, false},
		{"PhysicalDrive+1", 0, false}, {"PhysicalDrive1_0", 0, false}, {"PhysicalDrive 1", 0, false}, {"PhysicalDrive0x1", 0, false},
	} {
		n, ok := physicalDriveNumber(tt.name)
		if n != tt.n || ok != tt.ok {
			t.Errorf("physicalDriveNumber(%q) = %d, %v; want %d, %v", tt.name, n, ok, tt.n, tt.ok)
		}
	}
}
