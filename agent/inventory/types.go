// Package inventory is the agent's description of a source host: disks, partitions,
// volume groups, btrfs filesystems and mounts, in SMS's field names and units (bytes)
// wherever SMS has a field for the thing. docs/inventory.md documents every field.
package inventory

// SchemaVersion is bumped only for incompatible changes; fields are only ever added.
const SchemaVersion = 1

// Inventory is what `sms-agent discover --json` prints.
type Inventory struct {
	SchemaVersion int               `json:"schema_version"`
	Host          Host              `json:"host"`
	Disks         []Disk            `json:"disks"`
	VolumeGroups  []VolumeGroup     `json:"volume_groups"`
	BtrfsList     []BtrfsFileSystem `json:"btrfs_list"`
	// Stacked lists the device-mapper and md devices other than LVM's that lie on the
	// disks: LUKS (dm-crypt) mappings, multipath maps, md RAID arrays.
	Stacked  []StackedDevice `json:"stacked"`
	Mounts   []Mount         `json:"mounts"`
	Warnings []Warning       `json:"warnings"`
}

// StackedDevice is a block device built on others (not an LVM logical volume).
type StackedDevice struct {
	Name   string `json:"name"` // /dev/dm-3, /dev/md127
	KName  string `json:"kname"`
	DMName string `json:"dm_name,omitempty"` // device-mapper name: /dev/mapper/<dm_name>
	// Kind: crypt (LUKS, dm-crypt), multipath, md (software RAID), dm (any other
	// device-mapper target).
	Kind   string   `json:"kind"`
	Size   int64    `json:"size"`
	Slaves []string `json:"slaves"` // the devices it is built on (/dev/sda2)
	Disks  []string `json:"disks"`  // the disks below it, through every layer
	Identity
	MountPoint       string   `json:"mount_point"`
	OtherMountPoints []string `json:"other_mount_points,omitempty"`
	Usage            *Usage   `json:"usage,omitempty"`
}

// Warning is a partial failure: something could not be read, the rest stands.
type Warning struct {
	Source  string `json:"source"`  // the collector: "blockdev", "fsid", "mounts", "usage", "host", "lvm", "btrfs", "volumes", "privileges"
	Message string `json:"message"` // one line: what was being read and why it failed
}

// Host facts.
type Host struct {
	Hostname      string    `json:"hostname"`
	OSType        string    `json:"os_type"` // LINUX or WINDOWS
	OS            OSRelease `json:"os"`
	KernelVersion string    `json:"kernel_version"`
	Arch          string    `json:"arch"`     // uname machine: x86_64, aarch64
	Firmware      string    `json:"firmware"` // UEFI or BIOS
	CPUQuantity   int       `json:"cpu_quantity"`
	MemoryBytes   int64     `json:"memory_bytes"` // MemTotal
	// Windows holds the facts only a Windows host has (registration asks for them).
	Windows *WindowsHost `json:"windows,omitempty"`
}

// WindowsHost is what a Windows source registers beyond the common host facts.
type WindowsHost struct {
	ProductName    string `json:"product_name"`              // Microsoft Windows Server 2019 Datacenter
	Family         string `json:"family"`                    // Server, Server (Domain Controller), Standalone Workstation
	DisplayVersion string `json:"display_version,omitempty"` // 21H2
	SystemDir      string `json:"system_dir"`                // C:\Windows\system32
	SystemDrive    string `json:"system_drive"`              // C:, the volume Windows runs from
	// Administrator: the agent runs elevated, with an administrator's rights (SMS's
	// account_rights); absent when unknown.
	Administrator *bool `json:"administrator,omitempty"`
	// VSSService is the Volume Shadow Copy service's start type: automatic, manual,
	// disabled, missing; "" when unknown (SMS's system_services: present and not disabled).
	VSSService string `json:"vss_service"`
	// DriverFiles: the virtio storage and network drivers a KVM target boots with are
	// installed (SMS's driver_files); absent when unknown.
	DriverFiles *bool `json:"driver_files,omitempty"`
	// Manufacturer, Product, BIOSVendor: the SMBIOS strings; Platform the cloud or
	// hypervisor they name, in SMS's words (hw, ali, aws, azure, gcp, tencent, vmware,
	// hyperv), "" when none is recognised.
	Manufacturer string `json:"manufacturer,omitempty"`
	Product      string `json:"product,omitempty"`
	BIOSVendor   string `json:"bios_vendor,omitempty"`
	Platform     string `json:"platform,omitempty"`
}

