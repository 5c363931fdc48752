//go:build unix

// Tests that make symlinks as a udev database has them: they need a Unix.

package fsid

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sms-agent/sms-agent/platform"
)

func TestIdentifyPrefersUdev(t *testing.T) {
	// The udev data moved below the root: an FS rooted there reads nothing outside it.
	udev := unpackUdev(t)
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "run/udev"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(udev, filepath.Join(root, "run/udev/data")); err != nil {
		t.Fatal(err)
	}
	// Only sdz (no udev record) reaches blkid, which is not installed: one warning.
	res := Identify(context.Background(), platform.NewFS(root), platform.NewReplayRunner(nil), nil,
		[]Device{{KName: "sda", MajMin: "8:0"}, {KName: "sdz", MajMin: "65:144"}}, time.Second)
	if got := res.Props["sda"]; got.Type != "LVM2_member" || got.Source != "udev" {
		t.Errorf("sda = %+v; want LVM2_member from udev", got)
	}
	if _, ok := res.Props["sdz"]; ok || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Error(), "blkid: tool not available") {
		t.Errorf("sdz: props %v, warnings %v; want one warning that blkid is missing", res.Props["sdz"], res.Warnings)
	}
}
