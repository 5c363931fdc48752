//go:build e2e

package discover

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/collectors/blockdev"
	"github.com/sms-agent/sms-agent/collectors/fsid"
	"github.com/sms-agent/sms-agent/internal/runnertest"
	"github.com/sms-agent/sms-agent/platform"
)

func liveEnv() platform.LiveEnv {
	return platform.LiveEnv{
		SearchPath:     platform.DefaultSearchPath,
		Env:            []string{"LC_ALL=C", "PATH=" + strings.Join(platform.DefaultSearchPath, ":")},
		StatfsHelper:   []string{agentBin, "__statfs"},
		StatfsTimeout:  2 * time.Second,
		CommandTimeout: 10 * time.Second,
	}
}

// countingEnv is liveEnv with coreutils' stat for statfs, and a Spawned hook that keeps
// the argv of every child a live probe starts; spawned returns them.
func countingEnv(t *testing.T) (env platform.LiveEnv, spawned func() [][]string) {
	t.Helper()
	var mu sync.Mutex
	var argvs [][]string
	env = liveEnv()
	env.Spawned = func(argv []string) {
		mu.Lock()
		argvs = append(argvs, argv)
		mu.Unlock()
	}
	var err error
	if env.StatPath, err = (platform.ExecRunner{}).LookPath("stat"); err != nil {
		t.Fatal(err)
	}
	return env, func() [][]string {
		mu.Lock()
		defer mu.Unlock()
		return append([][]string{}, argvs...)
	}
}

// fsidDevices lists disks and their partitions as discovery hands them to fsid.Identify.
func fsidDevices(t *testing.T, disks ...string) []fsid.Device {
	t.Helper()
	var names []string
	for _, d := range disks {
		names = append(names, strings.TrimPrefix(d, "/dev/"))
	}
	devs, errs := blockdev.ReadNames(platform.NewFS("/"), names, true)
	if len(errs) > 0 || len(devs) != len(disks) {
		t.Fatalf("sysfs: %d devices, errors %v", len(devs), errs)
	}
	var out []fsid.Device
	for _, dv := range devs {
		out = append(out, fsid.Device{KName: dv.KName, MajMin: dv.MajMin()})
		for _, p := range dv.Partitions {
			out = append(out, fsid.Device{KName: p.KName, MajMin: p.MajMin(), Disk: dv.KName,
				Start: uint64(p.Start / blockdev.SectorSize), Sectors: uint64(p.Size / blockdev.SectorSize)})
		}
	}
	return out
}

