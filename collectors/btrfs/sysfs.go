// Package btrfs reads btrfs filesystems: what the kernel publishes under
// /sys/fs/btrfs/<uuid>/ for every mounted filesystem (ReadSysfs), and, per mount point,
// the subvolumes, the default subvolume and the space usage printed by btrfs-progs
// (ReadMounted). Parsing is pure and separate from the I/O. See README.md.
package btrfs

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/sms-agent/sms-agent/platform"
)

// SysfsRoot is where the kernel lists mounted btrfs filesystems.
const SysfsRoot = "/sys/fs/btrfs"

// ErrParse: a file or command output is not in the expected format.
var ErrParse = errors.New("malformed btrfs data")

// SysFS is one mounted btrfs filesystem as /sys/fs/btrfs/<uuid>/ describes it
// (Documentation/ABI/testing/sysfs-fs-btrfs).
type SysFS struct {
	UUID       string // the directory name: the filesystem UUID
	Label      string // label ("" when none)
	NodeSize   int64  // nodesize
	SectorSize int64  // sectorsize
	// MetadataUUID is metadata_uuid (kernel 5.0+); "" when absent.
	MetadataUUID string
	Devices      []Device // devices/<name>, sorted by name
	Data         *Allocation
	Metadata     *Allocation
	System       *Allocation
	Mixed        *Allocation // mixed block groups (small filesystems made with --mixed)
	// GlobalRsvSize is allocation/global_rsv_size; nil when absent.
	GlobalRsvSize *int64
	// GlobalRsvReserved is allocation/global_rsv_reserved; nil when absent.
	GlobalRsvReserved *int64
}

// Device is a member device of the filesystem.
type Device struct {
	Name string // kernel name, e.g. "sda2", "dm-0", "loop2"
	// Size is devices/<name>/size (512-byte sectors) in bytes; nil when unreadable.
	Size *int64
	// Dev is devices/<name>/dev ("major:minor"); "" when unreadable.
	Dev string
}

// Allocation is one space kind (data, metadata, system) under allocation/.
type Allocation struct {
	TotalBytes int64 // total_bytes: logical bytes allocated to chunks
	BytesUsed  int64 // bytes_used: logical bytes used in them
	// DiskTotal and DiskUsed are raw bytes on the devices (with redundancy); nil when absent.
	DiskTotal *int64
	DiskUsed  *int64
	Profiles  []Profile // one per RAID profile directory, sorted by name
}

// Profile is allocation/<kind>/<profile>/: the chunks of that kind with that RAID profile.
type Profile struct {
	Name       string // single, dup, raid0, raid1, raid10, raid5, raid6, raid1c3, raid1c4
	TotalBytes int64  // total_bytes
	UsedBytes  int64  // used_bytes
}

// ProfileNames returns the profile names, joined by "," when the filesystem is in the
// middle of a conversion and has several.
func (a *Allocation) ProfileNames() string {
	if a == nil {
		return ""
	}
	names := make([]string, len(a.Profiles))
	for i, p := range a.Profiles {
		names[i] = p.Name
	}
	return strings.Join(names, ",")
}

// ReadSysfs reads every /sys/fs/btrfs/<uuid>/ (skipping "features", which describes the
// kernel module). The kernel lists only mounted filesystems. A filesystem whose
// required files cannot be read is skipped and its error joined into the returned
// error; the others are still returned.
func ReadSysfs(fsys platform.FS) ([]SysFS, error) {
	names, err := fsys.ReadDir(SysfsRoot)
	if err != nil {
		return nil, fmt.Errorf("read btrfs sysfs: %w", err)
	}
	var out []SysFS
	var errs []error
	for _, n := range names {
		if n == "features" {
			continue
		}
		fs, err := readOne(fsys, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, fs)
	}
	return out, errors.Join(errs...)
}

