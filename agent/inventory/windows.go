package inventory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/bits"
	"sort"
	"strings"
	"sync"

	"github.com/sms-agent/sms-agent/collectors/winhost"
	"github.com/sms-agent/sms-agent/collectors/winvolumes"
	"github.com/sms-agent/sms-agent/platform"
)

// Windows discovery: the probes of collectors/winvolumes and collectors/winhost, asked
// live or replayed, mapped to the same inventory as Linux's (docs/windows.md). Nothing
// here is built for Windows only: Linux CI tests it on recorded hosts.

// OS types (Host.OSType).
const (
	OSTypeLinux   = "LINUX"
	OSTypeWindows = "WINDOWS"
)

func discoverWindows(ctx context.Context, h platform.Host, opt Options) (*Inventory, error) {
	d := &discovery{h: h, opt: opt}
	var snap winvolumes.Snapshot
	var info winhost.Info
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		info = winhost.Read(ctx, h.Probes)
	}()
	snap = winvolumes.Read(ctx, h.Probes)
	wg.Wait()
	inv := &Inventory{
		SchemaVersion: SchemaVersion, Disks: []Disk{}, VolumeGroups: []VolumeGroup{}, BtrfsList: []BtrfsFileSystem{}, Stacked: []StackedDevice{}, Mounts: []Mount{},
	}
	inv.Host = windowsHost(info)
	for _, err := range info.Errs {
		d.warn("host", err)
	}
	for _, err := range snap.Errs {
		d.warn("volumes", err)
	}
	w := newWinLayout(snap, inv.Host.Windows.SystemDrive)
	disks, err := w.selectDisks(opt.Devices)
	if err != nil {
		return nil, err
	}
	for _, dk := range disks {
		inv.Disks = append(inv.Disks, w.disk(dk))
	}
	inv.Mounts = w.mounts() // after the disks: a mount names the partition it is
	w.report(d, disks)
	if len(d.needRoot) > 0 {
		d.warn("privileges", fmt.Errorf("not running as an elevated administrator, so these are unknown: %s; run elevated (as administrator) to read them",
			strings.Join(d.needRoot, "; ")))
	}
	inv.Warnings = d.warnings
	if inv.Warnings == nil {
		inv.Warnings = []Warning{}
	}
	return inv, nil
}

// windowsHost maps the host facts.
func windowsHost(info winhost.Info) Host {
	pretty := info.Platform.Platform
	if v := info.Platform.Version; v != "" {
		pretty += " " + v
	}
	versionID := info.KernelVersion
	if parts := strings.Split(versionID, "."); len(parts) > 3 {
		versionID = strings.Join(parts[:3], ".")
	}
	w := &WindowsHost{
		ProductName: info.Platform.Platform, Family: info.Platform.Family, DisplayVersion: info.Platform.Version,
		SystemDir: info.SystemDir, SystemDrive: systemDrive(info.SystemDir),
		Administrator: info.Elevated, DriverFiles: info.DriverFiles, VSSService: serviceStart(info.VSS),
		Manufacturer: info.Manufacturer, Product: info.Product, BIOSVendor: info.BIOSVendor,
		Platform: CloudPlatform(info.Manufacturer, info.Product, info.BIOSVendor),
	}
	return Host{
		Hostname: info.Hostname, OSType: OSTypeWindows,
		OS:            OSRelease{ID: "windows", Name: info.Platform.Platform, VersionID: versionID, PrettyName: pretty},
		KernelVersion: info.KernelVersion, Arch: info.Arch, Firmware: info.Firmware,
		CPUQuantity: info.CPUs, MemoryBytes: info.MemoryBytes, Windows: w,
	}
}

// systemDrive is the drive of the system directory: "C:" of C:\Windows\system32.
func systemDrive(sysDir string) string {
	if len(sysDir) >= 2 && sysDir[1] == ':' {
		return strings.ToUpper(sysDir[:2])
	}
	return ""
}

func serviceStart(s *winhost.Service) string {
	switch {
	case s == nil:
		return ""
	case !s.Exists:
		return "missing"
	case s.StartType == winhost.ServiceAutoStart:
		return "automatic"
	case s.StartType == winhost.ServiceDemandStart:
		return "manual"
	case s.StartType == winhost.ServiceDisabled:
		return "disabled"
	}
	return fmt.Sprintf("start type %d", s.StartType)
}