// OSRelease is the part of /etc/os-release the agent reports.
type OSRelease struct {
	ID         string `json:"id"`
	IDLike     string `json:"id_like,omitempty"`
	Name       string `json:"name"`
	VersionID  string `json:"version_id"`
	PrettyName string `json:"pretty_name"`
}

// Identity is a filesystem's (or other content's) identity as probed on the device.
type Identity struct {
	FileSystem string `json:"file_system"` // ext4, xfs, vfat, swap, LVM2_member, btrfs, crypto_LUKS; "" when none found
	UUID       string `json:"uuid"`
	Label      string `json:"label,omitempty"`
	// Source says which one answered: "udev" (its database), "lowprobe" (the agent's
	// in-process prober) or "blkid"; absent when none did (nothing found, or not probed).
	Source string `json:"id_source,omitempty"`
}

// Usage is a mounted filesystem's statfs, as df computes it.
type Usage struct {
	FSSize     int64 `json:"fs_size"`     // f_blocks × f_frsize
	UsedSize   int64 `json:"used_size"`   // (f_blocks − f_bfree) × f_frsize
	FreeSize   int64 `json:"free_size"`   // f_bavail × f_frsize (available to unprivileged users, df's Avail)
	InodeNums  int64 `json:"inode_nums"`  // f_files
	InodesFree int64 `json:"inodes_free"` // f_ffree
	BlockSize  int64 `json:"block_size"`  // f_bsize
	BlockCount int64 `json:"block_count"` // f_blocks
}

// Disk is a whole block device, a migration candidate (SMS ServerDisk).
type Disk struct {
	Name               string `json:"name"`  // /dev/vda
	KName              string `json:"kname"` // vda
	MajMin             string `json:"maj_min"`
	Size               int64  `json:"size"`
	UsedSize           int64  `json:"used_size"` // sum of the used sizes known on it
	DeviceUse          string `json:"device_use"`
	PartitionStyle     string `json:"partition_style,omitempty"` // GPT or MBR; absent when there is no partition table
	PartitionTableUUID string `json:"partition_table_uuid,omitempty"`
	OSDisk             bool   `json:"os_disk"`
	LogicalSectorSize  int64  `json:"logical_sector_size"`
	PhysicalSectorSize int64  `json:"physical_sector_size"`
	Rotational         bool   `json:"rotational"`
	Removable          bool   `json:"removable"`
	ReadOnly           bool   `json:"read_only"`
	Model              string `json:"model,omitempty"`
	Serial             string `json:"serial,omitempty"`
	WWN                string `json:"wwn,omitempty"`
	// A filesystem (or PV) on the whole disk, without a partition table.
	*Identity
	MountPoint       string   `json:"mount_point,omitempty"`
	OtherMountPoints []string `json:"other_mount_points,omitempty"`
	Usage            *Usage   `json:"usage,omitempty"`
	// Partitions, in partition-number order.
	PhysicalVolumes []Partition `json:"physical_volumes"`
	// Windows: Dynamic is a dynamic (LDM) disk; StorageSpaces is "virtual_disk" for a
	// Storage Spaces virtual disk, "pool_member" for a disk given to a storage pool.
	Dynamic       bool   `json:"dynamic,omitempty"`
	StorageSpaces string `json:"storage_spaces,omitempty"`
}

