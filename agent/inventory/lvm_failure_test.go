package inventory

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sms-agent/sms-agent/internal/capturetest"
	"github.com/sms-agent/sms-agent/platform"
)

// lvmFailing answers `lvm fullreport` with a failure and passes the rest on.
type lvmFailing struct {
	inner platform.Runner
	res   platform.Result
	err   error
}

func (r lvmFailing) Run(ctx context.Context, c platform.Command) (platform.Result, error) {
	if len(c.Argv) > 1 && c.Argv[0] == "lvm" && c.Argv[1] == "fullreport" {
		return r.res, r.err
	}
	return r.inner.Run(ctx, c)
}

// TestLVMFailures: lvm missing, stuck on a lock, or failing costs the volume groups and
// gives one warning naming the cause; the rest of the inventory (the loop-lvm capture:
// two disks, one a whole-disk PV, one with a PV partition) stands.
func TestLVMFailures(t *testing.T) {
	archive := hostsDir + "/loop-lvm.tar.gz"
	c := capturetest.Open(t, archive)
	for _, tc := range []struct {
		name string
		res  platform.Result
		err  error
		want string
	}{
		{"missing", platform.Result{ExitCode: -1}, fmt.Errorf("lvm: %w", platform.ErrToolUnavailable), "lvm is not installed"},
		{"lock", platform.Result{ExitCode: -1, Stderr: []byte("  Waiting for lock\n")}, fmt.Errorf("run lvm: %w", platform.ErrTimeout), "lvm did not answer in 10s (waiting for an LVM lock or a hung device?)"},
		{"fails", platform.Result{ExitCode: 5, Stderr: []byte("  Volume group \"vg0\" not found\n")},
			&platform.ExitError{Argv: []string{"lvm", "fullreport"}, Code: 5, Stderr: "  Volume group \"vg0\" not found\n"}, "exit status 5"},
	} {
		h := c.Host(time.Now)
		h.Run = lvmFailing{inner: h.Run, res: tc.res, err: tc.err}
		inv, err := Discover(context.Background(), h, Options{Devices: devicesFor(t, archive)})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(inv.VolumeGroups) != 0 {
			t.Errorf("%s: %d volume groups; want none", tc.name, len(inv.VolumeGroups))
		}
		found := false
		for _, w := range inv.Warnings {
			found = found || (w.Source == "lvm" && strings.Contains(w.Message, tc.want))
		}
		if !found {
			t.Errorf("%s: no lvm warning with %q: %+v", tc.name, tc.want, inv.Warnings)
		}
		pvs := 0
		for _, d := range inv.Disks {
			if d.DeviceUse == UseVolumeGroup {
				pvs++
			}
			for _, p := range d.PhysicalVolumes {
				if p.DeviceUse == UseVolumeGroup {
					pvs++
				}
			}
		}
		if len(inv.Disks) != 2 || pvs != 2 {
			t.Errorf("%s: %d disks, %d PVs marked; want 2 and 2 (blkid still knows them)", tc.name, len(inv.Disks), pvs)
		}
		if tc.name == "fails" {
			continue
		}
		// Without root too, a missing or stuck lvm is said as such, not folded into
		// the "run as root" warning.
		h.Privileged = false
		inv, err = Discover(context.Background(), h, Options{Devices: devicesFor(t, archive)})
		if err != nil {
			t.Fatal(err)
		}
		found = false
		for _, w := range inv.Warnings {
			found = found || (w.Source == "lvm" && strings.Contains(w.Message, tc.want))
			if w.Source == "privileges" && strings.Contains(w.Message, "LVM") {
				t.Errorf("%s, unprivileged: lvm's failure blamed on privileges: %s", tc.name, w.Message)
			}
		}
		if !found {
			t.Errorf("%s, unprivileged: no lvm warning with %q: %+v", tc.name, tc.want, inv.Warnings)
		}
	}
}
