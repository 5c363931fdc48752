package lowprobe

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// A fixture file (testdata/*.probe) holds devices made by real tools: for each, the
// bytes the prober read (the disk's include those its table parse read) and what
// `blkid -p -o export` printed for it. testdata/README.md describes the format.
type fixture struct {
	comments []string
	devices  []*fixtureDevice
}

type fixtureDevice struct {
	name    string // the path blkid was given (DEVNAME)
	capture *Capture
	// a partition: its disk (a device of the same file), sysfs start and size, and the
	// disk's major:minor
	disk        string
	start, size uint64
	devno       string
	blkidExit   int
	blkid       []string // blkid's output lines for the device
	status      string   // the prober's Status
}

func (d *fixtureDevice) blkidText() string {
	if len(d.blkid) == 0 {
		return ""
	}
	return strings.Join(d.blkid, "\n") + "\n"
}

func readFixture(path string) (*fixture, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fx, err := parseFixture(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return fx, nil
}

func parseFixture(r io.Reader) (*fixture, error) {
	fx := &fixture{}
	var cur *fixtureDevice
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		word, rest, _ := strings.Cut(line, " ")
		if word != "device" && word != "" && !strings.HasPrefix(word, "#") && cur == nil {
			return nil, fmt.Errorf("line %d: %q before any device", n, word)
		}
		var err error
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			if len(fx.devices) == 0 {
				fx.comments = append(fx.comments, line)
			}
		case word == "device":
			cur, err = parseDeviceLine(rest)
			fx.devices = append(fx.devices, cur)
		case word == "blkid":
			cur.blkid = append(cur.blkid, rest)
		case word == "blkid-exit":
			cur.blkidExit, err = strconv.Atoi(rest)
		case word == "status":
			cur.status = rest
		case word == "x":
			off, h, _ := strings.Cut(rest, " ")
			var o int64
			var b []byte
			if o, err = strconv.ParseInt(off, 10, 64); err == nil {
				b, err = hex.DecodeString(h)
			}
			cur.capture.Extents = append(cur.capture.Extents, Extent{o, b})
		case word == "z":
			err = parseZeros(cur.capture, rest)
		default:
			err = fmt.Errorf("unknown keyword %q", word)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, d := range fx.devices {
		d.capture.normalize()
	}
	return fx, nil
}

func parseDeviceLine(s string) (*fixtureDevice, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return nil, fmt.Errorf("device without a name")
	}
	d := &fixtureDevice{name: f[0], capture: &Capture{}}
	for _, kv := range f[1:] {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "kind":
			d.capture.Kind = v
		case "size":
			d.capture.Size, err = strconv.ParseInt(v, 10, 64)
		case "sector":
			d.capture.SectorSize, err = strconv.Atoi(v)
		case "disk":
			d.disk = v
		case "start":
			d.start, err = strconv.ParseUint(v, 10, 64)
		case "psize":
			d.size, err = strconv.ParseUint(v, 10, 64)
		case "devno":
			d.devno = v
		default:
			err = fmt.Errorf("unknown device attribute %q", k)
		}
		if err != nil {
			return nil, err
		}
	}
	return d, nil
}

// parseZeros reads "OFF LEN" or "OFF LEN COUNT STRIDE": zero-filled extents.
func parseZeros(c *Capture, s string) error {
	var nums []int64
	for _, f := range strings.Fields(s) {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return err
		}
		nums = append(nums, v)
	}
	count, stride := int64(1), int64(0)
	switch len(nums) {
	case 2:
	case 4:
		count, stride = nums[2], nums[3]
	default:
		return fmt.Errorf("z wants OFF LEN [COUNT STRIDE], got %q", s)
	}
	if nums[1] <= 0 || nums[1] > maxRequest || count <= 0 || count > 1<<16 {
		return fmt.Errorf("z %q: bad length or count", s)
	}
	for i := int64(0); i < count; i++ {
		c.Extents = append(c.Extents, Extent{nums[0] + i*stride, make([]byte, nums[1])})
	}
	return nil
}

func (fx *fixture) format() []byte {
	var b bytes.Buffer
	for _, c := range fx.comments {
		b.WriteString(c + "\n")
	}
	for _, d := range fx.devices {
		c := d.capture
		fmt.Fprintf(&b, "\ndevice %s kind=%s size=%d sector=%d", d.name, c.Kind, c.Size, c.SectorSize)
		if d.disk != "" {
			fmt.Fprintf(&b, " disk=%s start=%d psize=%d devno=%s", d.disk, d.start, d.size, d.devno)
		}
		b.WriteString("\n")
		fmt.Fprintf(&b, "blkid-exit %d\n", d.blkidExit)
		for _, l := range d.blkid {
			b.WriteString("blkid " + l + "\n")
		}
		fmt.Fprintf(&b, "status %s\n", d.status)
		// Extents in pieces of at most 64 bytes; a run of zero pieces of one length
		// at one stride is one line.
		var ext []Extent
		for _, e := range c.Extents {
			for off := 0; off < len(e.Data); off += 64 {
				ext = append(ext, Extent{e.Off + int64(off), e.Data[off:min(off+64, len(e.Data))]})
			}
		}
		for i := 0; i < len(ext); {
			e := ext[i]
			if !allZero(e.Data) {
				fmt.Fprintf(&b, "x %d %s\n", e.Off, hex.EncodeToString(e.Data))
				i++
				continue
			}
			j := i + 1
			var stride int64
			if j < len(ext) && allZero(ext[j].Data) && len(ext[j].Data) == len(e.Data) {
				stride = ext[j].Off - e.Off
				for j < len(ext) && allZero(ext[j].Data) && len(ext[j].Data) == len(e.Data) && ext[j].Off-ext[j-1].Off == stride {
					j++
				}
			}
			switch {
			case j-i == 1:
				fmt.Fprintf(&b, "z %d %d\n", e.Off, len(e.Data))
			case stride == int64(len(e.Data)):
				fmt.Fprintf(&b, "z %d %d\n", e.Off, int64(j-i)*stride) // contiguous
			default:
				fmt.Fprintf(&b, "z %d %d %d %d\n", e.Off, len(e.Data), j-i, stride)
			}
			i = j
		}
	}
	return b.Bytes()
}

// replay probes every device of the fixture from its capture.
func (fx *fixture) replay() (map[string]*Result, error) {
	out := map[string]*Result{}
	tables := map[string]*Table{}
	for _, d := range fx.devices {
		t, err := d.capture.Target()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
		t.Record = true
		if d.disk != "" {
			tab, ok := tables[d.disk]
			if !ok {
				return nil, fmt.Errorf("%s: disk %s is not an earlier device of the fixture", d.name, d.disk)
			}
			t.Entry = &EntryQuery{Table: tab, Start: d.start, Size: d.size, Disk: d.devno}
		}
		if t.Kind == WholeDisk || t.Kind == File {
			tab, err := ReadTable(t)
			if err != nil {
				return nil, fmt.Errorf("%s: table: %w", d.name, err)
			}
			tables[d.name] = tab
		}
		res, err := Probe(t)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
		out[d.name] = res
	}
	return out, nil
}
