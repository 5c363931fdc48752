package inventory

import (
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
