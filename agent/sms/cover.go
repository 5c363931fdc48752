package sms

import (
	"fmt"
	"strings"

	"github.com/sms-agent/sms-agent/agent/inventory"
)

// Uncarried is a mounted filesystem whose data the task body does not carry.
type Uncarried struct {
	Mount  inventory.Mount
	Reason string
	// Kind is the LeftOut kind when the plan left it out, else one of the Mount* kinds.
	Kind        string
	Unsupported bool // SMS does not support the layout it lies on
}

// Kinds of an uncarried mount the plan did not leave out itself.
const (
	MountNetwork  = "network"
	MountFUSE     = "fuse"
	MountLoop     = "loop"
	MountUnknown  = "unknown-device"
	MountOffDisks = "not-on-disk"
)

// sentDevices are the block devices whose content the task body carries: migrated
// partitions and whole-disk volumes, the LVs sent, the members of the btrfs sent.
func (p *Plan) sentDevices() map[string]bool {
	sent := map[string]bool{}
	for _, pd := range p.Disks {
		for _, v := range pd.Volumes {
			if v.Migrate && !v.Extended {
				sent[v.Name] = true
			}
		}
	}
	for _, vg := range p.VolumeGroups {
		for _, l := range vg.LVs {
			if l.LV.Device != "" {
				sent[l.LV.Device] = true
			}
		}
	}
	for _, fs := range p.Btrfs {
		for _, d := range fs.Devices {
			sent[d] = true
		}
	}
	return sent
}

// Uncarried lists the mounted filesystems (block, FUSE and network mounts) whose data
// the task body does not carry, each with why, in mount order. A filesystem is carried
// when its device is a migrated partition or disk, a logical volume sent, or a member
// of a btrfs filesystem sent.
func (p *Plan) Uncarried() []Uncarried {
	sent := p.sentDevices()
	left := map[string]LeftOut{}
	for _, l := range p.Left {
		for _, mp := range l.MountPoints {
			left[mp] = l
		}
	}
	onPlan := map[string]bool{} // every device of a planned disk
	for _, pd := range p.Disks {
		onPlan[pd.Disk.Name] = true
		for _, q := range pd.Disk.PhysicalVolumes {
			onPlan[q.Name] = true
		}
	}
	var out []Uncarried
	for _, m := range p.Inv.Mounts {
		if m.Kind != "block" && m.Kind != "network" && m.Kind != "fuse" {
			continue
		}
		if m.Kind == "block" && m.Device != "" && sent[m.Device] {
			continue
		}
		u := Uncarried{Mount: m}
		if l, ok := leftFor(left, m); ok {
			u.Reason, u.Kind, u.Unsupported = l.What+" is left out, "+l.Reason, l.Kind, l.Unsupported
			out = append(out, u)
			continue
		}
		from := m.FileSystem + " from " + m.Source
		if m.FileSystem == "" {
			from = "from " + m.Source
		}
		switch {
		case m.Kind == "network":
			u.Kind, u.Reason = MountNetwork, from
		case m.Kind == "fuse":
			u.Kind, u.Reason = MountFUSE, from
		case strings.HasPrefix(m.Source, "/dev/loop") || strings.HasPrefix(m.Device, "/dev/loop"):
			u.Kind, u.Reason = MountLoop, fmt.Sprintf("%s on loop device %s", m.FileSystem, m.Source)
		case m.Device == "":
			u.Kind, u.Reason = MountUnknown, from+", a device that is none of the disks, partitions, LVs or btrfs filesystems found"
		case onPlan[m.Device]:
			u.Kind, u.Reason = MountUnknown, fmt.Sprintf("%s on %s, which is not sent", m.FileSystem, m.Device)
		default:
			u.Kind, u.Reason = MountOffDisks, fmt.Sprintf("%s on %s, which is not on a disk to migrate", m.FileSystem, m.Device)
		}
		out = append(out, u)
	}
	return out
}

// leftFor finds the left-out item that names the mount (by any of its mount points).
func leftFor(left map[string]LeftOut, m inventory.Mount) (LeftOut, bool) {
	for _, mp := range append([]string{m.MountPoint}, m.OtherMountPoints...) {
		if l, ok := left[mp]; ok {
			return l, true
		}
	}
	return LeftOut{}, false
}
