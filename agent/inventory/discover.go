package inventory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sms-agent/sms-agent/collectors/blockdev"
	"github.com/sms-agent/sms-agent/collectors/btrfs"
	"github.com/sms-agent/sms-agent/collectors/fsid"
	"github.com/sms-agent/sms-agent/collectors/hostinfo"
	"github.com/sms-agent/sms-agent/collectors/lvm"
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
	// MountTable is the mountinfo file to read ("": /proc/self/mountinfo). The service
	// names /proc/1/mountinfo when systemd gave it a mount namespace of its own, so that
	// its sandbox's mounts do not appear in the inventory (docs/service.md).
	MountTable string
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
	if h.OS == platform.OSWindows {
		return discoverWindows(ctx, h, opt)
	}
	d := &discovery{h: h, opt: opt}
	var wg sync.WaitGroup

	// The mount table is small: read it first, then statfs in the helper child while
	// sysfs is walked and filesystems are probed.
	mis, mountErr := mounts.ReadTable(h.FS, opt.MountTable)
	if mountErr != nil {
		d.warn("mounts", mountErr)
	}
	fss := mounts.Collapse(mis)
	// btrfs subvolume lists need only a mount point: start them now, one per mounted
	// filesystem (all its mounts share one device number), while sysfs is walked. With
	// --devices they wait for sysfs, to run only on the filesystems on those disks.
	early := &earlyBtrfs{}
	if len(opt.Devices) == 0 {
		early = startBtrfsEarly(ctx, h, fss, opt.CommandTimeout)
	}
	var statfs map[string]platform.StatfsOutcome
	wg.Add(1)
	go func() {
		defer wg.Done()
		statfs = statfsAll(ctx, h, mis, fss)
	}()
	var host hostinfo.Info
	var hostErrs []error
	wg.Add(1)
	go func() {
		defer wg.Done()
		host, hostErrs = hostinfo.Read(h.FS)
		if host.Arch == "" { // no /proc/sys/kernel/arch before Linux 6.1
			res, err := h.Run.Run(ctx, platform.Command{Argv: []string{"uname", "-m"}, Timeout: opt.CommandTimeout})
			if err == nil {
				host.Arch = strings.TrimSpace(string(res.Stdout))
			} else {
				hostErrs = append(hostErrs, fmt.Errorf("architecture unknown: no /proc/sys/kernel/arch, and uname -m: %w", err))
			}
		}
	}()

	// sysfs in two passes: the devices that matter first, so that blkid (and lvm) start
	// while the other devices (loop, ram, zram...) are walked for the device index.
	names, err := blockdev.List(h.FS)
	if err != nil {
		wg.Wait()
		return nil, err
	}
	wantFull := fullRead(opt.Devices)
	var fullNames, basicNames []string
	for _, n := range names {
		if wantFull(n) {
			fullNames = append(fullNames, n)
		} else {
			basicNames = append(basicNames, n)
		}
	}
	fullDevs, devErrs := blockdev.ReadNames(h.FS, fullNames, true)
	disks, selErr := selectDisks(fullDevs, opt.Devices)
	var ids fsid.Result
	var probed []string
	var idsWG sync.WaitGroup
	if selErr == nil {
		var probe []fsid.Device
		probe, probed = probeList(fullDevs, disks)
		idsWG.Add(1)
		go func() {
			defer idsWG.Done()
			ids = fsid.Identify(ctx, h.FS, h.Run, probe, opt.CommandTimeout)
		}()
	}

	// lvm costs tens of milliseconds: start it as soon as LVM is known to be there —
	// before blkid answers when an active LV shows in sysfs, else once blkid found a PV.
	var lvmOut lvmResult
	var lvmWG sync.WaitGroup
	lvmStarted := false
	startLVM := func() {
		lvmStarted = true
		lvmWG.Add(1)
		go func() {
			defer lvmWG.Done()
			lvmOut = runLVM(ctx, h.Run, opt.CommandTimeout)
		}()
	}
	if selErr == nil && hasLVM(fullDevs, nil) {
		startLVM()
	}
	rest, restErrs := blockdev.ReadNames(h.FS, basicNames, false)
	devs := append(append([]blockdev.Device{}, fullDevs...), rest...)
	sort.Slice(devs, func(i, j int) bool { return blockdev.LessKName(devs[i].KName, devs[j].KName) })
	for _, err := range append(devErrs, restErrs...) {
		d.warn("blockdev", err)
	}
	if selErr != nil {
		// A named device may be a partition of a device read in the second pass.
		if _, err := selectDisks(devs, opt.Devices); err != nil {
			selErr = err
		}
		wg.Wait()
		return nil, selErr
	}
	var btrfsSys []btrfs.SysFS
	if h.FS.Exists(btrfs.SysfsRoot) {
		var berr error
		if btrfsSys, berr = btrfs.ReadSysfs(h.FS); berr != nil {
			d.warn("btrfs", berr)
		}
	}
	idsWG.Wait()
	for _, err := range ids.Warnings {
		d.warn("fsid", err)
	}
	if len(ids.Denied) > 0 {
		d.rootOnly("fsid", "filesystem UUIDs and labels ("+strings.Join(ids.Denied, "; ")+")",
			fmt.Errorf("blkid could not open %s: UUIDs and labels there are unknown", strings.Join(ids.Denied, "; ")))
	}
	if !lvmStarted && hasLVM(nil, ids.Props) {
		startLVM()
	}

	inv := &Inventory{
		SchemaVersion: SchemaVersion,
		Disks:         []Disk{},
		VolumeGroups:  []VolumeGroup{},
		BtrfsList:     []BtrfsFileSystem{},
		Stacked:       []StackedDevice{},
		Mounts:        []Mount{},
	}
	ix := newDeviceIndex(devs, ids.Props)
	d.buildMounts(fss, ix, inv)
	plan := planBtrfs(btrfsSys, inv)
	// Filesystems on none of the disks inventoried are not read (and left out below);
	// partitions and dm/md slaves are known from sysfs already.
	skip := plan.notOn(kernelNames(disks), newDeviceStack(devs, &Inventory{}, nil))
	btrfsOut := map[string]btrfsResult{}
	var btrfsMu sync.Mutex
	var btrfsWG sync.WaitGroup
	for uuid, mp := range plan.mountOf {
		if early.covers(inv, mp) || skip[uuid] {
			continue
		}
		btrfsWG.Add(1)
		go func() {
			defer btrfsWG.Done()
			r := runBtrfs(ctx, h, mp, opt.CommandTimeout)
			btrfsMu.Lock()
			btrfsOut[uuid] = r
			btrfsMu.Unlock()
		}()
	}
	wg.Wait()
	for _, err := range hostErrs {
		d.warn("host", err)
	}
	inv.Host = Host{
		Hostname: host.Hostname, OSType: "LINUX",
		OS:            OSRelease{ID: host.OS.ID, IDLike: host.OS.IDLike, Name: host.OS.Name, VersionID: host.OS.VersionID, PrettyName: host.OS.PrettyName},
		KernelVersion: host.Kernel, Arch: host.Arch, Firmware: host.Firmware,
		CPUQuantity: host.CPUs, MemoryBytes: host.MemoryBytes,
	}
	d.applyUsage(inv, statfs)
	byDev := mountsByDevice(inv)
	lvmWG.Wait()
	btrfsWG.Wait()
	early.wg.Wait()
	for uuid, mp := range plan.mountOf {
		if r, ok := early.result(inv, mp); ok {
			btrfsOut[uuid] = r
		}
	}
	if lvmStarted {
		inv.VolumeGroups = d.volumeGroups(lvmOut, ix, ids.Props, byDev)
	}
	inv.BtrfsList = d.btrfsFilesystems(plan, btrfsOut, skip, ids.Props, probed)
	stack := newDeviceStack(devs, inv, d.vgPVs)
	d.onlySelected(inv, stack, disks, len(opt.Devices) > 0)
	roles := newRoleIndex(stack, inv, d.lvExtents, d.vgPVs)
	for _, dv := range disks {
		inv.Disks = append(inv.Disks, d.disk(dv, ids.Props, byDev, roles))
	}
	inv.Stacked = stackedDevices(devs, stack, kernelNames(disks), ids.Props, byDev)
	markBtrfsMembers(inv)
	if len(d.needRoot) > 0 {
		d.warn("privileges", fmt.Errorf("not running as root, so these are unknown: %s; run as root to read them", strings.Join(d.needRoot, "; ")))
	}
	inv.Warnings = d.warnings
	if inv.Warnings == nil {
		inv.Warnings = []Warning{}
	}
	if err := ctx.Err(); err != nil {
		return nil, err // stopped: what was read is incomplete
	}
	return inv, nil
}

