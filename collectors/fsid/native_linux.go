//go:build linux

package fsid

import (
	"context"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sms-agent/sms-agent/collectors/lowprobe"
	"github.com/sms-agent/sms-agent/platform"
)

// cdromGetCapability is CDROM_GET_CAPABILITY (linux/cdrom.h), the ioctl libblkid asks
// a whole disk to learn that it is a CD-ROM.
const cdromGetCapability = 0x5331

// liveNative probes each disk of the batch and its partitions, concurrently and within
// the command time-out: a dead device leaves its goroutine behind, not the run.
func liveNative(ctx context.Context, env platform.LiveEnv, qs []NativeQuery) []platform.Answer[NativeAnswer] {
	return platform.AnswerWithin(ctx, env.CommandTimeout, qs, func(q NativeQuery) (NativeAnswer, error) {
		return probeLive(q, env.Recording), nil
	})
}

func probeLive(q NativeQuery, record bool) NativeAnswer {
	// A partition's queue/zoned is its disk's: the file is read once for the batch,
	// through whichever of its devices opens first.
	var z struct{ read, v bool }
	isZoned := func(rdev uint64, kind lowprobe.Kind) bool {
		if !z.read {
			z.v, z.read = zoned(rdev, kind), true
		}
		return z.v
	}
	disk, done := openNative(q.Disk, lowprobe.WholeDisk, record, isZoned)
	defer done()
	parts := make([]nativeTarget, len(q.Parts))
	for i, p := range q.Parts {
		var pdone func()
		parts[i], pdone = openNative(p.Path, lowprobe.Partition, record, isZoned)
		defer pdone()
	}
	a := probeNative(q, disk, parts)
	a.live, a.recording = true, record
	return a
}

// openNative opens a block device read-only as blkid -p does (O_NONBLOCK: a CD-ROM
// drive without a disc opens) and describes it (lowprobe.BlockTarget; isZoned, given
// its device number).
func openNative(path string, kind lowprobe.Kind, record bool, isZoned func(rdev uint64, kind lowprobe.Kind) bool) (nativeTarget, func()) {
	fail := func(err error) (nativeTarget, func()) {
		return nativeTarget{dev: NativeDevice{Error: platform.NewProbeError(err)}}, func() {}
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return fail(&os.PathError{Op: "open", Path: path, Err: err})
	}
	f := os.NewFile(uintptr(fd), path)
	done := func() { _ = f.Close() }
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		done()
		return fail(&os.PathError{Op: "fstat", Path: path, Err: err})
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		done()
		return fail(fmt.Errorf("%s: not a block device", path))
	}
	t, err := lowprobe.BlockTarget(f, record)
	if err != nil {
		done()
		return fail(err)
	}
	t.Kind = kind
	nt := nativeTarget{t: t}
	nt.dev.Zoned = isZoned(st.Rdev, kind)
	if kind == lowprobe.WholeDisk {
		_, cerr := unix.IoctlRetInt(fd, cdromGetCapability)
		nt.dev.CDROM = cerr == nil
	}
	return nt, done
}

// zoned says whether the device is zoned: its queue/zoned in sysfs (a partition's
// is its disk's) is not "none". No file (a kernel before 4.10) or none readable:
// not zoned.
func zoned(rdev uint64, kind lowprobe.Kind) bool {
	dir := fmt.Sprintf("/sys/dev/block/%d:%d", unix.Major(rdev), unix.Minor(rdev))
	if kind == lowprobe.Partition {
		dir += "/.."
	}
	b, err := os.ReadFile(dir + "/queue/zoned")
	if err != nil {
		return false
	}
	v := strings.TrimSpace(string(b))
	return v != "" && v != "none"
}
