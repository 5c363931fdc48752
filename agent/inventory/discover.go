package inventory

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sms-agent/sms-agent/collectors/blockdev"
	"github.com/sms-agent/sms-agent/collectors/fsid"
	"github.com/sms-agent/sms-agent/collectors/hostinfo"
	"github.com/sms-agent/sms-agent/collectors/mounts"
	"github.com/sms-agent/sms-agent/platform"
)

// Options steer discovery.
type Options struct {
	// Devices selects the disks to report ("/dev/sdb" or "sdb"), loop devices included.
	// Empty: every default migration candidate (see blockdev.IsCandidate).
	Devices []string
	// CommandTimeout bounds each external command (blkid, lvm, btrfs). 0: 10s.
	CommandTimeout time.Duration
}

// ErrNoSuchDevice: a device named in Options.Devices is not a disk on the host.
var ErrNoSuchDevice = errors.New("no such disk")

// Device-use values (SMS's enums).
const (
	UseNormal      = "NORMAL"
	UseBoot        = "BOOT"
	UseOS          = "OS"
	UseVolumeGroup = "VOLUME_GROUP"
	UseBtrfs       = "BTRFS"
)

// espTypes are the partition types of an EFI system partition (GPT GUID, MBR type).
var espTypes = map[string]bool{"c12a7328-f81f-11d2-ba4b-00a0c93ec93b": true, "0xef": true}

// Discover reads the host and assembles the inventory. Partial failures become
// warnings; an error is returned only when nothing useful can be reported.
func Discover(ctx context.Context, h platform.Host, opt Options) (*Inventory, error) {
	if opt.CommandTimeout <= 0 {
		opt.CommandTimeout = platform.DefaultCommandTimeout
	}
	d := &discovery{h: h, opt: opt}
	var wg sync.WaitGroup

	// The mount table is small: read it first, then statfs in the helper child while
	// sysfs is walked and filesystems are probed.
	mis, mountErr := mounts.Read(h.FS)
	if mountErr != nil {
		d.warn("mounts", mountErr)
	}
	fss := mounts.Collapse(mis)
	var statfs map[string]platform.StatfsOutcome
	wg.Add(1)
	go func() {
		defer wg.Done()
		var paths []string
		for _, f := range fss {
			if f.Kind == mounts.KindBlock || f.Kind == mounts.KindFUSE {
				paths = append(paths, f.MountPoint)
			}
		}
		statfs = h.Statfs.Statfs(ctx, paths)
	}()
	var host hostinfo.Info
	var hostErrs []error
	wg.Add(1)
	go func() {
		defer wg.Done()
		host, hostErrs = hostinfo.Read(h.FS)
		if host.Arch == "" {
			if res, err := h.Run.Run(ctx, platform.Command{Argv: []string{"uname", "-m"}, Timeout: opt.CommandTimeout}); err == nil {
				host.Arch = strings.TrimSpace(string(res.Stdout))
				hostErrs = dropPath(hostErrs, "/proc/sys/kernel/arch")
			}
		}
	}()

	devs, devErrs := blockdev.Read(h.FS)
	for _, err := range devErrs {
		d.warn("blockdev", err)
	}
	if devs == nil && len(devErrs) > 0 {
		wg.Wait()
		return nil, fmt.Errorf("discover: %w", devErrs[0])
	}
	disks, err := selectDisks(devs, opt.Devices)
	if err != nil {
		wg.Wait()
		return nil, err
	}
	var probe []fsid.Device
	for _, dv := range disks {
		probe = append(probe, fsid.Device{KName: dv.KName, MajMin: dv.MajMin()})
		for _, p := range dv.Partitions {
			probe = append(probe, fsid.Device{KName: p.KName, MajMin: p.MajMin()})
		}
	}
	ids := fsid.Identify(ctx, h.FS, h.Run, probe, opt.CommandTimeout)
	for _, err := range ids.Warnings {
		d.warn("fsid", err)
	}
	if len(ids.Denied) > 0 {
		hint := ""
		if !h.Privileged {
			hint = " (run as root to read them)"
		}
		d.warn("fsid", fmt.Errorf("blkid could not open %s: UUIDs and labels there are unknown%s",
			strings.Join(ids.Denied, "; "), hint))
	}
	wg.Wait()
	for _, err := range hostErrs {
		d.warn("host", err)
	}

	inv := &Inventory{
		SchemaVersion: SchemaVersion,
		Host: Host{
			Hostname: host.Hostname, OSType: "LINUX",
			OS:            OSRelease{ID: host.OS.ID, IDLike: host.OS.IDLike, Name: host.OS.Name, VersionID: host.OS.VersionID, PrettyName: host.OS.PrettyName},
			KernelVersion: host.Kernel, Arch: host.Arch, Firmware: host.Firmware,
			CPUQuantity: host.CPUs, MemoryBytes: host.MemoryBytes,
		},
		Disks:        []Disk{},
		VolumeGroups: []VolumeGroup{},
		BtrfsList:    []BtrfsFileSystem{},
		Mounts:       []Mount{},
	}
	idx := newDeviceIndex(devs, ids.Props)
	byDev := d.mountsByDevice(fss, statfs, idx, inv)
	for _, dv := range disks {
		inv.Disks = append(inv.Disks, d.disk(dv, ids.Props, byDev))
	}
	inv.Warnings = d.warnings
	if inv.Warnings == nil {
		inv.Warnings = []Warning{}
	}
	return inv, nil
}