// fullRead says which devices need every sysfs attribute: the possible candidates, the
// named disks, and the stacked devices (dm, md) volumes live on.
func fullRead(named []string) func(string) bool {
	want := map[string]bool{}
	for _, n := range named {
		want[strings.TrimPrefix(strings.TrimSpace(n), "/dev/")] = true
	}
	return func(k string) bool {
		if len(named) > 0 {
			return want[k] || strings.HasPrefix(k, "dm-") || strings.HasPrefix(k, "md")
		}
		return blockdev.MaybeCandidate(k) || strings.HasPrefix(k, "dm-") || strings.HasPrefix(k, "md")
	}
}

// probeList is every device whose content matters: the selected disks and their
// partitions, and the stacked devices (dm, md) that LVs, LUKS mappings and RAID
// arrays live on, but for lvm's internal ones (lvm.InternalDM). probed lists the same
// kernel names.
func probeList(devs, disks []blockdev.Device) (probe []fsid.Device, probed []string) {
	add := func(dv blockdev.Device) {
		probe = append(probe, fsid.Device{KName: dv.KName, MajMin: dv.MajMin()})
		probed = append(probed, dv.KName)
		for _, p := range dv.Partitions {
			probe = append(probe, fsid.Device{KName: p.KName, MajMin: p.MajMin()})
			probed = append(probed, p.KName)
		}
	}
	for _, dv := range disks {
		add(dv)
	}
	for _, dv := range devs {
		// lvm's own layers and sub-LVs hold nothing or a copy of an LV's filesystem.
		if (strings.HasPrefix(dv.KName, "dm-") || strings.HasPrefix(dv.KName, "md")) && dv.Size > 0 && !lvm.InternalDM(dv.DMName, dv.DMUUID) {
			add(dv)
		}
	}
	return probe, probed
}