// CloudPlatform names the cloud or hypervisor the SMBIOS strings show, as SMS's platform
// field does: hw, ali, aws, azure, gcp, tencent, vmware, hyperv; "" when none is
// recognised (a physical server, another hypervisor). Azure VMs are Hyper-V guests whose
// strings alone do not tell them apart: they come out hyperv.
func CloudPlatform(manufacturer, product, biosVendor string) string {
	all := strings.ToLower(manufacturer + "|" + product + "|" + biosVendor)
	for _, p := range cloudPlatforms {
		if strings.Contains(all, p.needle) && strings.Contains(all, p.and) {
			return p.platform
		}
	}
	return ""
}

// cloudPlatforms: what the SMBIOS strings contain (lower case; both needle and and), in
// the order they are tried.
var cloudPlatforms = []struct{ needle, and, platform string }{
	{"huawei", "", "hw"},
	{"alibaba", "", "ali"},
	{"amazon ec2", "", "aws"},
	{"google", "", "gcp"},
	{"tencent", "", "tencent"},
	{"vmware", "", "vmware"},
	{"microsoft corporation", "virtual machine", "hyperv"},
}

// GPT partition types and MBR partition types the mapping names.
const (
	gptESP                 = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
	gptMSR                 = "e3c9e316-0b5c-4db8-817d-f92df00215ae"
	gptLDMMetadata         = "5808c8aa-7e8f-42e0-85d2-e1e90434cfb3"
	gptLDMData             = "af9b60a0-1431-4f62-bc68-3311714a69ad"
	gptStorageSpaces       = "e75caf8f-f680-4cee-afa3-b001e56efc2d"
	mbrLDM           uint8 = 0x42
	mbrESP           uint8 = 0xef
)

// winLayout joins volumes to the disks and partitions they lie on.
type winLayout struct {
	snap        winvolumes.Snapshot
	systemDrive string
	bitlocker   map[string]winvolumes.EncryptableVolume // by volume GUID path, upper case
	// pieces are the volume extents on each disk that no partition of the layout starts
	// at (dynamic volumes), by disk number.
	pieces map[uint32][]volumePiece
	// partVol is the volume that is exactly one partition: disk → starting offset → volume.
	partVol map[uint32]map[int64]*winvolumes.Volume
	// volDevice is the partition name each mapped volume's mount shows as its device.
	volDevice map[string]string
}

type volumePiece struct {
	vol   *winvolumes.Volume
	ext   winvolumes.DiskExtent
	index int // 1-based among the volume's extents
}

func newWinLayout(snap winvolumes.Snapshot, systemDrive string) *winLayout {
	w := &winLayout{snap: snap, systemDrive: systemDrive, bitlocker: map[string]winvolumes.EncryptableVolume{},
		pieces: map[uint32][]volumePiece{}, partVol: map[uint32]map[int64]*winvolumes.Volume{}, volDevice: map[string]string{}}
	if snap.BitLocker != nil {
		for _, v := range snap.BitLocker.Volumes {
			w.bitlocker[strings.ToUpper(v.DeviceID)] = v
		}
	}
	starts := map[uint32]map[int64]bool{} // partitions of each disk's layout, by start
	for _, dk := range snap.Disks {
		if dk.Layout == nil {
			continue
		}
		starts[dk.Number] = map[int64]bool{}
		for _, p := range dk.Layout.PartitionEntry {
			if p.PartitionNumber != 0 && !isLDMContainer(p) {
				starts[dk.Number][p.StartingOffset] = true
			}
		}
	}
	for i := range snap.Volumes {
		v := &snap.Volumes[i]
		if len(v.Extents) == 1 && starts[v.Extents[0].DiskNumber][v.Extents[0].StartingOffset] {
			e := v.Extents[0]
			if w.partVol[e.DiskNumber] == nil {
				w.partVol[e.DiskNumber] = map[int64]*winvolumes.Volume{}
			}
			w.partVol[e.DiskNumber][e.StartingOffset] = v
			continue
		}
		for j, e := range v.Extents {
			w.pieces[e.DiskNumber] = append(w.pieces[e.DiskNumber], volumePiece{vol: v, ext: e, index: j + 1})
		}
	}
	return w
}

// isLDMContainer: the partitions of a dynamic disk that hold its database and its
// volumes; the volumes are listed in their place.
func isLDMContainer(p winvolumes.PartitionInformation) bool {
	if p.Mbr != nil {
		return p.Mbr.PartitionType == mbrLDM
	}
	if p.Gpt != nil {
		t := guid(p.Gpt.PartitionType)
		return t == gptLDMMetadata || t == gptLDMData
	}
	return false
}

