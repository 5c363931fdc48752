package lowprobe

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
)

// Device is what the prober reads: a block device, an image file, or a capture of one.
// An *os.File opened O_RDONLY is a Device; so is a *bytes.Reader.
type Device interface {
	ReadAt(p []byte, off int64) (int, error)
}

// Kind is what the probed object is; libblkid probes some signatures only on whole
// disks and regular files (RAID metadata at the end of the device, ZFS labels, the
// md 0.90 superblock check against the partition table).
type Kind int

const (
	// File is a regular file (an image): S_ISREG in libblkid.
	File Kind = iota
	// WholeDisk is a block device that is its own whole disk (sda, vda, loop0, dm-0).
	WholeDisk
	// Partition is a block device that is a partition of a disk (sda1, loop0p2).
	Partition
)

func (k Kind) String() string {
	switch k {
	case File:
		return "file"
	case WholeDisk:
		return "disk"
	case Partition:
		return "partition"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// ParseKind is the inverse of Kind.String.
func ParseKind(s string) (Kind, error) {
	for _, k := range []Kind{File, WholeDisk, Partition} {
		if k.String() == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown device kind %q (want file, disk or partition)", s)
}

// Limits of one probe. blkid reads about 1 MiB of a device in 30–50 reads; the
// prober reads 64 KiB-aligned windows, so a probe needs well under these.
const (
	// MaxReads bounds the reads of one device per probe (Probe or ReadTable).
	MaxReads = 96
	// window is the alignment and minimum size of a read from the device; the two
	// scans libblkid makes (the XFS external log in the first 256 KiB, ZFS
	// uberblocks) are read in one piece each (reader.prefetch).
	window = 64 << 10
	// maxRequest bounds the bytes a parser looks at in one piece; the parsers look at
	// structures field by field (the largest is a 16 KiB GPT entry array).
	maxRequest = 1 << 20
)

// ErrTooManyReads: a probe needed more than MaxReads reads of the device.
var ErrTooManyReads = errors.New("too many reads")

// ErrNotCaptured: a replayed probe asked for bytes the capture does not hold.
var ErrNotCaptured = errors.New("bytes not in the capture")

// source serves the bytes of [off, off+n); the caller has checked the bounds.
type source interface {
	bytes(off, n int64) ([]byte, error)
}

// Extent is a run of bytes read from a device.
type Extent struct {
	Off  int64  `json:"off"`
	Data []byte `json:"data"`
}

// reader is the probe's view of a device: libblkid's blkid_probe_get_buffer bounds
// (nothing past the device size, no empty reads), the bytes every parser looked at
// (recorded, so that a capture holds exactly them), and the count of device reads.
type reader struct {
	src    source
	size   int64
	record bool
	seen   []span // when recording: [off, off+n) the parsers asked for, in order
}

// span is a range a parser looked at; masked, when it was only compared with magic
// strings and matched none: a capture keeps zeros there (which match none either),
// unless another parser read the bytes themselves.
type span struct {
	off, n int64
	masked bool
}

// fits says whether libblkid's blkid_probe_get_buffer(off, n) would return data: the
// range is not empty and lies inside the device. Parsers check the whole structure
// libblkid reads, then look at the parts of it they need.
func (r *reader) fits(off, n int64) bool {
	return n > 0 && off >= 0 && off <= r.size-n
}

// get returns the n bytes at off, or nil when the range is not inside the device (as
// blkid_probe_get_buffer: not an error); an error is a read failure.
func (r *reader) get(off, n int64) ([]byte, error) {
	if !r.fits(off, n) {
		return nil, nil
	}
	if n > maxRequest {
		return nil, fmt.Errorf("read %d bytes at %d: larger than %d bytes", n, off, maxRequest)
	}
	b, err := r.src.bytes(off, n)
	if err != nil {
		return nil, err
	}
	if r.record {
		r.seen = append(r.seen, span{off: off, n: n})
	}
	return b, nil
}

// match says whether the bytes at off are one of magics (all of one length); a
// range outside the device matches nothing. Bytes that match nothing are recorded as
// masked: their value does not matter, only that they are none of the magics.
func (r *reader) match(off int64, magics ...string) (bool, error) {
	n := int64(len(magics[0]))
	if !r.fits(off, n) {
		return false, nil
	}
	b, err := r.src.bytes(off, n)
	if err != nil {
		return false, err
	}
	for _, m := range magics {
		if string(b) == m {
			if r.record {
				r.seen = append(r.seen, span{off: off, n: n})
			}
			return true, nil
		}
	}
	if r.record {
		r.seen = append(r.seen, span{off: off, n: n, masked: true})
	}
	return false, nil
}

// devSource reads a Device in aligned windows and keeps them: the parsers' many small
// reads (a magic here, a header there) cost a few device reads. Window buffers come
// from a pool and go back to it when the probe is done (release).
type devSource struct {
	dev   Device
	size  int64
	wins  []Extent
	reads int
	bufs  []*[]byte
}

// bufSizes are the size classes of pooled read buffers: a window, a ZFS uberblock
// array, the XFS log scan. A process probing many devices reuses their memory.
var (
	bufSizes = [...]int64{window, 128 << 10, 256 << 10}
	bufPools = [len(bufSizes)]sync.Pool{
		{New: func() any { b := make([]byte, bufSizes[0]); return &b }},
		{New: func() any { b := make([]byte, bufSizes[1]); return &b }},
		{New: func() any { b := make([]byte, bufSizes[2]); return &b }},
	}
)

// buffer returns a zeroed buffer of n bytes, pooled when n fits a size class.
func (d *devSource) buffer(n int64) []byte {
	for i, c := range bufSizes {
		if n <= c {
			bp := bufPools[i].Get().(*[]byte)
			d.bufs = append(d.bufs, bp)
			b := (*bp)[:n]
			clear(b)
			return b
		}
	}
	return make([]byte, n)
}

// prefetch reads [off, off+n) in one device read, when the device has it and it is not
// read yet: the area a scan is about to look at.
func (r *reader) prefetch(off, n int64) error {
	d, ok := r.src.(*devSource)
	if !ok || !r.fits(off, n) {
		return nil
	}
	for _, w := range d.wins {
		if off >= w.Off && off+n <= w.Off+int64(len(w.Data)) {
			return nil
		}
	}
	b, err := d.read(off, n)
	if err != nil {
		return nil // the scan's own reads will fail or succeed piece by piece
	}
	d.wins = append(d.wins, Extent{off, b})
	return nil
}

// release returns the window buffers to the pool; the source must not be used again.
func (d *devSource) release() {
	for _, b := range d.bufs {
		for i, c := range bufSizes {
			if int64(cap(*b)) == c {
				bufPools[i].Put(b)
			}
		}
	}
	d.bufs, d.wins = nil, nil
}

func (d *devSource) bytes(off, n int64) ([]byte, error) {
	for _, w := range d.wins {
		if off >= w.Off && off+n <= w.Off+int64(len(w.Data)) {
			return w.Data[off-w.Off : off-w.Off+n], nil
		}
	}
	start := off &^ (window - 1)
	end := (off + n + window - 1) &^ (window - 1)
	if end > d.size {
		end = d.size
	}
	b, err := d.read(start, end-start)
	if err != nil {
		// A failing sector in the window but outside the request must not fail the
		// request: read just what was asked, as blkid does.
		if b, err = d.read(off, n); err != nil {
			return nil, err
		}
		d.wins = append(d.wins, Extent{off, b})
		return b, nil
	}
	d.wins = append(d.wins, Extent{start, b})
	return b[off-start : off-start+n], nil
}

func (d *devSource) read(off, n int64) ([]byte, error) {
	if d.reads >= MaxReads {
		return nil, fmt.Errorf("read %d bytes at %d: %w (limit %d)", n, off, ErrTooManyReads, MaxReads)
	}
	d.reads++
	b := d.buffer(n)
	got, err := d.dev.ReadAt(b, off)
	if got == len(b) {
		return b, nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		// A short read (the device shrank): blkid treats it as "no data", so do we,
		// with zeros past what was read.
		return b, nil
	}
	return nil, fmt.Errorf("read %d bytes at %d: %w", n, off, err)
}

// Capture is what a probe read of one device: its geometry and the bytes the parsers
// looked at. Probing a Capture (Replay) gives the same answer as probing the device,
// and a capture holds nothing else of the device.
type Capture struct {
	Size       int64    `json:"size"`
	SectorSize int      `json:"sector_size"`
	Kind       string   `json:"kind"`
	Extents    []Extent `json:"extents"` // sorted by offset, not overlapping, not adjacent
}

// capture merges what r's parsers read, with the bytes, into sorted extents; bytes
// only compared with magics they did not match are zeros.
func (r *reader) capture(t Target) (*Capture, error) {
	c := &Capture{Size: t.Size, SectorSize: t.SectorSize, Kind: t.Kind.String()}
	spans := append([]span(nil), r.seen...)
	sort.Slice(spans, func(i, j int) bool { return spans[i].off < spans[j].off })
	// Merge the spans into extents, then copy in the bytes of the unmasked ones.
	in := make([]int, len(spans)) // the extent of each span
	var merged []span
	for i, s := range spans {
		if k := len(merged) - 1; k >= 0 && s.off <= merged[k].off+merged[k].n {
			if e := s.off + s.n; e > merged[k].off+merged[k].n {
				merged[k].n = e - merged[k].off
			}
			in[i] = k
			continue
		}
		merged = append(merged, span{off: s.off, n: s.n})
		in[i] = len(merged) - 1
	}
	for _, m := range merged {
		c.Extents = append(c.Extents, Extent{m.off, make([]byte, m.n)})
	}
	for i, s := range spans {
		if s.masked {
			continue
		}
		b, err := r.src.bytes(s.off, s.n)
		if err != nil {
			return nil, err
		}
		e := c.Extents[in[i]]
		copy(e.Data[s.off-e.Off:], b)
	}
	return c, nil
}

// Merge adds the extents of o (a capture of the same device) to c.
func (c *Capture) Merge(o *Capture) {
	if o != nil {
		c.Extents = append(c.Extents, o.Extents...)
	}
	c.normalize()
}

// normalize sorts the extents and joins those that overlap or touch.
func (c *Capture) normalize() {
	all := c.Extents
	sort.SliceStable(all, func(i, j int) bool { return all[i].Off < all[j].Off })
	var out []Extent
	for _, e := range all {
		if k := len(out) - 1; k >= 0 && e.Off <= out[k].Off+int64(len(out[k].Data)) {
			end := out[k].Off + int64(len(out[k].Data))
			if e.Off+int64(len(e.Data)) > end {
				out[k].Data = append(out[k].Data, e.Data[end-e.Off:]...)
			}
			continue
		}
		out = append(out, Extent{e.Off, append([]byte(nil), e.Data...)})
	}
	c.Extents = out
}

// Bytes is the number of device bytes the capture holds.
func (c *Capture) Bytes() int64 {
	var n int64
	for _, e := range c.Extents {
		n += int64(len(e.Data))
	}
	return n
}

// bytes serves a replay from the captured extents.
func (c *Capture) bytes(off, n int64) ([]byte, error) {
	i := sort.Search(len(c.Extents), func(i int) bool {
		e := c.Extents[i]
		return e.Off+int64(len(e.Data)) > off
	})
	if i < len(c.Extents) {
		e := c.Extents[i]
		if off >= e.Off && off+n <= e.Off+int64(len(e.Data)) {
			return e.Data[off-e.Off : off-e.Off+n], nil
		}
	}
	return nil, fmt.Errorf("%d bytes at %d: %w", n, off, ErrNotCaptured)
}

// Target returns the Target that replays the capture.
func (c *Capture) Target() (Target, error) {
	k, err := ParseKind(c.Kind)
	if err != nil {
		return Target{}, err
	}
	for i, e := range c.Extents {
		if e.Off < 0 || e.Off+int64(len(e.Data)) > c.Size || (i > 0 && e.Off < c.Extents[i-1].Off+int64(len(c.Extents[i-1].Data))) {
			return Target{}, fmt.Errorf("capture extent %d (%d bytes at %d) is outside the device or out of order", i, len(e.Data), e.Off)
		}
	}
	return Target{Size: c.Size, SectorSize: c.SectorSize, Kind: k, replay: c}, nil
}
