//go:build linux

package platform

import (
	"bytes"
	"errors"
	"os"
	"sort"
	"strconv"

	"golang.org/x/sys/unix"
)

// readFileRaw reads a whole file with plain open/read/close. os.Open registers every
// file with the runtime's poller (fcntl and epoll_ctl calls each time); for the
// hundred-odd tiny /sys and /proc files discovery reads, those calls cost as much as
// the reads themselves.
func readFileRaw(p string, limit int) ([]byte, error) {
	fd, err := openRetry(p, unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	// Most of these files fit in a few bytes: read them into a buffer on the stack
	// and keep only what was read, so that a discovery's hundred-odd reads do not each
	// leave a 4 KiB buffer on the heap (they made three quarters of its allocations).
	var small [512]byte
	n, err := readFull(fd, small[:min(len(small), limit)])
	if err != nil {
		return nil, err
	}
	if n < len(small) || n >= limit {
		return bytes.Clone(small[:n]), nil
	}
	// A larger file (mountinfo, meminfo): go on in a growing buffer.
	buf := append(make([]byte, 0, 4096), small[:n]...)
	for len(buf) < limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		want := buf[len(buf):min(cap(buf), limit)]
		m, err := readFull(fd, want)
		buf = buf[:len(buf)+m]
		if err != nil {
			return nil, err
		}
		if m < len(want) {
			break // the end of the file
		}
	}
	return buf, nil
}

// readFull reads fd until p is full or the end of the file.
func readFull(fd int, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Read(fd, p[n:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return n, nil
}

// readDirRaw lists a directory's entries (without . and ..), sorted.
func readDirRaw(p string) ([]string, error) {
	fd, err := openRetry(p, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var names []string
	buf := make([]byte, 16<<10)
	for {
		n, err := unix.ReadDirent(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			break
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
	sort.Strings(names)
	return names, nil
}

func openRetry(p string, flags int) (int, error) {
	for {
		fd, err := unix.Open(p, flags, 0)
		if !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}

// openRegularIn opens name below root for reading if it is a regular file, resolving
// the path through the root once: with O_PATH, which opens no device and waits for no
// named pipe, then fstat, then the same inode opened for reading through
// /proc/self/fd. A final symbolic link (O_PATH does not follow it) or a host without
// /proc takes the slower openRegularInStat.
func openRegularIn(root *os.Root, name string) (*os.File, error) {
	pf, err := root.OpenFile(name, unix.O_PATH, 0)
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	fd := int(pf.Fd())
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFLNK:
		return openRegularInStat(root, name)
	default:
		fi, err := pf.Stat()
		if err != nil {
			return nil, err
		}
		return nil, notRegular{fi.Mode()}
	}
	f, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(fd), os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return openRegularInStat(root, name)
	}
	return f, nil
}
