package mounts

import (
	"strconv"
	"strings"
)

// inProcessType: the filesystems whose statfs does no I/O and takes no lock a path
// doing I/O can hold (docs/statfs.md, "Safe in-process"): the agent may statfs them in
// its own process, subject to the project quota and kernel version rules of
// InProcessStatfs.
func inProcessType(t string) bool {
	switch t {
	case "ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs",
		"squashfs", "erofs", "iso9660", "ntfs3",
		"jfs", "reiserfs", "hfsplus",
		// memory filesystems: shmem_statfs (tmpfs, and devtmpfs, which is tmpfs or ramfs)
		"tmpfs", "devtmpfs",
		// simple_statfs (fs/libfs.c): constants; kernfs (sysfs, cgroup) uses it too
		"ramfs", "rootfs", "devpts", "proc", "sysfs",
		"cgroup", "cgroup2", "mqueue", "debugfs", "tracefs",
		"securityfs", "configfs", "bpf", "pstore",
		"binfmt_misc", "fusectl":
		return true
	}
	return false
}

// projectQuotaType: the safe filesystems whose statfs reads project quota (dqget,
// which can wait on quota-file I/O) when it is enforced.
func projectQuotaType(t string) bool {
	switch t {
	case "ext2", "ext3", "ext4", "f2fs", "xfs":
		return true
	}
	return false
}

// projectQuotaOption: the super options that enable project quota, as the kernel
// prints them in mountinfo: ext4 and f2fs "prjquota" (f2fs also "prjjquota=<file>"),
// xfs "prjquota" (enforced) or "pqnoenforce" (accounted only; the child anyway, to stay
// on the safe side). "pquota" and "pqnoenf" are xfs's input spellings, which a
// /proc/mounts fallback of an old kernel or a hand-written table may hold.
func projectQuotaOption(t string) bool {
	switch t {
	case "prjquota", "prjjquota", "pquota", "pqnoenforce", "pqnoenf":
		return true
	}
	return false
}

// InProcessStatfs returns the mount points of the table whose statfs(2) may run in the
// agent's own process (docs/statfs.md): the rest must go to a child that can be
// abandoned. A mount point qualifies when every mount on it and every mount on a
// mount point its path crosses (each one that is a path prefix of it, "/" included)
// is of a safe type, has no project quota where that matters (ext4, f2fs, xfs), and,
// for xfs, kernelRelease (/proc/sys/kernel/osrelease, e.g. "6.1.0-18-amd64") is known
// and not 5.15–5.18, whose xfs statfs waits for inode inactivation I/O. "" or an
// unparsable release: not sure, so xfs is not safe. A table without a mount on "/"
// gives nothing: what the paths cross is unknown. The result depends on the set of
// mounts, not on their order.
func InProcessStatfs(ms []MountInfo, kernelRelease string) map[string]bool {
	xfsOK := xfsStatfsSafe(kernelRelease)
	// safe[p]: every mount on mount point p is safe by itself.
	safe := map[string]bool{}
	for _, m := range ms {
		ok := mountSafe(m, xfsOK)
		if prev, seen := safe[m.MountPoint]; seen {
			ok = ok && prev
		}
		safe[m.MountPoint] = ok
	}
	if _, ok := safe["/"]; !ok {
		return map[string]bool{}
	}
	out := map[string]bool{}
	for p := range safe {
		if pathSafe(p, safe) {
			out[p] = true
		}
	}
	return out
}

// pathSafe: p is an absolute mount point, and it and every mount point on its way
// from "/" are safe.
func pathSafe(p string, safe map[string]bool) bool {
	if !strings.HasPrefix(p, "/") || !safe["/"] {
		return false
	}
	for i := 1; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			continue
		}
		if ok, mounted := safe[p[:i]]; mounted && !ok {
			return false
		}
	}
	return true
}

// mountSafe: the mount's own filesystem is statfs'ed without I/O.
func mountSafe(m MountInfo, xfsOK bool) bool {
	if !inProcessType(m.FSType) {
		return false
	}
	if m.FSType == "xfs" && !xfsOK {
		return false
	}
	if projectQuotaType(m.FSType) {
		for _, o := range strings.Split(m.SuperOptions, ",") {
			k, _, _ := strings.Cut(o, "=")
			if projectQuotaOption(k) {
				return false
			}
		}
	}
	return true
}

// xfsStatfsSafe: the kernel release is known and not 5.15–5.18, where xfs_fs_statfs
// called xfs_inodegc_flush() and so waited for inode inactivation, which does I/O
// (fixed in 5.19 by "xfs: introduce xfs_inodegc_push()").
func xfsStatfsSafe(release string) bool {
	major, minor, ok := kernelVersion(release)
	if !ok {
		return false
	}
	return !(major == 5 && minor >= 15 && minor <= 18)
}

// kernelVersion parses the major and minor numbers of a kernel release such as
// "5.15.0-91-generic" or "6.18.44-fc-v1045".
func kernelVersion(release string) (major, minor int, ok bool) {
	release = strings.TrimSpace(release)
	maj, rest, found := strings.Cut(release, ".")
	if !found {
		return 0, 0, false
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(rest[:end])
	if err1 != nil || err2 != nil || a < 0 {
		return 0, 0, false
	}
	return a, b, true
}
