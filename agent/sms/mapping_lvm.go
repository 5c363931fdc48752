package sms

// The mapping of LVM volume groups and btrfs filesystems.

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"github.com/sms-agent/sms-agent/agent/inventory"
)

// volumeGroup is a planned VG as a body sends it: the LVs the plan sends, at their
// target sizes in the task (target true) or their source sizes in the registration,
// where size and free_size are the source VG's.
func volumeGroup(p PlannedVG, target bool) VolumeGroups {
	vg := p.VG
	size, free := vg.Size, vg.FreeSize
	out := VolumeGroups{Name: vg.Name, Components: strings.Join(vg.Components, ","), LogicalVolumes: []LogicalVolumes{}}
	var sum int64
	for _, pl := range p.LVs {
		lv := pl.LV
		l := LogicalVolumes{
			Name: lv.Name, FileSystem: lv.FileSystem, MountPoint: lv.MountPoint, Size: lv.Size,
			DeviceUse: cmp.Or(lv.DeviceUse, useOfMountPoint(lv.MountPoint)),
		}
		if target {
			l.Size = pl.Target
		}
		if u := lv.Usage; u != nil {
			l.UsedSize, l.FreeSize, l.InodeSize = u.UsedSize, u.FreeSize, u.InodeNums
			l.InodeNums, l.BlockSize, l.BlockCount = ptr(u.InodeNums), ptr(u.BlockSize), ptr(u.BlockCount)
		}
		sum += l.Size
		out.LogicalVolumes = append(out.LogicalVolumes, l)
	}
	if target {
		// On the target the VG holds the LVs sent and nothing else (no snapshot, no
		// pool, no excluded LV): the rest of it is free.
		size, free = p.Target, p.Target-sum
	}
	out.Size, out.FreeSize = ptr(size), ptr(free)
	return out
}

// useOfMountPoint is the device_use of a logical volume, from where it is mounted.
func useOfMountPoint(mp string) string {
	switch mp {
	case "/":
		return UseOS
	case "/boot":
		return UseBoot
	case "":
		return ""
	}
	return UseNormal
}

// btrfsFileSystem is a btrfs filesystem as both bodies send it. A mounted filesystem
// whose default subvolume is not mounted itself gets the filesystem's mount path as
// default_subvol_mountpath, which the seed allows ("默认子卷挂载路径/BTRFS文件系统的挂载路径").
func btrfsFileSystem(fs inventory.BtrfsFileSystem) BtrfsFileSystem {
	out := BtrfsFileSystem{
		Name: fs.Name, Label: fs.Label, UUID: fs.UUID, Device: strings.Join(fs.Devices, ","),
		Size: fs.Size, Nodesize: fs.NodeSize, Sectorsize: fs.SectorSize,
		DataProfile: fs.DataProfile, SystemProfile: fs.SystemProfile, MetadataProfile: fs.MetadataProfile,
		GlobalReserve1: fs.GlobalReserve1, GVolUsedSize: fs.GVolUsedSize,
		DefaultSubvolID: fs.DefaultSubvolID, DefaultSubvolName: fs.DefaultSubvolName,
		DefaultSubvolMountpath: cmp.Or(fs.DefaultSubvolMountPath, fs.MountPoint),
		Subvolumn:              []BtrfsSubvolumn{},
	}
	for _, s := range fs.Subvolume {
		out.Subvolumn = append(out.Subvolumn, BtrfsSubvolumn{
			UUID: fs.UUID, IsSnapshot: strconv.FormatBool(s.IsSnapshot), SubvolID: s.SubvolID, ParentID: s.ParentID,
			SubvolName: s.SubvolName, SubvolMountPath: s.SubvolMountPath,
		})
	}
	return out
}

// unknownValues lists the required body values the plan does not know: those of an
// LV that is not mounted, and a btrfs filesystem's sizes and profiles when it is not.
func (p *Plan) unknownValues() []string {
	var warns []string
	for _, vg := range p.VolumeGroups {
		for _, pl := range vg.LVs {
			if pl.LV.Usage == nil {
				warns = append(warns, fmt.Sprintf("logical volume %s/%s is not mounted: used_size, free_size and inode_size unknown, sent as 0", vg.VG.Name, pl.LV.Name))
			}
		}
	}
	for _, fs := range p.Btrfs {
		if fs.NodeSize == 0 || fs.DataProfile == "" {
			warns = append(warns, fmt.Sprintf("btrfs %s: sizes and profiles unknown (not mounted, or btrfs tools missing), sent as 0 or \"\"", fs.UUID))
		}
	}
	return warns
}
