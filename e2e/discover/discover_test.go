//go:build e2e

// Package discover drives the built sms-agent binary against real block devices: loop
// devices over sparse files, partitioned, formatted and mounted by the test, and checks
// every value against what independent tools (blkid -p, stat -f, partx) report.
// Run as root with `make e2e`.
package discover

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/internal/agentbuild"
)

var agentBin, agentConfig string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sms-agent-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The lite front, which runs discover, and the complete agent beside it.
	if agentBin, err = agentbuild.Installed(dir, "../../cmd/sms-agent"); err != nil {
		fmt.Fprintln(os.Stderr, "build sms-agent:", err)
		os.Exit(1)
	}
	// The agent reads SMS_AGENT_CONFIG, not the machine's /etc/sms-agent/sms.conf.
	agentConfig = filepath.Join(dir, "empty.conf")
	if err := os.WriteFile(agentConfig, nil, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func requireRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the e2e tests need root (loop devices, mounts): run `sudo make e2e`")
	}
	for _, tool := range []string{"losetup", "sfdisk", "partx", "mkfs.ext4", "mkfs.xfs", "mkfs.vfat", "mkswap", "blkid"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (apt-get install util-linux fdisk e2fsprogs xfsprogs dosfstools)", tool)
		}
	}
}

// agentRun runs the binary; a hang is a failure (the process is killed after 60s).
func agentRun(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runAgent(t, agentBin, append(os.Environ(), "SMS_AGENT_CONFIG="+agentConfig), nil, args...)
}

// runAgent runs bin with env (and as cred, when not nil) and returns what it printed
// and its exit code; a run that outlasts 60s is killed and fails the test.
func runAgent(t *testing.T, bin string, env []string, cred *syscall.Credential, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var o, e strings.Builder
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("sms-agent %s hung: killed after 60s", strings.Join(args, " "))
	}
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

type partSpec struct {
	nr            int
	start, sector int64 // from partx, in 512-byte sectors
}

// partxTable reads the partition table of dev with partx (from the device, not sysfs).
func partxTable(t *testing.T, dev string) map[int]partSpec {
	out := sh(t, "partx", "--noheadings", "--raw", "-o", "NR,START,SECTORS", dev)
	m := map[int]partSpec{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		nr, _ := strconv.Atoi(f[0])
		st, _ := strconv.ParseInt(f[1], 10, 64)
		sz, _ := strconv.ParseInt(f[2], 10, 64)
		m[nr] = partSpec{nr, st, sz}
	}
	return m
}

type statf struct{ frsize, blocks, bfree, bavail, files int64 }

func statFS(t *testing.T, dir string) statf {
	f := strings.Fields(sh(t, "stat", "-f", "-c", "%S %b %f %a %c", dir))
	var v [5]int64
	for i := range v {
		v[i], _ = strconv.ParseInt(f[i], 10, 64)
	}
	return statf{v[0], v[1], v[2], v[3], v[4]}
}

// deadFUSE mounts a FUSE filesystem whose server never answers: every statfs on it
// blocks. It is torn down (connection aborted, lazily unmounted) when the test ends.
func deadFUSE(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Open("/dev/fuse", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open /dev/fuse: %v", err)
	}
	opts := fmt.Sprintf("fd=%d,rootmode=40000,user_id=0,group_id=0", fd)
	if err := syscall.Mount("sms-e2e-dead", dir, "fuse.sms-e2e-dead", syscall.MS_NOSUID|syscall.MS_NODEV, opts); err != nil {
		syscall.Close(fd)
		t.Fatalf("mount dead fuse at %s: %v", dir, err)
	}
	t.Cleanup(func() {
		syscall.Close(fd) // aborts the connection: blocked requests fail with ENOTCONN
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("cleanup: umount %s: %v", dir, err)
		}
	})
}

