package sms

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/collectors/hostfacts"
)

// seedInventory is the host of the seed's example: /dev/vda with one ext4 root partition.
func seedInventory() *inventory.Inventory {
	return &inventory.Inventory{
		SchemaVersion: 1,
		Host: inventory.Host{Hostname: "web-1", OSType: "LINUX", OS: inventory.OSRelease{ID: "ubuntu", VersionID: "22.04", PrettyName: "Ubuntu 22.04.4 LTS"},
			KernelVersion: "5.15.0-105-generic", Arch: "x86_64", Firmware: "UEFI", CPUQuantity: 4, MemoryBytes: 8 << 30},
		Disks: []inventory.Disk{{
			Name: "/dev/vda", KName: "vda", Size: 42949672960, UsedSize: 429496, DeviceUse: "BOOT", PartitionStyle: "MBR", OSDisk: true,
			PhysicalVolumes: []inventory.Partition{{
				Name: "/dev/vda1", KName: "vda1", Index: 0, Number: 1, Size: 42947575808, UsedSize: 5346484224, DeviceUse: "OS",
				MountPoint: "/", Identity: inventory.Identity{FileSystem: "ext4"}, InodeSize: 2621440, InodeNums: 2621440,
				Usage: &inventory.Usage{UsedSize: 5346484224, InodeNums: 2621440},
			}},
		}},
		Mounts: []inventory.Mount{{MountPoint: "/", Kind: "block"}, {MountPoint: "/mnt/nfs", Kind: "network", FileSystem: "nfs4", Source: "nas:/export"}},
	}
}

