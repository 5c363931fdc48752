//go:build e2e

package discover

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/collectors/mounts"
	"github.com/sms-agent/sms-agent/platform"
)

// TestDiscoverInProcessStatfs: discovery statfs'es a plain ext4 on a loop device in its
// own process, with no child (counted through LiveEnv.Spawned), and still reports the
// usage stat -f sees. An ext4 mounted below an overlay mount (whose path walk may reach
// any layer: not safe) goes to coreutils' stat, a child, as docs/statfs.md requires.
// (This kernel has no CONFIG_QUOTA, so project quota cannot stand for the child case.)
func TestDiscoverInProcessStatfs(t *testing.T) {
	requireRoot(t)
	work := t.TempDir()
	plainDev, _ := loopDevice(t, work, 64)
	underDev, _ := loopDevice(t, work, 64)
	sh(t, "mkfs.ext4", "-q", "-E", "lazy_itable_init=0,lazy_journal_init=0", "-L", "plain", plainDev)
	sh(t, "mkfs.ext4", "-q", "-E", "lazy_itable_init=0,lazy_journal_init=0", "-L", "under", underDev)
	plain := filepath.Join(work, "plain fs")
	mount(t, plainDev, plain)
	ovl := filepath.Join(work, "ovl")
	for _, d := range []string{"lower/inner", "upper", "work"} {
		if err := os.MkdirAll(filepath.Join(work, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mount(t, "overlay", ovl, "-t", "overlay", "-o", "lowerdir="+filepath.Join(work, "lower")+",upperdir="+filepath.Join(work, "upper")+",workdir="+filepath.Join(work, "work"))
	under := filepath.Join(ovl, "inner") // the mount that needs the child
	mount(t, underDev, under)

	_, ms := selfMounts(t)
	release, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	decided := mounts.InProcessStatfs(ms, string(release))
	if !decided[plain] || decided[under] {
		t.Fatalf("in-process: %s %v, %s %v; want true, false", plain, decided[plain], under, decided[under])
	}
	// Every other block or FUSE mount of this host that needs a child.
	var others []string
	for _, f := range mounts.Collapse(ms) {
		if (f.Kind == mounts.KindBlock || f.Kind == mounts.KindFUSE) && !decided[f.MountPoint] && f.MountPoint != under {
			others = append(others, f.MountPoint)
		}
	}

	env, spawnedArgv := countingEnv(t)
	env.StatfsTimeout = 5 * time.Second
	stat := env.StatPath
	h := platform.NewHost(platform.NewFS("/"), platform.NewLive(env), time.Now)
	h.Privileged, h.Live = true, true
	inv, err := inventory.Discover(context.Background(), h, inventory.Options{Devices: []string{plainDev, underDev}})
	if err != nil {
		t.Fatal(err)
	}

	var statArgv [][]string
	helpers := 0
	spawned := spawnedArgv()
	for _, argv := range spawned {
		t.Logf("child: %q", argv)
		if slices.Contains(argv, plain) {
			t.Errorf("a child was started for the in-process mount %s: %q", plain, argv)
		}
		switch argv[0] {
		case stat:
			statArgv = append(statArgv, argv)
		case agentBin:
			helpers++
		}
	}
	t.Logf("%d children in all (%d stat -f, %d statfs helpers); other mounts for the child: %q", len(spawned), len(statArgv), helpers, others)
	if len(statArgv) != 1 || !slices.Contains(statArgv[0], under) {
		t.Errorf("stat -f runs %q; want one, for %s", statArgv, under)
	}
	if len(others) == 0 && helpers != 0 {
		t.Errorf("%d statfs helpers started; every other mount is in-process", helpers)
	}

	byMount := map[string]inventory.Disk{}
	for _, d := range inv.Disks {
		byMount[d.MountPoint] = d
	}
	for _, mp := range []string{plain, under} {
		d, ok := byMount[mp]
		if !ok {
			t.Errorf("no disk mounted at %s in %+v", mp, inv.Disks)
			continue
		}
		checkUsage(t, d.Name, mp, d.Usage, d.UsedSize)
	}
	for _, w := range inv.Warnings {
		t.Errorf("warning: %+v", w)
	}
}
