package sms

import (
	"errors"
	"strings"
	"testing"
)

// validTask is the seed's example body, plus one VG and one btrfs filesystem.
func validTask() *PostTask {
	return &PostTask{
		Name: "MigrationTask", Type: TypeFile, OSType: OSLinux,
		StartTargetServer: ptr(true), UsePublicIP: ptr(true), MigrationIP: "192.168.0.1",
		RegionName: "region_name", RegionID: "region_id", ProjectName: "project_name",
		ProjectID:    "xxxxxxxxxxxxxxxxxxxxxxxx00000001",
		SourceServer: SourceServerByTask{ID: "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxx0001"},
		TargetServer: TargetServerByTask{
			VMID: "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxx0001", Name: "Auto-tar-name",
			Disks: []TargetDisks{{
				Name: "/dev/vda", DiskID: "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxx0001",
				Size: 42949672960, UsedSize: 429496, DeviceUse: UseBoot,
				PhysicalVolumes: []PhysicalVolumes{{
					Index: ptr(int64(0)), Name: "/dev/vda1", DeviceUse: UseOS, FileSystem: "ext4",
					MountPoint: "/", Size: ptr(int64(42947575808)), UsedSize: ptr(int64(5346484224)),
				}},
			}, {
				Name: "/dev/vdb", Size: 10 << 30, UsedSize: 0,
				PhysicalVolumes: []PhysicalVolumes{{Index: ptr(int64(0)), Name: "/dev/vdb1"}},
			}},
			VolumeGroups: []VolumeGroups{{
				Name: "vg0", Components: "/dev/vdb1", Size: ptr(int64(10 << 30)), FreeSize: ptr(int64(1 << 30)),
				LogicalVolumes: []LogicalVolumes{{
					Name: "/dev/vg0/data", FileSystem: "xfs", MountPoint: "/data", Size: 8 << 30,
					UsedSize: 1 << 30, FreeSize: 7 << 30, InodeSize: 4194304, BlockSize: ptr(int64(4096)),
				}},
			}},
			BtrfsList: []BtrfsFileSystem{{
				Name: "/dev/vdc", UUID: "u", Device: "/dev/vdc", Sectorsize: 4096, Nodesize: 16384,
				Subvolumn: []BtrfsSubvolumn{{UUID: "u", IsSnapshot: "false", SubvolID: "256", ParentID: "5", SubvolName: "@home"}},
			}},
		},
	}
}

