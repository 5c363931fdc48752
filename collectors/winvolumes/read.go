package winvolumes

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/sms-agent/sms-agent/platform"
)

// Snapshot is everything the probes answered about the volumes and disks, each answer
// with its error. Read fills it; agent/inventory maps it.
type Snapshot struct {
	Volumes []Volume
	Disks   []Disk
	// Drives are drive letters that are no volume of this machine (network drives).
	Drives []Drive
	// BitLocker is WMI's list of encryptable volumes (nil with BitLockerErr).
	BitLocker    *BitLocker
	BitLockerErr error
	// Errs are failures of the enumerations themselves (no volume list, no device list).
	Errs []error
}

// Volume is one volume (FindFirstVolumeW) and what was asked about it.
type Volume struct {
	GUIDPath  string   // \\?\Volume{...}\
	Paths     []string // drive letters first ("C:\"), then folders ("C:\data\"), as mounted
	PathsErr  error
	DriveType uint32
	// Skipped: removable, CD-ROM, network or RAM disk, not queried further.
	Skipped      bool
	Info         *VolumeInformation
	InfoErr      error
	FreeEx       *DiskFreeSpaceEx
	FreeExErr    error
	Free         *DiskFreeSpace
	FreeErr      error
	Extents      []DiskExtent
	ExtentsErr   error
	ExtentsAsked bool
}

// Disk is one \\.\PhysicalDriveN and what was asked about it.
type Disk struct {
	Number       uint32
	Device       *StorageDeviceDescriptor
	DeviceErr    error
	Length       *int64
	LengthErr    error
	Layout       *DriveLayout
	LayoutErr    error
	Alignment    *AccessAlignment
	AlignmentErr error
	SeekPenalty  *bool
	SeekErr      error
	// Skipped: removable media, not queried further.
	Skipped bool
}

// Drive is a drive letter that is not a volume of this machine.
type Drive struct {
	Root      string // "Z:\"
	DriveType uint32
}

// Read asks the probes, in the order that lets it skip what must not be asked:
// volumes first, then each volume's mount points and drive type; removable, CD-ROM,
// network and RAM-disk volumes are asked nothing more (no "no disk in drive" wait);
// the others their file system, free space, cluster size and disk extents, all at once,
// each within the statfs timeout. Disks are the PhysicalDriveN devices QueryDosDeviceW
// lists plus any an extent names; each is asked its storage descriptor first, and a
// removable one nothing more.
func Read(ctx context.Context, p platform.Prober) Snapshot {
	var s Snapshot
	vols, err := platform.Ask(ctx, p, FindVolumesProbe, None{})
	if err != nil {
		s.Errs = append(s.Errs, fmt.Errorf("list volumes: %w", err))
	}
	sort.Strings(vols)
	s.Volumes = make([]Volume, len(vols))
	paths := platform.AskAll(ctx, p, VolumePathsProbe, vols)
	types := platform.AskAll(ctx, p, DriveTypeProbe, vols)
	var ask []string
	var askIdx []int
	for i, v := range vols {
		vol := &s.Volumes[i]
		vol.GUIDPath, vol.Paths, vol.PathsErr = v, sortPaths(paths[i].Value), paths[i].Err
		vol.DriveType = types[i].Value
		switch vol.DriveType {
		case DriveRemovable, DriveRemote, DriveCDROM, DriveRAMDisk:
			vol.Skipped = true
		default:
			ask, askIdx = append(ask, v), append(askIdx, i)
		}
	}
	var wg sync.WaitGroup
	var infos []platform.Answer[VolumeInformation]
	var freeEx []platform.Answer[DiskFreeSpaceEx]
	var free []platform.Answer[DiskFreeSpace]
	var extents []platform.Answer[[]DiskExtent]
	var bitlocker []platform.Answer[BitLocker]
	run := func(f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f()
		}()
	}
	run(func() { infos = platform.AskAll(ctx, p, VolumeInformationProbe, ask) })
	run(func() { freeEx = platform.AskAll(ctx, p, FreeSpaceExProbe, ask) })
	run(func() { free = platform.AskAll(ctx, p, FreeSpaceProbe, ask) })
	run(func() { extents = platform.AskAll(ctx, p, DiskExtentsProbe, ask) })
	if len(ask) > 0 {
		run(func() { bitlocker = platform.AskAll(ctx, p, BitLockerProbe, []None{{}}) })
	}
	var dos []string
	var dosErr error
	var drives []string
	var drivesErr error
	run(func() { dos, dosErr = platform.Ask(ctx, p, DosDevicesProbe, None{}) })
	run(func() { drives, drivesErr = platform.Ask(ctx, p, LogicalDrivesProbe, None{}) })
	wg.Wait()
	for j, i := range askIdx {
		vol := &s.Volumes[i]
		vol.ExtentsAsked = true
		vol.Info, vol.InfoErr = valueOf(infos[j])
		vol.FreeEx, vol.FreeExErr = valueOf(freeEx[j])
		vol.Free, vol.FreeErr = valueOf(free[j])
		vol.Extents, vol.ExtentsErr = extents[j].Value, extents[j].Err
	}
	if len(bitlocker) == 1 {
		s.BitLocker, s.BitLockerErr = valueOf(bitlocker[0])
	}
	if dosErr != nil {
		s.Errs = append(s.Errs, fmt.Errorf("list disks: %w", dosErr))
	}
	s.Disks = readDisks(ctx, p, diskNumbers(dos, s.Volumes))
	if drivesErr != nil {
		s.Errs = append(s.Errs, fmt.Errorf("list drive letters: %w", drivesErr))
	}
	s.Drives = otherDrives(ctx, p, drives, s.Volumes)
	return s
}

