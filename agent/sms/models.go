// Package sms speaks Huawei Cloud Server Migration Service (SMS) v3 for the agent: the
// request and response bodies, their validation, the mapping from the inventory to
// them, AK/SK signing, IAM tokens and a retrying HTTP client.
//
// Field names and constraints follow the CreateTask page (the seed, authoritative) and
// /work/shared/docs/sms-api.md. Conventions of the models:
//   - a field SMS requires is a plain value and is always sent, even when empty
//     (arrays are sent as [] — the builders never leave them nil);
//   - an optional field is a pointer (numbers, booleans) or an omitempty string, so
//     "unknown" is omitted instead of being sent as an invented 0 or "";
//   - fields documented as int32 are int64 here and range-checked by Validate, so an
//     overflow is reported with its JSON path instead of wrapping silently.
package sms

import "github.com/sms-agent/sms-agent/collectors/hostfacts"

// OS types (PostTask.os_type, PostSourceServerBody.os_type).
const (
	OSLinux   = "LINUX"
	OSWindows = "WINDOWS"
)

// Task types (PostTask.type).
const (
	TypeFile  = "MIGRATE_FILE"
	TypeBlock = "MIGRATE_BLOCK"
)

// Device uses.
const (
	UseNormal      = "NORMAL"
	UseOS          = "OS"
	UseBoot        = "BOOT"
	UseVolumeGroup = "VOLUME_GROUP"
	UseBtrfs       = "BTRFS"
)

// PostTask is the body of CreateTask, POST /v3/tasks.
type PostTask struct {
	Name              string             `json:"name"` // 0–255
	Type              string             `json:"type"` // MIGRATE_FILE | MIGRATE_BLOCK
	StartTargetServer *bool              `json:"start_target_server,omitempty"`
	AutoStart         *bool              `json:"auto_start,omitempty"`
	OSType            string             `json:"os_type"` // 0–255
	SourceServer      SourceServerByTask `json:"source_server"`
	TargetServer      TargetServerByTask `json:"target_server"`
	MigrationIP       string             `json:"migration_ip,omitempty"` // 0–255
	RegionName        string             `json:"region_name"`            // 0–255
	RegionID          string             `json:"region_id"`              // 0–255
	ProjectName       string             `json:"project_name"`           // 0–255
	ProjectID         string             `json:"project_id"`             // 0–255
	Priority          *int64             `json:"priority,omitempty"`     // int32, 0–65535
	VMTemplateID      string             `json:"vm_template_id,omitempty"`
	UsePublicIP       *bool              `json:"use_public_ip,omitempty"`
	UseIPv6           *bool              `json:"use_ipv6,omitempty"`
	Syncing           *bool              `json:"syncing,omitempty"`
	ExistServer       *bool              `json:"exist_server,omitempty"`
	StartNetworkCheck *bool              `json:"start_network_check,omitempty"`
}

// SourceServerByTask names the registered source server.
type SourceServerByTask struct {
	ID string `json:"id"`
}

// TargetServerByTask is the target VM's layout.
type TargetServerByTask struct {
	BtrfsList    []BtrfsFileSystem `json:"btrfs_list"` // optional, 0–65535; always sent
	Disks        []TargetDisks     `json:"disks"`      // 0–65535
	Name         string            `json:"name"`       // 0–255
	VMID         string            `json:"vm_id"`      // 0–255; "" when SMS creates the VM
	VolumeGroups []VolumeGroups    `json:"volume_groups"`
}

// TargetDisks is one target disk.
type TargetDisks struct {
	DeviceUse       string            `json:"device_use,omitempty"` // BOOT | OS | NORMAL
	DiskID          string            `json:"disk_id,omitempty"`    // 0–255
	Name            string            `json:"name"`                 // 0–255
	PhysicalVolumes []PhysicalVolumes `json:"physical_volumes"`     // 0–65535
	Size            int64             `json:"size"`                 // ≥ 0
	UsedSize        int64             `json:"used_size"`            // ≥ 0
}

// PhysicalVolumes is a partition of a target disk. Every field is optional.
type PhysicalVolumes struct {
	DeviceUse  string `json:"device_use,omitempty"`  // 0–255
	FileSystem string `json:"file_system,omitempty"` // 0–255
	Index      *int64 `json:"index,omitempty"`       // int32 ≥ 0
	MountPoint string `json:"mount_point,omitempty"` // 0–255
	Name       string `json:"name,omitempty"`        // 0–255
	Size       *int64 `json:"size,omitempty"`
	InodeSize  *int64 `json:"inode_size,omitempty"` // the number of inodes, per the doc
	UsedSize   *int64 `json:"used_size,omitempty"`
	UUID       string `json:"uuid,omitempty"` // 0–255
}