// Partition is one partition of a disk (SMS PhysicalVolume).
type Partition struct {
	Name      string `json:"name"` // /dev/vda1
	KName     string `json:"kname"`
	MajMin    string `json:"maj_min"`
	Index     int    `json:"index"`  // 0-based position on the disk
	Number    int    `json:"number"` // partition number (vda1 → 1)
	Start     int64  `json:"start"`  // bytes from the disk's start
	Size      int64  `json:"size"`
	UsedSize  int64  `json:"used_size"` // from statfs when mounted, else 0 (see usage)
	DeviceUse string `json:"device_use"`
	PartUUID  string `json:"part_uuid,omitempty"`
	PartLabel string `json:"part_label,omitempty"`
	PartType  string `json:"part_type,omitempty"` // GPT type GUID or MBR type (0x83)
	// Extended marks an MBR extended partition: a container of the logical partitions
	// (numbers 5 and up), its size the extent its table entry gives, not sysfs's.
	Extended         bool     `json:"extended,omitempty"`
	MountPoint       string   `json:"mount_point"`
	OtherMountPoints []string `json:"other_mount_points,omitempty"`
	Identity
	InodeSize int64  `json:"inode_size,omitempty"` // SMS documents inode_size as the number of inodes: f_files
	InodeNums int64  `json:"inode_nums,omitempty"` // f_files
	Usage     *Usage `json:"usage,omitempty"`
	// Windows: the cluster size (SMS's size_per_cluster), the volume serial number
	// ("1A2B-3C4D"), BitLocker's state of the volume (on, off, encrypting, decrypting,
	// paused, locked; absent without BitLocker), and for a volume in several pieces (a
	// dynamic volume spanning disks) which piece this is.
	SizePerCluster int64         `json:"size_per_cluster,omitempty"`
	VolumeSerial   string        `json:"volume_serial,omitempty"`
	BitLocker      string        `json:"bitlocker,omitempty"`
	Extent         *VolumeExtent `json:"extent,omitempty"`
}

// VolumeExtent is piece Index (1-based) of Count of a volume that lies in several pieces.
type VolumeExtent struct {
	Index      int   `json:"index"`
	Count      int   `json:"count"`
	VolumeSize int64 `json:"volume_size"` // the whole volume's bytes
}

// Mount is one mounted filesystem (bind mounts and repeated mounts collapsed).
type Mount struct {
	MountPoint       string   `json:"mount_point"`
	OtherMountPoints []string `json:"other_mount_points,omitempty"`
	Source           string   `json:"source"`
	Device           string   `json:"device,omitempty"`  // /dev/<kname> when backed by a known block device
	MajMin           string   `json:"maj_min,omitempty"` // absent when the mount table has no device numbers (/proc/mounts)
	FileSystem       string   `json:"file_system"`
	Root             string   `json:"root"` // path of the mount's root inside the filesystem
	Options          string   `json:"options"`
	SubvolID         string   `json:"subvol_id,omitempty"` // btrfs: the mounted subvolume's id
	Kind             string   `json:"kind"`                // block, network, fuse, autofs, virtual
	Usage            *Usage   `json:"usage,omitempty"`
	Error            string   `json:"error,omitempty"` // why usage is missing
}

// VolumeGroup is an LVM volume group (SMS VolumeGroups).
type VolumeGroup struct {
	Name       string   `json:"name"`
	UUID       string   `json:"uuid"`
	Size       int64    `json:"size"`
	FreeSize   int64    `json:"free_size"`
	ExtentSize int64    `json:"extent_size"`
	Components []string `json:"components"` // member PV devices (/dev/sda3), in lvm's order
	// PVDevices are the PVs' block devices by kernel name (/dev/sda3, /dev/dm-4 for a
	// PV on a LUKS mapping or an LV), in the order lvm reports the PVs.
	PVDevices []string `json:"pv_devices,omitempty"`
	// Disks are the disks the PVs lie on, through partitions and dm/md layers
	// (LUKS, multipath, md RAID): /dev/sda for /dev/mapper/luks-x on /dev/sda2.
	Disks []string `json:"disks"`
	// LogicalVolumes lists every LV, hidden sub-LVs included; Migrate marks the ones
	// whose data a migration copies.
	LogicalVolumes []LogicalVolume `json:"logical_volumes"`
}

