package inventory

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sms-agent/sms-agent/internal/capturetest"
	"github.com/sms-agent/sms-agent/platform"
)

// countingRunner counts the btrfs subvolume lists run and passes everything on.
type countingRunner struct {
	inner platform.Runner
	lists atomic.Int32
}

func (r *countingRunner) Run(ctx context.Context, c platform.Command) (platform.Result, error) {
	if len(c.Argv) > 2 && c.Argv[0] == "btrfs" && c.Argv[2] == "list" {
		r.lists.Add(1)
	}
	return r.inner.Run(ctx, c)
}

// TestBtrfsSelection replays loop-btrfs (mirror on loop1+loop2, "single fs" on loop0,
// both mounted; "offline" on loop3+loop4) two more ways than its golden does:
//   - naming loop0 only: only "single fs" is read (one subvolume list) and listed;
//   - naming nothing: loop devices are no candidates, so the lists start from the
//     mount table for both mounted filesystems and both are then left out, each with a
//     warning (the unmounted one is not probed at all).
func TestBtrfsSelection(t *testing.T) {
	c := capturetest.Open(t, hostsDir+"/loop-btrfs.tar.gz")
	for _, tc := range []struct {
		devices []string
		lists   int32
		labels  string
		leftOut int
	}{
		{[]string{"/dev/loop0"}, 1, "single fs", 0},
		{nil, 2, "", 2},
	} {
		h := c.Host(time.Now)
		run := &countingRunner{inner: h.Run}
		h.Run = run
		inv, err := Discover(context.Background(), h, Options{Devices: tc.devices})
		if err != nil {
			t.Fatal(err)
		}
		var labels []string
		for _, b := range inv.BtrfsList {
			labels = append(labels, b.Label)
		}
		leftOut := 0
		for _, w := range inv.Warnings {
			if w.Source == "volumes" && strings.Contains(w.Message, "left out") {
				leftOut++
			}
			if strings.Contains(w.Message, "no mount point found") {
				t.Errorf("devices %v: %s", tc.devices, w.Message)
			}
		}
		if got := run.lists.Load(); got != tc.lists || strings.Join(labels, ",") != tc.labels || leftOut != tc.leftOut {
			t.Errorf("devices %v: %d subvolume lists, filesystems %q, %d left out; want %d, %q, %d\n%+v",
				tc.devices, got, labels, leftOut, tc.lists, tc.labels, tc.leftOut, inv.Warnings)
		}
	}
}