// VolumeGroups is an LVM volume group. Every field is optional.
type VolumeGroups struct {
	Components     string           `json:"components,omitempty"` // 0–255: member PVs
	FreeSize       *int64           `json:"free_size,omitempty"`
	LogicalVolumes []LogicalVolumes `json:"logical_volumes"` // 0–255; always sent
	Name           string           `json:"name,omitempty"`  // 0–255
	Size           *int64           `json:"size,omitempty"`
}

// LogicalVolumes is an LVM logical volume.
type LogicalVolumes struct {
	BlockCount *int64 `json:"block_count,omitempty"` // int32 ≥ 0
	BlockSize  *int64 `json:"block_size,omitempty"`  // 0–1048576
	FileSystem string `json:"file_system"`           // 0–255
	InodeSize  int64  `json:"inode_size"`            // int32 ≥ 0: number of inodes
	InodeNums  *int64 `json:"inode_nums,omitempty"`
	DeviceUse  string `json:"device_use,omitempty"` // 0–255
	MountPoint string `json:"mount_point"`          // 0–256
	Name       string `json:"name"`                 // 0–1024
	Size       int64  `json:"size"`
	UsedSize   int64  `json:"used_size"`
	FreeSize   int64  `json:"free_size"`
}

// BtrfsFileSystem is a btrfs filesystem; every field is required.
type BtrfsFileSystem struct {
	Name                   string           `json:"name"`
	Label                  string           `json:"label"`
	UUID                   string           `json:"uuid"`
	Device                 string           `json:"device"`
	Size                   int64            `json:"size"`
	Nodesize               int64            `json:"nodesize"`
	Sectorsize             int64            `json:"sectorsize"` // int32
	DataProfile            string           `json:"data_profile"`
	SystemProfile          string           `json:"system_profile"`
	MetadataProfile        string           `json:"metadata_profile"`
	GlobalReserve1         string           `json:"global_reserve1"`
	GVolUsedSize           int64            `json:"g_vol_used_size"`
	DefaultSubvolID        string           `json:"default_subvolid"`
	DefaultSubvolName      string           `json:"default_subvol_name"`
	DefaultSubvolMountpath string           `json:"default_subvol_mountpath"`
	Subvolumn              []BtrfsSubvolumn `json:"subvolumn"` // sic
}

// BtrfsSubvolumn (sic) is a btrfs subvolume; every field is a required string.
type BtrfsSubvolumn struct {
	UUID            string `json:"uuid"` // the parent volume's uuid
	IsSnapshot      string `json:"is_snapshot"`
	SubvolID        string `json:"subvol_id"`
	ParentID        string `json:"parent_id"`
	SubvolName      string `json:"subvol_name"`
	SubvolMountPath string `json:"subvol_mount_path"`
}

// PostSourceServerBody registers a source server, POST /v3/sources.
type PostSourceServerBody struct {
	Name               string            `json:"name"` // 1–64
	IP                 string            `json:"ip,omitempty"`
	IPv6               string            `json:"ipv6,omitempty"`
	Hostname           string            `json:"hostname,omitempty"`
	OSType             string            `json:"os_type"`
	OSVersion          string            `json:"os_version"`
	Firmware           string            `json:"firmware,omitempty"` // BIOS | UEFI
	CPUQuantity        *int64            `json:"cpu_quantity,omitempty"`
	Memory             *int64            `json:"memory,omitempty"` // MB
	Disks              []ServerDisk      `json:"disks"`            // 0–50
	VolumeGroups       []VolumeGroups    `json:"volume_groups"`    // Linux: required, [] when none
	BtrfsList          []BtrfsFileSystem `json:"btrfs_list"`       // Linux: required, [] when none
	Networks           []NetWork         `json:"networks"`
	AgentVersion       string            `json:"agent_version"`
	KernelVersion      string            `json:"kernel_version,omitempty"`
	HasRsync           *bool             `json:"has_rsync,omitempty"`
	HasTc              *bool             `json:"has_tc,omitempty"`
	Paravirtualization *bool             `json:"paravirtualization,omitempty"`
	RawDevices         *string           `json:"raw_devices,omitempty"` // Linux: required, "" when none
	BootLoader         string            `json:"boot_loader,omitempty"` // GRUB | LILO
	DriverFiles        *bool             `json:"driver_files,omitempty"`
	SystemServices     *bool             `json:"system_services,omitempty"`
	AccountRights      *bool             `json:"account_rights,omitempty"`
	SystemDir          string            `json:"system_dir,omitempty"`
	Platform           string            `json:"platform,omitempty"`
}

