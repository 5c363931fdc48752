package daemon

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestDiff(t *testing.T) {
	old := &Layout{
		Disks: []LayoutDisk{
			{Name: "/dev/sda", Size: 40 << 30, Partitions: []LayoutPart{{Name: "/dev/sda1", Size: 1 << 30, FileSystem: "ext4", MountPoint: "/boot"}, {Name: "/dev/sda2", Size: 39 << 30, FileSystem: "LVM2_member"}}},
			{Name: "/dev/sdb", Size: 10 << 30},
		},
		VolumeGroups: []LayoutVG{{Name: "vg0", Size: 39 << 30, PVs: "/dev/sda2", LVs: []LayoutPart{
			{Name: "root", Size: 20 << 30, FileSystem: "xfs", MountPoint: "/"}, {Name: "var", Size: 10 << 30, FileSystem: "xfs", MountPoint: "/var"}, {Name: "old", Size: 1 << 30}}}},
		Btrfs: []LayoutBtrfs{{UUID: "u1", Devices: "/dev/sdb", Subvolumes: []string{"@"}}},
	}
	new := &Layout{
		Disks: []LayoutDisk{
			{Name: "/dev/sda", Size: 40 << 30, Partitions: []LayoutPart{{Name: "/dev/sda1", Size: 1 << 30, FileSystem: "ext4", MountPoint: "/boot"}, {Name: "/dev/sda2", Size: 39 << 30, FileSystem: "LVM2_member"}}},
			{Name: "/dev/sdc", Size: 100 << 30, Partitions: []LayoutPart{{Name: "/dev/sdc1", Size: 100 << 30, FileSystem: "LVM2_member"}}},
		},
		VolumeGroups: []LayoutVG{{Name: "vg0", Size: 139 << 30, PVs: "/dev/sda2,/dev/sdc1", LVs: []LayoutPart{
			{Name: "root", Size: 20 << 30, FileSystem: "xfs", MountPoint: "/"}, {Name: "var", Size: 22 << 30, FileSystem: "xfs", MountPoint: "/var"}, {Name: "data", Size: 1536 << 20, FileSystem: "ext4", MountPoint: "/data"}}}},
	}
	got := strings.Join(Diff(old, new), "\n")
	want := strings.Join([]string{
		"disk /dev/sdc added (100 GiB)",
		"disk /dev/sdb removed",
		"volume group vg0 grew 100 GiB",
		"volume group vg0: physical volumes now /dev/sda2,/dev/sdc1 (were /dev/sda2)",
		"/var grew 12 GiB",
		"logical volume vg0/data added (1.5 GiB)",
		"logical volume vg0/old removed",
		"btrfs u1 removed",
	}, "\n")
	if got != want {
		t.Errorf("Diff:\n%s\nwant:\n%s", got, want)
	}
	if d := Diff(old, old); len(d) != 0 || old.Digest() == new.Digest() {
		t.Errorf("no change: %v; digests equal: %v", d, old.Digest() == new.Digest())
	}
	moved := &Layout{Disks: []LayoutDisk{{Name: "/dev/sda", Size: 40 << 30, Partitions: []LayoutPart{{Name: "/dev/sda1", Size: 1 << 30, FileSystem: "xfs", MountPoint: "/srv"}}}}}
	base := &Layout{Disks: []LayoutDisk{{Name: "/dev/sda", Size: 40 << 30, Partitions: []LayoutPart{{Name: "/dev/sda1", Size: 1 << 30, FileSystem: "ext4", MountPoint: "/boot"}}}}}
	if got := strings.Join(Diff(base, moved), "|"); got != "/srv: filesystem now xfs (was ext4)|partition /dev/sda1: mount point now /srv (was /boot)" {
		t.Errorf("moved: %s", got)
	}
}

func TestParseSettings(t *testing.T) {
	s, errs := ParseSettings(map[string]string{}, "/var/lib/sms-agent")
	if len(errs) != 0 || s.Interval != time.Hour || !s.Register || s.CreateTask || s.LogLevel != zerolog.InfoLevel ||
		s.LogFormat != "auto" || s.StateDir != "/var/lib/sms-agent" || s.BackoffMin != 30*time.Second || s.BackoffMax != 15*time.Minute {
		t.Errorf("defaults %+v %v", s, errs)
	}
	abs := t.TempDir() // absolute on this OS
	s, errs = ParseSettings(map[string]string{"interval": "5m", "create_task": "true", "log_level": "debug", "log_format": "json", "state_dir": abs + string(filepath.Separator)}, "/d")
	if len(errs) != 0 || s.Interval != 5*time.Minute || !s.CreateTask || s.LogLevel != zerolog.DebugLevel || s.StateDir != abs || s.LogFormat != "json" {
		t.Errorf("set %+v %v", s, errs)
	}
	_, errs = ParseSettings(map[string]string{"interval": "10ms", "register": "maybe", "create_task": "yes", "log_level": "trace",
		"log_format": "xml", "state_dir": "rel", "backoff_min": "1h", "backoff_max": "5m"}, "/d")
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		"backoff_max: shorter than backoff_min", "create_task: want true or false", "interval: at least 1s",
		"log_format: want auto, json or console", "log_level: want debug, info, warn or error",
		"register: want true or false", "state_dir: want an absolute path",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	_, errs = ParseSettings(map[string]string{"register": "false", "create_task": "true"}, "/d")
	if len(errs) != 1 || errs[0].Key != "create_task" {
		t.Errorf("create_task without register: %v", errs)
	}
}
