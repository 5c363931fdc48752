package sms

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/internal/capturetest"
)

// replayHost discovers a captured host of testdata/hosts.
func replayHost(t *testing.T, name string) *inventory.Inventory {
	t.Helper()
	c := capturetest.Open(t, "../../testdata/hosts/"+name+".tar.gz")
	inv, err := inventory.Discover(context.Background(), c.Host(time.Now), inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// TestBuildTargetServerActiveLVM maps the real VM with active LVs of every kind (see
// agent/inventory/vm_lvm_test.go): both VGs are sent, smsvg1 although its PV is a LUKS
// mapping (/dev/mapper/smsluks, on /dev/vdc1), with the data LVs only; excluding the
// disk under the LUKS mapping leaves smsvg1 out.
func TestBuildTargetServerActiveLVM(t *testing.T) {
	inv := replayHost(t, "vm-lvm-active")
	ts, _, err := BuildTargetServer(inv, TargetOptions{Name: "t"})
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
	want := map[string]string{"smsvg0": "cached,mir,offline,r1,root,span,thin1,thin2", "smsvg1": "data"}
	for vg, w := range want {
		if got := strings.Join(lvs[vg], ","); got != w {
			t.Errorf("%s LVs %s; want %s", vg, got, w)
		}
	}
	if len(ts.VolumeGroups) != 2 {
		t.Errorf("%d VGs sent; want 2", len(ts.VolumeGroups))
	}

	ts, _, err = BuildTargetServer(inv, TargetOptions{Name: "t", Exclude: []string{"/dev/vdc"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts.VolumeGroups) != 1 || ts.VolumeGroups[0].Name != "smsvg0" {
		t.Errorf("excluding vdc: VGs %+v; want smsvg0 only", ts.VolumeGroups)
	}
	// smsvg0 spans vda and vdb: excluding one of them is refused.
	if _, _, err := BuildTargetServer(inv, TargetOptions{Name: "t", Exclude: []string{"vdb"}}); err == nil ||
		!strings.Contains(err.Error(), "volume group smsvg0 lies on migrated (/dev/vda) and excluded (/dev/vdb)") {
		t.Errorf("excluding vdb: %v", err)
	}
}
