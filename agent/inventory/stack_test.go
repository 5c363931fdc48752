package inventory

import (
	"slices"
	"testing"

	"github.com/sms-agent/sms-agent/collectors/blockdev"
)

// TestDeviceStackDisksOf: what each device lies on, through every kind of layer.
func TestDeviceStackDisksOf(t *testing.T) {
	devs := []blockdev.Device{
		{KName: "sda", Partitions: []blockdev.Partition{{KName: "sda1"}, {KName: "sda2"}}},
		{KName: "sdb", Partitions: []blockdev.Partition{{KName: "sdb1"}}},
		{KName: "sdc"}, {KName: "sdd"}, {KName: "sde"},
		{KName: "dm-0", Slaves: []string{"sda2"}},        // LUKS on a partition
		{KName: "md0", Slaves: []string{"sda1", "sdb1"}}, // RAID1 over two partitions
		{KName: "dm-1", Slaves: []string{"dm-0"}},        // an LV on the LUKS PV
		{KName: "dm-2", Slaves: []string{"sdc"}},         // an LV on a whole-disk PV
		{KName: "dm-3", Slaves: []string{"dm-2"}},        // an LV of a VG nested in dm-2
		{KName: "dm-4", Slaves: []string{"sdc", "md0"}},  // an LV across two PVs
		{KName: "loop0"},
	}
	inv := &Inventory{
		BtrfsList: []BtrfsFileSystem{{Devices: []string{"/dev/sdd", "/dev/sde"}}},
		VolumeGroups: []VolumeGroup{
			{UUID: "vg0", LogicalVolumes: []LogicalVolume{{Device: "/dev/dm-2"}, {Device: "/dev/dm-4"}}},
			{UUID: "nest", LogicalVolumes: []LogicalVolume{{Device: "/dev/dm-3"}}},
		},
	}
	s := newDeviceStack(devs, inv, map[string][]string{"vg0": {"sdc", "md0"}, "nest": {"dm-2"}})
	for k, want := range map[string][]string{
		"sda":   {"sda"},
		"sda2":  {"sda"},
		"dm-0":  {"sda"},
		"md0":   {"sda", "sdb"},
		"dm-1":  {"sda"},
		"dm-2":  {"sdc", "sda", "sdb"}, // an active LV stands for its whole VG
		"dm-3":  {"sdc", "sda", "sdb"},
		"sdd":   {"sdd", "sde"}, // a btrfs member for all of them, whole disks included
		"sde":   {"sdd", "sde"},
		"loop0": {"loop0"},
	} {
		got := s.disksOf(k)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("disksOf(%s) = %v; want %v", k, got, want)
		}
	}
}