func TestValidatePostTask(t *testing.T) {
	if err := ValidatePostTask(validTask()); err != nil {
		t.Fatalf("valid task rejected: %v", err)
	}
	long := func(n int) string { return strings.Repeat("x", n) }
	cases := []struct {
		name   string
		mutate func(*PostTask)
		want   string // one violation, "path: message"
	}{
		{"name 256", func(t *PostTask) { t.Name = long(256) }, "name: 256 chars > 255"},
		{"name multibyte counts chars", func(t *PostTask) { t.Name = strings.Repeat("迁", 255) }, ""},
		{"type", func(t *PostTask) { t.Type = "MIGRATE_DISK" }, `type: "MIGRATE_DISK" is not one of MIGRATE_FILE, MIGRATE_BLOCK`},
		{"type empty", func(t *PostTask) { t.Type = "" }, "type: required, one of MIGRATE_FILE, MIGRATE_BLOCK"},
		{"os_type", func(t *PostTask) { t.OSType = "linux" }, `os_type: "linux" is not one of LINUX, WINDOWS`},
		{"source id", func(t *PostTask) { t.SourceServer.ID = "" }, "source_server.id: required, must not be empty"},
		{"migration_ip long", func(t *PostTask) { t.MigrationIP = long(256) }, "migration_ip: 256 chars > 255"},
		{"migration_ip bad", func(t *PostTask) { t.MigrationIP = "10.0.0" }, `migration_ip: "10.0.0" is not an IP address`},
		{"migration_ip v6 without use_ipv6", func(t *PostTask) { t.MigrationIP = "fd00::1" }, `migration_ip: "fd00::1" is not IPv4 (set use_ipv6 for IPv6)`},
		{"migration_ip v6", func(t *PostTask) { t.MigrationIP = "fd00::1"; t.UseIPv6 = ptr(true) }, ""},
		{"region_name", func(t *PostTask) { t.RegionName = long(300) }, "region_name: 300 chars > 255"},
		{"region_id", func(t *PostTask) { t.RegionID = long(256) }, "region_id: 256 chars > 255"},
		{"project_name", func(t *PostTask) { t.ProjectName = long(256) }, "project_name: 256 chars > 255"},
		{"project_id", func(t *PostTask) { t.ProjectID = long(256) }, "project_id: 256 chars > 255"},
		{"priority high", func(t *PostTask) { t.Priority = ptr(int64(65536)) }, "priority: 65536 > 65535"},
		{"priority negative", func(t *PostTask) { t.Priority = ptr(int64(-1)) }, "priority: -1 < 0"},
		{"priority max", func(t *PostTask) { t.Priority = ptr(int64(65535)) }, ""},
		{"vm_template_id", func(t *PostTask) { t.VMTemplateID = long(256) }, "vm_template_id: 256 chars > 255"},
		{"target name", func(t *PostTask) { t.TargetServer.Name = long(256) }, "target_server.name: 256 chars > 255"},
		{"vm_id", func(t *PostTask) { t.TargetServer.VMID = long(256) }, "target_server.vm_id: 256 chars > 255"},
		{"disks nil", func(t *PostTask) { t.TargetServer.Disks = nil }, "target_server.disks: required, must be an array (send [] when empty)"},
		{"disks 24", func(t *PostTask) {
			for len(t.TargetServer.Disks) < 24 {
				t.TargetServer.Disks = append(t.TargetServer.Disks, TargetDisks{Name: "d", PhysicalVolumes: []PhysicalVolumes{}})
			}
		}, "target_server.disks: 24 disks > 23 (SMS reserves one of the target's 24 slots)"},
		{"disk device_use", func(t *PostTask) { t.TargetServer.Disks[0].DeviceUse = "DATA" }, `target_server.disks[0].device_use: "DATA" is not one of BOOT, OS, NORMAL`},
		{"disk_id", func(t *PostTask) { t.TargetServer.Disks[1].DiskID = long(256) }, "target_server.disks[1].disk_id: 256 chars > 255"},
		{"disk name", func(t *PostTask) { t.TargetServer.Disks[1].Name = long(256) }, "target_server.disks[1].name: 256 chars > 255"},
		{"disk pvs nil", func(t *PostTask) { t.TargetServer.Disks[1].PhysicalVolumes = nil }, "target_server.disks[1].physical_volumes: required, must be an array (send [] when empty)"},
		{"disk size", func(t *PostTask) { t.TargetServer.Disks[1].Size = -1 }, "target_server.disks[1].size: -1 < 0"},
		{"disk used", func(t *PostTask) { t.TargetServer.Disks[1].UsedSize = -5 }, "target_server.disks[1].used_size: -5 < 0"},
		{"linux disk 17 TiB", func(t *PostTask) { t.TargetServer.Disks[1].Size = 17 << 40 }, "target_server.disks[1].size: 18691697672192 bytes > 16 TiB, the largest Linux target disk"},
		{"windows disk 17 TiB", func(t *PostTask) { t.OSType = OSWindows; t.TargetServer.Disks[1].Size = 17 << 40 }, ""},
		{"pv mount_point", func(t *PostTask) { t.TargetServer.Disks[1].PhysicalVolumes[0].MountPoint = "/" + long(299) }, "target_server.disks[1].physical_volumes[0].mount_point: 300 chars > 255"},
		{"pv device_use", func(t *PostTask) { t.TargetServer.Disks[1].PhysicalVolumes[0].DeviceUse = long(256) }, "target_server.disks[1].physical_volumes[0].device_use: 256 chars > 255"},
		{"pv file_system", func(t *PostTask) { t.TargetServer.Disks[1].PhysicalVolumes[0].FileSystem = long(256) }, "target_server.disks[1].physical_volumes[0].file_system: 256 chars > 255"},
		{"pv index", func(t *PostTask) { t.TargetServer.Disks[1].PhysicalVolumes[0].Index = ptr(int64(1 << 31)) }, "target_server.disks[1].physical_volumes[0].index: 2147483648 > 2147483647"},
		{"pv name", func(t *PostTask) { t.TargetServer.Disks[1].PhysicalVolumes[0].Name = long(256) }, "target_server.disks[1].physical_volumes[0].name: 256 chars > 255"},
		{"pv size", func(t *PostTask) { t.TargetServer.Disks[1].PhysicalVolumes[0].Size = ptr(int64(-1)) }, "target_server.disks[1].physical_volumes[0].size: -1 < 0"},
		{"pv inode_size", func(t *PostTask) { t.TargetServer.Disks[1].PhysicalVolumes[0].InodeSize = ptr(int64(-1)) }, "target_server.disks[1].physical_volumes[0].inode_size: -1 < 0"},
		{"pv used_size", func(t *PostTask) { t.TargetServer.Disks[1].PhysicalVolumes[0].UsedSize = ptr(int64(-1)) }, "target_server.disks[1].physical_volumes[0].used_size: -1 < 0"},
		{"pv uuid", func(t *PostTask) { t.TargetServer.Disks[1].PhysicalVolumes[0].UUID = long(256) }, "target_server.disks[1].physical_volumes[0].uuid: 256 chars > 255"},
		{"vg components", func(t *PostTask) { t.TargetServer.VolumeGroups[0].Components = long(256) }, "target_server.volume_groups[0].components: 256 chars > 255"},
		{"vg name", func(t *PostTask) { t.TargetServer.VolumeGroups[0].Name = long(256) }, "target_server.volume_groups[0].name: 256 chars > 255"},
		{"vg free", func(t *PostTask) { t.TargetServer.VolumeGroups[0].FreeSize = ptr(int64(-1)) }, "target_server.volume_groups[0].free_size: -1 < 0"},
		{"vg smaller than LVs", func(t *PostTask) { t.TargetServer.VolumeGroups[0].Size = ptr(int64(4 << 30)) }, "target_server.volume_groups[0].size: 4294967296 bytes < 8589934592, the sum of its logical volumes"},
		{"256 LVs", func(t *PostTask) {
			vg := &t.TargetServer.VolumeGroups[0]
			vg.Size = nil
			for len(vg.LogicalVolumes) < 256 {
				vg.LogicalVolumes = append(vg.LogicalVolumes, LogicalVolumes{Name: "lv"})
			}
		}, "target_server.volume_groups[0].logical_volumes: 256 items > 255"},
		{"lv block_size", func(t *PostTask) { t.TargetServer.VolumeGroups[0].LogicalVolumes[0].BlockSize = ptr(int64(1048577)) }, "target_server.volume_groups[0].logical_volumes[0].block_size: 1048577 > 1048576"},
		{"lv block_size max", func(t *PostTask) { t.TargetServer.VolumeGroups[0].LogicalVolumes[0].BlockSize = ptr(int64(1048576)) }, ""},
		{"lv block_count", func(t *PostTask) { t.TargetServer.VolumeGroups[0].LogicalVolumes[0].BlockCount = ptr(int64(1 << 31)) }, "target_server.volume_groups[0].logical_volumes[0].block_count: 2147483648 > 2147483647"},
		{"lv inode_size", func(t *PostTask) { t.TargetServer.VolumeGroups[0].LogicalVolumes[0].InodeSize = 1 << 31 }, "target_server.volume_groups[0].logical_volumes[0].inode_size: 2147483648 > 2147483647"},
		{"lv inode_nums", func(t *PostTask) { t.TargetServer.VolumeGroups[0].LogicalVolumes[0].InodeNums = ptr(int64(-1)) }, "target_server.volume_groups[0].logical_volumes[0].inode_nums: -1 < 0"},
		{"lv file_system", func(t *PostTask) { t.TargetServer.VolumeGroups[0].LogicalVolumes[0].FileSystem = long(256) }, "target_server.volume_groups[0].logical_volumes[0].file_system: 256 chars > 255"},
		{"lv device_use", func(t *PostTask) { t.TargetServer.VolumeGroups[0].LogicalVolumes[0].DeviceUse = long(256) }, "target_server.volume_groups[0].logical_volumes[0].device_use: 256 chars > 255"},
		{"lv mount_point 256 ok", func(t *PostTask) { t.TargetServer.VolumeGroups[0].LogicalVolumes[0].MountPoint = long(256) }, ""},
		{"lv mount_point 257", func(t *PostTask) { t.TargetServer.VolumeGroups[0].LogicalVolumes[0].MountPoint = long(257) }, "target_server.volume_groups[0].logical_volumes[0].mount_point: 257 chars > 256"},
		{"lv name 1024 ok", func(t *PostTask) { t.TargetServer.VolumeGroups[0].LogicalVolumes[0].Name = long(1024) }, ""},
		{"lv name 1025", func(t *PostTask) { t.TargetServer.VolumeGroups[0].LogicalVolumes[0].Name = long(1025) }, "target_server.volume_groups[0].logical_volumes[0].name: 1025 chars > 1024"},
		{"lv size", func(t *PostTask) { t.TargetServer.VolumeGroups[0].LogicalVolumes[0].Size = -1 }, "target_server.volume_groups[0].logical_volumes[0].size: -1 < 0"},
		{"lv used", func(t *PostTask) { t.TargetServer.VolumeGroups[0].LogicalVolumes[0].UsedSize = -1 }, "target_server.volume_groups[0].logical_volumes[0].used_size: -1 < 0"},
		{"lv free", func(t *PostTask) { t.TargetServer.VolumeGroups[0].LogicalVolumes[0].FreeSize = -1 }, "target_server.volume_groups[0].logical_volumes[0].free_size: -1 < 0"},
		{"btrfs label", func(t *PostTask) { t.TargetServer.BtrfsList[0].Label = long(256) }, "target_server.btrfs_list[0].label: 256 chars > 255"},
		{"btrfs mountpath", func(t *PostTask) { t.TargetServer.BtrfsList[0].DefaultSubvolMountpath = long(256) }, "target_server.btrfs_list[0].default_subvol_mountpath: 256 chars > 255"},
		{"btrfs sectorsize", func(t *PostTask) { t.TargetServer.BtrfsList[0].Sectorsize = 1 << 31 }, "target_server.btrfs_list[0].sectorsize: 2147483648 > 2147483647"},
		{"btrfs nodesize", func(t *PostTask) { t.TargetServer.BtrfsList[0].Nodesize = -1 }, "target_server.btrfs_list[0].nodesize: -1 < 0"},
		{"btrfs size", func(t *PostTask) { t.TargetServer.BtrfsList[0].Size = -1 }, "target_server.btrfs_list[0].size: -1 < 0"},
		{"btrfs g_vol_used_size", func(t *PostTask) { t.TargetServer.BtrfsList[0].GVolUsedSize = -1 }, "target_server.btrfs_list[0].g_vol_used_size: -1 < 0"},
		{"btrfs subvolumn nil", func(t *PostTask) { t.TargetServer.BtrfsList[0].Subvolumn = nil }, "target_server.btrfs_list[0].subvolumn: required, must be an array (send [] when empty)"},
		{"subvol name", func(t *PostTask) { t.TargetServer.BtrfsList[0].Subvolumn[0].SubvolName = long(256) }, "target_server.btrfs_list[0].subvolumn[0].subvol_name: 256 chars > 255"},
		{"subvol is_snapshot", func(t *PostTask) { t.TargetServer.BtrfsList[0].Subvolumn[0].IsSnapshot = long(256) }, "target_server.btrfs_list[0].subvolumn[0].is_snapshot: 256 chars > 255"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := validTask()
			tc.mutate(body)
			err := ValidatePostTask(body)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("got %v; want no error", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v; want a *ValidationError", err)
			}
			if len(ve.Violations) != 1 || ve.Violations[0].String() != tc.want {
				t.Fatalf("got %q; want exactly %q", ve.Violations, tc.want)
			}
		})
	}
}

