package lowprobe

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func fixtureFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/*.probe")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.probe fixtures")
	}
	sort.Strings(files)
	return files
}

// TestFixtures replays every device captured from images made by the real tools and
// wants exactly what blkid printed for it, and a capture of exactly the bytes read.
func TestFixtures(t *testing.T) {
	statuses := map[string]int{}
	for _, file := range fixtureFiles(t) {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".probe"), func(t *testing.T) {
			fx, err := readFixture(file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := fx.replay()
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range fx.devices {
				res := got[d.name]
				statuses[res.Status.String()]++
				if res.Status.String() != d.status {
					t.Errorf("%s: status %v (%s), recorded %s", d.name, res.Status, res.Reason, d.status)
				}
				switch res.Status {
				case Identified:
					if d.blkidExit != 0 {
						t.Errorf("%s: identified, but blkid exited %d", d.name, d.blkidExit)
					}
					if diff := cmp.Diff(d.blkidText(), res.Export(d.name)); diff != "" {
						t.Errorf("%s: -blkid +prober:\n%s", d.name, diff)
					}
				case Empty:
					if d.blkidExit != 2 || len(d.blkid) != 0 {
						t.Errorf("%s: empty, but blkid exited %d with %d lines", d.name, d.blkidExit, len(d.blkid))
					}
				case Ambivalent:
					if d.blkidExit != 8 {
						t.Errorf("%s: ambivalent, but blkid exited %d", d.name, d.blkidExit)
					}
				case NeedsBlkid:
					if d.blkidExit != 0 || len(d.blkid) == 0 {
						t.Errorf("%s: needs blkid, but blkid exited %d with %d lines", d.name, d.blkidExit, len(d.blkid))
					}
				}
				checkCaptureIsExact(t, d, res, fx)
			}
		})
	}
	t.Logf("devices by status: %v", statuses)
}

// checkCaptureIsExact: what the replay read is the fixture's capture, no more.
func checkCaptureIsExact(t *testing.T, d *fixtureDevice, res *Result, fx *fixture) {
	t.Helper()
	c := res.Capture
	if c == nil {
		t.Fatalf("%s: no capture", d.name)
	}
	if c.Kind != d.capture.Kind || c.Size != d.capture.Size {
		t.Errorf("%s: capture of a %s of %d bytes, fixture %s of %d", d.name, c.Kind, c.Size, d.capture.Kind, d.capture.Size)
	}
	if k, _ := ParseKind(c.Kind); k != Partition {
		tgt, _ := d.capture.Target()
		tgt.Record = true
		tab, err := ReadTable(tgt)
		if err != nil {
			t.Fatal(err)
		}
		c.Merge(tab.Capture)
	}
	if c.Bytes() != d.capture.Bytes() || !sameExtents(c.Extents, d.capture.Extents) {
		t.Errorf("%s: the replay read %d bytes in %d extents, the fixture holds %d in %d", d.name, c.Bytes(), len(c.Extents), d.capture.Bytes(), len(d.capture.Extents))
	}
}

func sameExtents(a, b []Extent) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Off != b[i].Off || !bytes.Equal(a[i].Data, b[i].Data) {
			return false
		}
	}
	return true
}

// TestFixtureFormatRoundTrip: a fixture reads back to the same text.
func TestFixtureFormatRoundTrip(t *testing.T) {
	for _, file := range fixtureFiles(t) {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		fx, err := parseFixture(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(raw), string(fx.format())); diff != "" {
			t.Errorf("%s: -file +formatted:\n%s", file, diff)
		}
	}
}

// strictDev is a sparse device of size bytes (zeros but for its extents) that fails
// the test on any read outside it and counts reads.
type strictDev struct {
	t     testing.TB
	ext   []Extent
	size  int64
	reads int
}

func (d *strictDev) ReadAt(p []byte, off int64) (int, error) {
	d.reads++
	if off < 0 || off+int64(len(p)) > d.size {
		d.t.Errorf("read of %d bytes at %d on a device of %d bytes", len(p), off, d.size)
		return 0, errors.New("outside the device")
	}
	clear(p)
	end := off + int64(len(p))
	for _, e := range d.ext {
		eend := e.Off + int64(len(e.Data))
		if e.Off >= end || eend <= off {
			continue
		}
		from, to := max(e.Off, off), min(eend, end)
		copy(p[from-off:to-off], e.Data[from-e.Off:to-e.Off])
	}
	return len(p), nil
}

// nonZero is the capture's extents without the zero bytes, which a sparse device
// has anyway.
func nonZero(c *Capture) []Extent {
	var out []Extent
	for _, e := range c.Extents {
		for i := 0; i < len(e.Data); {
			if e.Data[i] == 0 {
				i++
				continue
			}
			j := i
			for j < len(e.Data) && (e.Data[j] != 0 || (j+1 < len(e.Data) && e.Data[j+1] != 0)) {
				j++
			}
			out = append(out, Extent{e.Off + int64(i), e.Data[i:j]})
			i = j
		}
	}
	return out
}

// TestNeverPastTheEnd probes every fixture device rebuilt as a sparse device that
// fails on any read past its end, at its own size and at sizes cut short.
func TestNeverPastTheEnd(t *testing.T) {
	for _, file := range fixtureFiles(t) {
		fx, err := readFixture(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range fx.devices {
			k, _ := ParseKind(d.capture.Kind)
			for _, size := range []int64{d.capture.Size, d.capture.Size / 2, 1 << 20, 1440 * 1024, 4096, 1025, 1024, 511, 0} {
				var ext []Extent
				for _, e := range nonZero(d.capture) {
					if e.Off+int64(len(e.Data)) <= size {
						ext = append(ext, e)
					}
				}
				dev := &strictDev{t: t, ext: ext, size: size}
				tgt := Target{Dev: dev, Size: size, SectorSize: d.capture.SectorSize, Kind: k}
				if _, err := Probe(tgt); err != nil {
					t.Errorf("%s at %d bytes: %v", d.name, size, err)
				}
				if _, err := ReadTable(tgt); err != nil {
					t.Errorf("%s at %d bytes: table: %v", d.name, size, err)
				}
				if dev.reads > 2*MaxReads {
					t.Errorf("%s at %d bytes: %d reads", d.name, size, dev.reads)
				}
			}
		}
	}
}

// image is a synthetic device for cases no tool makes on purpose.
type image struct {
	b []byte
}

func newImage(size int) *image { return &image{make([]byte, size)} }

func (im *image) mbrEntry(sector int64, i int, boot, typ byte, start, size uint32) {
	e := sector*512 + 0x1be + int64(i)*16
	im.b[e], im.b[e+4] = boot, typ
	le.PutUint32(im.b[e+8:], start)
	le.PutUint32(im.b[e+12:], size)
	im.b[sector*512+510], im.b[sector*512+511] = 0x55, 0xAA
}

func (im *image) target(kind Kind) Target {
	return Target{Dev: bytes.NewReader(im.b), Size: int64(len(im.b)), Kind: kind}
}

// TestEBRLoop: an extended partition whose EBR links back to itself, and a chain of
// EBRs longer than 100 links without data partitions, end with bounded reads.
func TestEBRLoop(t *testing.T) {
	im := newImage(8 << 20)
	le.PutUint32(im.b[440:], 0xdeadbeef)
	im.mbrEntry(0, 0, 0x80, 0x83, 2048, 2048)
	im.mbrEntry(0, 1, 0, 0x05, 4096, 8192)
	// EBR at 4096: a logical partition, then a link to itself.
	im.mbrEntry(4096, 0, 0, 0x83, 64, 128)
	im.mbrEntry(4096, 1, 0, 0x05, 0, 8192) // start 0: "link offset is zero", ignored
	im.mbrEntry(4096, 2, 0, 0x05, 512, 100)
	// EBR at 4096+512 links back to 4096+512 itself.
	im.mbrEntry(4096+512, 1, 0, 0x05, 512, 100)
	tab, err := ReadTable(im.target(File))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range tab.Parts {
		got = append(got, fmt.Sprintf("%d:%d+%d 0x%x %s", p.Number, p.Start, p.Size, p.Type, p.UUID))
	}
	want := []string{"1:2048+2048 0x83 deadbeef-01", "2:4096+8192 0x5 deadbeef-02", "5:4160+128 0x83 deadbeef-05"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("-want +got:\n%s", diff)
	}
	if tab.Reads > 4 {
		t.Errorf("%d reads for a looping chain", tab.Reads)
	}
	// A device probe of the extended partition itself reports its EBR as a table.
	res, err := Probe(Target{Dev: bytes.NewReader(im.b[4096*512 : 4096*512+1024]), Size: 1024, Kind: Partition,
		Entry: &EntryQuery{Table: tab, Start: 4096, Size: 2, Disk: "8:0"}})
	if err != nil {
		t.Fatal(err)
	}
	wantExport := "DEVNAME=/dev/sda2\nPTTYPE=dos\nPART_ENTRY_SCHEME=dos\nPART_ENTRY_UUID=deadbeef-02\nPART_ENTRY_TYPE=0x5\nPART_ENTRY_NUMBER=2\nPART_ENTRY_OFFSET=4096\nPART_ENTRY_SIZE=8192\nPART_ENTRY_DISK=8:0\n"
	if diff := cmp.Diff(wantExport, res.Export("/dev/sda2")); diff != "" {
		t.Errorf("extended partition -want +got:\n%s", diff)
	}
}

// TestEBRChainLimit: 150 chained EBRs without data partitions stop after 100.
func TestEBRChainLimit(t *testing.T) {
	im := newImage(2 << 20)
	im.mbrEntry(0, 0, 0, 0x0f, 100, 3000)
	for i := int64(0); i < 150; i++ {
		im.mbrEntry(100+i*2, 0, 0, 0x05, uint32(2+i*2), 2)
	}
	d := &strictDev{t: t, ext: []Extent{{0, im.b}}, size: int64(len(im.b))}
	tab, err := ReadTable(Target{Dev: d, Size: d.size, Kind: WholeDisk, Record: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Parts) != 1 || tab.Reads > 4 {
		t.Errorf("%d partitions, %d reads; want the extended one and a few reads", len(tab.Parts), tab.Reads)
	}
	c := tab.Capture
	last := c.Extents[len(c.Extents)-1]
	if ebr := (last.Off>>9 - 100) / 2; ebr != 99 {
		t.Errorf("the last EBR looked at is number %d, want 99 (the 100th)", ebr)
	}
}

// TestGPTHugeEntryArray: a GPT header that asks for an entry array larger than the
// prober reads is left to blkid.
func TestGPTHugeEntryArray(t *testing.T) {
	im := newImage(64 << 20)
	im.mbrEntry(0, 0, 0, 0xee, 1, 0xffffffff)
	h := im.b[512:]
	copy(h, "EFI PART")
	le.PutUint32(h[8:], 0x10000)
	le.PutUint32(h[12:], 92)
	le.PutUint64(h[24:], 1)
	le.PutUint64(h[32:], uint64(len(im.b)/512-1))
	le.PutUint64(h[40:], 34)
	le.PutUint64(h[48:], uint64(len(im.b)/512-34))
	le.PutUint64(h[72:], 2)
	le.PutUint32(h[80:], 65536) // 8 MiB of entries
	le.PutUint32(h[84:], 128)
	le.PutUint32(h[16:], crc32.ChecksumIEEE(h[:92]))
	res, err := Probe(im.target(WholeDisk))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != NeedsBlkid || !strings.Contains(res.Reason, "GPT entry array") {
		t.Errorf("status %v (%s), want needs blkid for the entry array", res.Status, res.Reason)
	}
}

// TestReplayMissingBytes: a capture that lacks bytes the probe needs fails the
// replay with ErrNotCaptured instead of guessing.
func TestReplayMissingBytes(t *testing.T) {
	fx, err := readFixture("testdata/ext4.probe")
	if err != nil {
		t.Fatal(err)
	}
	c := fx.devices[0].capture
	c.Extents = c.Extents[:len(c.Extents)/2]
	tgt, err := c.Target()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Probe(tgt); !errors.Is(err, ErrNotCaptured) {
		t.Errorf("Probe of a cut capture: %v, want ErrNotCaptured", err)
	}
}

// TestMaskedBytes: bytes only compared with magic strings are zeros in a capture;
// the ext4 superblock the parser read is kept.
func TestMaskedBytes(t *testing.T) {
	im := newImage(32 << 20)
	for i := 64 * 1024; i < 256*1024; i++ {
		im.b[i] = 0xa5 // "file data" the xfs external log scan looks at
	}
	tgt := im.target(File)
	tgt.Record = true
	res, err := Probe(tgt)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Capture
	for _, e := range c.Extents {
		if !allZero(e.Data) {
			t.Errorf("%d bytes at %d kept; only compared, they should be zeros", len(e.Data), e.Off)
		}
	}
	rt, _ := c.Target()
	again, err := Probe(rt)
	if err != nil || again.Status != res.Status {
		t.Errorf("replay: %v %v, live %v", again.Status, err, res.Status)
	}
}

func TestKindAndStatusNames(t *testing.T) {
	for _, k := range []Kind{File, WholeDisk, Partition} {
		if got, err := ParseKind(k.String()); err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := ParseKind("tape"); err == nil {
		t.Error("ParseKind(tape): no error")
	}
	if Kind(7).String() != "kind(7)" || Status(9).String() != "status(9)" {
		t.Error("unknown values are not named by number")
	}
}

func TestExportEscaping(t *testing.T) {
	r := &Result{Status: Identified, Values: []Value{{"LABEL", "a b\\c\"d'e$f`g<h>i\x01\x7fé"}}}
	want := "DEVNAME=x\nLABEL=a\\ b\\\\c\\\"d\\'e\\$f\\`g\\<h\\>i^A^?M-CM-)\n"
	if got := r.Export("x"); got != want {
		t.Errorf("Export = %q, want %q", got, want)
	}
}
