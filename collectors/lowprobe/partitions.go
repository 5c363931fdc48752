package lowprobe

import (
	"errors"
	"fmt"
	"hash/crc32"
)

// Partition tables (libblkid/src/partitions): the chain that reports PTTYPE and
// PTUUID of a device, and the full parse of a disk's table (blkid_probe_get_partitions)
// from which a partition's PART_ENTRY_* values come.

// Table is a disk's partition table as libblkid's binary interface parses it.
type Table struct {
	Type  string // "dos", "gpt"; "" when the disk has no table
	ID    string // PTUUID: the GPT disk GUID or the MBR disk signature
	Parts []Part
	// Foreign, when not empty, says why the table cannot be known here (a table
	// type or a nested BSD/Solaris/UnixWare/Minix label the prober does not parse):
	// its partitions' entries must come from blkid.
	Foreign string
	// Broken, when not empty, says why libblkid fails to parse the table (so it
	// reports no PART_ENTRY_* values for any partition of the disk).
	Broken string
	// Reads is how many device reads the parse took; Capture, when the disk's
	// Target.Record was set, the bytes it looked at (see Result.Capture).
	Reads   int
	Capture *Capture
}

// Part is one partition of a Table.
type Part struct {
	Scheme string // the table it is in: "dos", "gpt"
	Number int    // libblkid's partition number (logical MBR partitions from 5)
	// Start and Size in 512-byte sectors, as PART_ENTRY_OFFSET and PART_ENTRY_SIZE.
	Start, Size uint64
	Type        int    // MBR type byte
	TypeString  string // GPT type GUID; when empty, the type is Type as 0x%x
	UUID        string // GPT partition GUID, or the MBR "signature-NN"
	Name        string // GPT partition name
	Flags       uint64 // MBR boot indicator, GPT attributes
}

// extended: an MBR primary extended partition (libblkid's partition_get_logical_type 'E').
func (pt *Part) extended() bool {
	return pt.Scheme == "dos" && pt.Number <= 4 && (pt.Type == 0x05 || pt.Type == 0x0f || pt.Type == 0x85)
}

func (pt *Part) logical() bool { return pt.Scheme == "dos" && pt.Number > 4 }

// ReadTable parses the partition table of a whole disk (or an image file) as
// blkid_probe_get_partitions does, for EntryQuery. A disk without a table gives a Table
// with no Type; an error is a read error.
func ReadTable(disk Target) (*Table, error) {
	p, err := newProber(disk)
	if err != nil {
		return nil, err
	}
	defer p.release()
	tab, err := p.readTable()
	if tab == nil {
		tab = &Table{}
	}
	var f *errForeign
	var b *errNoTable
	switch {
	case errors.As(err, &f):
		tab, err = &Table{Foreign: f.what}, nil
	case errors.As(err, &b):
		tab, err = &Table{Broken: b.what}, nil
	}
	tab.Reads = p.reads()
	if disk.Record {
		c, cerr := p.capture(disk)
		if err == nil {
			err = cerr
		}
		tab.Capture = c
	}
	return tab, err
}

// errNoTable: libblkid's parse of the table fails (blkid_probe_get_partitions
// returns NULL).
type errNoTable struct{ what string }

func (e *errNoTable) Error() string { return e.what }

// readTable runs the partitions chain in binary mode on p's device.
func (p *prober) readTable() (*Table, error) {
	q := p.clone()
	q.binary = true
	q.parts = &Table{}
	q.nextPartno = 1
	q.chain = chainPartitions
	if _, err := q.ptProbe(); err != nil {
		return nil, err
	}
	return q.parts, nil
}

// coveredByPT is blkid_probe_is_covered_by_pt: on a whole disk, whether the area
// [off, off+size) lies inside a partition of its (fitting) table.
func (p *prober) coveredByPT(off, size uint64) (bool, error) {
	tab, err := p.readTable()
	var b *errNoTable
	if errors.As(err, &b) {
		return false, nil
	}
	if err != nil {
		return false, err // a read error, or a table libblkid parses and we do not
	}
	if len(tab.Parts) == 0 {
		return false, nil
	}
	start, end := off>>9, (off+size)>>9
	for _, pt := range tab.Parts {
		if pt.Start+pt.Size > uint64(p.t.Size)>>9 {
			return false, nil
		}
	}
	for _, pt := range tab.Parts {
		if start >= pt.Start && end <= pt.Start+pt.Size {
			return true, nil
		}
	}
	return false, nil
}

