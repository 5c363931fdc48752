//go:build e2e

package discover

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/platform"
)

// TestZeroChildren: on a host without LVM, btrfs or a signature the prober does not
// know — a GPT disk with a mounted ext4 and xfs and a swap partition, a whole-disk ext4
// mounted too — discovery starts no child process at all: identification is in-process
// (no blkid), statfs is in-process for those filesystems (no stat -f, no helper), and
// the architecture comes from /proc/sys/kernel/arch (no uname). Every process a live
// probe would start is counted through LiveEnv.Spawned.
//
// The host is this machine seen through a mount table that holds its root and the
// test's own mounts only (Options.MountTable): other tests may mount FUSE or vfat
// filesystems at the same time, which rightly take a child.
func TestZeroChildren(t *testing.T) {
	requireRoot(t)
	if _, err := os.Stat("/proc/sys/kernel/arch"); err != nil {
		t.Skip("no /proc/sys/kernel/arch (Linux < 6.1): discovery runs uname -m")
	}
	work := t.TempDir()
	gpt, _ := loopDevice(t, work, 400)
	partition(t, gpt, `label: gpt
size=32MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root"
size=320MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="data"
type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F
`)
	sh(t, "mkfs.ext4", "-q", "-L", "root", gpt+"p1")
	sh(t, "mkfs.xfs", "-q", "-f", "-L", "data", gpt+"p2")
	sh(t, "mkswap", "-L", "swap", gpt+"p3")
	whole, _ := loopDevice(t, work, 32)
	sh(t, "mkfs.ext4", "-q", "-L", "whole", whole)
	mount(t, gpt+"p1", filepath.Join(work, "root"))
	mount(t, gpt+"p2", filepath.Join(work, "data"))
	mount(t, whole, filepath.Join(work, "whole"))

	// The mount table: this machine's root and the three mounts above, as the kernel
	// prints them.
	self, ms := selfMounts(t)
	var table []string
	lines := strings.Split(strings.TrimRight(string(self), "\n"), "\n")
	for i, m := range ms {
		if m.MountPoint == "/" || strings.HasPrefix(m.MountPoint, work+"/") {
			table = append(table, lines[i])
		}
	}
	if len(table) != 4 {
		t.Fatalf("mount table: %d lines; want / and the 3 mounts of the test:\n%s", len(table), strings.Join(table, "\n"))
	}
	tablePath := filepath.Join(work, "mountinfo")
	if err := os.WriteFile(tablePath, []byte(strings.Join(table, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	env, spawned := countingEnv(t)
	h := platform.NewHost(platform.NewFS("/"), platform.NewLive(env), time.Now)
	h.Privileged, h.Live = true, true
	inv, err := inventory.Discover(context.Background(), h, inventory.Options{
		Devices: []string{gpt, whole}, MountTable: tablePath, CommandTimeout: env.CommandTimeout})
	if err != nil {
		t.Fatal(err)
	}
	for _, argv := range spawned() {
		t.Errorf("child process started: %q", argv)
	}

	// What was read in-process is complete: every device identified by the prober, every
	// mount's usage known.
	if len(inv.Warnings) != 0 {
		t.Errorf("warnings: %+v", inv.Warnings)
	}
	want := map[string]string{gpt + "p1": "ext4", gpt + "p2": "xfs", gpt + "p3": "swap", whole: "ext4"}
	got := map[string]string{}
	for _, d := range inv.Disks {
		if d.Identity != nil && d.FileSystem != "" {
			got[d.Name] = d.FileSystem
			if d.Source != "lowprobe" || d.Usage == nil {
				t.Errorf("%s: id_source %q, usage %v; want lowprobe and a usage", d.Name, d.Source, d.Usage)
			}
		}
		for _, p := range d.PhysicalVolumes {
			got[p.Name] = p.FileSystem
			if p.Source != "lowprobe" {
				t.Errorf("%s: id_source %q; want lowprobe", p.Name, p.Source)
			}
			if p.FileSystem != "swap" && p.Usage == nil {
				t.Errorf("%s: no usage", p.Name)
			}
		}
	}
	for dev, fs := range want {
		if got[dev] != fs {
			t.Errorf("%s: file system %q; want %q (all: %v)", dev, got[dev], fs, got)
		}
	}
}
