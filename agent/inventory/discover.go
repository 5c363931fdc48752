package inventory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

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
	defer d.stages.Wait() // no read outlives Discover (a capture records every one)
	return d.assemble(ctx, d.start(ctx))
}

// recipe is discovery's schedule: every source of host data is a stage, started at
// once, that waits only for the stages it reads.
type recipe struct {
	table    *stage[mountTable]                        // the mount table
	host     *stage[hostRead]                          // hostname, OS, kernel, CPUs, memory
	usage    *stage[map[string]platform.StatfsOutcome] // statfs of each mount ← table
	first    *stage[firstPass]                         // sysfs: the disks, dm and md devices
	ids      *stage[identified]                        // filesystem identities ← first
	lvm      *stage[*lvmResult]                        // lvm fullreport ← first, ids (when LVM is there)
	all      *stage[allDevices]                        // sysfs: every other device ← first
	btrfsSys *stage[btrfsSysfs]                        // /sys/fs/btrfs
	layout   *stage[layout]                            // device index, mounts, btrfs plan ← table, all, ids, btrfsSys
	btrfs    *stage[map[string]btrfsResult]            // btrfs commands ← table (or layout with --devices)
}

func (d *discovery) start(ctx context.Context) recipe {
	var r recipe
	r.table = start(d, d.readMountTable)
	r.host = start(d, func() hostRead { return d.hostInfo(ctx) })
	r.usage = start(d, func() map[string]platform.StatfsOutcome {
		t := r.table.get()
		return statfsAll(ctx, d.h, t.mis, t.fss)
	})
	r.first = start(d, d.readFirstPass)
	r.ids = start(d, func() identified { return d.identify(ctx, r.first.get()) })
	r.lvm = start(d, func() *lvmResult { return d.lvmReport(ctx, r.first.get(), r.ids) })
	r.all = start(d, func() allDevices { return d.readAllDevices(r.first.get()) })
	r.btrfsSys = start(d, d.readBtrfsSysfs)
	r.layout = start(d, func() layout {
		return d.planLayout(r.table.get(), r.first.get(), r.all.get(), r.ids.get(), r.btrfsSys.get())
	})
	r.btrfs = start(d, func() map[string]btrfsResult { return d.btrfsReads(ctx, r.table, r.layout) })
	return r
}

// assemble joins the stages' answers into the inventory. Warnings are emitted here, in
// a fixed order, so that the same host gives the same inventory however the stages ran.
func (d *discovery) assemble(ctx context.Context, r recipe) (*Inventory, error) {
	if err := r.table.get().err; err != nil {
		d.warn("mounts", err)
	}
	first, all := r.first.get(), r.all.get()
	if first.err != nil {
		return nil, first.err
	}
	for _, err := range append(append([]error{}, first.errs...), all.errs...) {
		d.warn("blockdev", err)
	}
	if all.err != nil {
		return nil, all.err
	}
	if err := r.btrfsSys.get().err; err != nil {
		d.warn("btrfs", err)
	}
	ids := r.ids.get()
	d.idWarnings(ids.res)
	inv := &Inventory{SchemaVersion: SchemaVersion, Disks: []Disk{}, VolumeGroups: []VolumeGroup{},
		BtrfsList: []BtrfsFileSystem{}, Stacked: []StackedDevice{}}
	lay := r.layout.get()
	inv.Mounts = lay.mounts // lay.plan points into it
	inv.Host = d.host(r.host.get())
	d.applyUsage(inv, r.usage.get())
	byDev := mountsByDevice(inv)
	if lvmOut := r.lvm.get(); lvmOut != nil {
		inv.VolumeGroups = d.volumeGroups(*lvmOut, lay.ix, ids.res.Props, byDev)
	}
	inv.BtrfsList = d.btrfsFilesystems(lay.plan, lay.btrfsByUUID(r.btrfs.get()), lay.skip, ids.res.Props, ids.probed)
	stack := newDeviceStack(all.devs, inv, d.vgPVs)
	d.onlySelected(inv, stack, first.disks, len(d.opt.Devices) > 0)
	roles := newRoleIndex(stack, inv, d.lvExtents, d.vgPVs)
	for _, dv := range first.disks {
		inv.Disks = append(inv.Disks, d.disk(dv, ids.res.Props, byDev, roles))
	}
	inv.Stacked = stackedDevices(all.devs, stack, kernelNames(first.disks), ids.res.Props, byDev)
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
	stages    sync.WaitGroup
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
