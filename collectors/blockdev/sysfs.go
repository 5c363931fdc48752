// Package blockdev reads block devices from /sys/block and /sys/class/block: disks
// with their size, sector sizes and flags, and their partitions with number, start and
// size. See README.md for every file read.
package blockdev

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/sms-agent/sms-agent/platform"
)

// SectorSize is the unit of /sys/block/*/size and */start, whatever the device's
// logical block size (see Documentation/ABI/stable/sysfs-block).
const SectorSize = 512

// Device is one entry of /sys/block: a disk or a virtual block device.
type Device struct {
	KName              string // sda, nvme0n1, dm-0, loop3
	Major, Minor       uint32
	Size               int64 // bytes
	LogicalSectorSize  int64
	PhysicalSectorSize int64
	Rotational         bool
	Removable          bool
	ReadOnly           bool
	Model              string
	Serial             string
	WWN                string
	DMName             string // device-mapper name ("vg-root"), dm devices only
	DMUUID             string // device-mapper uuid ("LVM-..."), dm devices only
	Holders            []string
	Slaves             []string
	Partitions         []Partition
}

// MajMin formats the device number as "8:0".
func (d Device) MajMin() string { return MajMinString(d.Major, d.Minor) }

// Partition is a partition of a Device.
type Partition struct {
	KName        string // sda1, nvme0n1p1
	Major, Minor uint32
	Number       int
	Start        int64 // bytes
	Size         int64 // bytes
	ReadOnly     bool
	Name         string // PARTNAME from uevent (GPT partition name), when the kernel set it
	Holders      []string
}

// MajMin formats the device number as "8:1".
func (p Partition) MajMin() string { return MajMinString(p.Major, p.Minor) }

// List returns the names in /sys/block.
func List(fsys platform.FS) ([]string, error) {
	return fsys.ReadDir("/sys/block")
}

// ReadNames reads the named devices, with every attribute when full, sorted by
// kernel name; a device that cannot be read is left out and its error returned.
func ReadNames(fsys platform.FS, names []string, full bool) ([]Device, []error) {
	var devs []Device
	var errs []error
	for _, n := range names {
		d, err := readDevice(fsys, n, full)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		devs = append(devs, d)
	}
	sort.Slice(devs, func(i, j int) bool { return LessKName(devs[i].KName, devs[j].KName) })
	return devs, errs
}

// MaybeCandidate reports whether a name is one a default candidate can have (see
// IsCandidate), before anything else is read.
func MaybeCandidate(kname string) bool {
	if fam, letters, rest := splitDiskName(kname); fam != "" {
		return letters != "" && rest == ""
	}
	if r, ok := strings.CutPrefix(kname, "nvme"); ok {
		ctrl, ns, found := strings.Cut(r, "n")
		return found && allDigits(ctrl) && allDigits(ns)
	}
	if r, ok := strings.CutPrefix(kname, "mmcblk"); ok {
		return allDigits(r)
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// splitDiskName splits "sdab3" into ("sd", "ab", "3"); fam is "" for other names.
func splitDiskName(k string) (fam, letters, rest string) {
	for _, f := range []string{"xvd", "sd", "vd", "hd"} {
		if r, ok := strings.CutPrefix(k, f); ok {
			i := 0
			for i < len(r) && r[i] >= 'a' && r[i] <= 'z' {
				i++
			}
			if i == 0 {
				return "", "", ""
			}
			return f, r[:i], r[i:]
		}
	}
	return "", "", ""
}

func readDevice(fsys platform.FS, kname string, full bool) (Device, error) {
	dir := "/sys/block/" + kname
	d := Device{KName: kname}
	sectors, err := readUint(fsys, dir+"/size")
	if err != nil {
		return d, err
	}
	d.Size = int64(sectors) * SectorSize
	if d.Size == 0 && !full {
		// An empty device that is no candidate (an idle loop device) holds nothing and
		// nothing is mounted from it: its device number (0:0 here) is never looked up.
		return d, nil
	}
	if d.Major, d.Minor, err = readDev(fsys, dir+"/dev"); err != nil {
		return d, err
	}
	if strings.HasPrefix(kname, "dm-") {
		d.DMName = optString(fsys, dir+"/dm/name")
		d.DMUUID = optString(fsys, dir+"/dm/uuid")
	}
	if full {
		readAttributes(fsys, dir, &d)
	}
	if d.Size == 0 {
		// An empty device (a detached loop device, a drive without a medium) has no
		// partitions: the kernel drops them when the capacity goes to 0. Not listing its
		// directory saves four system calls for each of the host's idle loop devices.
		return d, nil
	}
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return d, err
	}
	for _, e := range entries {
		if !strings.HasPrefix(e, kname) || !fsys.Exists(dir+"/"+e+"/partition") {
			continue
		}
		p, err := readPartition(fsys, dir+"/"+e, full)
		if err != nil {
			return d, err
		}
		d.Partitions = append(d.Partitions, p)
	}
	sort.Slice(d.Partitions, func(i, j int) bool { return d.Partitions[i].Number < d.Partitions[j].Number })
	return d, nil
}

// readAttributes reads the optional attributes: absent on some kernels and in partial
// captures.
func readAttributes(fsys platform.FS, dir string, d *Device) {
	d.LogicalSectorSize = int64(optUint(fsys, dir+"/queue/logical_block_size", SectorSize))
	d.PhysicalSectorSize = int64(optUint(fsys, dir+"/queue/physical_block_size", uint64(d.LogicalSectorSize)))
	d.Rotational = optUint(fsys, dir+"/queue/rotational", 0) == 1
	d.Removable = optUint(fsys, dir+"/removable", 0) == 1
	d.ReadOnly = optUint(fsys, dir+"/ro", 0) == 1
	d.Model = optString(fsys, dir+"/device/model")
	d.Serial = optString(fsys, dir+"/device/serial")
	if d.Serial == "" {
		d.Serial = optString(fsys, dir+"/serial") // virtio-blk
	}
	d.WWN = optString(fsys, dir+"/device/wwid")
	if d.WWN == "" {
		d.WWN = optString(fsys, dir+"/wwid")
	}
	d.Holders = optDir(fsys, dir+"/holders")
	d.Slaves = optDir(fsys, dir+"/slaves")
}

func readPartition(fsys platform.FS, dir string, full bool) (Partition, error) {
	p := Partition{KName: path.Base(dir)}
	var err error
	if p.Major, p.Minor, err = readDev(fsys, dir+"/dev"); err != nil {
		return p, err
	}
	n, err := readUint(fsys, dir+"/partition")
	if err != nil {
		return p, err
	}
	p.Number = int(n)
	start, err := readUint(fsys, dir+"/start")
	if err != nil {
		return p, err
	}
	size, err := readUint(fsys, dir+"/size")
	if err != nil {
		return p, err
	}
	p.Start, p.Size = int64(start)*SectorSize, int64(size)*SectorSize
	if !full {
		return p, nil
	}
	p.ReadOnly = optUint(fsys, dir+"/ro", 0) == 1
	if b, err := fsys.ReadFile(dir + "/uevent"); err == nil {
		p.Name = ParseUevent(b)["PARTNAME"]
	}
	p.Holders = optDir(fsys, dir+"/holders")
	return p, nil
}

func readUint(fsys platform.FS, p string) (uint64, error) {
	b, err := fsys.ReadFile(p)
	if err != nil {
		return 0, err
	}
	v, err := ParseUint(b)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", p, err)
	}
	return v, nil
}