// ServerDisk is a source disk as registered.
type ServerDisk struct {
	Name            string           `json:"name"`
	PartitionStyle  string           `json:"partition_style,omitempty"` // MBR | GPT
	DeviceUse       string           `json:"device_use"`                // NORMAL OS BOOT VOLUME_GROUP BTRFS
	Size            int64            `json:"size"`
	UsedSize        int64            `json:"used_size"`
	PhysicalVolumes []PhysicalVolume `json:"physical_volumes"`
	OSDisk          *bool            `json:"os_disk,omitempty"`
	RelationName    string           `json:"relation_name,omitempty"`
	InodeSize       *int64           `json:"inode_size,omitempty"` // int32
}

// PhysicalVolume (singular) is a source partition as registered. All optional.
type PhysicalVolume struct {
	DeviceUse      string `json:"device_use,omitempty"`
	FileSystem     string `json:"file_system,omitempty"`
	Index          *int64 `json:"index,omitempty"` // int32
	MountPoint     string `json:"mount_point,omitempty"`
	Name           string `json:"name,omitempty"`
	Size           *int64 `json:"size,omitempty"`
	UsedSize       *int64 `json:"used_size,omitempty"`
	InodeSize      *int64 `json:"inode_size,omitempty"` // int32
	InodeNums      *int64 `json:"inode_nums,omitempty"`
	UUID           string `json:"uuid,omitempty"`
	SizePerCluster *int64 `json:"size_per_cluster,omitempty"` // int32, Windows
}

// HostFacts are the registration facts the inventory does not carry, read by
// collectors/hostfacts; their JSON is the `--facts FILE` format.
type HostFacts = hostfacts.Facts

// NetWork (sic) is a network interface of the source.
type NetWork struct {
	Name    string `json:"name"`
	IP      string `json:"ip"`
	IPv6    string `json:"ipv6,omitempty"`
	Netmask string `json:"netmask"`
	Gateway string `json:"gateway"`
	MTU     *int64 `json:"mtu,omitempty"` // int32; Linux: required
	MAC     string `json:"mac"`
	ID      string `json:"id,omitempty"`
}

// IDResponse is the 200 answer of POST /v3/sources and POST /v3/tasks.
type IDResponse struct {
	ID string `json:"id"`
}

// SourceServer is an entry of GET /v3/sources and the answer of GET /v3/sources/{id}.
// Only these fields are typed; `source show` prints the answer as received.
type SourceServer struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	IP        string `json:"ip,omitempty"`
	OSType    string `json:"os_type,omitempty"`
	OSVersion string `json:"os_version,omitempty"`
	State     string `json:"state,omitempty"`
	Connected *bool  `json:"connected,omitempty"`
	Checks    []struct {
		Name      string `json:"name"`
		Result    string `json:"result"`
		ErrorCode string `json:"error_code,omitempty"`
	} `json:"checks,omitempty"`
}

// ListSourcesResponse is the answer of GET /v3/sources.
type ListSourcesResponse struct {
	Count         int            `json:"count"`
	SourceServers []SourceServer `json:"source_servers"`
}

// Task is an entry of GET /v3/tasks and the answer of GET /v3/tasks/{id}.
type Task struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Type         string `json:"type,omitempty"`
	State        string `json:"state,omitempty"`
	SourceServer *struct {
		ID   string `json:"id"`
		Name string `json:"name,omitempty"`
	} `json:"source_server,omitempty"`
}

// ListTasksResponse is the answer of GET /v3/tasks.
type ListTasksResponse struct {
	Count int    `json:"count"`
	Tasks []Task `json:"tasks"`
}

func ptr[T any](v T) *T { return &v }

// DiskInfo is the body of PUT /v3/sources/{id}/diskinfo: the source's disk layout,
// replacing the one registered. Note "volumegroups" without the underscore the
// registration body has. SMS honours it only while the source is "waiting".
type DiskInfo struct {
	Disks        []ServerDisk      `json:"disks"`
	VolumeGroups []VolumeGroups    `json:"volumegroups"`
	BtrfsList    []BtrfsFileSystem `json:"btrfs_list"`
}

// DiskInfoOf is the disk layout of a registration body.
func DiskInfoOf(b *PostSourceServerBody) *DiskInfo {
	return &DiskInfo{Disks: b.Disks, VolumeGroups: b.VolumeGroups, BtrfsList: b.BtrfsList}
}

// SourceWaiting is the state in which a source takes new disk info and a new task.
const SourceWaiting = "waiting"
