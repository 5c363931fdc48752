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

var networkTypes = map[string]bool{
	"nfs": true, "nfs4": true, "cifs": true, "smb3": true, "smbfs": true, "9p": true,
	"ceph": true, "glusterfs": true, "lustre": true, "gpfs": true, "afs": true, "ncpfs": true,
	"coda": true, "davfs": true, "vboxsf": true, "virtiofs": true, "beegfs": true,
	"fuse.sshfs": true, "fuse.glusterfs": true, "fuse.s3fs": true, "fuse.rclone": true,
	"fuse.davfs": true, "fuse.ceph": true, "fuse.cephfs": true, "fuse.juicefs": true,
	"fuse.gcsfuse": true, "fuse.goofys": true, "fuse.mfs": true, "fuse.lizardfs": true,
}

var virtualTypes = map[string]bool{
	"proc": true, "sysfs": true, "cgroup": true, "cgroup2": true, "devpts": true, "mqueue": true,
	"debugfs": true, "tracefs": true, "securityfs": true, "pstore": true, "bpf": true,
	"configfs": true, "fusectl": true, "binfmt_misc": true, "hugetlbfs": true, "efivarfs": true,
	"selinuxfs": true, "nsfs": true, "rpc_pipefs": true, "devtmpfs": true, "tmpfs": true,
	"ramfs": true, "overlay": true, "aufs": true, "nfsd": true, "cpuset": true,
	"rootfs": true, "sockfs": true, "pipefs": true, "tmpfs.rootfs": true,
}

// localKernelFS are filesystems the kernel serves from a local block device; their
// statfs reads in-memory counters and does not wait on the device.
var localKernelFS = map[string]bool{
	"ext2": true, "ext3": true, "ext4": true, "xfs": true, "btrfs": true, "vfat": true, "msdos": true,
	"squashfs": true, "erofs": true, "iso9660": true, "f2fs": true, "jfs": true, "reiserfs": true,
	"ntfs3": true, "exfat": true, "udf": true, "hfsplus": true, "nilfs2": true,
}

// IsLocalKernelFS reports whether fstype is a local kernel filesystem (see localKernelFS).
func IsLocalKernelFS(fstype string) bool { return localKernelFS[fstype] }

// Classify returns the kind of a mount by its filesystem type.
func Classify(fstype string) string {
	switch {
	case networkTypes[fstype]:
		return KindNetwork
	case fstype == "autofs":
		return KindAutofs
	case virtualTypes[fstype]:
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