func TestDiscoverRealDevices(t *testing.T) {
	requireRoot(t)
	work := t.TempDir()
	mnt := filepath.Join(work, "mnt")

	// Disk A, GPT: ESP (vfat, left unmounted: this kernel has no vfat), ext4 mounted on
	// a path with a space, xfs, swap.
	diskA, fileA := loopDevice(t, work, 640)
	partition(t, diskA, gptLayoutA)
	sh(t, "mkfs.vfat", "-n", "ESP", diskA+"p1")
	sh(t, "mkfs.ext4", "-q", "-E", "lazy_itable_init=0,lazy_journal_init=0", "-L", "root fs", diskA+"p2")
	sh(t, "mkfs.xfs", "-q", "-f", "-L", "data", diskA+"p3")
	sh(t, "mkswap", "-L", "swap", diskA+"p4")
	mount(t, diskA+"p2", filepath.Join(mnt, "root space"))
	mount(t, diskA+"p3", filepath.Join(mnt, "xfs"))
	// a bind mount of the ext4
	bind := filepath.Join(mnt, "bind")
	mount(t, filepath.Join(mnt, "root space"), bind, "--bind")
	if err := os.WriteFile(filepath.Join(mnt, "root space", "payload"), make([]byte, 3<<20), 0o644); err != nil {
		t.Fatal(err)
	}

	// Disk B, MBR: ext4 mounted on a primary partition; an extended partition (2) holding
	// a logical ext4 mounted (5) and a logical ext2 left unmounted (6).
	diskB, fileB := loopDevice(t, work, 200)
	partition(t, diskB, "label: dos\nsize=60MiB, type=83\ntype=5\nsize=40MiB, type=83\ntype=83\n")
	sh(t, "mkfs.ext4", "-q", "-E", "lazy_itable_init=0,lazy_journal_init=0", diskB+"p1")
	sh(t, "mkfs.ext4", "-q", "-E", "lazy_itable_init=0,lazy_journal_init=0", "-L", "logical", diskB+"p5")
	sh(t, "mkfs.ext2", "-q", "-E", "lazy_itable_init=0", "-L", "cold", diskB+"p6")
	mount(t, diskB+"p1", filepath.Join(mnt, "mbr"))
	mount(t, diskB+"p5", filepath.Join(mnt, "logical"))

	// Disk C: ext4 on the whole disk, no partition table.
	diskC, fileC := loopDevice(t, work, 64)
	sh(t, "mkfs.ext4", "-q", "-E", "lazy_itable_init=0,lazy_journal_init=0", "-L", "whole", diskC)
	mount(t, diskC, filepath.Join(mnt, "whole"))

	sh(t, "sync")
	deadFUSE(t, filepath.Join(mnt, "dead fuse"))

	recordHost(t, "loop-partitions", diskA, diskB, diskC)
	etcBefore, runBefore := treeDigest(t, "/etc"), treeDigest(t, "/run")
	devBefore := map[string]string{}
	for _, f := range []string{fileA, fileB, fileC} {
		devBefore[f] = fileDigest(f)
	}

	start := time.Now()
	stdout, stderr, code := agentRun(t, "discover", "--json", "--devices", strings.Join([]string{diskA, diskB, diskC}, ","))
	elapsed := time.Since(start)
	t.Logf("discover took %v (statfs helper abandoned after its 2s timeout)", elapsed)
	if code != 3 {
		t.Fatalf("exit code %d; want 3 (partial: the dead FUSE mount)\nstderr:\n%s", code, stderr)
	}
	var inv inventory.Inventory
	if err := json.Unmarshal([]byte(stdout), &inv); err != nil {
		t.Fatalf("inventory is not JSON: %v\n%s", err, stdout)
	}
	deadMP := filepath.Join(mnt, "dead fuse")
	wantWarn := fmt.Sprintf("mount %s: statfs timed out after 2s", deadMP)
	if !hasWarning(inv, wantWarn) {
		t.Errorf("warnings %v lack %q", inv.Warnings, wantWarn)
	}
	if !strings.Contains(stderr, "warning: usage: "+wantWarn) {
		t.Errorf("stderr lacks the warning line:\n%s", stderr)
	}

	if got := len(inv.Disks); got != 3 {
		t.Fatalf("%d disks; want 3", got)
	}
	disks := map[string]inventory.Disk{}
	for _, d := range inv.Disks {
		disks[d.Name] = d
	}
	sizes := map[string]int64{diskA: 640 << 20, diskB: 200 << 20, diskC: 64 << 20}
	for dev, size := range sizes {
		if got := disks[dev].Size; got != size {
			t.Errorf("%s size %d; want %d", dev, got, size)
		}
	}

	// Every partition: position and size as partx reads them from the table, identity
	// as blkid -p probes it, mount point, and used size as statfs computes it.
	type wantPart struct {
		mount, use string
	}
	wants := map[string]wantPart{
		diskA + "p1": {"", "BOOT"},
		diskA + "p2": {filepath.Join(mnt, "root space"), "NORMAL"},
		diskA + "p3": {filepath.Join(mnt, "xfs"), "NORMAL"},
		diskA + "p4": {"", "NORMAL"},
		diskB + "p1": {filepath.Join(mnt, "mbr"), "NORMAL"},
		diskB + "p2": {"", "NORMAL"},
		diskB + "p5": {filepath.Join(mnt, "logical"), "NORMAL"},
		diskB + "p6": {"", "NORMAL"},
	}
	for _, dev := range []string{diskA, diskB} {
		d := disks[dev]
		table := partxTable(t, dev)
		if len(d.PhysicalVolumes) != len(table) {
			t.Errorf("%s: %d partitions; partx shows %d", dev, len(d.PhysicalVolumes), len(table))
		}
		pt := blkidProbe(t, dev)
		style := map[string]string{"gpt": "GPT", "dos": "MBR"}[pt["PTTYPE"]]
		if d.PartitionStyle != style || d.PartitionTableUUID != pt["PTUUID"] {
			t.Errorf("%s: table %s %s; blkid says %s %s", dev, d.PartitionStyle, d.PartitionTableUUID, style, pt["PTUUID"])
		}
		for i, p := range d.PhysicalVolumes {
			spec := table[p.Number]
			if p.Index != i || p.Start != spec.start*512 || p.Size != spec.sector*512 {
				t.Errorf("%s: index %d start %d size %d; partx: nr %d start %d size %d",
					p.Name, p.Index, p.Start, p.Size, spec.nr, spec.start*512, spec.sector*512)
			}
			b := blkidProbe(t, p.Name)
			if p.FileSystem != b["TYPE"] || p.UUID != b["UUID"] || p.Label != b["LABEL"] ||
				p.PartUUID != b["PART_ENTRY_UUID"] || p.PartType != b["PART_ENTRY_TYPE"] {
				t.Errorf("%s: %s %s %q partuuid %s type %s; blkid -p: %s %s %q %s %s", p.Name,
					p.FileSystem, p.UUID, p.Label, p.PartUUID, p.PartType,
					b["TYPE"], b["UUID"], b["LABEL"], b["PART_ENTRY_UUID"], b["PART_ENTRY_TYPE"])
			}
			w := wants[p.Name]
			if p.MountPoint != w.mount || p.DeviceUse != w.use {
				t.Errorf("%s: mounted at %q, use %s; want %q, %s", p.Name, p.MountPoint, p.DeviceUse, w.mount, w.use)
			}
			checkUsage(t, p.Name, p.MountPoint, p.Usage, p.UsedSize)
		}
	}
	// The extended partition: its size is its table entry's (partx reads the table), not
	// the kernel's 2 sectors; the logical partitions keep their numbers.
	ext := disks[diskB].PhysicalVolumes[1]
	if !ext.Extended || ext.Number != 2 || ext.Size != partxTable(t, diskB)[2].sector*512 || ext.Size < 100<<20 || ext.FileSystem != "" {
		t.Errorf("%s: extended %v number %d size %d fs %q; want the extended partition 2 with partx's size", ext.Name, ext.Extended, ext.Number, ext.Size, ext.FileSystem)
	}
	if n := disks[diskB].PhysicalVolumes[2].Number; n != 5 {
		t.Errorf("first logical partition numbered %d; want 5", n)
	}
	checkMBRBody(t, diskA, diskB, diskC)

	p2 := disks[diskA].PhysicalVolumes[1]
	if len(p2.OtherMountPoints) != 1 || p2.OtherMountPoints[0] != bind {
		t.Errorf("%s: other mount points %q; want the bind mount %s", p2.Name, p2.OtherMountPoints, bind)
	}
	if p2.Usage == nil || p2.Usage.UsedSize < 3<<20 {
		t.Errorf("%s: used %v; want at least the 3 MiB payload", p2.Name, p2.Usage)
	}
	if d := disks[diskA]; d.DeviceUse != "BOOT" || d.PartitionStyle != "GPT" || d.OSDisk {
		t.Errorf("%s: use %s style %s os_disk %v; want BOOT GPT false (it holds the ESP)", diskA, d.DeviceUse, d.PartitionStyle, d.OSDisk)
	}
	var sumUsed int64
	for _, p := range disks[diskA].PhysicalVolumes {
		sumUsed += p.UsedSize
	}
	if disks[diskA].UsedSize != sumUsed {
		t.Errorf("%s used %d; want the sum of its partitions' %d", diskA, disks[diskA].UsedSize, sumUsed)
	}

	// Disk C: the filesystem on the whole disk.
	c := disks[diskC]
	bc := blkidProbe(t, diskC)
	if c.Identity == nil || c.FileSystem != "ext4" || c.UUID != bc["UUID"] || c.Label != "whole" || c.PartitionStyle != "" || len(c.PhysicalVolumes) != 0 {
		t.Errorf("%s: %+v identity %+v; want ext4 %s labelled whole, no table", diskC, c, c.Identity, bc["UUID"])
	}
	if c.MountPoint != filepath.Join(mnt, "whole") {
		t.Errorf("%s mounted at %q", diskC, c.MountPoint)
	}
	checkUsage(t, diskC, c.MountPoint, c.Usage, c.UsedSize)

	// The dead FUSE mount is listed, without usage.
	found := false
	for _, m := range inv.Mounts {
		if m.MountPoint == deadMP {
			found = true
			if m.Kind != "fuse" || m.Usage != nil || !strings.Contains(m.Error, "timed out") {
				t.Errorf("dead fuse mount: %+v", m)
			}
		}
	}
	if !found {
		t.Errorf("dead fuse mount %s not listed", deadMP)
	}

	// Read-only: nothing under /etc or /run changed, no device content changed.
	if d := diffDigests(etcBefore, treeDigest(t, "/etc")); len(d) > 0 {
		t.Errorf("discover changed /etc: %v", d)
	}
	if d := diffDigests(runBefore, treeDigest(t, "/run")); len(d) > 0 {
		t.Errorf("discover changed /run: %v", d)
	}
	for f, before := range devBefore {
		if after := fileDigest(f); after != before {
			t.Errorf("discover changed the device content of %s", f)
		}
	}

	// The human tree names every device.
	tree, _, _ := agentRun(t, "discover", "--devices", strings.Join([]string{diskA, diskB, diskC}, ","))
	for _, dev := range []string{diskA, diskA + "p4", diskB + "p2", diskC, `"` + filepath.Join(mnt, "root space") + `"`} {
		if !strings.Contains(tree, dev) {
			t.Errorf("tree lacks %s:\n%s", dev, tree)
		}
	}

	// capture, then replay: the same inventory.
	capFile := filepath.Join(work, "host.tar.gz")
	_, capErr, code := agentRun(t, "capture", "--out", capFile, "--devices", strings.Join([]string{diskA, diskB, diskC}, ","))
	if code != 3 {
		t.Fatalf("capture exit %d: %s", code, capErr)
	}
	live, _, _ := agentRun(t, "discover", "--json", "--devices", strings.Join([]string{diskA, diskB, diskC}, ","))
	replayed, replayErr, code := agentRun(t, "discover", "--json", "--from", capFile, "--devices", strings.Join([]string{diskA, diskB, diskC}, ","))
	if code != 3 {
		t.Fatalf("replay exit %d: %s", code, replayErr)
	}
	// The host's own busy filesystems (/) change between runs: compare ours only.
	if diff := cmp.Diff(ownMounts(t, live, mnt), ownMounts(t, replayed, mnt)); diff != "" {
		t.Errorf("replayed inventory differs from the live one (-live +replayed):\n%s", diff)
	}
}