// ptinfo is one prober of the partitions chain.
type ptinfo struct {
	name   string
	minsz  int64
	magics []magic
	probe  func(p *prober) (bool, error) // nil: a foreign table, which stops the probe
}

// partTables is libblkid 2.38's partitions chain, in its order
// (libblkid/src/partitions/partitions.c idinfos[]). Tables other than dos, gpt and
// PMBR are foreign: their sniff is libblkid's own first test (the magic, or a probe
// that ends in foreignPT), and an entry with no probe is foreign once its magic is
// found.
var partTables = []ptinfo{
	{name: "aix", magics: []magic{{"\xC9\xC2\xD4\xC1", 0, 0}}},
	{name: "sgi", magics: []magic{{"\x0B\xE5\xA9\x41", 0, 0}}},
	{name: "sun", magics: []magic{{"\xDA\xBE", 0, 508}}},
	{name: "dos", magics: []magic{{"\x55\xAA", 0, 510}}, probe: probeDOS},
	{name: "gpt", probe: probeGPT},
	{name: "PMBR", magics: []magic{{"\x55\xAA", 0, 510}}, probe: probePMBR},
	{name: "mac", magics: []magic{{"\x45\x52", 0, 0}}},
	{name: "ultrix", probe: sniffUltrix},
	{name: "bsd", magics: magicsBSD, probe: probeBSD},
	{name: "unixware", minsz: minszUnixware, magics: magicsUnixware},
	{name: "solaris", magics: magicsSolaris},
	{name: "minix", magics: magicsMinixPT, probe: probeMinixPT},
	{name: "atari", probe: sniffAtari},
}

// The nested labels' magic strings (libblkid's bsd.c, unixware.c, solaris_x86.c, minix.c).
var (
	magicsBSD      = []magic{{"\x57\x45\x56\x82", 0, 512}, {"\x57\x45\x56\x82", 0, 64}, {"\x57\x45\x56\x82", 0, 128}}
	magicsUnixware = []magic{{"\x0D\x60\xE5\xCA", 14, 14838}} // sic: libblkid subtracts KiB from bytes
	magicsSolaris  = []magic{{"\xEE\xDE\x0D\x60", 0, 512 + 12}}
	magicsMinixPT  = []magic{{"\x55\xAA", 0, 510}}
)

const minszUnixware = 1024*1440 + 1

// foreignPT stops the probe at a table the prober does not decode.
func foreignPT(name string) (bool, error) {
	return false, &errForeign{"a partition table that may be " + name}
}

// probeBSD: libblkid reports a BSD label only when parsing a whole table.
func probeBSD(p *prober) (bool, error) {
	if !p.binary {
		return false, nil
	}
	return foreignPT("bsd")
}

// probeMinixPT: a Minix table is only looked for inside an MBR partition of type 0x81.
func probeMinixPT(p *prober) (bool, error) {
	if p.parent == nil || p.parent.Type != 0x81 {
		return false, nil
	}
	return foreignPT("minix")
}

// sniffUltrix: the Ultrix label in sector 31 (magic 0x032957, valid flag 1).
func sniffUltrix(p *prober) (bool, error) {
	l := p.view(31<<9, 512)
	if l == nil || !l.match(440, u32s(0x032957)[0]) || l.le32(444) != 1 {
		return false, nil
	}
	return foreignPT("ultrix")
}

// sniffAtari is probe_atari_pt's test of the root sector: a sane disk size, bad
// sector list and at least one valid primary entry.
func sniffAtari(p *prober) (bool, error) {
	if p.sectorSize != 512 {
		return false, nil
	}
	size := uint64(p.t.Size) / 512
	if size > 0x7fffffff {
		return false, nil
	}
	rs := p.view(0, 512)
	if rs == nil {
		return false, nil
	}
	rssize := rs.be32(0x1c2)
	if rssize < 2 || uint64(rssize) > size {
		return false, nil
	}
	valid := func(start, size, max uint32) bool {
		end := uint64(start) + uint64(size)
		return end >= uint64(start) && start > 0 && start <= max && size > 0 && size <= max && end > 0 && end <= uint64(max)
	}
	if bs, bl := rs.be32(0x1f6), rs.be32(0x1fa); (bs != 0 || bl != 0) && !valid(bs, bl, rssize) {
		return false, nil
	}
	for i := int64(0); i < 4; i++ {
		e := 0x1c6 + i*12
		if rs.u8(e)&1 != 0 && atariAlnum(rs.u8(e+1)) && atariAlnum(rs.u8(e+2)) && atariAlnum(rs.u8(e+3)) &&
			valid(rs.be32(e+4), rs.be32(e+8), rssize) {
			return foreignPT("atari")
		}
	}
	return false, nil
}