// statfsAll asks statfs for every block and FUSE mount (never network or autofs ones);
// the statfs of mounts that cannot block (mounts.InProcessStatfs over the whole table
// mis) runs in the agent itself, local kernel filesystems may be answered by coreutils'
// stat, which is cheaper than the abandonable helper child (platform.StatfsProbe). An
// unreadable kernel release leaves xfs to the children.
func statfsAll(ctx context.Context, h platform.Host, mis []mounts.MountInfo, fss []mounts.Filesystem) map[string]platform.StatfsOutcome {
	release, _ := h.FS.ReadString("/proc/sys/kernel/osrelease")
	inProcess := mounts.InProcessStatfs(mis, release)
	var qs []platform.StatfsQuery
	for _, f := range fss {
		if f.Kind == mounts.KindBlock || f.Kind == mounts.KindFUSE {
			qs = append(qs, platform.StatfsQuery{Path: f.MountPoint, Local: f.Kind == mounts.KindBlock && mounts.IsLocalKernelFS(f.FSType),
				InProcess: inProcess[f.MountPoint]})
		}
	}
	return platform.StatfsAll(ctx, h.Probes, qs)
}

type discovery struct {
	h         platform.Host
	opt       Options
	mu        sync.Mutex
	warnings  []Warning
	lvExtents map[string]map[string]int64 // LV UUID → PV kernel name → extents
	vgPVs     map[string][]string         // VG UUID → its PVs' kernel names
	needRoot  []string                    // what an unprivileged run could not read
}

