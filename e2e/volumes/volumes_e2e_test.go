//go:build e2e && linux

// Run with: go test -tags e2e ./e2e/volumes/ (as root, with lvm2 and btrfs-progs).
package volumes

import (
	"context"
	"path"
	"testing"
	"time"

	"github.com/sms-agent/sms-agent/collectors/btrfs"
	"github.com/sms-agent/sms-agent/collectors/lvm"
	"github.com/sms-agent/sms-agent/platform"
)

func runner() platform.Runner {
	return platform.ExecRunner{Env: []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}}
}

func TestLVMOnLoops(t *testing.T) {
	Require(t, "lvm", "losetup", "sfdisk", "partx")
	a := MakeLoop(t, 128<<20)
	bp1 := Partition(t, MakeLoop(t, 256<<20))
	vg := UniqueName("smsatest_")
	devs := []string{a, bp1}
	MakeVG(t, vg, devs...)
	MakeLV(t, devs, "-n", "root", "-L", "40m", vg)
	MakeLV(t, devs, "-n", "data-1", "-i", "2", "-L", "32m", vg)

	rep, res, err := lvm.Read(context.Background(), runner(), 30*time.Second)
	if err != nil {
		t.Fatalf("%v\nstderr: %s", err, res.Stderr)
	}
	lvs := rep.LVsOf(vg)
	if len(lvs) != 2 {
		t.Fatalf("LVs of %s: %+v", vg, lvs)
	}
	for _, lv := range lvs {
		if !lv.DataLV || lv.DMName != lvm.DMName(vg, lv.Name) {
			t.Errorf("%+v", lv)
		}
	}
	if lvs[0].Name == "data-1" && (lvs[0].Kind != lvm.KindStriped || lvs[0].Size != 32<<20) {
		t.Errorf("data-1 = %+v", lvs[0])
	}
}

func TestBtrfsOnLoops(t *testing.T) {
	Require(t, "btrfs", "mkfs.btrfs", "losetup", "blkid")
	d1, d2 := MakeLoop(t, 512<<20), MakeLoop(t, 512<<20)
	uuid := MkfsBtrfs(t, UniqueName("smsatest_"), []string{"-d", "raid1", "-m", "raid1"}, d1, d2)
	mnt := Mount(t, d1, "")
	Subvolume(t, mnt, "vol")
	Run(t, "btrfs", "-q", "subvolume", "snapshot", "-r", path.Join(mnt, "vol"), path.Join(mnt, "vol-snap"))

	all, err := btrfs.ReadSysfs(platform.NewFS("/"))
	if err != nil {
		t.Logf("ReadSysfs: %v", err)
	}
	var fs *btrfs.SysFS
	for i := range all {
		if all[i].UUID == uuid {
			fs = &all[i]
		}
	}
	if fs == nil || len(fs.Devices) != 2 || fs.Data.ProfileNames() != "raid1" {
		t.Fatalf("sysfs for %s: %+v", uuid, fs)
	}
	m, err := btrfs.ReadMounted(context.Background(), runner(), platform.LiveBtrfsSearch{}, mnt, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Subvolumes) != 2 || !m.Subvolumes[1].IsSnapshot || m.Subvolumes[1].ParentUUID != m.Subvolumes[0].UUID {
		t.Errorf("subvolumes %+v", m.Subvolumes)
	}
	if m.Default == nil || !m.Default.TopLevel || m.Default.ID != 5 {
		t.Errorf("default %+v", m.Default)
	}
}
