package inventory

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sms-agent/sms-agent/collectors/blockdev"
	"github.com/sms-agent/sms-agent/collectors/fsid"
)

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

func notSelected(named bool) string {
	if named {
		return "--devices does not name"
	}
	return "are not disks to migrate"
}
