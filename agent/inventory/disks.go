package inventory

import (
	"cmp"
	"fmt"

	"github.com/sms-agent/sms-agent/collectors/blockdev"
	"github.com/sms-agent/sms-agent/collectors/fsid"
)

func identity(p fsid.Props, mounted *Mount) Identity {
	id := Identity{FileSystem: p.Type, UUID: p.UUID, Label: p.Label, Source: p.Source}
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

// extendedType: the MBR types of an extended partition (DOS, Windows LBA, Linux).
func extendedType(t string) bool {
	switch t {
	case "0x5", "0xf", "0x85":
		return true
	}
	return false
}

// isExtended reports whether p is an MBR extended partition: by its type, or, when the
// table was not read, by what the kernel makes of one (a primary slot shown as at most
// 2 sectors on a disk with logical partitions).
func isExtended(dv blockdev.Device, p blockdev.Partition, pp fsid.Props) bool {
	if pp.PartType != "" {
		return pp.PartScheme == "dos" && extendedType(pp.PartType)
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
