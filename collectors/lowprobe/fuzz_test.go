package lowprobe

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Fuzz targets, one per parser and one for the whole probe. A device is built from the
// input as a sparse strictDev of any size up to 1 TiB whose non-zero bytes the input
// lists (seedExtents): no panic, no read outside the device, a bounded number of reads,
// and — for the whole probe — a capture that replays to the same answer.

const fuzzMaxSize = 1 << 40

// fuzzSeeds adds each device of the named fixtures (all of them when none is named)
// as a seed.
func fuzzSeeds(f *testing.F, names ...string) {
	for _, file := range fixtureFiles(f) {
		fx, err := readFixture(file)
		if err != nil {
			f.Fatal(err)
		}
		base := file[len("testdata/") : len(file)-len(".probe")]
		if len(names) > 0 && !slices.ContainsFunc(names, func(n string) bool { return len(base) >= len(n) && base[:len(n)] == n }) {
			continue
		}
		for _, d := range fx.devices {
			k, _ := ParseKind(d.capture.Kind)
			sector := uint8(0)
			if d.capture.SectorSize == 4096 {
				sector = 3
			}
			f.Add(seedExtents(nonZero(d.capture)), d.capture.Size, uint8(k), sector)
		}
	}
}

// seedExtents encodes extents as a fuzz input: each an 8-byte offset, a 2-byte length
// and the bytes, little-endian.
func seedExtents(ext []Extent) []byte {
	var b []byte
	for _, e := range ext {
		for off := 0; off < len(e.Data); off += 0xffff {
			chunk := e.Data[off:min(off+0xffff, len(e.Data))]
			b = le.AppendUint64(b, uint64(e.Off)+uint64(off))
			b = le.AppendUint16(b, uint16(len(chunk)))
			b = append(b, chunk...)
		}
	}
	return b
}

// fuzzExtents decodes seedExtents' encoding; a truncated tail is dropped.
func fuzzExtents(b []byte, size int64) []Extent {
	var out []Extent
	for len(b) >= 10 {
		off, n := int64(le.Uint64(b)%uint64(max(size, 1))), int(le.Uint16(b[8:]))
		b = b[10:]
		n = min(n, len(b))
		if int64(n) > size-off {
			n = int(size - off)
		}
		out = append(out, Extent{off, b[:n]})
		b = b[n:]
	}
	return out
}

func fuzzTarget(t *testing.T, data []byte, size int64, kind, sector uint8) (Target, *strictDev) {
	if size < 0 {
		size = -size
	}
	size %= fuzzMaxSize
	dev := &strictDev{t: t, ext: fuzzExtents(data, size), size: size}
	return Target{Dev: dev, Size: size, SectorSize: 512 << (sector % 4), Kind: Kind(kind % 3), Record: true}, dev
}

func checkReads(t *testing.T, dev *strictDev) {
	if dev.reads > 2*MaxReads { // a failed window is read again as the request alone
		t.Errorf("%d device reads", dev.reads)
	}
}

func FuzzProbe(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, size int64, kind, sector uint8) {
		tgt, dev := fuzzTarget(t, data, size, kind, sector)
		if tgt.Kind == Partition {
			tab, err := ReadTable(Target{Dev: dev, Size: tgt.Size, SectorSize: tgt.SectorSize, Kind: WholeDisk})
			if err != nil {
				t.Fatalf("ReadTable: %v", err)
			}
			tgt.Entry = &EntryQuery{Table: tab, Start: 2048, Size: uint64(tgt.Size) >> 9, Disk: "8:0"}
		}
		res, err := Probe(tgt)
		checkReads(t, dev)
		if err != nil {
			t.Fatalf("Probe: %v", err) // a sparse in-memory device never fails a read
		}
		rt, err := res.Capture.Target()
		if err != nil {
			t.Fatal(err)
		}
		rt.Entry = tgt.Entry
		again, err := Probe(rt)
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if again.Status != res.Status || !cmp.Equal(again.Values, res.Values) {
			t.Errorf("replay: %v %v, live %v %v", again.Status, again.Values, res.Status, res.Values)
		}
	})
}