// TestNativeIdentify: on a GPT disk (vfat, ext4, xfs, swap) and an MBR disk with an
// extended partition and logical ones, discovery identifies every device in-process —
// no blkid process — with exactly what `blkid -p -o export` reports; a recorded run
// also runs blkid once over them, and its replay gives the same answers.
func TestNativeIdentify(t *testing.T) {
	requireRoot(t)
	work := t.TempDir()
	diskA, _ := loopDevice(t, work, 640)
	partition(t, diskA, gptLayoutA)
	sh(t, "mkfs.vfat", "-n", "ESP", diskA+"p1")
	sh(t, "mkfs.ext4", "-q", "-L", "root fs", diskA+"p2")
	sh(t, "mkfs.xfs", "-q", "-f", "-L", "data", diskA+"p3")
	sh(t, "mkswap", "-L", "swap", diskA+"p4")
	diskB, _ := loopDevice(t, work, 200)
	partition(t, diskB, "label: dos\nsize=60MiB, type=83\ntype=5\nsize=40MiB, type=83\nsize=30MiB, type=83\ntype=82\n")
	sh(t, "mkfs.ext4", "-q", diskB+"p1")
	sh(t, "mkfs.ext4", "-q", "-L", "logical", diskB+"p5")
	sh(t, "mkfs.ext2", "-q", "-L", "cold", diskB+"p6")
	sh(t, "mkswap", diskB+"p7")
	sh(t, "sync")

	env := liveEnv()
	live := platform.NewLive(env)
	ctx := context.Background()

	// Discovery, in-process: no blkid, every identity blkid's, said to be the prober's.
	run := &runnertest.Counting{Inner: platform.ProbeRunner{P: live}}
	h := platform.NewHost(platform.NewFS("/"), live, time.Now)
	h.Run, h.Privileged, h.Live = run, true, true
	inv, err := inventory.Discover(ctx, h, inventory.Options{Devices: []string{diskA, diskB}, CommandTimeout: env.CommandTimeout})
	if err != nil {
		t.Fatal(err)
	}
	if b := run.Named("blkid"); len(b) != 0 {
		t.Errorf("discover ran blkid: %q", b)
	}
	if len(inv.Disks) != 2 {
		t.Fatalf("%d disks; want 2", len(inv.Disks))
	}
	n := 0
	for _, d := range inv.Disks {
		if bd := blkidProbe(t, d.Name); d.PartitionTableUUID != bd["PTUUID"] {
			t.Errorf("%s: table uuid %q; blkid %q", d.Name, d.PartitionTableUUID, bd["PTUUID"])
		}
		for _, p := range d.PhysicalVolumes {
			b := blkidProbe(t, p.Name)
			src := "lowprobe"
			if b["TYPE"] == "" && b["UUID"] == "" && b["PART_ENTRY_SCHEME"] == "" {
				src = ""
			}
			got := []string{p.FileSystem, p.UUID, p.Label, p.PartUUID, p.PartType, p.PartLabel, p.Source}
			want := []string{b["TYPE"], b["UUID"], b["LABEL"], b["PART_ENTRY_UUID"], b["PART_ENTRY_TYPE"], b["PART_ENTRY_NAME"], src}
			if !cmp.Equal(got, want) {
				t.Errorf("%s: %q; blkid -p: %q", p.Name, got, want)
			}
			n++
		}
	}
	if n != 9 {
		t.Errorf("%d partitions; want 9 (4 GPT, MBR 1, 2 extended, 5, 6, 7)", n)
	}

	// Identify itself, every field it keeps, against blkid's export of each device.
	devs := fsidDevices(t, diskA, diskB)
	want := map[string]fsid.Props{}
	for _, d := range devs {
		out, err := shErr("blkid", "-c", "/dev/null", "-p", "-o", "export", "/dev/"+d.KName)
		if err != nil && !strings.Contains(err.Error(), "exit status 2") {
			t.Fatalf("blkid /dev/%s: %v", d.KName, err)
		}
		for _, blk := range fsid.ParseBlkidExport([]byte(out)) {
			p := fsid.FromBlkid(blk)
			p.Source = fsid.SourceLowprobe
			want[d.KName] = p
		}
	}
	run = &runnertest.Counting{Inner: platform.ProbeRunner{P: live}}
	res := fsid.Identify(ctx, platform.NewFS("/"), run, live, devs, env.CommandTimeout)
	if diff := cmp.Diff(want, res.Props); diff != "" {
		t.Errorf("Identify differs from blkid -p (-blkid +native):\n%s", diff)
	}
	if b := run.Named("blkid"); len(b) != 0 || len(res.Warnings) != 0 || len(res.Denied) != 0 {
		t.Errorf("blkid runs %q, warnings %v, denied %v; want none", b, res.Warnings, res.Denied)
	}

	// Recorded: blkid also runs, once, over the devices the prober identified; the
	// replay of the records gives the same Props without any process.
	rec := platform.NewRecorder(live)
	run = &runnertest.Counting{Inner: platform.ProbeRunner{P: rec}}
	recorded := fsid.Identify(ctx, platform.NewFS("/"), run, rec, devs, env.CommandTimeout)
	if diff := cmp.Diff(want, recorded.Props); diff != "" {
		t.Errorf("recorded Identify differs from blkid -p (-blkid +native):\n%s", diff)
	}
	if b := run.Named("blkid"); len(b) != 1 || len(b[0]) != len(fsid.BlkidArgv(nil))+len(devs) {
		t.Errorf("recording ran blkid %q; want once over all %d devices", b, len(devs))
	}
	recs, errs := rec.Records()
	if len(errs) > 0 || len(recs[fsid.NativeProbe.Name]) != 2 {
		t.Fatalf("records: %d lowprobe, errors %v; want 2 (one per disk)", len(recs[fsid.NativeProbe.Name]), errs)
	}
	replay := platform.NewReplay(recs)
	run = &runnertest.Counting{Inner: platform.ProbeRunner{P: replay}}
	replayed := fsid.Identify(ctx, platform.NewFS("/"), run, replay, devs, env.CommandTimeout)
	if diff := cmp.Diff(want, replayed.Props); diff != "" {
		t.Errorf("replay differs from blkid -p (-blkid +replayed):\n%s", diff)
	}
	if len(run.Argvs()) != 0 {
		t.Errorf("replay asked commands %q", run.Argvs())
	}
}