// physicalDriveNumber is N of a QueryDosDeviceW name "PhysicalDriveN" (any case).
// (Not a package-level regexp: that would be compiled at every start of the agent, on
// Linux too.)
func physicalDriveNumber(name string) (uint32, bool) {
	const prefix = "physicaldrive"
	if len(name) <= len(prefix) || !strings.EqualFold(name[:len(prefix)], prefix) {
		return 0, false
	}
	n, err := strconv.ParseUint(name[len(prefix):], 10, 32) // decimal digits only: no sign, no _
	if err != nil {
		return 0, false
	}
	return uint32(n), true
}

// diskNumbers are the disks QueryDosDeviceW names (PhysicalDriveN) and those volume
// extents lie on, sorted.
func diskNumbers(dos []string, vols []Volume) []uint32 {
	seen := map[uint32]bool{}
	for _, d := range dos {
		if n, ok := physicalDriveNumber(d); ok {
			seen[n] = true
		}
	}
	for _, v := range vols {
		for _, e := range v.Extents {
			seen[e.DiskNumber] = true
		}
	}
	out := make([]uint32, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func readDisks(ctx context.Context, p platform.Prober, nums []uint32) []Disk {
	disks := make([]Disk, len(nums))
	desc := platform.AskAll(ctx, p, StorageDeviceProbe, nums)
	var ask []uint32
	var askIdx []int
	for i, n := range nums {
		d := &disks[i]
		d.Number = n
		d.Device, d.DeviceErr = valueOf(desc[i])
		if d.Device != nil && d.Device.RemovableMedia {
			d.Skipped = true
			continue
		}
		ask, askIdx = append(ask, n), append(askIdx, i)
	}
	var wg sync.WaitGroup
	var length []platform.Answer[int64]
	var layout []platform.Answer[DriveLayout]
	var align []platform.Answer[AccessAlignment]
	var seek []platform.Answer[bool]
	wg.Add(4)
	go func() { defer wg.Done(); length = platform.AskAll(ctx, p, DiskLengthProbe, ask) }()
	go func() { defer wg.Done(); layout = platform.AskAll(ctx, p, DriveLayoutProbe, ask) }()
	go func() { defer wg.Done(); align = platform.AskAll(ctx, p, AccessAlignmentProbe, ask) }()
	go func() { defer wg.Done(); seek = platform.AskAll(ctx, p, SeekPenaltyProbe, ask) }()
	wg.Wait()
	for j, i := range askIdx {
		d := &disks[i]
		d.Length, d.LengthErr = valueOf(length[j])
		d.Layout, d.LayoutErr = valueOf(layout[j])
		d.Alignment, d.AlignmentErr = valueOf(align[j])
		d.SeekPenalty, d.SeekErr = valueOf(seek[j])
	}
	return disks
}

// valueOf is an answer as a pointer (nil when the probe failed) and its error.
func valueOf[A any](a platform.Answer[A]) (*A, error) {
	if a.Err != nil {
		return nil, a.Err
	}
	v := a.Value
	return &v, nil
}

// otherDrives are the drive roots that no volume is mounted on (mapped network drives),
// with their drive type; nothing else is asked of them.
func otherDrives(ctx context.Context, p platform.Prober, roots []string, vols []Volume) []Drive {
	mounted := map[string]bool{}
	for _, v := range vols {
		for _, m := range v.Paths {
			mounted[strings.ToUpper(m)] = true
		}
	}
	var ask []string
	for _, r := range roots {
		if !mounted[strings.ToUpper(r)] {
			ask = append(ask, r)
		}
	}
	sort.Strings(ask)
	var out []Drive
	for i, a := range platform.AskAll(ctx, p, DriveTypeProbe, ask) {
		out = append(out, Drive{Root: ask[i], DriveType: a.Value})
	}
	return out
}

// IsDriveRoot reports whether p is a drive letter's root ("C:\").
func IsDriveRoot(p string) bool {
	return len(p) == 3 && p[1] == ':' && p[2] == '\\' && (p[0]|0x20) >= 'a' && (p[0]|0x20) <= 'z'
}

// sortPaths puts drive roots first (by letter), then folders (by name).
func sortPaths(ps []string) []string {
	out := append([]string{}, ps...)
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := IsDriveRoot(out[i]), IsDriveRoot(out[j])
		if ri != rj {
			return ri
		}
		return strings.ToUpper(out[i]) < strings.ToUpper(out[j])
	})
	return out
}
