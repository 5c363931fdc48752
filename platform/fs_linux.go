//go:build linux

package platform

import (
	"errors"
	"sort"

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
	buf := make([]byte, 0, 4096)
	for len(buf) < limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):min(cap(buf), limit)])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		buf = buf[:len(buf)+n]
	}
	return buf, nil
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