// atariAlnum is the Linux kernel's isalnum (Latin-1 letters count).
func atariAlnum(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return true
	case c >= 0xc0 && c != 0xd7 && c != 0xf7:
		return true
	}
	return false
}

// partitions runs the partitions chain as partitions_probe does in `blkid -p`: the
// first table found sets PTTYPE (and PTUUID); on a partition, its entry in the disk's
// table sets PART_ENTRY_*.
func (p *prober) partitions(details bool) (bool, error) {
	p.chain = chainPartitions
	p.resetChain(chainPartitions)
	found := false
	if p.wipeSize != 0 || !p.ignorePT {
		var err error
		if found, err = p.ptProbe(); err != nil {
			p.resetChain(chainPartitions)
			return false, err
		}
	}
	if details && p.t.Kind == Partition && p.t.Entry != nil {
		if err := p.partEntry(p.t.Entry); err != nil {
			return false, err
		}
	}
	return found, nil
}

// ptProbe tries every table type in order; the first that matches is the device's.
func (p *prober) ptProbe() (bool, error) {
	for _, id := range partTables {
		if p.t.Size <= 0 || (id.minsz > 0 && id.minsz > p.t.Size) {
			continue
		}
		_, ok, err := p.idmag(id.magics)
		if err != nil {
			return false, err
		}
		if !ok {
			continue
		}
		if id.probe == nil {
			ok, err = foreignPT(id.name)
		} else {
			ok, err = id.probe(p)
		}
		if err == nil {
			err = p.err
		}
		if err != nil {
			return false, err
		}
		if ok {
			if !p.binary {
				p.set("PTTYPE", []byte(id.name))
			} else if p.parts.Type == "" {
				p.parts.Type = id.name
			}
			return true, nil
		}
	}
	return false, nil
}

// partEntry sets the PART_ENTRY_* values of a partition from its disk's table
// (blkid_partitions_probe_partition).
func (p *prober) partEntry(q *EntryQuery) error {
	if q.Table == nil {
		return nil
	}
	if q.Table.Foreign != "" {
		return &errForeign{q.Table.Foreign}
	}
	pt := q.Table.find(q)
	if pt == nil {
		return nil
	}
	p.set("PART_ENTRY_SCHEME", []byte(pt.Scheme))
	if pt.Name != "" {
		p.set("PART_ENTRY_NAME", []byte(pt.Name))
	}
	if pt.UUID != "" {
		p.set("PART_ENTRY_UUID", []byte(pt.UUID))
	}
	if pt.TypeString != "" {
		p.set("PART_ENTRY_TYPE", []byte(pt.TypeString))
	} else {
		p.sprintf("PART_ENTRY_TYPE", "0x%x", pt.Type)
	}
	if pt.Flags != 0 {
		p.sprintf("PART_ENTRY_FLAGS", "0x%x", pt.Flags)
	}
	p.sprintf("PART_ENTRY_NUMBER", "%d", pt.Number)
	p.sprintf("PART_ENTRY_OFFSET", "%d", int64(pt.Start))
	p.sprintf("PART_ENTRY_SIZE", "%d", int64(pt.Size))
	p.set("PART_ENTRY_DISK", []byte(q.Disk))
	return nil
}

// find is blkid_partlist_devno_to_partition: the entry with the partition's start and
// size (an extended partition's device is at most 1024 sectors), or for a kpartx
// device its number and size.
func (t *Table) find(q *EntryQuery) *Part {
	for i := range t.Parts {
		pt := &t.Parts[i]
		if q.DMPartno > 0 {
			if pt.Number == q.DMPartno && (q.Size == pt.Size || (pt.extended() && q.Size <= 1024)) {
				return pt
			}
			continue
		}
		if pt.Start == q.Start && (pt.Size == q.Size || (pt.extended() && q.Size <= 1024)) {
			return pt
		}
	}
	return nil
}

