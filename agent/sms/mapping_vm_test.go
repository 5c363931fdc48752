package sms

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/platform"
)

// replayHost discovers a captured host of testdata/hosts.
func replayHost(t *testing.T, name string) *inventory.Inventory {
	t.Helper()
	c, err := platform.OpenCapture("../../testdata/hosts/"+name+".tar.gz", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	inv, err := inventory.Discover(context.Background(), c.Host(time.Now), inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// TestBuildTargetServerActiveLVM maps the real VM with active LVs of every kind (see
// agent/inventory/vm_lvm_test.go): smsvg0 is sent with its data LVs only; smsvg1, whose
// PV is a LUKS mapping (/dev/mapper/smsluks, on /dev/vdc1), is left out and named
// (SMS does not migrate encrypted volumes), with the filesystem mounted from it.
func TestBuildTargetServerActiveLVM(t *testing.T) {
	inv := replayHost(t, "vm-lvm-active")
	p := mustPlan(t, inv, PlanOptions{})
	ts, err := BuildTargetServer(p, TargetOptions{Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidatePostTask(&PostTask{Name: "n", Type: TypeFile, OSType: OSLinux, SourceServer: SourceServerByTask{ID: "s"}, TargetServer: ts}); err != nil {
		t.Fatalf("mapped layout does not validate: %v", err)
	}
	lvs := map[string][]string{}
	for _, vg := range ts.VolumeGroups {
		for _, lv := range vg.LogicalVolumes {
			lvs[vg.Name] = append(lvs[vg.Name], lv.Name)
		}
		slices.Sort(lvs[vg.Name])
	}
	// No snapshot (rootsnap, thin1snap), no pool, no hidden sub-LV; offline and thin2
	// are data LVs that are not mounted.
	if got, want := strings.Join(lvs["smsvg0"], ","), "cached,mir,offline,r1,root,span,thin1,thin2"; got != want {
		t.Errorf("smsvg0 LVs %s; want %s", got, want)
	}
	if len(ts.VolumeGroups) != 1 {
		t.Errorf("%d VGs sent; want smsvg0 only", len(ts.VolumeGroups))
	}
	var luks *LeftOut
	for i, l := range p.Left {
		if l.What == "volume group smsvg1" {
			luks = &p.Left[i]
		}
	}
	if luks == nil || luks.Kind != LeftEncrypted || !luks.Unsupported || !slices.Equal(luks.MountPoints, []string{"/mnt/secure"}) ||
		luks.Reason != "its physical volume /dev/dm-23 is an encrypted (LUKS) device on /dev/vdc: SMS does not migrate encrypted volumes" {
		t.Errorf("smsvg1 left out as %+v", luks)
	}

	ts, err = BuildTargetServer(mustPlan(t, inv, PlanOptions{Exclude: []string{"/dev/vdc"}}), TargetOptions{Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts.VolumeGroups) != 1 || ts.VolumeGroups[0].Name != "smsvg0" {
		t.Errorf("excluding vdc: VGs %+v; want smsvg0 only", ts.VolumeGroups)
	}
	// smsvg0 spans vda2 and vdb: excluding one of them is refused.
	if _, err := BuildPlan(inv, PlanOptions{Exclude: []string{"vdb"}}); err == nil ||
		!strings.Contains(err.Error(), "volume group smsvg0 lies on migrated (/dev/vda2) and excluded (/dev/vdb) devices") {
		t.Errorf("excluding vdb: %v", err)
	}
	// Excluding both leaves smsvg0 out, and / with it: refused.
	if _, err := BuildPlan(inv, PlanOptions{Exclude: []string{"vda", "vdb"}}); err == nil ||
		!strings.Contains(err.Error(), "--exclude vda: it holds /boot") {
		t.Errorf("excluding vda and vdb: %v", err)
	}
	if _, err := BuildPlan(inv, PlanOptions{Exclude: []string{"vdb", "/dev/vda2"}}); err == nil ||
		err.Error() != "--exclude: volume group smsvg0 would be left out, and with it /, without which the target cannot boot" {
		t.Errorf("excluding vdb and vda2: %v", err)
	}
}
