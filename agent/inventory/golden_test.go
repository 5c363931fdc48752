package inventory

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sms-agent/sms-agent/internal/capturetest"
)

var update = flag.Bool("update", false, "rewrite the golden inventories in testdata/hosts")

// hostsDir holds captured hosts (NAME.tar.gz: `sms-agent capture` archives and ghw
// snapshots) and the inventory each must replay to (NAME.json).
const hostsDir = "../../testdata/hosts"

// capturedHosts are the captures of testdata/hosts: archives, and directories holding a
// manifest (the hand-written Windows recordings); name is the golden files' stem.
func capturedHosts(t *testing.T) (paths, names []string) {
	paths = capturetest.Hosts(t, hostsDir)
	for _, p := range paths {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ".tar.gz"))
	}
	return paths, names
}

func TestGoldenInventories(t *testing.T) {
	archives, names := capturedHosts(t)
	for i, a := range archives {
		name := names[i]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := replay(t, a, devicesFor(t, a))
			golden := filepath.Join(hostsDir, name+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./agent/inventory -run Golden -update)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("inventory of %s differs from %s (-want +got):\n%s", name, golden, diff)
			}
		})
	}
}

// devicesFor reads NAME.devices (one line, comma-separated) if the capture has one.
func devicesFor(t *testing.T, archive string) []string {
	b, err := os.ReadFile(strings.TrimSuffix(strings.TrimSuffix(archive, "/"), ".tar.gz") + ".devices")
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimSpace(string(b)), ",")
}

func replay(t testing.TB, archive string, devices []string) []byte {
	t.Helper()
	c := capturetest.Open(t, archive)
	h := c.Host(func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) })
	inv, err := Discover(context.Background(), h, Options{Devices: devices})
	if err != nil {
		t.Fatal(err)
	}
	return indentJSON(t, inv)
}