// addPart appends a partition with the next number (blkid_partlist_add_partition).
func (p *prober) addPart(start, size uint64) *Part {
	p.parts.Parts = append(p.parts.Parts, Part{Scheme: p.parts.Type, Number: p.nextPartno, Start: start, Size: size})
	p.nextPartno++
	return &p.parts.Parts[len(p.parts.Parts)-1]
}

func (t *Table) byStart(start uint64) bool {
	for _, pt := range t.Parts {
		if pt.Start == start {
			return true
		}
	}
	return false
}

// MBR (libblkid/src/partitions/dos.c, include/pt-mbr.h): the disk signature at 440,
// four 16-byte entries at 446, 0x55AA at 510; logical partitions in the chain of
// extended boot records.

func mbrExtended(t byte) bool { return t == 0x05 || t == 0x0f || t == 0x85 }

func probeDOS(p *prober) (bool, error) {
	mbr := p.view(0, 512)
	if mbr == nil {
		return false, nil
	}
	if mbr.match(0, "\xC9\xC2\xD4\xC1") { // AIX
		return false, nil
	}
	for i := int64(0); i < 4; i++ {
		if b := mbr.u8(0x1be + i*16); b != 0 && b != 0x80 {
			return false, nil
		}
	}
	for i := int64(0); i < 4; i++ {
		if mbr.u8(0x1be+i*16+4) == 0xee {
			return false, nil // a protective MBR: GPT
		}
	}
	if ok, err := p.isVFAT(); ok || err != nil {
		return false, err
	}
	if ok, err := p.isNTFS(); ok || err != nil {
		return false, err
	}
	if t, _ := p.lookup("TYPE"); t == "LVM2_member" {
		empty := true
		for i := int64(0); i < 4; i++ {
			if mbr.le32(0x1be+i*16+12) > 0 {
				empty = false
			}
		}
		if empty {
			return false, nil // booting from an LVM PV with an empty MBR
		}
	}
	p.useWiper(0x1be, 512-0x1be)
	id := ""
	if sig := mbr.le32(440); sig != 0 {
		id = fmt.Sprintf("%08x", sig)
	}
	if !p.binary {
		if id != "" {
			p.set("PTUUID", []byte(id))
		}
		return true, nil
	}
	ssf := uint32(p.sectorSize / 512)
	p.parts.ID = id
	p.parts.Type = "dos"
	for i := int64(0); i < 4; i++ {
		e := 0x1be + i*16
		start, size := mbr.le32(e+8)*ssf, mbr.le32(e+12)*ssf
		if size == 0 {
			p.nextPartno++ // an empty entry keeps its number
			continue
		}
		p.dosPart(uint64(start), uint64(size), mbr.u8(e+4), mbr.u8(e))
	}
	p.nextPartno = 5
	for i := int64(0); i < 4; i++ {
		e := 0x1be + i*16
		start, size := mbr.le32(e+8)*ssf, mbr.le32(e+12)*ssf
		if size != 0 && mbrExtended(mbr.u8(e+4)) {
			if err := p.dosExtended(start, size, ssf); err != nil {
				return false, err
			}
		}
	}
	if !p.tiny() {
		if err := p.dosNested(); err != nil {
			return false, err
		}
	}
	return true, nil
}

func (p *prober) dosPart(start, size uint64, typ, boot byte) {
	pt := p.addPart(start, size)
	pt.Type, pt.Flags = int(typ), uint64(boot)
	if p.parts.ID != "" {
		pt.UUID = fmt.Sprintf("%.33s-%02x", p.parts.ID, pt.Number)
	}
}

