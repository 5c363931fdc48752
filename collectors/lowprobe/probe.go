// Package lowprobe identifies what is on a block device — filesystem, RAID, crypto or
// volume-manager signature and the partition table — in-process, reading the device
// read-only, and answers exactly what util-linux 2.38's `blkid -p -o export` prints:
// the same values, in the same order, byte for byte. Where the answer depends on a
// signature it does not decode, or blkid would find two, it says so (NeedsBlkid,
// Ambivalent) so that the caller asks blkid instead. Every byte a probe looked at is
// recorded (Result.Capture) and a capture replays to the same answer. See README.md.
package lowprobe

import (
	"errors"
	"fmt"
	"strings"
)

// Target is one device to probe.
type Target struct {
	// Dev is read with ReadAt; never written.
	Dev Device
	// Size is the device size in bytes (BLKGETSIZE64, or a file's size).
	Size int64
	// SectorSize is the logical sector size (BLKSSZGET); 0 means 512, as for a file.
	SectorSize int
	Kind       Kind
	// Entry finds a partition's entry in its disk's partition table, for the
	// PART_ENTRY_* values (Kind Partition only; nil: none are reported).
	Entry *EntryQuery
	// Record asks for the Capture of what the probe read (Result.Capture).
	Record bool

	replay *Capture
}

// EntryQuery says which entry of a disk's table a partition device is, the way
// libblkid matches it (blkid_partlist_devno_to_partition).
type EntryQuery struct {
	// Table is the disk's table (ReadTable of the disk); nil when it could not be read.
	Table *Table
	// Start and Size are the partition's /sys/class/block/<part>/start and size, in
	// 512-byte sectors.
	Start, Size uint64
	// DMPartno is N when the device is a device-mapper partition whose dm/uuid starts
	// with "partN-" (kpartx), which has no start in sysfs: it is matched by number.
	DMPartno int
	// Disk is the disk's "major:minor" (PART_ENTRY_DISK).
	Disk string
}

// Status is what the prober can say of a device.
type Status int

const (
	// Identified: Values are what blkid prints (possibly nothing, see Empty).
	Identified Status = iota
	// Empty: no signature and no partition entry; blkid prints nothing (exit 2).
	Empty
	// Ambivalent: blkid finds two filesystem signatures and prints nothing but
	// "ambivalent result" (exit 8).
	Ambivalent
	// NeedsBlkid: the answer depends on something the prober does not decode (a
	// signature of another type, ZFS labels, a foreign partition table): ask blkid.
	NeedsBlkid
)

