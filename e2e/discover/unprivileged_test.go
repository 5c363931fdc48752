//go:build e2e

package discover

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sms-agent/sms-agent/agent/inventory"
)

// TestDiscoverUnprivileged: run without root (as nobody), discover cannot open the
// devices to identify them (brw-rw---- root:disk): it still reports the disk and its
// partitions from sysfs, with one warning naming what only root can read, and exits 3
// (warnings), not with an error.
func TestDiscoverUnprivileged(t *testing.T) {
	requireRoot(t)
	work := t.TempDir()
	disk, _ := loopDevice(t, work, 64)
	partition(t, disk, "label: gpt\nsize=32MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n")
	sh(t, "mkfs.ext4", "-q", "-L", "data", disk+"p1")

	// nobody must reach the binary and its (empty, 0600) config: TMPDIR may be a 0700
	// directory of root's, so they get a directory of their own beside it.
	dir, err := os.MkdirTemp("/var/tmp", "sms-agent-e2e-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	const nobody = 65534
	bin := filepath.Join(dir, "sms-agent")
	b, err := os.ReadFile(agentBin)
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "sms.conf")
	for _, err := range []error{os.Chmod(dir, 0o755), os.WriteFile(bin, b, 0o755), os.WriteFile(conf, nil, 0o600), os.Chown(conf, nobody, nobody)} {
		if err != nil {
			t.Fatal(err)
		}
	}

	stdout, stderr, code := runAgent(t, bin, []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SMS_AGENT_CONFIG=" + conf},
		&syscall.Credential{Uid: nobody, Gid: nobody}, "discover", "--json", "--devices", disk)
	if code != 3 {
		t.Fatalf("exit %d; want 3 (warnings)\nstderr: %s", code, stderr)
	}
	var inv inventory.Inventory
	if err := json.Unmarshal([]byte(stdout), &inv); err != nil {
		t.Fatalf("output is no inventory: %v\n%s", err, stdout)
	}
	if len(inv.Disks) != 1 || inv.Disks[0].Name != disk || len(inv.Disks[0].PhysicalVolumes) != 1 {
		t.Fatalf("disks %+v; want %s with one partition", inv.Disks, disk)
	}
	if p := inv.Disks[0].PhysicalVolumes[0]; p.Name != disk+"p1" || p.Size != 32<<20 || p.UUID != "" {
		t.Errorf("partition %+v; want %sp1 of 32 MiB, its identity unknown", p, disk)
	}
	var priv []string
	for _, w := range inv.Warnings {
		if w.Source == "privileges" {
			priv = append(priv, w.Message)
		} else {
			t.Errorf("warning %s: %s; want only the privileges one", w.Source, w.Message)
		}
	}
	want := disk + ": Permission denied"
	if len(priv) != 1 || !strings.HasPrefix(priv[0], "not running as root") || !strings.Contains(priv[0], want) {
		t.Errorf("privileges warnings %q; want one, naming %q", priv, want)
	}
	if !strings.Contains(stderr, "not running as root") {
		t.Errorf("stderr does not say it: %s", stderr)
	}
}