// guid writes a Windows GUID ("{C12A7328-...}") as Linux tools print UUIDs.
func guid(s string) string { return strings.ToLower(strings.Trim(s, "{}")) }

// winDiskName is the disk's device path, as Windows tools show it.
func winDiskName(n uint32) string { return fmt.Sprintf(`\\.\PHYSICALDRIVE%d`, n) }

// selectDisks picks the disks to report: named ones (\\.\PHYSICALDRIVE1, PHYSICALDRIVE1,
// any case), else every disk that is not removable media.
func (w *winLayout) selectDisks(names []string) ([]winvolumes.Disk, error) {
	if len(names) == 0 {
		var out []winvolumes.Disk
		for _, dk := range w.snap.Disks {
			if !dk.Skipped {
				out = append(out, dk)
			}
		}
		return out, nil
	}
	byName := map[string]winvolumes.Disk{}
	for _, dk := range w.snap.Disks {
		byName[strings.TrimPrefix(winDiskName(dk.Number), `\\.\`)] = dk
	}
	seen := map[uint32]bool{}
	var out []winvolumes.Disk
	for _, n := range names {
		k := strings.ToUpper(strings.TrimPrefix(strings.TrimSpace(n), `\\.\`))
		if k == "" {
			continue
		}
		dk, ok := byName[k]
		if !ok {
			return nil, fmt.Errorf("--devices %s: %w (not a \\\\.\\PHYSICALDRIVE<n> of this host)", n, ErrNoSuchDevice)
		}
		if !seen[dk.Number] {
			seen[dk.Number] = true
			out = append(out, dk)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

// volumeName is how a volume is named: its drive letter ("C:"), else "".
func volumeLetter(v *winvolumes.Volume) string {
	for _, p := range v.Paths {
		if winvolumes.IsDriveRoot(p) {
			return strings.ToUpper(p[:2])
		}
	}
	return ""
}

// usage is a volume's usage as df would show it: GetDiskFreeSpaceExW's total, total
// minus free, and what the caller may still write; the cluster size and count from
// GetDiskFreeSpaceW.
func volumeUsage(v *winvolumes.Volume) *Usage {
	if v == nil || v.FreeEx == nil {
		return nil
	}
	f := v.FreeEx
	u := &Usage{FSSize: clamp(f.TotalNumberOfBytes), UsedSize: clamp(f.TotalNumberOfBytes - min(f.TotalNumberOfFreeBytes, f.TotalNumberOfBytes)),
		FreeSize: clamp(f.FreeBytesAvailableToCaller)}
	if c := v.Free; c != nil {
		u.BlockSize = int64(c.SectorsPerCluster) * int64(c.BytesPerSector)
		u.BlockCount = int64(c.TotalNumberOfClusters)
	}
	return u
}

func clamp(n uint64) int64 { return int64(min(n, 1<<63-1)) }

func fsOf(v *winvolumes.Volume) string {
	if v == nil || v.Info == nil {
		return ""
	}
	return v.Info.FileSystemName
}

// mountPoints are a volume's mount point and its other ones.
func mountPoints(v *winvolumes.Volume) (string, []string) {
	if v == nil || len(v.Paths) == 0 {
		return "", nil
	}
	return v.Paths[0], append([]string(nil), v.Paths[1:]...)
}

// bitLockerState names BitLocker's state of a volume: "" when BitLocker does not list
// it (or is not installed), else on, off, encrypting, decrypting, paused, locked.
func (w *winLayout) bitLockerState(v *winvolumes.Volume) string {
	e, ok := w.bitlocker[strings.ToUpper(v.GUIDPath)]
	if !ok {
		return ""
	}
	switch {
	case e.ProtectionStatus == 2 || (v.InfoErr != nil && v.Info == nil && e.ConversionStatus != 0):
		return "locked"
	case e.ConversionStatus == 2:
		return "encrypting"
	case e.ConversionStatus == 3:
		return "decrypting"
	case e.ConversionStatus == 4 || e.ConversionStatus == 5:
		return "paused"
	case e.ConversionStatus == 1 && e.ProtectionStatus == 1:
		return "on"
	case e.ConversionStatus == 1:
		return "suspended" // encrypted, protection suspended: the key is in the clear
	}
	return "off"
}

// disk maps one disk: its partitions from the layout, joined to their volumes, and the
// pieces of dynamic volumes in place of the dynamic disk's containers.
func (w *winLayout) disk(dk winvolumes.Disk) Disk {
	out := winDiskHeader(dk)
	entries, active := w.layoutEntries(dk, &out)
	entries = append(entries, w.pieceEntries(dk)...)
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].start < entries[j].start })
	hasBoot, hasOS := active, false
	for i, e := range entries {
		p := e.part
		p.Index = i
		hasBoot = hasBoot || p.DeviceUse == UseBoot
		hasOS = hasOS || p.DeviceUse == UseOS
		out.UsedSize += p.UsedSize
		out.PhysicalVolumes = append(out.PhysicalVolumes, p)
	}
	out.OSDisk = hasOS
	switch {
	case hasBoot:
		out.DeviceUse = UseBoot
	case hasOS:
		out.DeviceUse = UseOS
	default:
		out.DeviceUse = UseNormal
	}
	return out
}

// winDiskHeader is what a disk's own queries say: size, sectors, model, Storage Spaces.
func winDiskHeader(dk winvolumes.Disk) Disk {
	out := Disk{
		Name: winDiskName(dk.Number), KName: strings.TrimPrefix(winDiskName(dk.Number), `\\.\`), PhysicalVolumes: []Partition{},
	}
	if dk.Length != nil {
		out.Size = *dk.Length
	}
	if a := dk.Alignment; a != nil {
		out.LogicalSectorSize, out.PhysicalSectorSize = int64(a.BytesPerLogicalSector), int64(a.BytesPerPhysicalSector)
	}
	if dk.SeekPenalty != nil {
		out.Rotational = *dk.SeekPenalty
	}
	if dv := dk.Device; dv != nil {
		out.Removable = dv.RemovableMedia
		out.Model = strings.TrimSpace(dv.VendorID + " " + dv.ProductID)
		out.Serial = dv.SerialNumber
		if dv.BusType == winvolumes.BusTypeSpaces {
			out.StorageSpaces = "virtual_disk"
		}
	}
	return out
}

// winEntry is a partition at its start on the disk.
type winEntry struct {
	start int64
	part  Partition
}

// layoutEntries maps the partitions of the disk's layout, joined to their volumes, and
// says whether one is the MBR's active partition; it sets the disk's partition style,
// table id, and whether it is dynamic or in a storage pool.
func (w *winLayout) layoutEntries(dk winvolumes.Disk, out *Disk) (entries []winEntry, active bool) {
	l := dk.Layout
	if l == nil {
		return nil, false
	}
	switch l.PartitionStyle {
	case winvolumes.PartitionStyleMBR:
		out.PartitionStyle = "MBR"
		if l.Mbr != nil {
			out.PartitionTableUUID = fmt.Sprintf("%08x", l.Mbr.Signature)
		}
	case winvolumes.PartitionStyleGPT:
		out.PartitionStyle = "GPT"
		if l.Gpt != nil {
			out.PartitionTableUUID = guid(l.Gpt.DiskID)
		}
	}
	for _, p := range l.PartitionEntry {
		if p.PartitionNumber == 0 || p.PartitionLength == 0 {
			continue // an unused MBR slot or an extended partition's container
		}
		if isLDMContainer(p) {
			out.Dynamic = true
			continue
		}
		part := Partition{
			Name: fmt.Sprintf(`\\.\Harddisk%dPartition%d`, dk.Number, p.PartitionNumber), Number: int(p.PartitionNumber),
			Start: p.StartingOffset, Size: p.PartitionLength,
		}
		part.KName = strings.TrimPrefix(part.Name, `\\.\`)
		switch {
		case p.Gpt != nil:
			part.PartUUID, part.PartType, part.PartLabel = guid(p.Gpt.PartitionID), guid(p.Gpt.PartitionType), p.Gpt.Name
			if part.PartType == gptStorageSpaces {
				out.StorageSpaces = "pool_member"
			}
		case p.Mbr != nil:
			part.PartType = fmt.Sprintf("0x%02x", p.Mbr.PartitionType)
			if l.Mbr != nil {
				part.PartUUID = fmt.Sprintf("%08x-%02x", l.Mbr.Signature, p.PartitionNumber)
			}
		}
		boot := p.Gpt != nil && part.PartType == gptESP || p.Mbr != nil && (p.Mbr.PartitionType == mbrESP || p.Mbr.BootIndicator)
		active = active || p.Mbr != nil && p.Mbr.BootIndicator
		v := w.partVol[dk.Number][p.StartingOffset]
		w.fillVolume(&part, v, 1, 1, p.PartitionLength)
		part.DeviceUse = w.partitionUse(v, boot)
		entries = append(entries, winEntry{p.StartingOffset, part})
	}
	return entries, active
}

// pieceEntries maps the pieces of dynamic volumes that lie on the disk.
func (w *winLayout) pieceEntries(dk winvolumes.Disk) []winEntry {
	var entries []winEntry
	for _, pc := range w.pieces[dk.Number] {
		part := Partition{Start: pc.ext.StartingOffset, Size: pc.ext.ExtentLength}
		part.Name = volumeLetter(pc.vol)
		part.KName = strings.TrimSuffix(strings.TrimPrefix(pc.vol.GUIDPath, `\\?\`), `\`)
		if len(pc.vol.Extents) > 1 {
			var total int64
			for _, e := range pc.vol.Extents {
				total += e.ExtentLength
			}
			part.Extent = &VolumeExtent{Index: pc.index, Count: len(pc.vol.Extents), VolumeSize: total}
			part.KName += fmt.Sprintf("#%d", pc.index)
		}
		if part.Name == "" {
			part.Name = pc.vol.GUIDPath
		}
		w.fillVolume(&part, pc.vol, pc.index, len(pc.vol.Extents), pc.ext.ExtentLength)
		part.DeviceUse = w.partitionUse(pc.vol, false)
		entries = append(entries, winEntry{pc.ext.StartingOffset, part})
	}
	return entries
}

// fillVolume puts a volume's name, mount points, identity and usage on the partition (or
// piece `index` of `count`, of `size` bytes, when the volume lies in several). The used
// bytes of a volume in pieces are spread over them by size, exactly in total.
func (w *winLayout) fillVolume(part *Partition, v *winvolumes.Volume, index, count int, size int64) {
	if v == nil {
		return
	}
	if l := volumeLetter(v); l != "" {
		part.Name = l
	}
	w.volDevice[v.GUIDPath] = part.Name
	part.MountPoint, part.OtherMountPoints = mountPoints(v)
	part.Identity = Identity{FileSystem: fsOf(v), UUID: guid(strings.TrimSuffix(strings.TrimPrefix(v.GUIDPath, `\\?\Volume`), `\`))}
	if v.Info != nil {
		part.Label = v.Info.VolumeName
		s := v.Info.VolumeSerialNumber
		part.VolumeSerial = fmt.Sprintf("%04X-%04X", s>>16, s&0xffff)
	}
	part.BitLocker = w.bitLockerState(v)
	u := volumeUsage(v)
	if u == nil {
		return
	}
	part.SizePerCluster = u.BlockSize
	if count == 1 {
		part.Usage = u
		part.UsedSize = u.UsedSize
		return
	}
	var total, before int64
	for i, e := range v.Extents {
		total += e.ExtentLength
		if i < index-1 {
			before += e.ExtentLength
		}
	}
	if total > 0 {
		// the share of the pieces up to this one, minus that of those before it
		upTo := func(n int64) int64 {
			hi, lo := bits.Mul64(uint64(u.UsedSize), uint64(n))
			q, _ := bits.Div64(hi, lo, uint64(total))
			return int64(q)
		}
		part.UsedSize = upTo(before+size) - upTo(before)
		if index == count {
			part.UsedSize = u.UsedSize - upTo(before)
		}
	}
	uu := *u
	part.Usage = &uu
}

// partitionUse: the EFI system partition and an active MBR partition that is not the
// Windows volume (System Reserved) are BOOT; the Windows volume is OS.
func (w *winLayout) partitionUse(v *winvolumes.Volume, boot bool) string {
	isSystem := v != nil && w.systemDrive != "" && volumeLetter(v) == w.systemDrive
	switch {
	case isSystem:
		return UseOS
	case boot:
		return UseBoot
	}
	return UseNormal
}

// mounts lists every volume with a mount point, and the drive letters that are no
// volume of this machine (network drives), as the Linux mount table does.
func (w *winLayout) mounts() []Mount {
	out := []Mount{}
	for i := range w.snap.Volumes {
		v := &w.snap.Volumes[i]
		mp, others := mountPoints(v)
		if mp == "" {
			continue
		}
		m := Mount{MountPoint: mp, OtherMountPoints: others, Source: v.GUIDPath, Device: w.volDevice[v.GUIDPath],
			FileSystem: fsOf(v), Root: `\`, Options: "rw", Kind: driveKind(v.DriveType), Usage: volumeUsage(v)}
		if v.Info != nil && v.Info.FileSystemFlags&winvolumes.FileReadOnlyVolume != 0 {
			m.Options = "ro"
		}
		if m.Usage == nil && v.FreeExErr != nil {
			m.Error = "GetDiskFreeSpaceExW: " + v.FreeExErr.Error()
		}
		if v.Skipped {
			m.Options = ""
		}
		out = append(out, m)
	}
	for _, dr := range w.snap.Drives {
		out = append(out, Mount{MountPoint: dr.Root, Source: dr.Root, Kind: driveKind(dr.DriveType)})
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := winvolumes.IsDriveRoot(out[i].MountPoint), winvolumes.IsDriveRoot(out[j].MountPoint)
		if ri != rj {
			return ri
		}
		return strings.ToUpper(out[i].MountPoint) < strings.ToUpper(out[j].MountPoint)
	})
	return out
}

func driveKind(t uint32) string {
	switch t {
	case winvolumes.DriveRemote:
		return "network"
	case winvolumes.DriveRemovable:
		return "removable"
	case winvolumes.DriveCDROM:
		return "cdrom"
	case winvolumes.DriveRAMDisk:
		return "ramdisk"
	}
	return "block"
}

// volumeText names a volume for a message: its drive letter or mount point, and its GUID path.
func volumeText(v *winvolumes.Volume) string {
	if mp, _ := mountPoints(v); mp != "" {
		return fmt.Sprintf("volume %s (%s)", strings.TrimSuffix(mp, `\`), v.GUIDPath)
	}
	return "volume " + v.GUIDPath
}

// report turns what could not be read into warnings: one line each, naming the volume
// or disk. What SMS will not migrate as it is (a dynamic disk, a volume spanning disks,
// BitLocker, Storage Spaces) is flagged in the inventory for check to say.
func (w *winLayout) report(d *discovery, disks []winvolumes.Disk) {
	for i := range w.snap.Volumes {
		v := &w.snap.Volumes[i]
		vt := volumeText(v)
		if v.PathsErr != nil {
			d.warn("volumes", fmt.Errorf("%s: mount points unknown: %w", vt, v.PathsErr))
		}
		if v.Skipped {
			continue
		}
		if v.InfoErr != nil {
			d.warn("volumes", fmt.Errorf("%s: file system unknown: %w", vt, v.InfoErr))
		}
		if v.FreeExErr != nil {
			d.warn("usage", fmt.Errorf("%s: usage unknown: %w", vt, v.FreeExErr))
		} else if v.FreeErr != nil {
			d.warn("usage", fmt.Errorf("%s: cluster size unknown: %w", vt, v.FreeErr))
		}
		switch {
		case v.ExtentsErr != nil:
			d.warn("volumes", fmt.Errorf("%s: the disks it lies on are unknown (listed under mounts only): %w", vt, v.ExtentsErr))
		case len(v.Extents) == 0:
			d.warn("volumes", fmt.Errorf("%s: IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS named no disk: it is listed under mounts only", vt))
		}
		// A volume spanning disks and a BitLocker volume are flagged (extent,
		// bitlocker) for check, which says what SMS will do with them.
	}
	if w.snap.BitLockerErr != nil {
		d.deniedOrWarn("bitlocker", "BitLocker state (WMI Win32_EncryptableVolume)", w.snap.BitLockerErr)
	}
	for _, dk := range disks {
		name := winDiskName(dk.Number)
		if dk.DeviceErr != nil {
			d.warn("blockdev", fmt.Errorf("%s: model and bus unknown: %w", name, dk.DeviceErr))
		}
		if dk.LengthErr != nil {
			d.deniedOrWarn("blockdev", "disk sizes (IOCTL_DISK_GET_LENGTH_INFO)", fmt.Errorf("%s: size unknown: %w", name, dk.LengthErr))
		}
		if dk.LayoutErr != nil {
			d.warn("blockdev", fmt.Errorf("%s: partitions unknown: %w", name, dk.LayoutErr))
		}
		if dk.AlignmentErr != nil {
			d.warn("blockdev", fmt.Errorf("%s: sector sizes unknown: %w", name, dk.AlignmentErr))
		}
	}
}

// deniedOrWarn reports a failure: a refusal that an elevated run would not meet joins
// the one privileges warning; anything else is a warning of its own.
func (d *discovery) deniedOrWarn(source, what string, err error) {
	if errors.Is(err, fs.ErrPermission) {
		d.rootOnly(source, what, err)
		return
	}
	d.warn(source, err)
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}
