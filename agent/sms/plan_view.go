package sms

import "slices"

// PlanView is the plan as `sms-agent plan --json` prints it (docs/mapping.md): every
// planned disk, volume, VG and LV with its source, used and target size, and what is
// left out. Sizes are bytes; used_size is absent when unknown.
type PlanView struct {
	Shrink       bool          `json:"shrink"`
	Disks        []DiskView    `json:"disks"`
	VolumeGroups []VGView      `json:"volume_groups"`
	Btrfs        []BtrfsView   `json:"btrfs_list"`
	LeftOut      []LeftOutView `json:"left_out"`
	Warnings     []string      `json:"warnings"`
}

// DiskView is a planned disk.
type DiskView struct {
	Name           string       `json:"name"`
	PartitionStyle string       `json:"partition_style,omitempty"`
	DeviceUse      string       `json:"device_use"`
	Size           int64        `json:"size"`
	UsedSize       int64        `json:"used_size"`
	TargetSize     int64        `json:"target_size"`
	Note           string       `json:"note,omitempty"` // how target_size was chosen
	Volumes        []VolumeView `json:"volumes"`
}

// VolumeView is a planned partition or whole-disk volume.
type VolumeView struct {
	Name       string `json:"name"`
	Index      int64  `json:"index"`
	Extended   bool   `json:"extended,omitempty"`
	Logical    bool   `json:"logical,omitempty"`
	FileSystem string `json:"file_system,omitempty"`
	MountPoint string `json:"mount_point,omitempty"`
	DeviceUse  string `json:"device_use"`
	Size       int64  `json:"size"`
	UsedSize   *int64 `json:"used_size,omitempty"`
	TargetSize int64  `json:"target_size"`
	Migrate    bool   `json:"migrate"` // false: not in the task (note says why), in the registration only
	Note       string `json:"note,omitempty"`
}

// VGView is a planned volume group and the LVs sent.
type VGView struct {
	Name           string   `json:"name"`
	Size           int64    `json:"size"`
	TargetSize     int64    `json:"target_size"`
	Note           string   `json:"note,omitempty"`
	LogicalVolumes []LVView `json:"logical_volumes"`
}

// LVView is a logical volume that is sent.
type LVView struct {
	Name       string `json:"name"`
	FileSystem string `json:"file_system,omitempty"`
	MountPoint string `json:"mount_point,omitempty"`
	Size       int64  `json:"size"`
	UsedSize   *int64 `json:"used_size,omitempty"`
	TargetSize int64  `json:"target_size"`
	Note       string `json:"note,omitempty"`
}

// BtrfsView is a btrfs filesystem that is sent (whole: its members keep their size).
type BtrfsView struct {
	UUID       string   `json:"uuid"`
	Devices    []string `json:"devices"`
	MountPoint string   `json:"mount_point,omitempty"`
	Used       int64    `json:"used"`
}

// LeftOutView is something the target will lack.
type LeftOutView struct {
	What        string   `json:"what"`
	Reason      string   `json:"reason"`
	Kind        string   `json:"kind"`
	Unsupported bool     `json:"unsupported"`
	MountPoints []string `json:"mount_points"`
}

// View is the plan for printing.
func (p *Plan) View() PlanView {
	v := PlanView{Shrink: p.Shrink, Disks: []DiskView{}, VolumeGroups: []VGView{}, Btrfs: []BtrfsView{}, LeftOut: []LeftOutView{},
		Warnings: append([]string{}, p.Warnings...)}
	for _, pd := range p.Disks {
		d := DiskView{Name: pd.Disk.Name, PartitionStyle: pd.Disk.PartitionStyle, DeviceUse: pd.Disk.DeviceUse,
			Size: pd.Disk.Size, UsedSize: pd.Disk.UsedSize, TargetSize: pd.Target, Note: pd.Why, Volumes: []VolumeView{}}
		for _, vol := range pd.Volumes {
			vv := VolumeView{Name: vol.Name, Index: vol.Index(), Extended: vol.Extended, FileSystem: vol.FileSystem,
				MountPoint: vol.MountPoint, DeviceUse: volumeUse(vol), Size: vol.Size, TargetSize: vol.Target,
				Migrate: vol.Migrate, Note: vol.Why,
				Logical: vol.Number > 4 && slices.ContainsFunc(pd.Volumes, func(v PlannedVolume) bool { return v.Extended })}
			if vol.Usage != nil || vol.Used > 0 {
				vv.UsedSize = ptr(vol.Used)
			}
			d.Volumes = append(d.Volumes, vv)
		}
		v.Disks = append(v.Disks, d)
	}
	for _, vg := range p.VolumeGroups {
		g := VGView{Name: vg.VG.Name, Size: vg.VG.Size, TargetSize: vg.Target, LogicalVolumes: []LVView{}}
		if vg.Target != vg.VG.Size {
			g.Note = "its logical volumes + 4 extents"
		}
		for _, l := range vg.LVs {
			lv := LVView{Name: l.LV.Name, FileSystem: l.LV.FileSystem, MountPoint: l.LV.MountPoint, Size: l.LV.Size, TargetSize: l.Target, Note: l.Why}
			if l.LV.Usage != nil {
				lv.UsedSize = ptr(l.LV.Usage.UsedSize)
			}
			g.LogicalVolumes = append(g.LogicalVolumes, lv)
		}
		v.VolumeGroups = append(v.VolumeGroups, g)
	}
	for _, b := range p.Btrfs {
		v.Btrfs = append(v.Btrfs, BtrfsView{UUID: b.UUID, Devices: b.Devices, MountPoint: b.MountPoint, Used: b.Size})
	}
	for _, l := range p.Left {
		mps := l.MountPoints
		if mps == nil {
			mps = []string{}
		}
		v.LeftOut = append(v.LeftOut, LeftOutView{What: l.What, Reason: l.Reason, Kind: l.Kind, Unsupported: l.Unsupported, MountPoints: mps})
	}
	return v
}