type discovery struct {
	h        platform.Host
	opt      Options
	mu       sync.Mutex
	warnings []Warning
}

func (d *discovery) warn(source string, err error) {
	d.mu.Lock()
	d.warnings = append(d.warnings, Warning{Source: source, Message: err.Error()})
	d.mu.Unlock()
}

func dropPath(errs []error, p string) []error {
	var out []error
	for _, e := range errs {
		if !strings.Contains(e.Error(), p) {
			out = append(out, e)
		}
	}
	return out
}

// selectDisks picks the disks to report: the named ones, or the default candidates.
func selectDisks(devs []blockdev.Device, names []string) ([]blockdev.Device, error) {
	if len(names) == 0 {
		var out []blockdev.Device
		for _, dv := range devs {
			if blockdev.IsCandidate(dv) {
				out = append(out, dv)
			}
		}
		return out, nil
	}
	byName := map[string]blockdev.Device{}
	parts := map[string]string{}
	for _, dv := range devs {
		byName[dv.KName] = dv
		for _, p := range dv.Partitions {
			parts[p.KName] = dv.KName
		}
	}
	seen := map[string]bool{}
	var out []blockdev.Device
	for _, n := range names {
		k := strings.TrimPrefix(strings.TrimSpace(n), "/dev/")
		if k == "" {
			continue
		}
		dv, ok := byName[k]
		if !ok {
			if disk, isPart := parts[k]; isPart {
				return nil, fmt.Errorf("--devices %s: %w: it is a partition of /dev/%s; name the disk", n, ErrNoSuchDevice, disk)
			}
			return nil, fmt.Errorf("--devices %s: %w (not in /sys/block)", n, ErrNoSuchDevice)
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, dv)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return blockdev.LessKName(out[i].KName, out[j].KName) })
	return out, nil
}

// deviceIndex resolves mount sources to kernel device names.
type deviceIndex struct {
	byMajMin map[string]string
	known    map[string]bool
	byDMName map[string]string
	byUUID   map[string]string
}

func newDeviceIndex(devs []blockdev.Device, props map[string]fsid.Props) deviceIndex {
	ix := deviceIndex{byMajMin: map[string]string{}, known: map[string]bool{}, byDMName: map[string]string{}, byUUID: map[string]string{}}
	for _, dv := range devs {
		ix.byMajMin[dv.MajMin()] = dv.KName
		ix.known[dv.KName] = true
		if dv.DMName != "" {
			ix.byDMName[dv.DMName] = dv.KName
		}
		for _, p := range dv.Partitions {
			ix.byMajMin[p.MajMin()] = p.KName
			ix.known[p.KName] = true
		}
	}
	for k, p := range props {
		if p.UUID != "" {
			ix.byUUID[p.UUID] = k
		}
	}
	return ix
}

