package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sms-agent/sms-agent/collectors/blockdev"
	"github.com/sms-agent/sms-agent/collectors/fsid"
	"github.com/sms-agent/sms-agent/platform"
)

// diskName returns the kernel name of the i-th SCSI disk: sda..sdz, sdaa...
func diskName(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('a'+(i-1)%26)) + s
	}
	return "sd" + s
}

// synthHost lays out a replayable host with disks × parts partitions, the first
// `mounted` partitions mounted, a recorded blkid answer and statfs answers.
func synthHost(tb testing.TB, disks, parts, mounted int) platform.Host {
	tb.Helper()
	root := tb.TempDir()
	write := func(p, content string) {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	var names []string
	for i := 0; i < disks; i++ {
		names = append(names, diskName(i))
	}
	sort.Slice(names, func(i, j int) bool { return blockdev.LessKName(names[i], names[j]) })
	var mi, blk strings.Builder
	var probe []string
	var statfs []platform.ProbeRecord
	n := 0
	for i, d := range names {
		major, minor := 8+i/16*57, (i%16)*16 // a plausible sd numbering
		write("sys/block/"+d+"/dev", fmt.Sprintf("%d:%d\n", major, minor))
		write("sys/block/"+d+"/size", "209715200\n")
		write("sys/block/"+d+"/queue/logical_block_size", "512\n")
		write("sys/block/"+d+"/removable", "0\n")
		probe = append(probe, "/dev/"+d)
		fmt.Fprintf(&blk, "DEVNAME=/dev/%s\nPTUUID=%08x\nPTTYPE=dos\n\n", d, i)
		for p := 1; p <= parts; p++ {
			pn := fmt.Sprintf("%s%d", d, p)
			write(fmt.Sprintf("sys/block/%s/%s/dev", d, pn), fmt.Sprintf("%d:%d\n", major, minor+p))
			write(fmt.Sprintf("sys/block/%s/%s/partition", d, pn), fmt.Sprintf("%d\n", p))
			write(fmt.Sprintf("sys/block/%s/%s/start", d, pn), fmt.Sprintf("%d\n", 2048+(p-1)*40960000))
			write(fmt.Sprintf("sys/block/%s/%s/size", d, pn), "40960000\n")
			probe = append(probe, "/dev/"+pn)
			fmt.Fprintf(&blk, "DEVNAME=/dev/%s\nUUID=%08x-0000-4000-8000-%012x\nTYPE=ext4\nPART_ENTRY_SCHEME=dos\nPART_ENTRY_TYPE=0x83\n\n", pn, i, p)
			if n < mounted {
				mp := fmt.Sprintf("/srv/%s", pn)
				fmt.Fprintf(&mi, "%d 1 %d:%d / %s rw,relatime - ext4 /dev/%s rw\n", 100+n, major, minor+p, mp, pn)
				r, err := platform.ProbeRecordOf(platform.StatfsProbe, platform.StatfsQuery{Path: mp}, platform.FSStat{Type: 0xef53, Bsize: 4096, Frsize: 4096,
					Blocks: 5000000, Bfree: 4000000, Bavail: 3800000, Files: 1280000, Ffree: 1279000}, nil)
				if err != nil {
					tb.Fatal(err)
				}
				statfs = append(statfs, r)
				n++
			}
		}
	}
	write("proc/self/mountinfo", mi.String())
	write("proc/sys/kernel/hostname", "synth\n")
	write("proc/sys/kernel/osrelease", "6.1.0\n")
	write("proc/sys/kernel/arch", "x86_64\n")
	write("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
	write("sys/devices/system/cpu/online", "0-1\n")
	write("proc/meminfo", "MemTotal: 1024 kB\n")
	blkid, err := platform.ProbeRecordOf(platform.CommandProbe, platform.Command{Argv: fsid.BlkidArgv(probe)},
		platform.CommandOutput{Stdout: blk.String()}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	m := platform.Manifest{Format: platform.CaptureFormat, Version: platform.CaptureVersion, Privileged: true, OS: platform.OSLinux,
		Probes: map[string][]platform.ProbeRecord{platform.CommandProbe.Name: {blkid}, platform.StatfsProbe.Name: statfs}}
	b, _ := json.Marshal(m)
	write(platform.ManifestName, string(b))
	c, err := platform.OpenCapture(root, "")
	if err != nil {
		tb.Fatal(err)
	}
	return c.Host(time.Now)
}

func TestSynthHost(t *testing.T) {
	h := synthHost(t, 30, 4, 50)
	inv, err := Discover(context.Background(), h, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Warnings) != 0 {
		t.Fatalf("warnings: %v", inv.Warnings)
	}
	if len(inv.Disks) != 30 || len(inv.Mounts) != 50 {
		t.Fatalf("%d disks, %d mounts; want 30, 50", len(inv.Disks), len(inv.Mounts))
	}
	if got := inv.Disks[29].Name; got != "/dev/sdad" {
		t.Errorf("last disk %s; want /dev/sdad", got)
	}
	p := inv.Disks[0].PhysicalVolumes[0]
	if p.FileSystem != "ext4" || p.MountPoint != "/srv/sda1" || p.UsedSize != 1000000*4096 {
		t.Errorf("sda1 = %+v", p)
	}
}

// BenchmarkDiscoverSynthetic replays synthetic hosts of growing size; ns/device and
// ns/mount are reported so that linear growth shows as constant per-item costs.
func BenchmarkDiscoverSynthetic(b *testing.B) {
	for _, size := range []struct{ disks, parts, mounts int }{{100, 4, 200}, {1000, 4, 2000}} {
		b.Run(fmt.Sprintf("disks=%d/parts=%d/mounts=%d", size.disks, size.disks*size.parts, size.mounts), func(b *testing.B) {
			h := synthHost(b, size.disks, size.parts, size.mounts)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				inv, err := Discover(context.Background(), h, Options{})
				if err != nil || len(inv.Disks) != size.disks {
					b.Fatalf("discover: %v", err)
				}
			}
			per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(per/float64(size.disks*(1+size.parts)), "ns/device")
			b.ReportMetric(per/float64(size.mounts), "ns/mount")
		})
	}
}