// LogicalVolume is an LVM logical volume (SMS LogicalVolumes).
type LogicalVolume struct {
	Name string `json:"name"`
	// UUID is lvm's LV UUID; "uuid" (from Identity) is the filesystem's, as on disks.
	UUID string `json:"lv_uuid"`
	Path string `json:"path"` // /dev/<vg>/<lv>; "" for hidden sub-LVs
	Size int64  `json:"size"` // lv_size (virtual size for thin volumes)
	// Kind: linear, striped, raid, mirror, thin-pool, thin, thin-snapshot, snapshot,
	// cache-pool, cache, writecache, vdo-pool, vdo, integrity, component.
	Kind     string `json:"kind"`
	Hidden   bool   `json:"hidden"`   // an internal sub-LV lvm shows in [brackets]
	Snapshot bool   `json:"snapshot"` // a thick or thin snapshot of Origin
	Migrate  bool   `json:"migrate"`  // a data volume: public, not a snapshot, not hidden
	Origin   string `json:"origin,omitempty"`
	Pool     string `json:"pool,omitempty"`
	// Active is absent when lvm cannot tell (no device-mapper in the kernel).
	Active           *bool    `json:"active,omitempty"`
	DMName           string   `json:"dm_name"`
	Device           string   `json:"device,omitempty"` // /dev/dm-N when active
	DeviceUse        string   `json:"device_use"`
	MountPoint       string   `json:"mount_point"`
	OtherMountPoints []string `json:"other_mount_points,omitempty"`
	Identity
	Usage *Usage `json:"usage,omitempty"`
}

// BtrfsFileSystem is one btrfs filesystem (SMS BtrfsFileSystem). docs/inventory.md says
// how each field is derived.
type BtrfsFileSystem struct {
	Name                   string           `json:"name"` // the first member device
	Label                  string           `json:"label"`
	UUID                   string           `json:"uuid"`
	Devices                []string         `json:"devices"` // member devices (/dev/sdb1)
	Disks                  []string         `json:"disks"`   // the disks the members lie on (/dev/sdb)
	Mounted                bool             `json:"mounted"`
	MountPoint             string           `json:"mount_point"`
	Size                   int64            `json:"size"`            // data bytes used
	GVolUsedSize           int64            `json:"g_vol_used_size"` // bytes used on the devices, all kinds, with redundancy
	NodeSize               int64            `json:"nodesize"`
	SectorSize             int64            `json:"sectorsize"`
	DataProfile            string           `json:"data_profile"`
	MetadataProfile        string           `json:"metadata_profile"`
	SystemProfile          string           `json:"system_profile"`
	GlobalReserve1         string           `json:"global_reserve1"` // global reserve size in bytes, as a string (SMS's type)
	DefaultSubvolID        string           `json:"default_subvolid"`
	DefaultSubvolName      string           `json:"default_subvol_name"`
	DefaultSubvolMountPath string           `json:"default_subvol_mountpath"`
	Subvolume              []BtrfsSubvolume `json:"subvolumn"`
}

// BtrfsSubvolume is one btrfs subvolume or snapshot (SMS BtrfsSubvolumn).
type BtrfsSubvolume struct {
	SubvolID        string `json:"subvol_id"`
	ParentID        string `json:"parent_id"`
	SubvolName      string `json:"subvol_name"` // path below the top level (id 5)
	SubvolMountPath string `json:"subvol_mount_path"`
	SubvolUUID      string `json:"subvol_uuid"`
	ParentUUID      string `json:"parent_uuid,omitempty"` // the subvolume it is a snapshot of
	IsSnapshot      bool   `json:"is_snapshot"`
}