func TestValidatePostTaskReportsAll(t *testing.T) {
	body := validTask()
	body.Name = strings.Repeat("n", 256)
	body.TargetServer.Disks[1].PhysicalVolumes[0].MountPoint = strings.Repeat("m", 300)
	err := ValidatePostTask(body)
	want := "PostTask is invalid (2 problem(s)): name: 256 chars > 255; target_server.disks[1].physical_volumes[0].mount_point: 300 chars > 255"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v; want %s", err, want)
	}
}

func validSource() *PostSourceServerBody {
	return &PostSourceServerBody{
		Name: "web-1", IP: "192.168.0.10", Hostname: "web-1", OSType: OSLinux, OSVersion: "UBUNTU_22_04_64BIT",
		Firmware: "UEFI", CPUQuantity: ptr(int64(4)), Memory: ptr(int64(8192)),
		Disks: []ServerDisk{{
			Name: "/dev/vda", PartitionStyle: "GPT", DeviceUse: UseBoot, Size: 1 << 30, UsedSize: 1 << 20,
			PhysicalVolumes: []PhysicalVolume{{Name: "/dev/vda1", DeviceUse: UseOS, Index: ptr(int64(0))}},
		}},
		VolumeGroups: []VolumeGroups{}, BtrfsList: []BtrfsFileSystem{},
		Networks:     []NetWork{{Name: "eth0", IP: "192.168.0.10", Netmask: "255.255.255.0", Gateway: "192.168.0.1", MAC: "fa:16:3e:00:00:01", MTU: ptr(int64(1500))}},
		AgentVersion: "1.0.0", BootLoader: "GRUB", RawDevices: ptr(""),
	}
}