// checkMBRBody runs task create --dry-run on the disks and checks what SMS would receive
// for the MBR disk: the extended partition with its table extent and no filesystem,
// index = partition number - 1 for every partition (logical ones included), and the
// extended partition's size covering its logical partitions.
func checkMBRBody(t *testing.T, diskA, diskB, diskC string) {
	t.Helper()
	// --force: / is not on these disks, which check reports as an ERROR.
	out, stderr, code := agentRun(t, "task", "create", "--dry-run", "--force", "--source-id", "src-1", "--region", "r1", "--project-id", "p1",
		"--devices", strings.Join([]string{diskA, diskB, diskC}, ","))
	if code != 0 && code != 3 {
		t.Fatalf("task create --dry-run: exit %d\n%s", code, stderr)
	}
	var body struct {
		TargetServer struct {
			Disks []struct {
				Name            string `json:"name"`
				PhysicalVolumes []struct {
					Name       string `json:"name"`
					Index      int    `json:"index"`
					Size       int64  `json:"size"`
					FileSystem string `json:"file_system"`
					DeviceUse  string `json:"device_use"`
				} `json:"physical_volumes"`
			} `json:"disks"`
		} `json:"target_server"`
	}
	if err := json.Unmarshal([]byte(out), &body); err != nil {
		t.Fatalf("body: %v\n%s", err, out)
	}
	table := partxTable(t, diskB)
	for _, d := range body.TargetServer.Disks {
		if d.Name != diskB {
			continue
		}
		var got []string
		for _, pv := range d.PhysicalVolumes {
			nr, _ := strconv.Atoi(strings.TrimPrefix(pv.Name, diskB+"p"))
			got = append(got, fmt.Sprintf("%s index %d size %d fs %q use %s", pv.Name, pv.Index, pv.Size, pv.FileSystem, pv.DeviceUse))
			if pv.Index != nr-1 || pv.Size != table[nr].sector*512 {
				t.Errorf("%s: index %d size %d; want %d and partx's %d", pv.Name, pv.Index, pv.Size, nr-1, table[nr].sector*512)
			}
		}
		want := []string{
			fmt.Sprintf("%sp1 index 0 size %d fs \"ext4\" use NORMAL", diskB, table[1].sector*512),
			fmt.Sprintf("%sp2 index 1 size %d fs \"\" use NORMAL", diskB, table[2].sector*512),
			fmt.Sprintf("%sp5 index 4 size %d fs \"ext4\" use NORMAL", diskB, table[5].sector*512),
			fmt.Sprintf("%sp6 index 5 size %d fs \"ext2\" use NORMAL", diskB, table[6].sector*512),
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s in the task body (-want +got):\n%s", diskB, diff)
		}
		if end := table[6].start + table[6].sector; table[2].start+table[2].sector < end {
			t.Errorf("the extended partition (%d+%d) does not cover the last logical one (ends at %d)", table[2].start, table[2].sector, end)
		}
		return
	}
	t.Errorf("%s is not in the task body:\n%s", diskB, out)
}

