package mounts

import (
	"sort"
	"strconv"
	"strings"

	"github.com/sms-agent/sms-agent/platform"
)

// Kinds of mounted filesystem.
const (
	KindBlock   = "block"   // backed by a block device (or a btrfs of them)
	KindNetwork = "network" // nfs, cifs, sshfs...: listed, never statfs'ed
	KindFUSE    = "fuse"    // a local FUSE filesystem
	KindAutofs  = "autofs"  // an automount trigger: listed, never statfs'ed (it would mount)
	KindVirtual = "virtual" // kernel pseudo and memory filesystems: not listed
)

// networkType: the filesystems served over the network, FUSE ones among them.
func networkType(t string) bool {
	switch t {
	case "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p",
		"ceph", "glusterfs", "lustre", "gpfs", "afs", "ncpfs",
		"coda", "davfs", "vboxsf", "virtiofs", "beegfs",
		"fuse.sshfs", "fuse.glusterfs", "fuse.s3fs", "fuse.rclone",
		"fuse.davfs", "fuse.ceph", "fuse.cephfs", "fuse.juicefs",
		"fuse.gcsfuse", "fuse.goofys", "fuse.mfs", "fuse.lizardfs":
		return true
	}
	return false
}

// virtualType: the kernel's pseudo and memory filesystems.
func virtualType(t string) bool {
	switch t {
	case "proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue",
		"debugfs", "tracefs", "securityfs", "pstore", "bpf",
		"configfs", "fusectl", "binfmt_misc", "hugetlbfs", "efivarfs",
		"selinuxfs", "nsfs", "rpc_pipefs", "devtmpfs", "tmpfs",
		"ramfs", "overlay", "aufs", "nfsd", "cpuset",
		"rootfs", "sockfs", "pipefs", "tmpfs.rootfs":
		return true
	}
	return false
}

// IsLocalKernelFS reports whether t is a filesystem the kernel serves from a local
// block device; its statfs reads in-memory counters and does not wait on the device.
func IsLocalKernelFS(t string) bool {
	switch t {
	case "ext2", "ext3", "ext4", "xfs", "btrfs", "vfat", "msdos",
		"squashfs", "erofs", "iso9660", "f2fs", "jfs", "reiserfs",
		"ntfs3", "exfat", "udf", "hfsplus", "nilfs2":
		return true
	}
	return false
}

// Classify returns the kind of a mount by its filesystem type.
func Classify(fstype string) string {
	switch {
	case networkType(fstype):
		return KindNetwork
	case fstype == "autofs":
		return KindAutofs
	case virtualType(fstype):
		return KindVirtual
	case fstype == "fuseblk":
		return KindBlock
	case fstype == "fuse" || strings.HasPrefix(fstype, "fuse."):
		return KindFUSE
	}
	return KindBlock
}

// Filesystem is one mounted filesystem: its primary mount and the other places the
// same filesystem (or a part of it) is mounted — bind mounts and repeated mounts.
type Filesystem struct {
	MountInfo
	Kind   string
	Others []string // other mount points, in mount order
}

// Collapse groups the mount table into filesystems, leaving out virtual ones. Mounts of
// one device (one superblock) are one filesystem, except btrfs, where each mounted
// subvolume is its own entry: a subvolume mount is not a bind mount. The primary mount
// is the one showing the filesystem's (or subvolume's) root, then the first mounted (a
// bind mount of a whole filesystem shows its root too, but comes later); filesystems
// are returned in the order of their primary mount.
func Collapse(ms []MountInfo) []Filesystem {
	groups := map[string][]MountInfo{}
	var order []string
	for _, m := range ms {
		kind := Classify(m.FSType)
		if kind == KindVirtual {
			continue
		}
		k := groupKey(m)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], m)
	}
	out := make([]Filesystem, 0, len(order))
	for _, k := range order {
		g := groups[k]
		best := 0
		for i := range g {
			if betterPrimary(g[i], g[best]) {
				best = i
			}
		}
		fs := Filesystem{MountInfo: g[best], Kind: Classify(g[best].FSType)}
		for i, m := range g {
			if i != best {
				fs.Others = append(fs.Others, m.MountPoint)
			}
		}
		out = append(out, fs)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func groupKey(m MountInfo) string {
	dev := m.MajMin()
	if m.fromMountsTab {
		// Without device numbers only a /dev source identifies a filesystem; two autofs
		// or nfs mounts with one source name may be different filesystems.
		if !strings.HasPrefix(m.Source, "/dev/") {
			return "line:" + strconv.Itoa(m.ID)
		}
		dev = m.FSType + "\x00" + m.Source
	}
	if m.FSType == "btrfs" {
		sv, ok := m.SuperOption("subvolid")
		if !ok {
			sv, _ = m.SuperOption("subvol")
		}
		return dev + "\x00subvol=" + sv
	}
	return dev
}

// ownRoot: the mount shows the root of what it mounts (the filesystem, or for btrfs the
// subvolume) rather than a directory inside it.
func ownRoot(m MountInfo) bool {
	if m.FSType == "btrfs" {
		if sv, ok := m.SuperOption("subvol"); ok {
			return m.Root == sv || (sv == "/" && m.Root == "/")
		}
	}
	return m.Root == "/"
}

func betterPrimary(a, b MountInfo) bool {
	if ra, rb := ownRoot(a), ownRoot(b); ra != rb {
		return ra
	}
	return a.ID < b.ID
}

// Usage is a filesystem's usage as df reports it, in bytes.
type Usage struct {
	Size       int64 // f_blocks × f_frsize
	Used       int64 // (f_blocks − f_bfree) × f_frsize
	Avail      int64 // f_bavail × f_frsize
	Inodes     int64
	InodesFree int64
	BlockSize  int64 // f_bsize
	Blocks     int64
}

// UsageFromStatfs computes usage from statfs(2) the way df does.
func UsageFromStatfs(s platform.FSStat) Usage {
	fr := s.Frsize
	if fr <= 0 {
		fr = s.Bsize
	}
	bfree := s.Bfree
	if bfree > s.Blocks {
		bfree = s.Blocks
	}
	return Usage{
		Size:       int64(s.Blocks) * fr,
		Used:       int64(s.Blocks-bfree) * fr,
		Avail:      int64(s.Bavail) * fr,
		Inodes:     int64(s.Files),
		InodesFree: int64(s.Ffree),
		BlockSize:  s.Bsize,
		Blocks:     int64(s.Blocks),
	}
}
