package sms

// The mapping of LVM volume groups and btrfs filesystems, kept apart because the
// inventory's VolumeGroup, LogicalVolume and BtrfsFileSystem are still growing: when a
// collector learns a value SMS wants, set it here.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sms-agent/sms-agent/agent/inventory"
)

// layoutVolumes maps the VGs and btrfs filesystems whose members are on the migrated
// disks; those wholly on excluded (or unknown) disks are left out.
func layoutVolumes(inv *inventory.Inventory, disks []inventory.Disk) ([]VolumeGroups, []BtrfsFileSystem, []string, error) {
	migrated, all := deviceSet(disks), deviceSet(inv.Disks)
	vgs, btrfs := []VolumeGroups{}, []BtrfsFileSystem{}
	var warns []string
	for _, vg := range inv.VolumeGroups {
		ok, err := placement("volume group "+vg.Name, onDisks(vg.Disks, vg.Components), migrated, all)
		if err != nil {
			return nil, nil, nil, err
		}
		if ok {
			v, w := volumeGroup(vg)
			vgs, warns = append(vgs, v), append(warns, w...)
		}
	}
	for _, fs := range inv.BtrfsList {
		ok, err := placement("btrfs "+fs.UUID, onDisks(fs.Disks, fs.Devices), migrated, all)
		if err != nil {
			return nil, nil, nil, err
		}
		if ok {
			b, w := btrfsFileSystem(fs)
			btrfs, warns = append(btrfs, b), append(warns, w...)
		}
	}
	return vgs, btrfs, warns, nil
}

// onDisks is where a volume lies: the disks the inventory traced its members to (a PV
// on LUKS or md lies on the disks under it), else the members themselves (inventories
// from before the trace).
func onDisks(disks, members []string) []string {
	if len(disks) > 0 {
		return disks
	}
	return members
}

func volumeGroup(vg inventory.VolumeGroup) (VolumeGroups, []string) {
	out := VolumeGroups{
		Name: vg.Name, Components: strings.Join(vg.Components, ","),
		Size: ptr(vg.Size), FreeSize: ptr(vg.FreeSize), LogicalVolumes: []LogicalVolumes{},
	}
	var warns []string
	for _, lv := range vg.LogicalVolumes {
		if !lv.Migrate { // hidden sub-LVs, pools, snapshots: their data is not copied
			continue
		}
		l := LogicalVolumes{
			Name: lv.Name, FileSystem: lv.FileSystem, MountPoint: lv.MountPoint, Size: lv.Size,
			DeviceUse: lv.DeviceUse,
		}
		if l.DeviceUse == "" {
			l.DeviceUse = useOfMountPoint(lv.MountPoint)
		}
		if u := lv.Usage; u != nil {
			l.UsedSize, l.FreeSize, l.InodeSize = u.UsedSize, u.FreeSize, u.InodeNums
			l.InodeNums, l.BlockSize, l.BlockCount = ptr(u.InodeNums), ptr(u.BlockSize), ptr(u.BlockCount)
		} else {
			warns = append(warns, fmt.Sprintf("logical volume %s/%s is not mounted: used_size, free_size and inode_size unknown, sent as 0", vg.Name, lv.Name))
		}
		out.LogicalVolumes = append(out.LogicalVolumes, l)
	}
	return out, warns
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

func btrfsFileSystem(fs inventory.BtrfsFileSystem) (BtrfsFileSystem, []string) {
	out := BtrfsFileSystem{
		Name: fs.Name, Label: fs.Label, UUID: fs.UUID, Device: strings.Join(fs.Devices, ","),
		Size: fs.Size, Nodesize: fs.NodeSize, Sectorsize: fs.SectorSize,
		DataProfile: fs.DataProfile, SystemProfile: fs.SystemProfile, MetadataProfile: fs.MetadataProfile,
		GlobalReserve1: fs.GlobalReserve1, GVolUsedSize: fs.GVolUsedSize,
		DefaultSubvolID: fs.DefaultSubvolID, DefaultSubvolName: fs.DefaultSubvolName,
		DefaultSubvolMountpath: fs.DefaultSubvolMountPath,
		Subvolumn:              []BtrfsSubvolumn{},
	}
	for _, s := range fs.Subvolume {
		out.Subvolumn = append(out.Subvolumn, BtrfsSubvolumn{
			UUID: fs.UUID, IsSnapshot: strconv.FormatBool(s.IsSnapshot), SubvolID: s.SubvolID, ParentID: s.ParentID,
			SubvolName: s.SubvolName, SubvolMountPath: s.SubvolMountPath,
		})
	}
	var warns []string
	if fs.NodeSize == 0 || fs.DataProfile == "" {
		warns = append(warns, fmt.Sprintf("btrfs %s: sizes and profiles unknown (not mounted, or btrfs tools missing), sent as 0 or \"\"", fs.UUID))
	}
	return out, warns
}