// resolve returns the kernel name of the block device a mount comes from, or "".
func (ix deviceIndex) resolve(m mounts.MountInfo) string {
	if m.Major != 0 {
		if k, ok := ix.byMajMin[m.MajMin()]; ok {
			return k
		}
	}
	src := m.Source
	switch {
	case strings.HasPrefix(src, "/dev/mapper/"):
		return ix.byDMName[strings.TrimPrefix(src, "/dev/mapper/")]
	case strings.HasPrefix(src, "/dev/disk/by-uuid/"):
		return ix.byUUID[strings.TrimPrefix(src, "/dev/disk/by-uuid/")]
	case strings.HasPrefix(src, "UUID="):
		return ix.byUUID[strings.TrimPrefix(src, "UUID=")]
	case strings.HasPrefix(src, "/dev/"):
		if k := strings.TrimPrefix(src, "/dev/"); ix.known[k] {
			return k
		}
	}
	return ""
}

// deviceMounts is what is mounted from one block device, primary mount first.
type deviceMounts struct {
	primary *Mount
	others  []string
}

// mountsByDevice fills inv.Mounts and returns the mounts of each block device.
func (d *discovery) mountsByDevice(fss []mounts.Filesystem, statfs map[string]platform.StatfsOutcome, ix deviceIndex, inv *Inventory) map[string]*deviceMounts {
	notRecorded := 0
	for _, f := range fss {
		m := Mount{
			MountPoint: f.MountPoint, OtherMountPoints: f.Others, Source: f.Source,
			FileSystem: f.FSType, Root: f.Root, Options: f.Options, Kind: f.Kind,
		}
		if f.HasDevNum() {
			m.MajMin = f.MajMin()
		}
		if k := ix.resolve(f.MountInfo); k != "" {
			m.Device = "/dev/" + k
		}
		if o, ok := statfs[f.MountPoint]; ok {
			if o.Stat != nil {
				u := toUsage(mounts.UsageFromStatfs(*o.Stat))
				m.Usage = &u
			} else if err := o.Error(); errors.Is(err, platform.ErrNotRecorded) {
				notRecorded++
				m.Error = err.Error()
			} else {
				m.Error = err.Error()
				d.warn("usage", fmt.Errorf("mount %s: %w", f.MountPoint, err))
			}
		}
		inv.Mounts = append(inv.Mounts, m)
	}
	if notRecorded > 0 {
		d.warn("usage", fmt.Errorf("usage of %d mounts unknown: the capture holds no statfs answers for them", notRecorded))
	}
	byDev := map[string]*deviceMounts{}
	for i := range inv.Mounts {
		m := &inv.Mounts[i]
		if m.Device == "" {
			continue
		}
		k := strings.TrimPrefix(m.Device, "/dev/")
		dm := byDev[k]
		if dm == nil {
			byDev[k] = &deviceMounts{primary: m}
			continue
		}
		// Several views of one device (btrfs subvolumes): the one showing the top of the
		// filesystem, else the first mounted, is the device's mount point.
		if betterDeviceMount(m, dm.primary) {
			dm.others = append(dm.others, dm.primary.MountPoint)
			dm.others = append(dm.others, dm.primary.OtherMountPoints...)
			dm.primary = m
		} else {
			dm.others = append(dm.others, m.MountPoint)
			dm.others = append(dm.others, m.OtherMountPoints...)
		}
	}
	return byDev
}

func betterDeviceMount(a, b *Mount) bool {
	return a.Root == "/" && b.Root != "/"
}

func toUsage(u mounts.Usage) Usage {
	return Usage{FSSize: u.Size, UsedSize: u.Used, FreeSize: u.Avail, InodeNums: u.Inodes,
		InodesFree: u.InodesFree, BlockSize: u.BlockSize, BlockCount: u.Blocks}
}

func identity(p fsid.Props, mounted *Mount) Identity {
	id := Identity{FileSystem: p.Type, UUID: p.UUID, Label: p.Label}
	if id.FileSystem == "" && mounted != nil {
		id.FileSystem = mounted.FileSystem
	}
	return id
}

