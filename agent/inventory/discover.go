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
	"github.com/sms-agent/sms-agent/collectors/btrfs"
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
		statfs = statfsAll(ctx, h, fss)
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