// dosExtended is parse_dos_extended: follow the EBR chain from the extended partition
// at exStart (512-byte sectors), at most 100 links without a data partition, so a
// looping chain ends.
func (p *prober) dosExtended(exStart, exSize, ssf uint32) error {
	if exStart == 0 {
		return nil
	}
	curStart, curSize := exStart, exSize
	for ctNoData := 1; ctNoData <= 100; ctNoData++ {
		ebr := p.view(int64(curStart)<<9, 512)
		if ebr == nil || ebr.u8(510) != 0x55 || ebr.u8(511) != 0xAA {
			return nil
		}
		for i := int64(0); i < 4; i++ {
			e := 0x1be + i*16
			start, size := ebr.le32(e+8)*ssf, ebr.le32(e+12)*ssf
			abs := curStart + start
			if size == 0 || mbrExtended(ebr.u8(e+4)) {
				continue
			}
			if i >= 2 && (start+size > curSize || abs < exStart || abs+size > exStart+exSize) {
				continue
			}
			if p.parts.byStart(uint64(abs)) {
				continue // a loop back to a partition already seen
			}
			p.dosPart(uint64(abs), uint64(size), ebr.u8(e+4), ebr.u8(e))
			ctNoData = 0
		}
		next := -1
		var start, size uint32
		for i := int64(0); i < 4; i++ {
			e := 0x1be + i*16
			start, size = ebr.le32(e+8)*ssf, ebr.le32(e+12)*ssf
			if size != 0 && mbrExtended(ebr.u8(e+4)) && start != 0 {
				next = int(i)
				break
			}
		}
		if next < 0 {
			return nil
		}
		curStart, curSize = exStart+start, size
	}
	return nil
}

// dosNested: a BSD, UnixWare, Solaris or Minix label inside a primary partition of
// their type makes the table foreign (libblkid would add its slices).
func (p *prober) dosNested() error {
	type label struct {
		name   string
		minsz  int64
		magics []magic
	}
	bsd := label{"bsd", 0, magicsBSD}
	nested := map[int]label{0xa5: bsd, 0xa6: bsd, 0xa9: bsd, 0x63: {"unixware", minszUnixware, magicsUnixware},
		0x82: {"solaris", 0, magicsSolaris}, 0x81: {"minix", 0, magicsMinixPT}}
	for i := range p.parts.Parts {
		pt := p.parts.Parts[i]
		lbl, ok := nested[pt.Type]
		name := lbl.name
		if !ok || pt.Size == 0 || pt.extended() || pt.logical() {
			continue
		}
		off, size := pt.Start<<9, pt.Size<<9
		if off+size > uint64(p.t.Size) || off+size < off {
			return &errNoTable{fmt.Sprintf("the %s label of partition %d would end past the disk", name, pt.Number)}
		}
		sub := &prober{t: p.t, sectorSize: p.sectorSize, binary: true, parent: &pt, parts: p.parts}
		sub.t.Size = int64(size)
		sub.reader = &reader{src: &offsetSource{p.reader, int64(off)}, size: int64(size)} // its reads are recorded by the disk's reader
		if lbl.minsz > int64(size) {
			continue
		}
		_, hit, err := sub.idmag(lbl.magics)
		if err != nil {
			return err
		}
		if hit {
			return &errForeign{fmt.Sprintf("a %s label in partition %d", name, pt.Number)}
		}
	}
	return nil
}

// offsetSource is a window of a device (a partition probed inside its disk); reads
// are recorded in the disk's reader.
type offsetSource struct {
	r   *reader
	off int64
}

func (o *offsetSource) bytes(off, n int64) ([]byte, error) {
	b, err := o.r.get(o.off+off, n)
	if b == nil && err == nil {
		err = fmt.Errorf("%d bytes at %d: outside the device", n, o.off+off)
	}
	return b, err
}

// GPT (libblkid/src/partitions/gpt.c): a protective MBR (a 0xEE entry), the header in
// LBA 1 or, when that one is not valid, the backup header in the last LBA; the
// header and the entry array must match their CRC32s.

const gptHeaderLen = 92

func (p *prober) lastLBA() (uint64, bool) {
	if p.t.Size < p.sectorSize {
		return 0, false
	}
	return uint64(p.t.Size/p.sectorSize) - 1, true
}

// pmbr is is_pmbr_valid: sector 0 has the MBR signature and a 0xEE entry.
func (p *prober) pmbr() bool {
	mbr := p.view(0, 512)
	if mbr == nil || !mbr.match(510, "\x55\xAA") {
		return false
	}
	for i := int64(0); i < 4; i++ {
		if mbr.u8(0x1be+i*16+4) == 0xee {
			return true
		}
	}
	return false
}