// rootOnly reports a failure that running as root would avoid: as root it is a warning
// of its own; without root all of them make one warning, at the end.
// A tool that is missing or did not answer is not a matter of privileges: it is always
// a warning of its own.
func (d *discovery) rootOnly(source, what string, err error) {
	if d.h.Privileged || errors.Is(err, platform.ErrToolUnavailable) || errors.Is(err, platform.ErrTimeout) {
		d.warn(source, err)
		return
	}
	d.mu.Lock()
	d.needRoot = append(d.needRoot, what)
	d.mu.Unlock()
}

func (d *discovery) warn(source string, err error) {
	d.mu.Lock()
	d.warnings = append(d.warnings, Warning{Source: source, Message: err.Error()})
	d.mu.Unlock()
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
				return nil, fmt.Errorf("--devices %s: %w: it is a partition of /dev/%s; name the disk", platform.Quote(n), ErrNoSuchDevice, disk)
			}
			return nil, fmt.Errorf("--devices %s: %w (not in /sys/block)", platform.Quote(n), ErrNoSuchDevice)
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

// where gives a device's mount point, its other mount points and a copy of its usage,
// as disks, partitions and LVs all report them. A nil dm is not mounted.
func (dm *deviceMounts) where() (mountPoint string, others []string, usage *Usage) {
	if dm == nil {
		return "", nil, nil
	}
	others = append(append([]string{}, dm.primary.OtherMountPoints...), dm.others...)
	if u := dm.primary.Usage; u != nil {
		uu := *u
		usage = &uu
	}
	return dm.primary.MountPoint, others, usage
}

// primaryOf is the primary mount of a device (nil when it is not mounted).
func (dm *deviceMounts) primaryOf() *Mount {
	if dm == nil {
		return nil
	}
	return dm.primary
}

// isBootMount: the mount points that make a device BOOT.
func isBootMount(mp string) bool { return mp == "/boot" || mp == "/boot/efi" }

// buildMounts fills inv.Mounts from the collapsed mount table.
func (d *discovery) buildMounts(fss []mounts.Filesystem, ix deviceIndex, inv *Inventory) {
	for _, f := range fss {
		m := Mount{
			MountPoint: f.MountPoint, OtherMountPoints: f.Others, Source: f.Source,
			FileSystem: f.FSType, Root: f.Root, Options: f.Options, Kind: f.Kind,
		}
		if f.HasDevNum() {
			m.MajMin = f.MajMin()
		}
		if f.FSType == "btrfs" {
			m.SubvolID, _ = f.SuperOption("subvolid")
		}
		if k := ix.resolve(f.MountInfo); k != "" {
			m.Device = "/dev/" + k
		}
		inv.Mounts = append(inv.Mounts, m)
	}
}

// applyUsage puts the statfs answers on the mounts.
func (d *discovery) applyUsage(inv *Inventory, statfs map[string]platform.StatfsOutcome) {
	notRecorded := 0
	for i := range inv.Mounts {
		m := &inv.Mounts[i]
		o, ok := statfs[m.MountPoint]
		if !ok {
			continue
		}
		if o.Stat != nil {
			u := toUsage(mounts.UsageFromStatfs(*o.Stat))
			m.Usage = &u
		} else if err := o.Error(); errors.Is(err, platform.ErrNotRecorded) {
			notRecorded++
			m.Error = err.Error()
		} else {
			m.Error = err.Error()
			d.warn("usage", fmt.Errorf("mount %s: %w", m.MountPoint, err))
		}
	}
	if notRecorded > 0 {
		d.warn("usage", fmt.Errorf("usage of %d mounts unknown: the capture holds no statfs answers for them", notRecorded))
	}
}