func readOne(fsys platform.FS, uuid string) (SysFS, error) {
	dir := path.Join(SysfsRoot, uuid)
	fs := SysFS{UUID: uuid}
	var err error
	if fs.Label, err = readLabel(fsys, dir); err != nil {
		return fs, fmt.Errorf("read btrfs %s: %w", uuid, err)
	}
	if fs.NodeSize, err = readInt(fsys, path.Join(dir, "nodesize")); err != nil {
		return fs, fmt.Errorf("read btrfs %s: %w", uuid, err)
	}
	if fs.SectorSize, err = readInt(fsys, path.Join(dir, "sectorsize")); err != nil {
		return fs, fmt.Errorf("read btrfs %s: %w", uuid, err)
	}
	if s, err := fsys.ReadString(path.Join(dir, "metadata_uuid")); err == nil {
		fs.MetadataUUID = s
	}
	if fs.Devices, err = readDevices(fsys, path.Join(dir, "devices")); err != nil {
		return fs, fmt.Errorf("read btrfs %s: %w", uuid, err)
	}
	alloc := path.Join(dir, "allocation")
	for _, k := range []struct {
		name string
		dst  **Allocation
	}{{"data", &fs.Data}, {"metadata", &fs.Metadata}, {"system", &fs.System}, {"mixed", &fs.Mixed}} {
		if !fsys.Exists(path.Join(alloc, k.name, "total_bytes")) {
			continue
		}
		a, err := readAllocation(fsys, path.Join(alloc, k.name))
		if err != nil {
			return fs, fmt.Errorf("read btrfs %s: %w", uuid, err)
		}
		*k.dst = a
	}
	if fs.GlobalRsvSize, err = readOptInt(fsys, path.Join(alloc, "global_rsv_size")); err != nil {
		return fs, fmt.Errorf("read btrfs %s: %w", uuid, err)
	}
	if fs.GlobalRsvReserved, err = readOptInt(fsys, path.Join(alloc, "global_rsv_reserved")); err != nil {
		return fs, fmt.Errorf("read btrfs %s: %w", uuid, err)
	}
	return fs, nil
}

// readLabel reads label: the label and a newline; an empty label is "\n" (or nothing).
func readLabel(fsys platform.FS, dir string) (string, error) {
	b, err := fsys.ReadFile(path.Join(dir, "label"))
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}

func readDevices(fsys platform.FS, dir string) ([]Device, error) {
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := make([]Device, 0, len(names))
	for _, n := range names {
		d := Device{Name: n}
		if s, err := readOptInt(fsys, path.Join(dir, n, "size")); err == nil && s != nil {
			b := *s * 512
			d.Size = &b
		}
		if s, err := fsys.ReadString(path.Join(dir, n, "dev")); err == nil {
			d.Dev = s
		}
		out = append(out, d)
	}
	return out, nil
}

func readAllocation(fsys platform.FS, dir string) (*Allocation, error) {
	a := &Allocation{}
	var err error
	if a.TotalBytes, err = readInt(fsys, path.Join(dir, "total_bytes")); err != nil {
		return nil, err
	}
	if a.BytesUsed, err = readInt(fsys, path.Join(dir, "bytes_used")); err != nil {
		return nil, err
	}
	if a.DiskTotal, err = readOptInt(fsys, path.Join(dir, "disk_total")); err != nil {
		return nil, err
	}
	if a.DiskUsed, err = readOptInt(fsys, path.Join(dir, "disk_used")); err != nil {
		return nil, err
	}
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		p := path.Join(dir, n)
		if !fsys.Exists(path.Join(p, "total_bytes")) || !fsys.Exists(path.Join(p, "used_bytes")) {
			continue // a plain file (bytes_used, flags...), not a profile directory
		}
		pr := Profile{Name: n}
		if pr.TotalBytes, err = readInt(fsys, path.Join(p, "total_bytes")); err != nil {
			return nil, err
		}
		if pr.UsedBytes, err = readInt(fsys, path.Join(p, "used_bytes")); err != nil {
			return nil, err
		}
		a.Profiles = append(a.Profiles, pr)
	}
	return a, nil
}

func readInt(fsys platform.FS, p string) (int64, error) {
	s, err := fsys.ReadString(p)
	if err != nil {
		return 0, err
	}
	n, err := parseInt(s)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", p, err)
	}
	return n, nil
}

// readOptInt is readInt for a file that older kernels lack: absent is nil, not 0.
func readOptInt(fsys platform.FS, p string) (*int64, error) {
	if !fsys.Exists(p) {
		return nil, nil
	}
	n, err := readInt(fsys, p)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

func parseInt(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrParse, err)
	}
	return n, nil
}