func (s Status) String() string {
	switch s {
	case Identified:
		return "identified"
	case Empty:
		return "empty"
	case Ambivalent:
		return "ambivalent"
	case NeedsBlkid:
		return "needs blkid"
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// Value is one NAME=value pair as blkid reports it.
type Value struct {
	Name  string
	Value string
}

// Result is the answer for one device.
type Result struct {
	Status Status
	// Values in blkid's order: the superblock's (LABEL, UUID, VERSION, ..., TYPE,
	// USAGE), then the partition table's (PTUUID, PTTYPE), then PART_ENTRY_*.
	Values []Value
	// Type is the signature found when Status is NeedsBlkid or Ambivalent and the
	// prober knows it (zfs_member, or the first of two); Reason says why blkid must
	// answer.
	Type   string
	Reason string
	// Reads is how many reads of the device the probe took (0 for a replay).
	Reads int
	// Capture, when Target.Record was set, holds the bytes the probe looked at, which
	// replay (Capture.Target) to the same result. Bytes that were only compared with
	// magic strings they did not match are kept as zeros.
	Capture *Capture
}

// Get returns the value of name ("" when absent).
func (r *Result) Get(name string) string {
	for _, v := range r.Values {
		if v.Name == name {
			return v.Value
		}
	}
	return ""
}

// Map returns the values by name, the form fsid.FromBlkid takes.
func (r *Result) Map() map[string]string {
	m := make(map[string]string, len(r.Values))
	for _, v := range r.Values {
		if _, dup := m[v.Name]; !dup {
			m[v.Name] = v.Value
		}
	}
	return m
}

// Export is the block `blkid -p -o export devname` prints for the device (without
// the blank line blkid puts between devices); "" when it prints nothing.
func (r *Result) Export(devname string) string {
	if r.Status != Identified || len(r.Values) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("DEVNAME=" + devname + "\n")
	for _, v := range r.Values {
		b.WriteString(v.Name + "=" + exportValue(v.Value) + "\n")
	}
	return b.String()
}

// chains of values (libblkid's BLKID_CHAIN_*)
const (
	chainSuperblocks = iota
	chainPartitions
)

type value struct {
	name  string
	data  []byte // the C string is data up to its first NUL
	chain int
}

// prober is one probe of one device: libblkid's blkid_probe.
type prober struct {
	*reader
	t          Target
	sectorSize int64
	values     []value
	chain      int // the chain setting values now
	// wiper: the area the detected signature's tool wiped (LVM: the first 8 KiB);
	// a partition table found inside it is newer and wins (blkid_probe_use_wiper).
	wipeOff, wipeSize uint64
	wipeChain         int
	ignorePT          bool // a RAID member: its partition table is the array's
	binary            bool // parsing a whole partition list (blkid_probe_get_partitions)
	parts             *Table
	nextPartno        int
	parent            *Part // the partition a nested table is probed in
	err               error // the first read error of a view
}

// view is a structure on the device that lies inside it (libblkid got its buffer);
// its fields are read as the parsers look at them. A read error is kept in the prober
// (and fails the probe); the field then reads as zeros.
type view struct {
	p      *prober
	off, n int64
}

// view returns the structure of n bytes at off, or nil when it is not inside the
// device (libblkid's blkid_probe_get_buffer returning NULL).
func (p *prober) view(off, n int64) *view {
	if !p.fits(off, n) {
		return nil
	}
	return &view{p, off, n}
}

func (v *view) bytes(o, n int64) []byte {
	if o < 0 || n < 0 || o+n > v.n {
		panic(fmt.Sprintf("lowprobe: field %d+%d outside a %d-byte structure", o, n, v.n))
	}
	if n == 0 {
		return nil
	}
	b, err := v.p.get(v.off+o, n)
	if err != nil || b == nil {
		if err == nil {
			err = fmt.Errorf("%d bytes at %d: not readable", n, v.off+o)
		}
		if v.p.err == nil {
			v.p.err = err
		}
		return make([]byte, n)
	}
	return b
}

func (v *view) u8(o int64) uint8      { return v.bytes(o, 1)[0] }
func (v *view) le16(o int64) uint16   { return le.Uint16(v.bytes(o, 2)) }
func (v *view) le32(o int64) uint32   { return le.Uint32(v.bytes(o, 4)) }
func (v *view) le64(o int64) uint64   { return le.Uint64(v.bytes(o, 8)) }
func (v *view) be16(o int64) uint16   { return be.Uint16(v.bytes(o, 2)) }
func (v *view) be32(o int64) uint32   { return be.Uint32(v.bytes(o, 4)) }
func (v *view) be64(o int64) uint64   { return be.Uint64(v.bytes(o, 8)) }
func (v *view) str(o, n int64) string { return string(v.bytes(o, n)) }

// match says whether the field at o is one of magics (see reader.match).
func (v *view) match(o int64, magics ...string) bool {
	n := int64(len(magics[0]))
	if o < 0 || o+n > v.n {
		panic(fmt.Sprintf("lowprobe: field %d+%d outside a %d-byte structure", o, n, v.n))
	}
	ok, err := v.p.match(v.off+o, magics...)
	if err != nil && v.p.err == nil {
		v.p.err = err
	}
	return ok
}

// errForeign stops a probe at a signature the prober does not decode.
type errForeign struct{ what string }

func (e *errForeign) Error() string { return e.what }

func newProber(t Target) (*prober, error) {
	if t.Size < 0 {
		return nil, fmt.Errorf("device size %d", t.Size)
	}
	ss := int64(t.SectorSize)
	if ss == 0 {
		ss = 512
	}
	if ss < 512 || ss > 65536 || !isPowerOf2(uint64(ss)) {
		return nil, fmt.Errorf("sector size %d is not a power of two from 512 to 65536", ss)
	}
	p := &prober{t: t, sectorSize: ss, reader: &reader{size: t.Size, record: t.Record}}
	switch {
	case t.replay != nil:
		p.src = t.replay
	case t.Dev != nil:
		p.src = &devSource{dev: t.Dev, size: t.Size}
	default:
		return nil, errors.New("no device to read")
	}
	return p, nil
}

// clone is a fresh prober of the same device sharing its reads (blkid_clone_probe).
func (p *prober) clone() *prober {
	return &prober{reader: p.reader, t: p.t, sectorSize: p.sectorSize}
}

// release gives back the window buffers of a device read.
func (p *prober) release() {
	if d, ok := p.src.(*devSource); ok {
		d.release()
	}
}

func (p *prober) reads() int {
	if d, ok := p.reader.src.(*devSource); ok {
		return d.reads
	}
	return 0
}

// tiny: libblkid's BLKID_FL_TINY_DEV (floppy-sized: at most 1440 KiB).
func (p *prober) tiny() bool { return p.t.Size <= 1440*1024 }

// wholeOrFile: libblkid's S_ISREG(pr->mode) || blkid_probe_is_wholedisk(pr).
func (p *prober) wholeOrFile() bool { return p.t.Kind != Partition }

// sector reads 512-byte sector n (blkid_probe_get_sector).
func (p *prober) sector(n uint64) ([]byte, error) {
	if n > uint64(p.t.Size)>>9 {
		return nil, nil
	}
	return p.get(int64(n)<<9, 512)
}

func (p *prober) set(name string, data []byte) {
	p.values = append(p.values, value{name, append([]byte(nil), data...), p.chain})
}

func (p *prober) sprintf(name, format string, a ...any) {
	p.set(name, []byte(fmt.Sprintf(format, a...)))
}

// setLabel is blkid_probe_set_label: up to the first NUL, without trailing spaces;
// nothing when that leaves nothing.
func (p *prober) setLabel(b []byte) {
	if l := rtrim(b); len(l) > 0 {
		p.set("LABEL", l)
	}
}

// setIDLabel is blkid_probe_set_id_label: as setLabel, leading spaces dropped too.
func (p *prober) setIDLabel(name string, b []byte) {
	if l := ltrim(rtrim(b)); len(l) > 0 {
		p.set(name, l)
	}
}

// setUTF8Label is blkid_probe_set_utf8label.
func (p *prober) setUTF8Label(b []byte, enc encoding) {
	if l := rtrim(encodeUTF8(enc, b, len(b)*3+1)); len(l) > 0 {
		p.set("LABEL", l)
	}
}

// setUTF8IDLabel is blkid_probe_set_utf8_id_label.
func (p *prober) setUTF8IDLabel(name string, b []byte, enc encoding) {
	if l := ltrim(rtrim(encodeUTF8(enc, b, len(b)*3+1))); len(l) > 0 {
		p.set(name, l)
	}
}

// setUUID is blkid_probe_set_uuid_as: 16 bytes as a DCE UUID, nothing when all zero.
func (p *prober) setUUID(name string, u []byte) {
	if !allZero(u[:16]) {
		p.set(name, []byte(unparseUUID(u)))
	}
}

// sprintfUUID is blkid_probe_sprintf_uuid: the formatted UUID unless raw is all zero.
func (p *prober) sprintfUUID(raw []byte, format string, a ...any) {
	if !allZero(raw) {
		p.sprintf("UUID", format, a...)
	}
}

// strncpyUUID is blkid_probe_strncpy_uuid: a UUID stored as a string.
func (p *prober) strncpyUUID(b []byte) {
	if len(b) == 0 || b[0] == 0 {
		return
	}
	if u := rtrim(b); len(u) > 0 {
		p.set("UUID", u)
	}
}

func (p *prober) setVersion(v string)   { p.set("VERSION", []byte(v)) }
func (p *prober) setBlockSize(n uint64) { p.sprintf("BLOCK_SIZE", "%d", n) }

// resetChain drops the values chain c set (blkid_probe_chain_reset_values).
func (p *prober) resetChain(c int) {
	kept := p.values[:0]
	for _, v := range p.values {
		if v.chain != c {
			kept = append(kept, v)
		}
	}
	p.values = kept
}

func (p *prober) lookup(name string) (string, bool) {
	for _, v := range p.values {
		if v.name == name {
			return string(cstring(v.data)), true
		}
	}
	return "", false
}

// setWiper remembers that the signature just found wiped [off, off+size).
func (p *prober) setWiper(off, size uint64) {
	p.wipeOff, p.wipeSize, p.wipeChain = off, size, p.chain
}

// useWiper: a signature found in [off, off+size) inside the wiped area is newer than
// the one that wiped it, whose values are dropped (blkid_probe_use_wiper).
func (p *prober) useWiper(off, size uint64) {
	if size == 0 || p.wipeSize == 0 {
		return
	}
	if p.wipeOff <= off && off+size <= p.wipeOff+p.wipeSize {
		c := p.wipeChain
		p.wipeOff, p.wipeSize = 0, 0
		p.resetChain(c)
	}
}

// Probe identifies what is on the device as `blkid -p` does (blkid_do_safeprobe with
// the superblocks and partitions chains, and for a partition its entry in the disk's
// table). An error is a read error; the result then is not usable.
func Probe(t Target) (*Result, error) {
	p, err := newProber(t)
	if err != nil {
		return nil, err
	}
	defer p.release()
	res := &Result{}
	status, err := p.safeprobe(res)
	res.Reads = p.reads()
	if t.Record {
		c, cerr := p.capture(t)
		if err == nil {
			err = cerr
		}
		res.Capture = c
	}
	if err != nil {
		return res, err
	}
	res.Status = status
	if status == Identified {
		for _, v := range p.values {
			res.Values = append(res.Values, Value{v.name, string(cstring(v.data))})
		}
		if len(res.Values) == 0 {
			res.Status = Empty
		}
	}
	return res, nil
}

// safeprobe runs the superblocks chain, then the partitions chain, as
// blkid_do_safeprobe does for `blkid -p` (lowprobe_superblocks).
func (p *prober) safeprobe(res *Result) (Status, error) {
	// A small whole disk with a partition table is reported as the table only.
	if p.t.Kind == WholeDisk && p.t.Size <= 1440*1024 {
		if _, err := p.partitions(false); err != nil {
			return p.fail(res, err)
		}
		if _, has := p.lookup("PTTYPE"); has {
			return Identified, nil
		}
		p.values = nil
	}
	p.chain = chainSuperblocks
	st, err := p.superblocks(res)
	if err != nil {
		return p.fail(res, err)
	}
	if st == Ambivalent {
		p.values = nil
		return Ambivalent, nil
	}
	if _, err := p.partitions(true); err != nil {
		return p.fail(res, err)
	}
	return Identified, nil
}

// fail turns a stop at a foreign signature into NeedsBlkid; other errors are errors.
func (p *prober) fail(res *Result, err error) (Status, error) {
	var f *errForeign
	if errors.As(err, &f) {
		res.Reason = f.what
		p.values = nil
		return NeedsBlkid, nil
	}
	return Identified, err
}
