//go:build linux

package lowprobe

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// OpenDevice opens a block device or an image file read-only and describes it the way
// `blkid -p` sees it: size (BLKGETSIZE64 or the file size), logical sector size
// (BLKSSZGET), whole disk or partition (/sys/class/block/NAME/partition), and for a
// partition its entry query (its disk's table read with ReadTable, its sysfs start and
// size, the disk's major:minor). It is for tools and tests on a live host: discovery
// reads devices and sysfs through platform, so that captures record them. done
// closes the device.
func OpenDevice(path string, record bool) (t Target, done func() error, err error) {
	f, err := os.Open(path)
	if err != nil {
		return Target{}, nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return Target{}, nil, err
	}
	if st.Mode().IsRegular() {
		return Target{Dev: f, Size: st.Size(), Kind: File, Record: record}, f.Close, nil
	}
	if st.Mode()&os.ModeDevice == 0 || st.Mode()&os.ModeCharDevice != 0 {
		return Target{}, nil, fmt.Errorf("%s: not a block device or a regular file", path)
	}
	if t, err = BlockTarget(f, record); err != nil {
		return Target{}, nil, err
	}
	sys, err := sysfsDir(f)
	if err != nil {
		return Target{}, nil, err
	}
	if _, err := os.Stat(filepath.Join(sys, "partition")); errors.Is(err, os.ErrNotExist) {
		return t, f.Close, nil
	}
	t.Kind = Partition
	disk := filepath.Dir(sys)
	dt, dclose, err := OpenDevice("/dev/"+filepath.Base(disk), false)
	if err != nil {
		return Target{}, nil, fmt.Errorf("%s: its disk: %w", path, err)
	}
	defer dclose()
	q := &EntryQuery{}
	if q.Table, err = ReadTable(dt); err != nil {
		return Target{}, nil, fmt.Errorf("%s: the partition table of %s: %w", path, filepath.Base(disk), err)
	}
	if q.Start, err = sysfsU64(sys, "start"); err == nil {
		q.Size, err = sysfsU64(sys, "size")
	}
	if err == nil {
		var b []byte
		b, err = os.ReadFile(filepath.Join(disk, "dev"))
		q.Disk = strings.TrimSpace(string(b))
	}
	if err != nil {
		return Target{}, nil, err
	}
	t.Entry = q
	return t, f.Close, nil
}

// BlockTarget describes an open block device as blkid -p sees it: a whole disk of the
// size (BLKGETSIZE64) and logical sector size (BLKSSZGET) the kernel gives, read without
// read-ahead. For a partition the caller sets Kind and Entry. f stays open; the
// caller closes it after probing.
func BlockTarget(f *os.File, record bool) (Target, error) {
	fd := int(f.Fd())
	// No read-ahead, as blkid: the probe reads scattered windows, and read-ahead
	// would read (and on an unmounted device, whose page cache goes with its last
	// close, read again at every probe) several times more.
	_ = unix.Fadvise(fd, 0, 0, unix.FADV_RANDOM)
	size, err := unix.IoctlGetUint64(fd, unix.BLKGETSIZE64)
	if err != nil {
		return Target{}, fmt.Errorf("%s: BLKGETSIZE64: %w", f.Name(), err)
	}
	ss, err := unix.IoctlGetInt(fd, unix.BLKSSZGET)
	if err != nil {
		return Target{}, fmt.Errorf("%s: BLKSSZGET: %w", f.Name(), err)
	}
	return Target{Dev: f, Size: int64(size), SectorSize: ss, Kind: WholeDisk, Record: record}, nil
}

// sysfsDir is the /sys/devices directory of the open block device.
func sysfsDir(f *os.File) (string, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return "", err
	}
	link := fmt.Sprintf("/sys/dev/block/%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
	dir, err := filepath.EvalSymlinks(link)
	if err != nil {
		return "", fmt.Errorf("%s: %w", link, err)
	}
	return dir, nil
}

func sysfsU64(dir, name string) (uint64, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s/%s: %w", dir, name, err)
	}
	return v, nil
}