func readDev(fsys platform.FS, p string) (uint32, uint32, error) {
	b, err := fsys.ReadFile(p)
	if err != nil {
		return 0, 0, err
	}
	maj, min, err := ParseDev(b)
	if err != nil {
		return 0, 0, fmt.Errorf("read %s: %w", p, err)
	}
	return maj, min, nil
}

func optUint(fsys platform.FS, p string, def uint64) uint64 {
	b, err := fsys.ReadFile(p)
	if err != nil {
		return def
	}
	v, err := ParseUint(b)
	if err != nil {
		return def
	}
	return v
}

func optString(fsys platform.FS, p string) string {
	s, err := fsys.ReadString(p)
	if err != nil {
		return ""
	}
	return s
}

func optDir(fsys platform.FS, p string) []string {
	names, err := fsys.ReadDir(p)
	if err != nil {
		return nil
	}
	return names
}

// ErrParse is wrapped by every parse failure of a sysfs attribute.
var ErrParse = errors.New("unexpected content")

// ParseUint parses a sysfs attribute holding one unsigned decimal number.
func ParseUint(b []byte) (uint64, error) {
	s := strings.TrimSpace(string(b))
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q is not a number", ErrParse, clip(s))
	}
	return v, nil
}

// ParseDev parses a "dev" attribute: "major:minor".
func ParseDev(b []byte) (uint32, uint32, error) {
	s := strings.TrimSpace(string(b))
	a, c, ok := strings.Cut(s, ":")
	maj, err1 := strconv.ParseUint(a, 10, 32)
	min, err2 := strconv.ParseUint(c, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("%w: %q is not major:minor", ErrParse, clip(s))
	}
	return uint32(maj), uint32(min), nil
}

// ParseUevent parses a uevent file: KEY=VALUE lines.
func ParseUevent(b []byte) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && k != "" {
			m[k] = v
		}
	}
	return m
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// IsCandidate reports whether a device is a migration candidate by default: a real
// disk (sd*, vd*, xvd*, hd*, nvme*n*, mmcblk*), not removable, not empty.
func IsCandidate(d Device) bool {
	return MaybeCandidate(d.KName) && !d.Removable && d.Size > 0
}

// LessKName orders kernel names as the kernel numbers them: sda < sdb < sdz < sdaa,
// nvme0n2 < nvme0n10, sda2 < sda10.
func LessKName(a, b string) bool {
	fa, la, ra := splitDiskName(a)
	fb, lb, rb := splitDiskName(b)
	if fa != "" && fa == fb {
		if len(la) != len(lb) {
			return len(la) < len(lb)
		}
		if la != lb {
			return la < lb
		}
		return naturalLess(ra, rb)
	}
	return naturalLess(a, b)
}

// naturalLess compares strings with runs of digits compared as numbers.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := isDigit(a[0]), isDigit(b[0])
		if da && db {
			i, j := digitRun(a), digitRun(b)
			na, nb := strings.TrimLeft(a[:i], "0"), strings.TrimLeft(b[:j], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[i:], b[j:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digitRun(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// MajMinString formats a device number as "major:minor".
func MajMinString(major, minor uint32) string { return fmt.Sprintf("%d:%d", major, minor) }