// ownMounts decodes an inventory and keeps only the mounts below dir.
func ownMounts(t *testing.T, js, dir string) inventory.Inventory {
	t.Helper()
	var inv inventory.Inventory
	if err := json.Unmarshal([]byte(js), &inv); err != nil {
		t.Fatal(err)
	}
	var keep []inventory.Mount
	for _, m := range inv.Mounts {
		if strings.HasPrefix(m.MountPoint, dir+"/") {
			keep = append(keep, m)
		}
	}
	inv.Mounts = keep
	return inv
}

func hasWarning(inv inventory.Inventory, msg string) bool {
	for _, w := range inv.Warnings {
		if w.Message == msg {
			return true
		}
	}
	return false
}

func checkUsage(t *testing.T, name, mp string, u *inventory.Usage, used int64) {
	t.Helper()
	if mp == "" {
		if u != nil || used != 0 {
			t.Errorf("%s: unmounted but usage %+v used %d", name, u, used)
		}
		return
	}
	s := statFS(t, mp)
	if u == nil {
		t.Errorf("%s: mounted at %s but no usage", name, mp)
		return
	}
	want := inventory.Usage{FSSize: s.blocks * s.frsize, UsedSize: (s.blocks - s.bfree) * s.frsize, FreeSize: s.bavail * s.frsize,
		InodeNums: s.files, BlockCount: s.blocks}
	got := *u
	got.InodesFree, got.BlockSize = 0, 0
	if got != want || used != want.UsedSize {
		t.Errorf("%s: usage %+v used %d; stat -f says %+v", name, got, used, want)
	}
}