type gptHeader struct {
	hdr     *view
	entries *view
	lba     uint64
}

// gptHeaderAt is get_gpt_header: the valid header at lba and its entry array.
func (p *prober) gptHeaderAt(lba, last uint64) (*gptHeader, error) {
	ssz := uint64(p.sectorSize)
	if lba > uint64(p.t.Size)/ssz {
		return nil, nil
	}
	h := p.view(int64(lba*ssz), int64(ssz))
	if h == nil || !h.match(0, "EFI PART") {
		return nil, nil
	}
	hsz := uint64(h.le32(12))
	if hsz > ssz || hsz < gptHeaderLen {
		return nil, nil
	}
	raw := append([]byte(nil), h.bytes(0, int64(hsz))...)
	want := le.Uint32(raw[16:])
	raw[16], raw[17], raw[18], raw[19] = 0, 0, 0, 0
	if crc32.ChecksumIEEE(raw) != want {
		return nil, nil
	}
	if h.le64(24) != lba {
		return nil, nil
	}
	fu, lu := h.le64(40), h.le64(48)
	if lu < fu || fu > last || lu > last {
		return nil, nil
	}
	if fu < lba && lba < lu {
		return nil, nil
	}
	esz := uint64(h.le32(80)) * uint64(h.le32(84))
	if esz == 0 || esz >= 0xffffffff || h.le32(84) != 128 {
		return nil, nil
	}
	eoff := h.le64(72) * ssz
	if eoff > uint64(p.t.Size) || esz > uint64(p.t.Size) {
		return nil, nil
	}
	if esz > maxRequest {
		return nil, &errForeign{fmt.Sprintf("a GPT entry array of %d bytes", esz)}
	}
	ents := p.view(int64(eoff), int64(esz))
	if ents == nil {
		return nil, nil
	}
	if crc32.ChecksumIEEE(ents.bytes(0, int64(esz))) != h.le32(88) {
		return nil, nil
	}
	return &gptHeader{h, ents, lba}, nil
}

// gptFind is the primary header, else the backup.
func (p *prober) gptFind(last uint64) (*gptHeader, error) {
	g, err := p.gptHeaderAt(1, last)
	if g != nil || err != nil || p.err != nil {
		return g, err
	}
	return p.gptHeaderAt(last, last)
}

func probeGPT(p *prober) (bool, error) {
	last, ok := p.lastLBA()
	if !ok || !p.pmbr() {
		return false, nil
	}
	g, err := p.gptFind(last)
	if g == nil || err != nil {
		return false, err
	}
	p.useWiper(g.lba*uint64(p.t.Size), 8) // sic: libblkid passes lba × size
	guid := swapGUID(g.hdr.bytes(56, 16))
	if !p.binary {
		p.setUUID("PTUUID", guid)
		return true, nil
	}
	p.parts.Type = "gpt"
	p.parts.ID = unparseUUID(guid)
	ssf := uint64(p.sectorSize / 512)
	fu, lu := g.hdr.le64(40), g.hdr.le64(48)
	n := int64(g.hdr.le32(80))
	for i := int64(0); i < n; i++ {
		e := i * 128
		typ := g.entries.bytes(e, 16)
		if allZero(typ) {
			p.nextPartno++
			continue
		}
		start := g.entries.le64(e + 32)
		size := g.entries.le64(e+40) - start + 1
		if start < fu || start+size-1 > lu {
			p.nextPartno++
			continue
		}
		pt := p.addPart(start*ssf, size*ssf)
		pt.Name = string(rtrim(encodeUTF8(utf16le, g.entries.bytes(e+56, 72), 128)))
		pt.UUID = unparseUUID(swapGUID(g.entries.bytes(e+16, 16)))
		pt.TypeString = unparseUUID(swapGUID(typ))
		pt.Flags = g.entries.le64(e + 48)
	}
	return true, nil
}

// probePMBR: a protective MBR without a valid GPT header is reported as "PMBR".
func probePMBR(p *prober) (bool, error) {
	last, ok := p.lastLBA()
	if !ok || !p.pmbr() {
		return false, nil
	}
	g, err := p.gptHeaderAt(1, last)
	if g != nil || err != nil {
		return false, err
	}
	g, err = p.gptHeaderAt(last, last)
	return g == nil && err == nil, err
}