func TestValidateSourceBody(t *testing.T) {
	if err := ValidateSourceBody(validSource()); err != nil {
		t.Fatalf("valid body rejected: %v", err)
	}
	cases := []struct {
		name   string
		mutate func(*PostSourceServerBody)
		want   string
	}{
		{"name empty", func(s *PostSourceServerBody) { s.Name = "" }, "name: required, must not be empty"},
		{"name 65", func(s *PostSourceServerBody) { s.Name = strings.Repeat("a", 65) }, "name: 65 chars > 64"},
		{"no ip", func(s *PostSourceServerBody) { s.IP = "" }, "ip: required (or ipv6): the source has no usable address"},
		{"ipv6 only", func(s *PostSourceServerBody) { s.IP = ""; s.IPv6 = "fd00::10" }, ""},
		{"ip v6 in ip", func(s *PostSourceServerBody) { s.IP = "fd00::10" }, `ip: "fd00::10" is not an IPv4 address`},
		{"os_type", func(s *PostSourceServerBody) { s.OSType = "" }, "os_type: required, one of LINUX, WINDOWS"},
		{"os_version", func(s *PostSourceServerBody) { s.OSVersion = "" }, "os_version: required, must not be empty"},
		{"firmware", func(s *PostSourceServerBody) { s.Firmware = "EFI" }, `firmware: "EFI" is not one of BIOS, UEFI`},
		{"51 disks", func(s *PostSourceServerBody) {
			for len(s.Disks) < 51 {
				s.Disks = append(s.Disks, ServerDisk{Name: "d", DeviceUse: UseNormal, PhysicalVolumes: []PhysicalVolume{}})
			}
		}, "disks: 51 items > 50"},
		{"linux vgs nil", func(s *PostSourceServerBody) { s.VolumeGroups = nil }, "volume_groups: required, must be an array (send [] when empty)"},
		{"linux btrfs nil", func(s *PostSourceServerBody) { s.BtrfsList = nil }, "btrfs_list: required, must be an array (send [] when empty)"},
		{"windows vgs nil", func(s *PostSourceServerBody) { s.OSType = OSWindows; s.VolumeGroups = nil; s.BtrfsList = nil }, ""},
		{"no networks", func(s *PostSourceServerBody) { s.Networks = nil }, "networks: required: at least one interface with a MAC address"},
		{"first mac", func(s *PostSourceServerBody) { s.Networks[0].MAC = "" }, "networks[0].mac: required, must not be empty"},
		{"mtu", func(s *PostSourceServerBody) { s.Networks[0].MTU = ptr(int64(-1)) }, "networks[0].mtu: -1 < 0"},
		{"agent_version", func(s *PostSourceServerBody) { s.AgentVersion = "" }, "agent_version: required, must not be empty"},
		{"boot_loader", func(s *PostSourceServerBody) { s.BootLoader = "SYSLINUX" }, `boot_loader: "SYSLINUX" is not one of GRUB, LILO`},
		{"platform", func(s *PostSourceServerBody) { s.Platform = "openstack" }, `platform: "openstack" is not one of hw, ali, aws, azure, gcp, tencent, vmware, hyperv, other, default`},
		{"disk device_use", func(s *PostSourceServerBody) { s.Disks[0].DeviceUse = "" }, "disks[0].device_use: required, one of NORMAL, OS, BOOT, VOLUME_GROUP, BTRFS"},
		{"disk partition_style", func(s *PostSourceServerBody) { s.Disks[0].PartitionStyle = "APM" }, `disks[0].partition_style: "APM" is not one of MBR, GPT`},
		{"pv device_use", func(s *PostSourceServerBody) { s.Disks[0].PhysicalVolumes[0].DeviceUse = "SWAP" }, `disks[0].physical_volumes[0].device_use: "SWAP" is not one of NORMAL, OS, BOOT, VOLUME_GROUP, BTRFS`},
		{"pv inode_size int32", func(s *PostSourceServerBody) { s.Disks[0].PhysicalVolumes[0].InodeSize = ptr(int64(1 << 31)) }, "disks[0].physical_volumes[0].inode_size: 2147483648 > 2147483647"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := validSource()
			tc.mutate(body)
			err := ValidateSourceBody(body)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("got %v; want no error", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Violations) != 1 || ve.Violations[0].String() != tc.want {
				t.Fatalf("got %v; want exactly %q", err, tc.want)
			}
		})
	}
}
