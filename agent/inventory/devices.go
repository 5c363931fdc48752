package inventory

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/sms-agent/sms-agent/collectors/blockdev"
	"github.com/sms-agent/sms-agent/collectors/fsid"
	"github.com/sms-agent/sms-agent/collectors/lvm"
	"github.com/sms-agent/sms-agent/platform"
)

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
		probe = append(probe, fsid.Device{KName: dv.KName, MajMin: dv.MajMin(), DMUUID: dv.DMUUID})
		probed = append(probed, dv.KName)
		for _, p := range dv.Partitions {
			probe = append(probe, fsid.Device{KName: p.KName, MajMin: p.MajMin(), Disk: dv.KName,
				Start: uint64(p.Start / blockdev.SectorSize), Sectors: uint64(p.Size / blockdev.SectorSize)})
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

// kernelNames is the set of the devices' kernel names.
func kernelNames(devs []blockdev.Device) map[string]bool {
	out := make(map[string]bool, len(devs))
	for _, dv := range devs {
		out[dv.KName] = true
	}
	return out
}

// firstPass is the first read of sysfs: the devices that matter (see fullRead), every
// attribute of each, and the disks to inventory among them.
type firstPass struct {
	basic  []string          // the other devices, read in the second pass
	devs   []blockdev.Device // read in full
	disks  []blockdev.Device // selected
	errs   []error           // devices that could not be read
	err    error             // sysfs could not be listed
	selErr error             // --devices names no disk
}

// readFirstPass reads sysfs in two passes: the devices that matter first, so that
// identification (and lvm) start while the other devices (loop, ram, zram...) are read
// for the device index (readAllDevices).
func (d *discovery) readFirstPass() firstPass {
	names, err := blockdev.List(d.h.FS)
	if err != nil {
		return firstPass{err: err}
	}
	var full []string
	var p firstPass
	wantFull := fullRead(d.opt.Devices)
	for _, n := range names {
		if wantFull(n) {
			full = append(full, n)
		} else {
			p.basic = append(p.basic, n)
		}
	}
	p.devs, p.errs = blockdev.ReadNames(d.h.FS, full, true)
	p.disks, p.selErr = selectDisks(p.devs, d.opt.Devices)
	return p
}

// allDevices is every block device, read in both passes, in kernel-name order.
type allDevices struct {
	devs []blockdev.Device
	errs []error // second-pass devices that could not be read
	err  error   // --devices names no disk (said better once every device is known)
}

func (d *discovery) readAllDevices(p firstPass) allDevices {
	if p.err != nil {
		return allDevices{}
	}
	rest, errs := blockdev.ReadNames(d.h.FS, p.basic, false)
	a := allDevices{devs: append(append([]blockdev.Device{}, p.devs...), rest...), errs: errs}
	sort.Slice(a.devs, func(i, j int) bool { return blockdev.LessKName(a.devs[i].KName, a.devs[j].KName) })
	if p.selErr != nil {
		a.err = p.selErr
		// A named device may be a partition of a device read in the second pass.
		if _, err := selectDisks(a.devs, d.opt.Devices); err != nil {
			a.err = err
		}
	}
	return a
}

// identified is what identification found on the devices probed (probeList).
type identified struct {
	res    fsid.Result
	probed []string
}

func (d *discovery) identify(ctx context.Context, p firstPass) identified {
	if p.err != nil || p.selErr != nil {
		return identified{res: fsid.Result{Props: map[string]fsid.Props{}}}
	}
	probe, probed := probeList(p.devs, p.disks)
	return identified{res: fsid.Identify(ctx, d.h.FS, d.h.Run, d.h.Probes, probe, d.opt.CommandTimeout), probed: probed}
}

// idWarnings reports what identification could not read.
func (d *discovery) idWarnings(res fsid.Result) {
	for _, err := range res.Warnings {
		d.warn("fsid", err)
	}
	if len(res.Denied) > 0 {
		d.rootOnly("fsid", "filesystem UUIDs and labels ("+strings.Join(res.Denied, "; ")+")",
			fmt.Errorf("identify %s: UUIDs and labels there are unknown", strings.Join(res.Denied, "; ")))
	}
}