// mountsByDevice returns the mounts of each block device, primary first.
func mountsByDevice(inv *Inventory) map[string]*deviceMounts {
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

func (d *discovery) disk(dv blockdev.Device, props map[string]fsid.Props, byDev map[string]*deviceMounts, roles roleIndex) Disk {
	dp := props[dv.KName]
	out := Disk{
		Name: "/dev/" + dv.KName, KName: dv.KName, MajMin: dv.MajMin(), Size: dv.Size,
		LogicalSectorSize: dv.LogicalSectorSize, PhysicalSectorSize: dv.PhysicalSectorSize,
		Rotational: dv.Rotational, Removable: dv.Removable, ReadOnly: dv.ReadOnly,
		Model: cmp.Or(dv.Model, dp.Model), Serial: cmp.Or(dv.Serial, dp.Serial), WWN: cmp.Or(dv.WWN, dp.WWN),
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
	hasBoot := roles.boot[dv.KName]
	for i, p := range dv.Partitions {
		pp := props[p.KName]
		part := Partition{
			Name: "/dev/" + p.KName, KName: p.KName, MajMin: p.MajMin(), Index: i, Number: p.Number,
			Start: p.Start, Size: p.Size, PartUUID: pp.PartUUID, PartLabel: cmp.Or(pp.PartName, p.Name),
			PartType: pp.PartType,
		}
		if isExtended(dv, p, pp) {
			part.Extended = true
			part.Size = d.extendedSize(dv, p, pp)
		}
		dm := byDev[p.KName]
		part.MountPoint, part.OtherMountPoints, part.Usage = dm.where()
		if u := part.Usage; u != nil {
			part.UsedSize = u.UsedSize
			part.InodeSize, part.InodeNums = u.InodeNums, u.InodeNums
		}
		part.Identity = identity(pp, dm.primaryOf())
		part.UsedSize += roles.lvUsed[p.KName]
		part.DeviceUse = partitionUse(part)
		if part.DeviceUse == UseBoot {
			hasBoot = true
		}
		out.UsedSize += part.UsedSize
		out.PhysicalVolumes = append(out.PhysicalVolumes, part)
	}
	if len(dv.Partitions) == 0 {
		dm := byDev[dv.KName]
		out.MountPoint, out.OtherMountPoints, out.Usage = dm.where()
		if out.Usage != nil {
			out.UsedSize += out.Usage.UsedSize
		}
		out.UsedSize += roles.lvUsed[dv.KName]
		if id := identity(dp, dm.primaryOf()); id.FileSystem != "" || id.UUID != "" {
			out.Identity = &id
		}
	}
	out.OSDisk = roles.root[dv.KName]
	switch {
	case hasBoot:
		out.DeviceUse = UseBoot
	case out.OSDisk:
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

// extendedTypes are the MBR types of an extended partition (DOS, Windows LBA, Linux).
var extendedTypes = map[string]bool{"0x5": true, "0xf": true, "0x85": true}

// isExtended reports whether p is an MBR extended partition: by its type, or, when the
// table was not read, by what the kernel makes of one (a primary slot shown as at most
// 2 sectors on a disk with logical partitions).
func isExtended(dv blockdev.Device, p blockdev.Partition, pp fsid.Props) bool {
	if pp.PartType != "" {
		return pp.PartScheme == "dos" && extendedTypes[pp.PartType]
	}
	if p.Number > 4 || p.Size > 2*blockdev.SectorSize {
		return false
	}
	for _, q := range dv.Partitions {
		if q.Number > 4 {
			return true
		}
	}
	return false
}

// extendedSize is the extent of an extended partition: its table entry's size when the
// table was read (blkid's PART_ENTRY_SIZE), else the span from its start to the end of
// its last logical partition, with a warning (free space after that is not counted).
// The kernel's 2 sectors (block/partitions/msdos.c) are never the answer.
func (d *discovery) extendedSize(dv blockdev.Device, p blockdev.Partition, pp fsid.Props) int64 {
	if pp.PartSize > 0 {
		return pp.PartSize
	}
	end := p.Start + p.Size
	for _, q := range dv.Partitions {
		if q.Number > 4 && q.Start+q.Size > end {
			end = q.Start + q.Size
		}
	}
	d.warn("fsid", fmt.Errorf("extended partition /dev/%s: its partition table entry was not read; its size is taken from its logical partitions' span (%d bytes)", p.KName, end-p.Start))
	return end - p.Start
}

// deviceStack knows what each block device is built on: a partition on its disk, a
// dm or md device on its slaves, a btrfs member on all the filesystem's members, an
// active LV on its VG's PVs. disksOf follows it down to the disks.
type deviceStack struct {
	parent  map[string]string   // partition → disk
	slaves  map[string][]string // dm, md → the devices under it
	members map[string][]string // btrfs member → every member of its filesystem
	lvPVs   map[string][]string // an active LV's dm device → its VG's PVs
}

func newDeviceStack(devs []blockdev.Device, inv *Inventory, vgPVs map[string][]string) deviceStack {
	s := deviceStack{parent: map[string]string{}, slaves: map[string][]string{}, members: map[string][]string{}, lvPVs: map[string][]string{}}
	for _, dv := range devs {
		s.slaves[dv.KName] = dv.Slaves
		for _, p := range dv.Partitions {
			s.parent[p.KName] = dv.KName
		}
	}
	for _, b := range inv.BtrfsList {
		for _, dev := range b.Devices {
			k := strings.TrimPrefix(dev, "/dev/")
			for _, other := range b.Devices {
				s.members[k] = append(s.members[k], strings.TrimPrefix(other, "/dev/"))
			}
		}
	}
	for _, vg := range inv.VolumeGroups {
		for _, lv := range vg.LogicalVolumes {
			if lv.Device != "" {
				s.lvPVs[strings.TrimPrefix(lv.Device, "/dev/")] = vgPVs[vg.UUID]
			}
		}
	}
	return s
}

// disksOf returns the disks (kernel names) device k lies on, k itself when it is built
// on nothing the index knows.
func (s deviceStack) disksOf(k string) []string {
	var out []string
	seen, added := map[string]bool{}, map[string]bool{}
	add := func(disk string) {
		if !added[disk] {
			added[disk] = true
			out = append(out, disk)
		}
	}
	var walk func(k string)
	walk = func(k string) {
		if seen[k] {
			return
		}
		seen[k] = true
		for _, m := range s.members[k] { // the other devices of its btrfs
			walk(m)
		}
		if p, ok := s.parent[k]; ok {
			add(p)
			return
		}
		below := append(append([]string{}, s.slaves[k]...), s.lvPVs[k]...)
		for _, n := range below {
			walk(n)
		}
		if len(below) == 0 {
			add(k)
		}
	}
	walk(k)
	return out
}

// onlySelected keeps the volume groups and btrfs filesystems that lie on the disks
// being inventoried (--devices, else the candidate disks). One that lies partly on
// other disks is kept with a warning, as migrating the selected disks alone would leave
// its data there behind; one that lies only on other disks is left out (with a warning
// when no --devices narrowed the run: its data would not be migrated at all).
func (d *discovery) onlySelected(inv *Inventory, stack deviceStack, disks []blockdev.Device, named bool) {
	selected := kernelNames(disks)
	// keep reports whether a volume on the devices pvs may stay, and the disks it is on.
	keep := func(what string, pvs []string) ([]string, bool) {
		var on, off []string
		seen := map[string]bool{}
		for _, pv := range pvs {
			for _, dk := range stack.disksOf(pv) {
				if seen[dk] {
					continue
				}
				seen[dk] = true
				if selected[dk] {
					on = append(on, "/dev/"+dk)
				} else {
					off = append(off, "/dev/"+dk)
				}
			}
		}
		disks := append(append([]string{}, on...), off...)
		sort.Strings(disks)
		sort.Strings(on)
		sort.Strings(off)
		switch {
		case len(off) == 0:
			return disks, true
		case len(on) > 0:
			d.warn("volumes", fmt.Errorf("%s lies on %s and also on %s, which %s: its data there would not be migrated",
				what, strings.Join(on, ", "), strings.Join(off, ", "), notSelected(named)))
			return disks, true
		case !named:
			d.warn("volumes", fmt.Errorf("%s lies only on %s, which %s: left out", what, strings.Join(off, ", "), notSelected(named)))
		}
		return disks, false
	}
	vgs := inv.VolumeGroups[:0]
	for _, vg := range inv.VolumeGroups {
		pvs := d.vgPVs[vg.UUID]
		if len(pvs) == 0 {
			vg.Disks = []string{}
			vgs = append(vgs, vg)
			continue
		}
		var ok bool
		if vg.Disks, ok = keep(fmt.Sprintf("volume group %q", vg.Name), pvs); ok {
			vgs = append(vgs, vg)
		}
	}
	inv.VolumeGroups = vgs
	fss := inv.BtrfsList[:0]
	for _, b := range inv.BtrfsList {
		var devs []string
		for _, dev := range b.Devices {
			devs = append(devs, strings.TrimPrefix(dev, "/dev/"))
		}
		if len(devs) == 0 {
			b.Disks = []string{}
			fss = append(fss, b)
			continue
		}
		var ok bool
		if b.Disks, ok = keep(fmt.Sprintf("btrfs %s (%s)", b.UUID, b.Label), devs); ok {
			fss = append(fss, b)
		}
	}
	inv.BtrfsList = fss
}

// stackedDevices lists the dm and md devices that are not LVM's (LUKS mappings,
// multipath maps, md arrays) and lie on the selected disks, with what they hold.
func stackedDevices(devs []blockdev.Device, stack deviceStack, selected map[string]bool, props map[string]fsid.Props, byDev map[string]*deviceMounts) []StackedDevice {
	out := []StackedDevice{}
	for _, dv := range devs {
		kind := stackedKind(dv)
		if kind == "" || dv.Size == 0 {
			continue
		}
		s := StackedDevice{Name: "/dev/" + dv.KName, KName: dv.KName, DMName: dv.DMName, Kind: kind, Size: dv.Size,
			Slaves: []string{}, Disks: []string{}}
		on := false
		for _, k := range stack.disksOf(dv.KName) {
			s.Disks = append(s.Disks, "/dev/"+k)
			on = on || selected[k]
		}
		if !on {
			continue
		}
		sort.Strings(s.Disks)
		for _, k := range dv.Slaves {
			s.Slaves = append(s.Slaves, "/dev/"+k)
		}
		dm := byDev[dv.KName]
		s.MountPoint, s.OtherMountPoints, s.Usage = dm.where()
		s.Identity = identity(props[dv.KName], dm.primaryOf())
		out = append(out, s)
	}
	return out
}

// stackedKind classifies a dm or md device by its dm uuid's prefix (set by the tool
// that made it: cryptsetup, multipathd, kpartx); "" for LVM's and for other devices.
func stackedKind(dv blockdev.Device) string {
	switch {
	case strings.HasPrefix(dv.KName, "md"):
		return "md"
	case !strings.HasPrefix(dv.KName, "dm-") || strings.HasPrefix(dv.DMUUID, "LVM-"):
		return ""
	case strings.HasPrefix(dv.DMUUID, "CRYPT-"):
		return "crypt"
	case strings.HasPrefix(dv.DMUUID, "mpath-"):
		return "multipath"
	}
	return "dm"
}

// kernelNames is the set of the devices' kernel names.
func kernelNames(devs []blockdev.Device) map[string]bool {
	out := make(map[string]bool, len(devs))
	for _, dv := range devs {
		out[dv.KName] = true
	}
	return out
}

func notSelected(named bool) string {
	if named {
		return "--devices does not name"
	}
	return "are not disks to migrate"
}

// roleIndex says which disks hold / and /boot, however many layers (partition, LVM,
// LUKS, md, btrfs across devices) lie between the mount and the disk, and how much of
// the LVs' used space lies on each PV.
type roleIndex struct {
	root, boot map[string]bool  // disk kname
	lvUsed     map[string]int64 // PV kname → used bytes of the LVs on it
}

func newRoleIndex(stack deviceStack, inv *Inventory, lvExtents map[string]map[string]int64, vgPVs map[string][]string) roleIndex {
	r := roleIndex{root: map[string]bool{}, boot: map[string]bool{}, lvUsed: map[string]int64{}}
	for _, vg := range inv.VolumeGroups {
		for _, lv := range vg.LogicalVolumes {
			if lv.Usage != nil && lv.Migrate && len(vgPVs[vg.UUID]) > 0 {
				attributeUsed(r.lvUsed, lv.Usage.UsedSize, lvExtents[lv.UUID], vgPVs[vg.UUID])
			}
		}
	}
	// A PV that is a dm device over exactly one device (LUKS, a plain mapping) passes
	// its used bytes down to it, so that the partition under it shows them. Over
	// several (md RAID, multipath) they stay where they are: how they split is unknown.
	down := map[string]int64{}
	for k, v := range r.lvUsed {
		for len(stack.slaves[k]) == 1 {
			k = stack.slaves[k][0]
		}
		down[k] += v
	}
	r.lvUsed = down
	for _, m := range inv.Mounts {
		if m.Device == "" {
			continue
		}
		mps := append([]string{m.MountPoint}, m.OtherMountPoints...)
		for _, mp := range mps {
			var set map[string]bool
			switch {
			case mp == "/":
				set = r.root
			case isBootMount(mp):
				set = r.boot
			default:
				continue
			}
			for _, dk := range stack.disksOf(strings.TrimPrefix(m.Device, "/dev/")) {
				set[dk] = true
			}
		}
	}
	return r
}

// attributeUsed spreads an LV's used bytes over the PVs it lies on, in proportion to
// its extents on each (exactly, to the byte, in total); an LV whose extents are not
// reported directly (raid, mirror and thin data live in sub-LVs) is spread evenly over
// its VG's PVs.
func attributeUsed(into map[string]int64, used int64, extents map[string]int64, vgPVs []string) {
	var total int64
	for _, n := range extents {
		total += n
	}
	type share struct {
		pv string
		w  int64
	}
	var shares []share
	if total > 0 {
		for pv, n := range extents {
			shares = append(shares, share{strings.TrimPrefix(pv, "/dev/"), n})
		}
		sort.Slice(shares, func(i, j int) bool { return shares[i].pv < shares[j].pv })
	} else {
		for _, pv := range vgPVs {
			shares = append(shares, share{pv, 1})
			total++
		}
	}
	var given int64
	for i, s := range shares {
		part := used * s.w / total
		if i == len(shares)-1 {
			part = used - given
		}
		into[s.pv] += part
		given += part
	}
}

// markBtrfsMembers shows a multi-device btrfs's mount point on every member partition;
// its usage stays on the one member it is mounted through, so it counts once.
func markBtrfsMembers(inv *Inventory) {
	mp := map[string]string{}
	for _, b := range inv.BtrfsList {
		if b.MountPoint == "" {
			continue
		}
		for _, dev := range b.Devices {
			mp[dev] = b.MountPoint
		}
	}
	for i := range inv.Disks {
		for j := range inv.Disks[i].PhysicalVolumes {
			p := &inv.Disks[i].PhysicalVolumes[j]
			if p.MountPoint == "" && mp[p.Name] != "" {
				p.MountPoint = mp[p.Name]
			}
		}
		d := &inv.Disks[i]
		if d.Identity != nil && d.MountPoint == "" && mp[d.Name] != "" {
			d.MountPoint = mp[d.Name]
		}
	}
}

// partitionUse: /boot and the ESP are BOOT, / is OS, an LVM PV is VOLUME_GROUP, a btrfs
// member BTRFS, anything else NORMAL.
func partitionUse(p Partition) string {
	switch {
	case p.FileSystem == "LVM2_member":
		return UseVolumeGroup
	case p.FileSystem == "btrfs":
		return UseBtrfs
	case espTypes[p.PartType] || isBootMount(p.MountPoint):
		return UseBoot
	case p.MountPoint == "/":
		return UseOS
	}
	return UseNormal
}

// pvKName is the kernel name of an LVM PV's device: by its device number, else by the
// name lvm printed (/dev/sda2, /dev/md127, /dev/mapper/NAME for dm devices).
func (ix deviceIndex) pvKName(pv lvm.PV) string {
	if pv.Dev != nil {
		if k := ix.byMajMin[pv.Dev.String()]; k != "" {
			return k
		}
	}
	n := strings.TrimPrefix(pv.Name, "/dev/")
	if dm, ok := strings.CutPrefix(n, "mapper/"); ok {
		if k := ix.byDMName[dm]; k != "" {
			return k
		}
	}
	return n
}