// mustPlan builds the plan of inv or fails the test.
func mustPlan(t *testing.T, inv *inventory.Inventory, opt PlanOptions) *Plan {
	t.Helper()
	p, err := BuildPlan(inv, opt)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBuildTargetServerSeedExample(t *testing.T) {
	p := mustPlan(t, seedInventory(), PlanOptions{})
	ts, err := BuildTargetServer(p, TargetOptions{
		Name: "Auto-tar-name", VMID: "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxx0001",
		DiskIDs: map[string]string{"/dev/vda": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxx0001"},
	})
	if err != nil || len(p.Warnings) != 0 {
		t.Fatalf("err %v, warnings %v", err, p.Warnings)
	}
	got, _ := json.Marshal(ts)
	// The seed's target_server, with "uuid": null left out (unknown), the inode count
	// added, and the disk's used_size the sum of what its partitions use (the seed's
	// 429496 is less than its one partition's used size).
	want := `{"btrfs_list":[],"disks":[{"device_use":"BOOT","disk_id":"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxx0001","name":"/dev/vda","physical_volumes":[{"device_use":"OS","file_system":"ext4","index":0,"mount_point":"/","name":"/dev/vda1","size":42947575808,"inode_size":2621440,"used_size":5346484224}],"size":42949672960,"used_size":5346484224}],"name":"Auto-tar-name","vm_id":"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxx0001","volume_groups":[]}`
	if string(got) != want {
		t.Errorf("target_server:\n got %s\nwant %s", got, want)
	}
}

func lvmInventory() *inventory.Inventory {
	inv := seedInventory()
	inv.Disks = append(inv.Disks,
		inventory.Disk{Name: "/dev/vdb", KName: "vdb", Size: 10 << 30, DeviceUse: "VOLUME_GROUP", PartitionStyle: "GPT",
			PhysicalVolumes: []inventory.Partition{{Name: "/dev/vdb1", KName: "vdb1", Index: 0, Number: 1, Size: 10<<30 - 1<<20, DeviceUse: "VOLUME_GROUP",
				Identity: inventory.Identity{FileSystem: "LVM2_member", UUID: "pv-uuid"}}}},
		inventory.Disk{Name: "/dev/vdc", KName: "vdc", Size: 20 << 30, DeviceUse: "NORMAL",
			Identity: &inventory.Identity{FileSystem: "xfs", UUID: "c0ffee"}, MountPoint: "/srv",
			Usage: &inventory.Usage{UsedSize: 1 << 30, InodeNums: 1000}},
		inventory.Disk{Name: "/dev/vdd", KName: "vdd", Size: 5 << 30, DeviceUse: "BTRFS",
			Identity: &inventory.Identity{FileSystem: "btrfs", UUID: "b7"}},
	)
	inv.VolumeGroups = []inventory.VolumeGroup{{
		Name: "vg0", Size: 10<<30 - 4<<20, FreeSize: 2 << 30, Components: []string{"/dev/vdb1"},
		LogicalVolumes: []inventory.LogicalVolume{
			{Name: "data", Path: "/dev/vg0/data", Size: 6 << 30, Migrate: true, MountPoint: "/data", Identity: inventory.Identity{FileSystem: "xfs"},
				Usage: &inventory.Usage{UsedSize: 1 << 30, FreeSize: 5 << 30, InodeNums: 3145728, BlockSize: 4096, BlockCount: 1572864}},
			{Name: "scratch", Path: "/dev/vg0/scratch", Size: 1 << 30, Migrate: true, Identity: inventory.Identity{FileSystem: "ext4"}},
			{Name: "snap", Path: "/dev/vg0/snap", Size: 1 << 30, Snapshot: true, Kind: "snapshot"},
			{Name: "pool_tmeta", Size: 4 << 20, Hidden: true, Kind: "component"},
		},
	}}
	inv.BtrfsList = []inventory.BtrfsFileSystem{{Name: "/dev/vdd", UUID: "b7", Devices: []string{"/dev/vdd"}, Mounted: true, MountPoint: "/home",
		Size: 1 << 30, GVolUsedSize: 2 << 30, NodeSize: 16384, SectorSize: 4096, DataProfile: "single", MetadataProfile: "dup", SystemProfile: "dup",
		GlobalReserve1: "3670016", DefaultSubvolID: "5", DefaultSubvolName: "<FS_TREE>", DefaultSubvolMountPath: "/home",
		Subvolume: []inventory.BtrfsSubvolume{{SubvolID: "256", ParentID: "5", SubvolName: "@home", SubvolMountPath: "/home"},
			{SubvolID: "257", ParentID: "5", SubvolName: "@home-snap", IsSnapshot: true}}}}
	return inv
}

func TestBuildTargetServerLayout(t *testing.T) {
	p := mustPlan(t, lvmInventory(), PlanOptions{})
	ts, err := BuildTargetServer(p, TargetOptions{Name: "t", DiskIDs: map[string]string{"vdb": "evs-b"}})
	warns := p.Warnings
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidatePostTask(&PostTask{Name: "n", Type: TypeFile, OSType: OSLinux, SourceServer: SourceServerByTask{ID: "s"}, TargetServer: ts}); err != nil {
		t.Fatalf("mapped layout does not validate: %v", err)
	}
	if len(ts.Disks) != 4 {
		t.Fatalf("got %d disks; want 4", len(ts.Disks))
	}
	want := []TargetDisks{
		{Name: "/dev/vdb", DiskID: "evs-b", DeviceUse: "NORMAL", Size: 10 << 30, PhysicalVolumes: []PhysicalVolumes{
			{Name: "/dev/vdb1", Index: ptr(int64(0)), Size: ptr(int64(10<<30 - 1<<20)), DeviceUse: "NORMAL", FileSystem: "LVM2_member", UUID: "pv-uuid"}}},
		{Name: "/dev/vdc", DeviceUse: "NORMAL", Size: 20 << 30, PhysicalVolumes: []PhysicalVolumes{
			{Name: "/dev/vdc", Index: ptr(int64(0)), Size: ptr(int64(20 << 30)), DeviceUse: "NORMAL", FileSystem: "xfs", UUID: "c0ffee", MountPoint: "/srv", UsedSize: ptr(int64(1 << 30)), InodeSize: ptr(int64(1000))}}},
	}
	if d := cmp.Diff(want, ts.Disks[1:3]); d != "" {
		t.Errorf("disks (-want +got):\n%s", d)
	}
	// On the target the VG holds data and scratch only: the snapshot's space is free.
	wantVG := []VolumeGroups{{Name: "vg0", Components: "/dev/vdb1", Size: ptr(int64(10<<30 - 4<<20)), FreeSize: ptr(int64(3<<30 - 4<<20)), LogicalVolumes: []LogicalVolumes{
		{Name: "data", FileSystem: "xfs", MountPoint: "/data", DeviceUse: "NORMAL", Size: 6 << 30, UsedSize: 1 << 30, FreeSize: 5 << 30, InodeSize: 3145728,
			InodeNums: ptr(int64(3145728)), BlockSize: ptr(int64(4096)), BlockCount: ptr(int64(1572864))},
		{Name: "scratch", FileSystem: "ext4", Size: 1 << 30},
	}}}
	if d := cmp.Diff(wantVG, ts.VolumeGroups); d != "" {
		t.Errorf("volume groups (-want +got):\n%s", d)
	}
	wantBtrfs := []BtrfsFileSystem{{Name: "/dev/vdd", UUID: "b7", Device: "/dev/vdd",
		Size: 1 << 30, GVolUsedSize: 2 << 30, Nodesize: 16384, Sectorsize: 4096, DataProfile: "single", MetadataProfile: "dup", SystemProfile: "dup",
		GlobalReserve1: "3670016", DefaultSubvolID: "5", DefaultSubvolName: "<FS_TREE>", DefaultSubvolMountpath: "/home",
		Subvolumn: []BtrfsSubvolumn{
			{UUID: "b7", IsSnapshot: "false", SubvolID: "256", ParentID: "5", SubvolName: "@home", SubvolMountPath: "/home"},
			{UUID: "b7", IsSnapshot: "true", SubvolID: "257", ParentID: "5", SubvolName: "@home-snap"}}}}
	if d := cmp.Diff(wantBtrfs, ts.BtrfsList); d != "" {
		t.Errorf("btrfs (-want +got):\n%s", d)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "vg0/scratch is not mounted") {
		t.Errorf("warnings = %q", warns)
	}
}

func TestBuildTargetServerExclude(t *testing.T) {
	ts, err := BuildTargetServer(mustPlan(t, lvmInventory(), PlanOptions{Exclude: []string{"/dev/vdb", "vdd"}}), TargetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range ts.Disks {
		names = append(names, d.Name)
	}
	if strings.Join(names, ",") != "/dev/vda,/dev/vdc" || len(ts.VolumeGroups) != 0 || len(ts.BtrfsList) != 0 {
		t.Errorf("disks %v, %d VGs, %d btrfs; want vda,vdc and none", names, len(ts.VolumeGroups), len(ts.BtrfsList))
	}

	inv := lvmInventory()
	inv.VolumeGroups[0].Components = []string{"/dev/vdb1", "/dev/vdc"}
	_, err = BuildPlan(inv, PlanOptions{Exclude: []string{"vdc"}})
	if err == nil || err.Error() != "volume group vg0 lies on migrated (/dev/vdb1) and excluded (/dev/vdc) devices: migrate all of them or none" {
		t.Errorf("split VG: err %v", err)
	}
	if _, err := BuildPlan(inv, PlanOptions{Exclude: []string{"sdz"}}); err == nil || err.Error() != "--exclude sdz: no disk, partition or logical volume of that name in the inventory" {
		t.Errorf("unknown exclude: err %v", err)
	}
	if _, err := BuildTargetServer(mustPlan(t, inv, PlanOptions{}), TargetOptions{DiskIDs: map[string]string{"/dev/sdz": "x"}}); err == nil || err.Error() != "disk id for /dev/sdz: no migrated disk of that name" {
		t.Errorf("unknown disk id: err %v", err)
	}
	// A stray key is refused even when its id is also given to a real disk.
	if _, err := BuildTargetServer(mustPlan(t, inv, PlanOptions{}), TargetOptions{DiskIDs: map[string]string{"/dev/vdb": "evs-a", "/dev/sdz": "evs-a"}}); err == nil || err.Error() != "disk id for /dev/sdz: no migrated disk of that name" {
		t.Errorf("stray disk id sharing a real disk's id: err %v", err)
	}
}

func TestBuildSourceBody(t *testing.T) {
	facts := HostFacts{
		Networks: []hostfacts.Network{{Name: "eth0", IP: "192.168.0.10", Netmask: "255.255.255.0", Gateway: "192.168.0.1", MAC: "fa:16:3e:00:00:01", MTU: ptr(int64(1500))}},
		HasRsync: ptr(true), HasTc: ptr(true), Paravirtualization: ptr(true), BootLoader: "GRUB", RawDevices: ptr(""),
	}
	b, warns := BuildSourceBody(mustPlan(t, seedInventory(), PlanOptions{}), facts, SourceOptions{AgentVersion: "1.2.3"})
	if len(warns) != 0 {
		t.Fatalf("warnings %v", warns)
	}
	if err := ValidateSourceBody(b); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(b)
	want := `{"name":"web-1","ip":"192.168.0.10","hostname":"web-1","os_type":"LINUX","os_version":"UBUNTU_22_04_64BIT","firmware":"UEFI","cpu_quantity":4,"memory":8192,` +
		`"disks":[{"name":"/dev/vda","partition_style":"MBR","device_use":"BOOT","size":42949672960,"used_size":429496,"physical_volumes":[{"device_use":"OS","file_system":"ext4","index":0,"mount_point":"/","name":"/dev/vda1","size":42947575808,"used_size":5346484224,"inode_size":2621440,"inode_nums":2621440}],"os_disk":true}],` +
		`"volume_groups":[],"btrfs_list":[],"networks":[{"name":"eth0","ip":"192.168.0.10","netmask":"255.255.255.0","gateway":"192.168.0.1","mtu":1500,"mac":"fa:16:3e:00:00:01"}],` +
		`"agent_version":"1.2.3","kernel_version":"5.15.0-105-generic","has_rsync":true,"has_tc":true,"paravirtualization":true,"raw_devices":"","boot_loader":"GRUB"}`
	if string(got) != want {
		t.Errorf("body:\n got %s\nwant %s", got, want)
	}

	inv := seedInventory()
	inv.Host.OS = inventory.OSRelease{ID: "arch", PrettyName: "Arch Linux"}
	b, warns = BuildSourceBody(mustPlan(t, inv, PlanOptions{}), HostFacts{}, SourceOptions{Name: "src"})
	if b.OSVersion != "ARCH_64BIT" || len(warns) != 1 || warns[0] != `os_version: SMS does not list "Arch Linux"; sending ARCH_64BIT, SMS may refuse the source` {
		t.Errorf("unknown OS: %s %q", b.OSVersion, warns)
	}
	if b.Networks == nil || b.HasRsync != nil {
		t.Errorf("unknown facts must be omitted, networks []: %+v", b)
	}
}
