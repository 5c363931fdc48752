//go:build e2e && linux

package lowprobe

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// The real-image tests: every case builds an image with the real tools (on a sparse
// file in t.TempDir(); partitioned layouts on a loop device over it), probes each device
// with the prober and with `blkid -p -o export`, and wants the same bytes. With
// -update they rewrite testdata/NAME.probe, the fixtures `go test` replays without the
// tools. Run as root, under flock /work/notes/e2e.lock (loop devices).

var update = flag.Bool("update", false, "rewrite testdata/*.probe from the images built here")

type e2eCase struct {
	name string
	note string // how the image was made, for the fixture's header
	size string // truncate -s
	// img runs on the image file ($IMG, in $DIR); dev, for a loop case, on the loop
	// device ($DEV, partitions ${DEV}p1...) after partx added its partitions.
	img, dev string
	loop     bool
	sector   int    // the loop device's logical sector size (losetup -b); 0: 512
	want     Status // the prober's status (Identified unless said)
	zfs      bool   // needs the zfs-fuse daemon
}

// e2eCases are the layouts. Scripts run with bash -euo pipefail and these helpers:
// lvmpv DEV (pvcreate that sees only DEV, keeps no backups); $SRC, a small directory
// tree for image builders.
var e2eCases = []e2eCase{
	{name: "ext2", size: "64M", img: `mkfs.ext2 -q -F -L 'lbl two' -U 0b5ef6e1-6a4f-4c57-8d5c-0c8c2b9b4b11 "$IMG"`},
	{name: "ext3", size: "64M", img: `mkfs.ext3 -q -F -U 1c3d5f70-1b2a-4c3d-9e8f-a0b1c2d3e4f5 "$IMG"`},
	{name: "ext4", size: "300M", img: `mkfs.ext4 -q -F -L 'root fs' -U 3f6b1f3c-0f05-4ab5-9d7e-1f2a3b4c5d6e "$IMG"`},
	{name: "ext4-1k", size: "20M", img: `mkfs.ext4 -q -F -b 1024 -L small "$IMG"`},
	{name: "jbd", note: "an ext4 external journal device", size: "16M", img: `mke2fs -q -F -O journal_dev -b 4096 "$IMG"`},
	{name: "xfs", size: "300M", img: `mkfs.xfs -q -f -L xfsdata -m uuid=8a5e0c1d-2b3f-4a6e-9c7d-1e2f3a4b5c6d "$IMG"`},
	{name: "btrfs", size: "300M", img: `mkfs.btrfs -q -f -L 'btr fs' -U 9262a04c-aa99-4afa-881b-df194b1d44f4 "$IMG"`},
	{name: "vfat-fat12", size: "4M", img: `mkfs.vfat -F 12 -n SMALL -i 1234abcd "$IMG" >/dev/null`},
	{name: "vfat-fat16", size: "100M", img: `mkfs.vfat -F 16 -n ESP -i 0538c8fd "$IMG" >/dev/null`},
	{name: "vfat-fat32", size: "300M", img: `mkfs.vfat -F 32 -n 'BIG FAT' -i 7591179b "$IMG" >/dev/null`},
	{name: "vfat-fat32-nolabel", size: "300M", img: `mkfs.vfat -F 32 -i 00c0ffee "$IMG" >/dev/null`},
	{name: "exfat", size: "100M", img: `mkfs.exfat -L 'ex fat' "$IMG" >/dev/null`},
	{name: "exfat-unicode", size: "100M", img: `mkfs.exfat -L 'Données' "$IMG" >/dev/null`},
	{name: "ntfs", size: "100M", img: `mkntfs -q -F -f -L 'Données Win' "$IMG" 2>/dev/null`},
	{name: "swap", size: "100M", img: `mkswap -q -L swaplbl -U 6525d92d-888d-4915-9e97-c2a538d4f46b "$IMG"`},
	{name: "swap-nolabel", size: "64M", img: `mkswap -q "$IMG"`},
	{name: "swap-64k-pages", note: "mkswap -p 65536: the signature at the end of a 64 KiB page", size: "64M", img: `mkswap -q -p 65536 -L big "$IMG"`},
	{name: "luks1", size: "40M", img: `echo -n pw | cryptsetup luksFormat -q --type luks1 --pbkdf-force-iterations 1000 --uuid 0f5e3a7c-8b9d-4e1f-a2b3-c4d5e6f70819 "$IMG" -`},
	{name: "luks2", size: "40M", img: `echo -n pw | cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --label mylabel --subsystem mysub "$IMG" -`},
	{name: "luks2-secondary", note: "LUKS2 with its primary header (first 4 KiB) zeroed: found by its secondary header", size: "40M",
		img: `echo -n pw | cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --label second "$IMG" -; dd if=/dev/zero of="$IMG" bs=4096 count=1 conv=notrunc status=none`},
	{name: "squashfs", img: `mksquashfs "$SRC" "$IMG" -quiet -noappend >/dev/null`},
	{name: "erofs", img: `mkfs.erofs -U 5a6b7c8d-1e2f-4a3b-8c9d-0e1f2a3b4c5d "$IMG" "$SRC" >/dev/null 2>&1`},
	{name: "f2fs", size: "100M", img: `mkfs.f2fs -q -f -l f2label "$IMG"`},
	{name: "bcache-backing", size: "64M", img: `make-bcache -B "$IMG" >/dev/null`},
	{name: "bcache-cache", size: "64M", img: `make-bcache -C "$IMG" >/dev/null`},
	{name: "iso9660-joliet", img: `genisoimage -quiet -o "$IMG" -V 'MY ISO' -J -publisher 'Pub Co' -p 'Prep' "$SRC"`},
	{name: "iso9660-plain", img: `genisoimage -quiet -o "$IMG" -V PLAIN "$SRC"`},
	{name: "iso9660-eltorito", note: "genisoimage with an El Torito boot record", img: `cp "$SRC/a" "$DIR/boot.bin"; truncate -s 2048 "$DIR/boot.bin"; genisoimage -quiet -o "$IMG" -V BOOTME -b boot.bin -no-emul-boot -graft-points boot.bin="$DIR/boot.bin" "$SRC"`},
	{name: "iso9660-xorriso", img: `xorriso -outdev "$IMG" -volid XORRISO_VOL -joliet on -map "$SRC" / >/dev/null 2>&1`},
	{name: "vfat-floppy", note: "a 1440 KiB floppy image: libblkid's tiny-device rules (no RAID probes, the first signature wins)", size: "1440K", img: `mkfs.vfat -F 12 -n FLOPPY -i 0f10bb1e "$IMG" >/dev/null`},
	{name: "tiny-mbr", note: "a 1 MiB disk with an MBR: a small whole disk with a table is reported as the table only", loop: true, size: "1M",
		img: `printf 'label: dos\nlabel-id: 0x7e1e7e1e\nstart=64, type=6\n' | sfdisk -q "$IMG"`, dev: `mkfs.vfat -F 12 -n TINY -i 00d1ce00 "${DEV}p1" >/dev/null`},
	{name: "zeros", note: "nothing at all: blkid finds nothing", size: "10M", img: `true`, want: Empty},
	{name: "ambivalent-xfs-ext4", note: "ext4 with the first sector of an XFS filesystem copied over its boot block: two signatures", size: "300M",
		img: `mkfs.ext4 -q -F "$IMG"; truncate -s 300M "$DIR/x.img"; mkfs.xfs -q -f "$DIR/x.img"; dd if="$DIR/x.img" of="$IMG" bs=512 count=1 conv=notrunc status=none`, want: Ambivalent},
	{name: "udf-iso", note: "genisoimage -udf: UDF and ISO 9660, which blkid reports as udf", img: `genisoimage -quiet -o "$IMG" -udf -V HYBRID "$SRC"`, want: NeedsBlkid},
	{name: "udf", note: "mkudffs: a type the prober does not decode", size: "20M", img: `mkudffs --label=plainudf "$IMG" >/dev/null`, want: NeedsBlkid},
	{name: "minix", note: "mkfs.minix: a type the prober does not decode", size: "10M", img: `mkfs.minix "$IMG" >/dev/null`, want: NeedsBlkid},
	{name: "cramfs", size: "", img: `mkfs.cramfs "$SRC" "$IMG" >/dev/null`, want: NeedsBlkid},
	{name: "zfs", note: "a zfs-fuse pool (version 23) on the image, exported", size: "128M", img: `zpool create -f -m none lowprobe_e2e "$IMG"; zpool export lowprobe_e2e`, want: NeedsBlkid, zfs: true},

	// Partition tables, on loop devices so that blkid reports PART_ENTRY_*.
	{name: "gpt", loop: true, size: "300M", img: `sfdisk -q "$IMG" <<'EOF'
label: gpt
label-id: AB6FD283-8D38-404A-B4B5-AA4D16492001
size=50M, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI System", uuid=A8510747-91FB-3848-BC1A-B00166583E77
size=100M, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root é fs", uuid=36E0D292-30F8-0D40-99C5-626266B066B5, attrs="LegacyBIOSBootable"
type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, uuid=18F501C6-714B-0F43-AAC2-FCD5B67DE632
EOF`, dev: `mkfs.vfat -n EFI -i 0538c8fd "${DEV}p1" >/dev/null; mkfs.ext4 -q -L 'my root' -U 846de1bf-7207-4738-80c2-732508331f43 "${DEV}p2"; mkswap -q -U 6525d92d-888d-4915-9e97-c2a538d4f46b "${DEV}p3"`},
	{name: "gpt-backup", note: "GPT whose primary header (LBA 1) is zeroed: read from the backup header", loop: true, size: "64M", img: `sfdisk -q "$IMG" <<'EOF'
label: gpt
label-id: 1F2E3D4C-5B6A-4798-8A7B-6C5D4E3F2A1B
size=20M, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=data, uuid=0A1B2C3D-4E5F-4607-8819-2A3B4C5D6E7F
EOF
dd if=/dev/zero of="$IMG" bs=512 seek=1 count=1 conv=notrunc status=none`},
	{name: "gpt-4k", note: "GPT on a loop device with 4096-byte logical sectors", loop: true, sector: 4096, size: "64M", img: `true`,
		dev: `sfdisk -q "$DEV" <<'EOF'
label: gpt
label-id: 3C4D5E6F-7A8B-4C9D-8E0F-1A2B3C4D5E6F
size=20M, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=6F5E4D3C-2B1A-4098-8776-655443322110
EOF
partx -a "$DEV"; mkfs.ext4 -q -L fourk "${DEV}p1"`},
	{name: "gpt-hybrid", note: "a hybrid MBR (sgdisk -h 1): GPT wins", loop: true, size: "64M", img: `sgdisk -o -U 5E6F7A8B-9C0D-4E1F-8A2B-3C4D5E6F7A8B -n 1:2048:+20M -t 1:0700 -u 1:7A8B9C0D-1E2F-4A3B-8C4D-5E6F7A8B9C0D -n 2:0:+20M -t 2:8300 -u 2:0D1E2F3A-4B5C-4D6E-8F7A-8B9C0D1E2F3A -h 1 "$IMG" >/dev/null 2>&1`,
		dev: `mkfs.vfat -n HYB -i 4b1d5eed "${DEV}p1" >/dev/null`},
	{name: "pmbr-only", note: "a protective MBR without a GPT: PTTYPE=PMBR", size: "10M", img: `printf 'label: dos\nlabel-id: 0x11223344\nstart=1, type=ee\n' | sfdisk -q "$IMG"`},
	{name: "mbr-extended", note: "MBR: a bootable primary, an extended partition with three logical ones, a primary after it", loop: true, size: "300M", img: `sfdisk -q "$IMG" <<'EOF'
label: dos
label-id: 0x86d1aa9b
start=2048, size=60M, type=83, bootable
start=124928, size=200M, type=5
start=126976, size=40M, type=83
start=210944, size=50M, type=82
start=317440, size=80M, type=8e
start=538624, type=7
EOF`, dev: `mkfs.ext4 -q -L prim -U 8f080ac7-3a27-48ed-9c32-e8aa358b90fd "${DEV}p1"; mkfs.ext4 -q -L logical5 -U b6775a26-34d2-450a-971d-59cbb9b8f331 "${DEV}p5"; mkswap -q -U 2d3c4b5a-6978-4a1b-9c2d-3e4f5a6b7c8d "${DEV}p6"; lvmpv "${DEV}p7"; mkntfs -q -F -f -L win "${DEV}p3" 2>/dev/null`},
	{name: "lvm-pv", note: "pvcreate on a whole loop device", loop: true, size: "64M", img: `true`, dev: `lvmpv "$DEV"`},
	{name: "lvm-pv-mbr", note: "pvcreate, then an MBR written over its first sector: the table is newer, LVM's values go", loop: true, size: "64M", img: `true`,
		dev: `lvmpv "$DEV"; printf 'label: dos\nlabel-id: 0x0badcafe\nstart=2048, type=83\n' | sfdisk -q --no-reread --no-tell-kernel "$DEV"`},
}