func (d *discovery) disk(dv blockdev.Device, props map[string]fsid.Props, byDev map[string]*deviceMounts) Disk {
	dp := props[dv.KName]
	out := Disk{
		Name: "/dev/" + dv.KName, KName: dv.KName, MajMin: dv.MajMin(), Size: dv.Size,
		LogicalSectorSize: dv.LogicalSectorSize, PhysicalSectorSize: dv.PhysicalSectorSize,
		Rotational: dv.Rotational, Removable: dv.Removable, ReadOnly: dv.ReadOnly,
		Model: firstNonEmpty(dv.Model, dp.Model), Serial: firstNonEmpty(dv.Serial, dp.Serial), WWN: firstNonEmpty(dv.WWN, dp.WWN),
		PartitionTableUUID: dp.PTUUID,
		PhysicalVolumes:    []Partition{},
	}
	scheme := dp.PTType
	for _, p := range dv.Partitions {
		if scheme == "" {
			scheme = props[p.KName].PartScheme
		}
	}
	out.PartitionStyle = map[string]string{"gpt": "GPT", "dos": "MBR"}[scheme]
	hasBoot, hasRoot := false, false
	for i, p := range dv.Partitions {
		pp := props[p.KName]
		part := Partition{
			Name: "/dev/" + p.KName, KName: p.KName, MajMin: p.MajMin(), Index: i, Number: p.Number,
			Start: p.Start, Size: p.Size, PartUUID: pp.PartUUID, PartLabel: firstNonEmpty(pp.PartName, p.Name),
			PartType: pp.PartType,
		}
		var primary *Mount
		if dm := byDev[p.KName]; dm != nil {
			primary = dm.primary
			part.MountPoint = dm.primary.MountPoint
			part.OtherMountPoints = append(append([]string{}, dm.primary.OtherMountPoints...), dm.others...)
			if u := dm.primary.Usage; u != nil {
				uu := *u
				part.Usage = &uu
				part.UsedSize = u.UsedSize
				part.InodeSize, part.InodeNums = u.InodeNums, u.InodeNums
			}
		}
		part.Identity = identity(pp, primary)
		part.DeviceUse = partitionUse(part)
		if part.DeviceUse == UseBoot {
			hasBoot = true
		}
		if part.MountPoint == "/" || contains(part.OtherMountPoints, "/") {
			hasRoot = true
		}
		out.UsedSize += part.UsedSize
		out.PhysicalVolumes = append(out.PhysicalVolumes, part)
	}
	if len(dv.Partitions) == 0 {
		dm := byDev[dv.KName]
		var primary *Mount
		if dm != nil {
			primary = dm.primary
			out.MountPoint = dm.primary.MountPoint
			out.OtherMountPoints = append(append([]string{}, dm.primary.OtherMountPoints...), dm.others...)
			if u := dm.primary.Usage; u != nil {
				uu := *u
				out.Usage = &uu
				out.UsedSize += u.UsedSize
			}
			hasRoot = out.MountPoint == "/" || contains(out.OtherMountPoints, "/")
			hasBoot = out.MountPoint == "/boot" || out.MountPoint == "/boot/efi"
		}
		if id := identity(dp, primary); id.FileSystem != "" || id.UUID != "" {
			out.Identity = &id
		}
	}
	out.OSDisk = hasRoot
	switch {
	case hasBoot:
		out.DeviceUse = UseBoot
	case hasRoot:
		out.DeviceUse = UseOS
	case out.Identity != nil && out.Identity.FileSystem == "LVM2_member":
		out.DeviceUse = UseVolumeGroup
	case out.Identity != nil && out.Identity.FileSystem == "btrfs":
		out.DeviceUse = UseBtrfs
	default:
		out.DeviceUse = UseNormal
	}
	return out
}

// partitionUse: /boot and the ESP are BOOT, / is OS, an LVM PV is VOLUME_GROUP, a btrfs
// member BTRFS, anything else NORMAL.
func partitionUse(p Partition) string {
	switch {
	case p.FileSystem == "LVM2_member":
		return UseVolumeGroup
	case p.FileSystem == "btrfs":
		return UseBtrfs
	case espTypes[p.PartType] || p.MountPoint == "/boot" || p.MountPoint == "/boot/efi":
		return UseBoot
	case p.MountPoint == "/":
		return UseOS
	}
	return UseNormal
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
