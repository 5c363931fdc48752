//go:build e2e && linux

package lowprobe

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// benchDisks builds a typical small server's devices on loop devices: a GPT system
// disk (ESP, root, swap), an XFS data disk, an LVM PV disk and an MBR disk with /boot
// and a PV partition. It returns the disks and all devices (disks then partitions).
func benchDisks(b *testing.B) (disks, devs []string) {
	dir := b.TempDir()
	type disk struct{ size, img, dev string }
	layout := []disk{
		{"1G", `sfdisk -q "$IMG" <<'EOF'
label: gpt
size=100M, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI System Partition"
size=600M, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root
type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, name=swap
EOF`, `mkfs.vfat -F 32 -n ESP "${DEV}p1" >/dev/null; mkfs.ext4 -q -L root "${DEV}p2"; mkswap -q "${DEV}p3"`},
		{"400M", `mkfs.xfs -q -f -L data "$IMG"`, ``},
		{"100M", `true`, `lvmpv "$DEV"`},
		{"500M", `printf 'label: dos\nstart=2048, size=200M, type=83, bootable\ntype=8e\n' | sfdisk -q "$IMG"`, `mkfs.ext4 -q -L boot "${DEV}p1"; lvmpv "${DEV}p2"`},
	}
	for i, d := range layout {
		img := filepath.Join(dir, "disk"+string(rune('a'+i))+".img")
		run(b, nil, "truncate", "-s", d.size, img)
		run(b, []string{"IMG=" + img}, "bash", "-euo", "pipefail", "-c", shellPrelude+d.img)
		dev := attachLoop(b, img, 0)
		if d.dev != "" {
			run(b, []string{"DEV=" + dev}, "bash", "-euo", "pipefail", "-c", shellPrelude+d.dev)
		}
		disks = append(disks, dev)
		devs = append(devs, dev)
	}
	for _, d := range disks {
		devs = append(devs, partitionsOf(b, d)...)
	}
	return disks, devs
}

// probeAll identifies every device the way discovery would: each disk's table read
// once, each device probed once.
func probeAll(b *testing.B, disks []string) int {
	n := 0
	for _, d := range disks {
		t, done, err := OpenDevice(d, false)
		if err != nil {
			b.Fatal(err)
		}
		tab, err := ReadTable(t)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Probe(t); err != nil {
			b.Fatal(err)
		}
		n++
		for _, p := range partitionsOf(b, d) {
			pt, pdone, err := openPartition(p, tab)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Probe(pt); err != nil {
				b.Fatal(err)
			}
			pdone()
			n++
		}
		done()
	}
	return n
}

// openPartition is OpenDevice without reading the disk's table again.
func openPartition(path string, tab *Table) (Target, func() error, error) {
	t, done, err := OpenDevice(path, false)
	if err == nil && t.Entry != nil {
		t.Entry.Table = tab
	}
	return t, done, err
}

// BenchmarkVsBlkid compares identifying a typical device set in-process with one
// `blkid -c /dev/null -p -o export` process for all of them (what fsid runs today),
// interleaved in the same run; it reports both times and their ratio.
func BenchmarkVsBlkid(b *testing.B) {
	disks, devs := benchDisks(b)
	argv := append([]string{"-c", "/dev/null", "-p", "-o", "export"}, devs...)
	var native, blkid time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		probeAll(b, disks)
		t1 := time.Now()
		if out, err := exec.Command("blkid", argv...).Output(); err != nil || len(out) == 0 {
			b.Fatalf("blkid: %v", err)
		}
		native += t1.Sub(t0)
		blkid += time.Since(t1)
	}
	b.ReportMetric(float64(native.Nanoseconds())/float64(b.N), "ns/native")
	b.ReportMetric(float64(blkid.Nanoseconds())/float64(b.N), "ns/blkid")
	b.ReportMetric(float64(blkid)/float64(native), "blkid/native")
	b.ReportMetric(float64(len(devs)), "devices")
}
