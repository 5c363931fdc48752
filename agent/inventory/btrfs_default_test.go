package inventory

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sms-agent/sms-agent/internal/capturetest"
	"github.com/sms-agent/sms-agent/platform"
)

// refusingSearch fails every tree search, as a kernel that refuses the ioctl would.
type refusingSearch struct{}

func (refusingSearch) BtrfsTreeSearch(mnt string, _ platform.BtrfsSearchKey) (platform.BtrfsSearchResult, error) {
	return platform.BtrfsSearchResult{}, errors.New("btrfs tree search on " + mnt + ": inappropriate ioctl for device")
}

// getDefaultRunner answers `btrfs subvolume get-default` with out (or as a missing tool
// when out is "") and passes everything else to the replayed runner; it counts the
// get-default calls.
type getDefaultRunner struct {
	inner platform.Runner
	out   string
	calls atomic.Int32 // the filesystems are read concurrently
}

func (r *getDefaultRunner) Run(ctx context.Context, c platform.Command) (platform.Result, error) {
	if len(c.Argv) > 2 && c.Argv[0] == "btrfs" && c.Argv[2] == "get-default" {
		r.calls.Add(1)
		if r.out == "" {
			return platform.Result{ExitCode: -1}, platform.ErrToolUnavailable
		}
		return platform.Result{Stdout: []byte(r.out)}, nil
	}
	return r.inner.Run(ctx, c)
}

// TestBtrfsDefaultFallback: when the tree search fails, the default subvolume comes
// from `btrfs subvolume get-default`; when that fails too, it is unknown with a warning.
// The capture is loop-btrfs: two mounted filesystems ("single fs" with subvolume root,
// 256, as its default, mirror with the top level; what the recorded searches say, see
// the golden inventory), and an unmounted one, whose default nobody can know. The
// get-default stand-in answers the top level for both.
func TestBtrfsDefaultFallback(t *testing.T) {
	archive := hostsDir + "/loop-btrfs.tar.gz"
	c := capturetest.Open(t, archive)
	for _, tc := range []struct {
		name, out string
		wantID    string
	}{
		{"get-default answers", "ID 5 (FS_TREE)\n", "5"},
		{"get-default missing too", "", ""},
	} {
		h := c.Host(time.Now)
		run := &getDefaultRunner{inner: h.Run, out: tc.out}
		h.Run, h.BtrfsSearch = run, refusingSearch{}
		inv, err := Discover(context.Background(), h, Options{Devices: devicesFor(t, archive)})
		if err != nil {
			t.Fatal(err)
		}
		if len(inv.BtrfsList) != 3 || run.calls.Load() != 2 {
			t.Fatalf("%s: %d filesystems, %d get-default runs; want 3 and 2", tc.name, len(inv.BtrfsList), run.calls.Load())
		}
		for _, b := range inv.BtrfsList {
			if !b.Mounted {
				if b.DefaultSubvolID != "" {
					t.Errorf("%s: unmounted %s has default %q", tc.name, b.Label, b.DefaultSubvolID)
				}
				continue
			}
			if b.DefaultSubvolID != tc.wantID {
				t.Errorf("%s: %s default %q; want %q", tc.name, b.Label, b.DefaultSubvolID, tc.wantID)
			}
			// The top level's mount, from the mount table: "single fs" has one, mirror
			// is mounted only through a subvolume.
			wantPath := ""
			for _, m := range inv.Mounts {
				if m.FileSystem == "btrfs" && m.SubvolID == "5" && slices.Contains(b.Devices, m.Device) {
					wantPath = m.MountPoint
				}
			}
			if tc.wantID == "5" && (b.DefaultSubvolName != "<FS_TREE>" || b.DefaultSubvolMountPath != wantPath) {
				t.Errorf("%s: %s default %s %q at %q; want the top level at %q", tc.name, b.Label,
					b.DefaultSubvolID, b.DefaultSubvolName, b.DefaultSubvolMountPath, wantPath)
			}
		}
		warned := false
		for _, w := range inv.Warnings {
			warned = warned || strings.Contains(w.Message, "default subvolume unknown")
		}
		if warned != (tc.wantID == "") {
			t.Errorf("%s: warnings %+v", tc.name, inv.Warnings)
		}
	}
	// With the recorded searches, no get-default runs at all.
	h := c.Host(time.Now)
	run := &getDefaultRunner{inner: h.Run}
	h.Run = run
	if _, err := Discover(context.Background(), h, Options{Devices: devicesFor(t, archive)}); err != nil || run.calls.Load() != 0 {
		t.Errorf("recorded searches: %v, %d get-default runs", err, run.calls.Load())
	}
}