func FuzzReadTable(f *testing.F) {
	fuzzSeeds(f, "gpt", "mbr", "pmbr", "lvm-pv-mbr")
	f.Fuzz(func(t *testing.T, data []byte, size int64, kind, sector uint8) {
		tgt, dev := fuzzTarget(t, data, size, kind, sector)
		tab, err := ReadTable(tgt)
		checkReads(t, dev)
		if err != nil {
			t.Fatalf("ReadTable: %v", err)
		}
		for _, p := range tab.Parts {
			if p.Number < 1 {
				t.Errorf("partition number %d", p.Number)
			}
		}
	})
}

// fuzzSuperblock runs the named superblock probers alone, as the chain would when
// their magic matches.
func fuzzSuperblock(f *testing.F, seeds []string, names ...string) {
	fuzzSeeds(f, seeds...)
	f.Fuzz(func(t *testing.T, data []byte, size int64, kind, sector uint8) {
		tgt, dev := fuzzTarget(t, data, size, kind, sector)
		p, err := newProber(tgt)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range superblocks {
			if !slices.Contains(names, id.name) {
				continue
			}
			m, ok, err := p.idmag(id.magics)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				continue
			}
			if id.probe != nil {
				_, err = id.probe(p, m)
			} else if id.sniff != nil {
				_, err = id.sniff(p)
			}
			if err != nil {
				t.Fatalf("%s: %v", id.name, err)
			}
		}
		if p.err != nil {
			t.Fatal(p.err)
		}
		checkReads(t, dev)
	})
}

func FuzzExt(f *testing.F) {
	fuzzSuperblock(f, []string{"ext", "jbd"}, "ext4dev", "ext4", "ext3", "ext2", "jbd")
}
func FuzzXFS(f *testing.F)   { fuzzSuperblock(f, []string{"xfs"}, "xfs", "xfs_external_log") }
func FuzzBtrfs(f *testing.F) { fuzzSuperblock(f, []string{"btrfs"}, "btrfs") }
func FuzzVFAT(f *testing.F)  { fuzzSuperblock(f, []string{"vfat", "gpt"}, "vfat") }
func FuzzExFAT(f *testing.F) { fuzzSuperblock(f, []string{"exfat"}, "exfat") }
func FuzzNTFS(f *testing.F)  { fuzzSuperblock(f, []string{"ntfs", "mbr"}, "ntfs") }
func FuzzSwap(f *testing.F)  { fuzzSuperblock(f, []string{"swap"}, "swap", "swsuspend") }
func FuzzLVM2(f *testing.F)  { fuzzSuperblock(f, []string{"lvm"}, "LVM2_member") }
func FuzzLUKS(f *testing.F)  { fuzzSuperblock(f, []string{"luks"}, "crypto_LUKS", "BitLocker") }
func FuzzMD(f *testing.F)    { fuzzSuperblock(f, []string{"md", "gpt"}, "linux_raid_member") }
func FuzzISO9660(f *testing.F) {
	fuzzSuperblock(f, []string{"iso9660", "udf"}, "iso9660", "udf")
}
func FuzzSquashfs(f *testing.F) { fuzzSuperblock(f, []string{"squashfs"}, "squashfs", "squashfs3") }
func FuzzEROFS(f *testing.F)    { fuzzSuperblock(f, []string{"erofs"}, "erofs") }
func FuzzF2FS(f *testing.F)     { fuzzSuperblock(f, []string{"f2fs"}, "f2fs") }
func FuzzBcache(f *testing.F)   { fuzzSuperblock(f, []string{"bcache"}, "bcache") }
func FuzzZFS(f *testing.F)      { fuzzSuperblock(f, []string{"zfs"}, "zfs_member") }

// FuzzForeign runs the signatures the prober only recognises.
func FuzzForeign(f *testing.F) {
	var names []string
	for _, id := range superblocks {
		if id.probe == nil {
			names = append(names, id.name)
		}
	}
	fuzzSuperblock(f, []string{"minix", "cramfs", "udf", "zeros"}, names...)
}