// shellPrelude defines the helpers the case scripts use.
const shellPrelude = `
lvmpv() { lvm pvcreate -q -y --config "global{activation=0} backup{backup=0 archive=0} devices{obtain_device_list_from_udev=0 filter=[ \"a|^$1\$|\", \"r|.*|\" ]}" "$1" >/dev/null; }
`

func TestRealImages(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the real-image tests need root (loop devices, pvcreate)")
	}
	src := t.TempDir()
	for name, body := range map[string]string{"a": "hello\n", "sub/b.txt": strings.Repeat("lowprobe ", 400)} {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range e2eCases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.zfs {
				startZFS(t)
			}
			runCase(t, tc, src)
		})
	}
}

func runCase(t *testing.T, tc e2eCase, src string) {
	dir := t.TempDir()
	img := filepath.Join(dir, tc.name+".img")
	if tc.size != "" {
		run(t, nil, "truncate", "-s", tc.size, img)
	}
	env := []string{"IMG=" + img, "DIR=" + dir, "SRC=" + src}
	run(t, env, "bash", "-euo", "pipefail", "-c", shellPrelude+tc.img)
	fx := &fixture{comments: fixtureHeader(tc)}
	if !tc.loop {
		// blkid prints the path it was given: probe "NAME.img" from the directory.
		fx.devices = append(fx.devices, checkDevice(t, tc, dir, tc.name+".img", nil))
	} else {
		dev := attachLoop(t, img, tc.sector)
		if tc.dev != "" {
			run(t, append(env, "DEV="+dev), "bash", "-euo", "pipefail", "-c", shellPrelude+tc.dev)
		}
		_ = exec.Command("partx", "-u", dev).Run() // the table may have changed (fails without one)
		fx.devices = append(fx.devices, checkDevice(t, tc, "/", dev, nil))
		for _, part := range partitionsOf(t, dev) {
			fx.devices = append(fx.devices, checkDevice(t, tc, "/", part, fx.devices[0]))
		}
		normalizeLoop(fx, dev)
	}
	// The fixture replays to the same answers.
	got, err := fx.replay()
	if err != nil {
		t.Fatalf("replay of the captures: %v", err)
	}
	for _, d := range fx.devices {
		checkReplay(t, d, got[d.name])
	}
	if *update {
		if err := os.WriteFile(filepath.Join("testdata", tc.name+".probe"), fx.format(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func fixtureHeader(tc e2eCase) []string {
	h := []string{"# lowprobe fixture " + tc.name + ": made by TestRealImages (e2e_test.go) with:"}
	if tc.note != "" {
		h = append(h, "# "+tc.note)
	}
	if tc.size != "" {
		h = append(h, "#   truncate -s "+tc.size+" $IMG")
	}
	for _, l := range strings.Split(strings.TrimSpace(tc.img), "\n") {
		h = append(h, "#   "+l)
	}
	if tc.loop {
		h = append(h, fmt.Sprintf("#   losetup (sector size %d) and partx -a; then on $DEV:", max(tc.sector, 512)))
		for _, l := range strings.Split(strings.TrimSpace(tc.dev), "\n") {
			h = append(h, "#   "+l)
		}
	}
	return h
}

// checkDevice probes one device live and with blkid, compares, and returns it as a
// fixture device. disk is the partition's disk (already probed), or nil.
func checkDevice(t *testing.T, tc e2eCase, cwd, path string, disk *fixtureDevice) *fixtureDevice {
	t.Helper()
	tgt, done, table := liveTarget(t, filepath.Join(cwd, path))
	defer done()
	res, err := Probe(tgt)
	if err != nil {
		t.Fatalf("%s: Probe: %v", path, err)
	}
	if res.Reads > MaxReads {
		t.Errorf("%s: %d device reads", path, res.Reads)
	}
	out, code := blkid(t, cwd, path)
	d := &fixtureDevice{name: path, capture: res.Capture, blkidExit: code, blkid: lines(out), status: res.Status.String()}
	if table != nil {
		d.capture.Merge(table.Capture)
	}
	if disk != nil {
		d.disk, d.start, d.size, d.devno = disk.name, tgt.Entry.Start, tgt.Entry.Size, tgt.Entry.Disk
	}
	want := tc.want
	if disk != nil && want != Identified {
		want = Identified // the expectation is the whole image's
	}
	if res.Status != want {
		t.Errorf("%s: status %v (%s), want %v; blkid (exit %d):\n%s", path, res.Status, res.Reason, want, code, out)
	}
	switch res.Status {
	case Identified:
		if code != 0 {
			t.Errorf("%s: identified, but blkid exits %d:\n%s", path, code, out)
		}
		if diff := cmp.Diff(out, res.Export(path)); diff != "" {
			t.Errorf("%s: -blkid +prober:\n%s", path, diff)
		}
	case Empty:
		if code != 2 || out != "" {
			t.Errorf("%s: empty, but blkid exits %d:\n%s", path, code, out)
		}
	case Ambivalent:
		if code != 8 {
			t.Errorf("%s: ambivalent, but blkid exits %d:\n%s", path, code, out)
		}
	case NeedsBlkid:
		t.Logf("%s: needs blkid (%s); blkid says:\n%s", path, res.Reason, out)
	}
	return d
}

func checkReplay(t *testing.T, d *fixtureDevice, got *Result) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: not replayed", d.name)
		return
	}
	if got.Status.String() != d.status {
		t.Errorf("%s: replay status %v, live %s", d.name, got.Status, d.status)
	}
	if got.Status == Identified && got.Export(d.name) != d.blkidText() {
		t.Errorf("%s: replay -blkid +prober:\n%s", d.name, cmp.Diff(d.blkidText(), got.Export(d.name)))
	}
}

// liveTarget opens a device or image as discovery would describe it (OpenDevice),
// with the disk's or image's own table parse (recorded, for the fixture).
func liveTarget(t *testing.T, path string) (Target, func() error, *Table) {
	t.Helper()
	tgt, done, err := OpenDevice(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if tgt.Kind == Partition {
		return tgt, done, nil
	}
	tab, err := ReadTable(tgt)
	if err != nil {
		t.Fatalf("%s: ReadTable: %v", path, err)
	}
	return tgt, done, tab
}

// blkid runs `blkid -c /dev/null -p -o export path` in cwd.
func blkid(t *testing.T, cwd, path string) (string, int) {
	t.Helper()
	cmd := exec.Command("blkid", "-c", "/dev/null", "-p", "-o", "export", path)
	cmd.Dir = cwd
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("blkid %s: %v", path, err)
	}
	return out.String(), code
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func run(t testing.TB, env []string, argv ...string) string {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(append(os.Environ(), "LC_ALL=C.UTF-8"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// attachLoop attaches img to a new loop device, adds its partitions, and detaches it
// (with its partitions) when the test ends.
func attachLoop(t testing.TB, img string, sector int) string {
	t.Helper()
	args := []string{"losetup", "--find", "--show"}
	if sector != 0 {
		args = append(args, "-b", strconv.Itoa(sector))
	}
	dev := run(t, nil, append(args, img)...)
	t.Cleanup(func() {
		_ = exec.Command("partx", "-d", dev).Run()
		if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil {
			t.Errorf("cleanup: losetup -d %s: %v %s", dev, err, out)
		}
	})
	_ = exec.Command("partx", "-a", dev).Run() // fails when there is no table
	return dev
}

func partitionsOf(t testing.TB, dev string) []string {
	name := filepath.Base(dev)
	m, err := filepath.Glob("/sys/class/block/" + name + "/" + name + "p*")
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, p := range m {
		parts = append(parts, "/dev/"+filepath.Base(p))
	}
	sort.Slice(parts, func(i, j int) bool { return partNum(parts[i]) < partNum(parts[j]) })
	return parts
}

func partNum(p string) int {
	i := strings.LastIndexByte(p, 'p')
	n, _ := strconv.Atoi(p[i+1:])
	return n
}

// normalizeLoop renames the loop device to /dev/loop0 (major:minor 7:0) in a fixture,
// so that re-recording on another free loop device changes nothing.
func normalizeLoop(fx *fixture, dev string) {
	re := regexp.MustCompile("^" + regexp.QuoteMeta(dev) + "(p[0-9]+)?$")
	rename := func(s string) string { return re.ReplaceAllString(s, "/dev/loop0$1") }
	var disk string
	for _, d := range fx.devices {
		d.name = rename(d.name)
		d.disk = rename(d.disk)
		if d.devno != "" {
			disk = d.devno
			d.devno = "7:0"
		}
		for i, l := range d.blkid {
			if v, ok := strings.CutPrefix(l, "DEVNAME="); ok {
				d.blkid[i] = "DEVNAME=" + rename(v)
			}
			if l == "PART_ENTRY_DISK="+disk {
				d.blkid[i] = "PART_ENTRY_DISK=7:0"
			}
		}
	}
}

// startZFS runs a zfs-fuse daemon for the test (unless one answers already) and stops
// it at the end.
func startZFS(t *testing.T) {
	t.Helper()
	if exec.Command("zpool", "list").Run() == nil {
		return
	}
	cmd := exec.Command("zfs-fuse", "--no-daemon", "--no-kstat-mount")
	if err := cmd.Start(); err != nil {
		t.Fatalf("zfs-fuse: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(unix.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if exec.Command("zpool", "list").Run() == nil {
			return
		}
	}
	t.Fatal("zfs-fuse did not answer within 20s")
}

var (
	recordDevices = flag.String("record-devices", "", "TestRecordDevices: comma-separated devices to record (md-vm/record.sh)")
	recordOut     = flag.String("record-out", "", "TestRecordDevices: the fixture file to write")
	recordNote    = flag.String("record-note", "", "TestRecordDevices: the fixture's header, lines separated by |")
)

// TestRecordDevices compares devices made elsewhere (md-vm/record.sh builds md arrays in
// a VM, this kernel having no md driver) with blkid and writes them as one fixture:
// each disk, then its partitions. It does nothing without -record-devices.
func TestRecordDevices(t *testing.T) {
	if *recordDevices == "" {
		t.Skip("-record-devices not set: run by md-vm/record.sh in its VM")
	}
	fx := &fixture{}
	for _, l := range strings.Split(*recordNote, "|") {
		fx.comments = append(fx.comments, "# "+l)
	}
	disks := map[string]*fixtureDevice{}
	for _, dev := range strings.Split(*recordDevices, ",") {
		var disk *fixtureDevice
		if link, err := filepath.EvalSymlinks("/sys/class/block/" + filepath.Base(dev)); err == nil {
			if _, err := os.Stat(link + "/partition"); err == nil {
				disk = disks["/dev/"+filepath.Base(filepath.Dir(link))]
				if disk == nil {
					t.Fatalf("%s: its disk was not recorded before it", dev)
				}
			}
		}
		d := checkDevice(t, e2eCase{name: "record"}, "/", dev, disk)
		disks[dev] = d
		fx.devices = append(fx.devices, d)
	}
	got, err := fx.replay()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range fx.devices {
		checkReplay(t, d, got[d.name])
	}
	if err := os.WriteFile(*recordOut, fx.format(), 0o644); err != nil {
		t.Fatal(err)
	}
}
