package inventory

import (
	"sort"
	"strings"
)

// IsESPType reports whether t is the partition type of an EFI system partition (GPT
// GUID, MBR type).
func IsESPType(t string) bool {
	switch t {
	case "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", "0xef":
		return true
	}
	return false
}

// IsBootMount reports whether mp is a mount point that makes a device BOOT.
func IsBootMount(mp string) bool { return mp == "/boot" || mp == "/boot/efi" }

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
			case IsBootMount(mp):
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
	case IsESPType(p.PartType) || IsBootMount(p.MountPoint):
		return UseBoot
	case p.MountPoint == "/":
		return UseOS
	}
	return UseNormal
}
