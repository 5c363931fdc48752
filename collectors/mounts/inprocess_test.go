package mounts

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sms-agent/sms-agent/internal/capturetest"
)

// captureFile reads the first file of a capture (testdata/hosts/<name>.tar.gz) whose
// path matches pattern (path.Match).
func captureFile(t testing.TB, name, pattern string) []byte {
	t.Helper()
	b, ok := capturetest.File(t, "../../testdata/hosts/"+name+".tar.gz", pattern)
	if !ok {
		t.Fatalf("%s: no file matching %s", name, pattern)
	}
	return b
}

// childOnly lists the mount points of the table InProcessStatfs leaves to the child.
func childOnly(ms []MountInfo, release string) []string {
	in := InProcessStatfs(ms, release)
	var out []string
	for _, m := range ms {
		if !in[m.MountPoint] && !slices.Contains(out, m.MountPoint) {
			out = append(out, m.MountPoint)
		}
	}
	sort.Strings(out)
	return out
}

// everyMount, as a case's want, stands for every mount point of its table.
var everyMount = []string{"(every mount point of the table)"}

func TestInProcessStatfsCaptures(t *testing.T) {
	const lp = "/tmp/TestDiscoverRealDevices3064621460/001/mnt/" // where e2e/discover -record-hosts made the loop-partitions capture
	ghwLaptop := []string{"/boot/efi", "/dev/hugepages", "/proc/sys/fs/binfmt_misc",
		"/run/docker/netns/6c69a2a81a6d", "/run/docker/netns/b743dce4c5e8", "/run/snapd/ns/cups.mnt",
		"/run/user/1000/doc", "/sys/firmware/efi/efivars", "/sys/fs/selinux", "/var/lib/nfs/rpc_pipefs"}
	tests := []struct {
		name    string
		capture string // testdata/hosts/<capture>.tar.gz, or "upstream:<path>" (mountinfo)
		table   string // the mount table's path in the capture (mountinfo unless ".../mounts")
		release string // "capture": the capture's /proc/sys/kernel/osrelease
		want    []string
	}{
		// e2e host, kernel 6.18: only the dead FUSE mount needs the child; xfs (noquota)
		// and ext4 under / (ext4) and the tmpfs, cgroup and devpts mounts are in-process.
		{"loop-partitions", "loop-partitions", "proc/*/mountinfo", "capture", []string{lp + "dead fuse"}},
		// the same on 5.15 (Ubuntu 22.04's): xfs waits for inode inactivation there
		{"loop-partitions 5.15", "loop-partitions", "proc/*/mountinfo", "5.15.0-91-generic", []string{lp + "dead fuse", lp + "xfs"}},
		// release unknown: xfs is not sure
		{"loop-partitions no release", "loop-partitions", "proc/*/mountinfo", "", []string{lp + "dead fuse", lp + "xfs"}},
		// Debian 12 VM with LVM: everything in-process
		{"vm-lvm-active", "vm-lvm-active", "proc/*/mountinfo", "capture", nil},
		{"vm-lvm-active 5.18", "vm-lvm-active", "proc/*/mountinfo", "5.18.19", []string{"/mnt/span"}},
		{"vm-lvm-active 5.19", "vm-lvm-active", "proc/*/mountinfo", "5.19.0", nil},
		{"vm-lvm-active 5.14", "vm-lvm-active", "proc/*/mountinfo", "5.14.0-362.el9.x86_64", nil},
		{"loop-btrfs", "loop-btrfs", "proc/*/mountinfo", "capture", nil},
		// Fedora laptop (/proc/self/mounts): vfat ESP, autofs under binfmt_misc, a user
		// FUSE portal, efivarfs (its statfs asks the firmware), selinuxfs, nsfs, hugetlbfs
		// and rpc_pipefs (not verified) go to the child; btrfs root and home, the snap
		// squashfs mounts, tmpfs credentials and /boot ext4 stay in-process.
		{"ghw laptop", "ghw-linux-amd64-415ee03b8c4d1c4f07ae2e9d8b3d3d6d", "proc/self/mounts", "6.5.0", ghwLaptop},
		// Fedora VM with xfs on /: on 5.15–5.18 every mount crosses it.
		{"ghw fedora xfs root 5.16", "ghw-linux-amd64-accel", "proc/self/mounts", "5.16.0", everyMount},
		// node_exporter: a gvfs FUSE under /run/user/1000; the ext4 kubelet volumes with
		// tabs and spaces in their paths are in-process.
		{"node_exporter", "upstream:node_exporter/mountinfo-1", "", "6.1.0",
			[]string{"/dev/hugepages", "/proc/sys/fs/binfmt_misc", "/run/rpc_pipefs", "/run/user/1000/gvfs"}},
		// procfs: two NFS mounts stacked on one path
		{"procfs nfs", "upstream:procfs/mountinfo-26231", "", "6.1.0", []string{"/mnt/nfs/test"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ms []MountInfo
			var err error
			switch {
			case strings.HasPrefix(tt.capture, "upstream:"):
				ms, err = ParseMountInfo(readTestdata(t, strings.TrimPrefix(tt.capture, "upstream:")))
			case strings.HasSuffix(tt.table, "/mounts"):
				ms, err = ParseMounts(captureFile(t, tt.capture, tt.table))
			default:
				ms, err = ParseMountInfo(captureFile(t, tt.capture, tt.table))
			}
			if err != nil {
				t.Fatal(err)
			}
			release := tt.release
			if release == "capture" {
				release = string(captureFile(t, tt.capture, "proc/sys/kernel/osrelease"))
			}
			want := tt.want
			if slices.Equal(want, everyMount) {
				want = nil
				for _, m := range ms {
					if !slices.Contains(want, m.MountPoint) {
						want = append(want, m.MountPoint)
					}
				}
				sort.Strings(want)
			}
			if got := childOnly(ms, release); !slices.Equal(got, want) {
				t.Errorf("to the child:\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestInProcessStatfsRules: the rules one by one, on lines of the captures above with
// one thing changed.
func TestInProcessStatfsRules(t *testing.T) {
	const (
		root   = "26 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
		proc   = "21 26 0:20 / /proc rw,relatime - proc proc rw\n"
		nfs    = "194 26 0:42 / /mnt/nfs rw shared:144 - nfs4 192.168.1.1:/srv/test rw,vers=4.0,hard,proto=tcp\n"
		under  = "44 194 259:1 / /mnt/nfs/inner rw,relatime - ext4 /dev/loop0p2 rw\n"
		beside = "45 26 259:2 / /mnt/nfsx rw,relatime - ext4 /dev/loop0p3 rw\n"
	)
	tests := []struct {
		name, table, release string
		want                 []string // mount points in-process
	}{
		{"ext4 under NFS", root + proc + nfs + under + beside, "6.1.0", []string{"/", "/mnt/nfsx", "/proc"}},
		{"no mount on /", proc + beside, "6.1.0", nil},
		{"root unsafe", "26 1 0:30 / / rw - fuse.sshfs host:/ rw\n" + proc, "6.1.0", nil},
		{"ext4 prjquota", root + "44 26 259:1 / /q rw - ext4 /dev/loop0p2 rw,prjquota\n", "6.1.0", []string{"/"}},
		{"ext4 usrquota,grpquota", root + "44 26 259:1 / /q rw - ext4 /dev/loop0p2 rw,usrquota,grpquota\n", "6.1.0", []string{"/", "/q"}},
		{"f2fs prjjquota", root + "44 26 259:1 / /q rw - f2fs /dev/loop0p2 rw,prjjquota=aquota.project,jqfmt=vfsv1\n", "6.1.0", []string{"/"}},
		{"xfs prjquota", root + "44 26 259:1 / /q rw - xfs /dev/loop0p2 rw,attr2,inode64,prjquota\n", "6.1.0", []string{"/"}},
		{"xfs pqnoenforce", root + "44 26 259:1 / /q rw - xfs /dev/loop0p2 rw,attr2,inode64,pqnoenforce\n", "6.1.0", []string{"/"}},
		{"xfs usrquota", root + "44 26 259:1 / /q rw - xfs /dev/loop0p2 rw,attr2,inode64,usrquota\n", "6.1.0", []string{"/", "/q"}},
		{"xfs 5.15", root + "44 26 259:1 / /q rw - xfs /dev/loop0p2 rw,noquota\n", "5.15.0-91-generic", []string{"/"}},
		{"xfs 4.18 (RHEL 8)", root + "44 26 259:1 / /q rw - xfs /dev/loop0p2 rw,noquota\n", "4.18.0-513.el8.x86_64", []string{"/", "/q"}},
		{"xfs release garbage", root + "44 26 259:1 / /q rw - xfs /dev/loop0p2 rw,noquota\n", "linux", []string{"/"}},
		{"btrfs prjquota is not a btrfs option", root + "44 26 0:39 / /b rw - btrfs /dev/loop0 rw,subvolid=5,subvol=/\n", "6.1.0", []string{"/", "/b"}},
		{"vfat", root + "44 26 259:1 / /boot/efi rw - vfat /dev/loop0p1 rw,fmask=0077\n", "6.1.0", []string{"/"}},
		{"ext4 below vfat", root + "44 26 259:1 / /boot rw - vfat /dev/loop0p1 rw\n45 44 259:2 / /boot/x rw - ext4 /dev/loop0p2 rw\n", "6.1.0", []string{"/"}},
		// an autofs trigger with binfmt_misc mounted over it: the point is the child's
		{"stacked autofs", root + "30 26 0:40 / /proc/sys/fs/binfmt_misc rw - autofs systemd-1 rw,fd=39\n31 30 0:41 / /proc/sys/fs/binfmt_misc rw - binfmt_misc binfmt_misc rw\n", "6.1.0", []string{"/"}},
		{"overlay", root + "50 26 0:50 / /var/lib/docker/overlay2/x/merged rw - overlay overlay rw,lowerdir=/a,upperdir=/b,workdir=/c\n", "6.1.0", []string{"/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := ParseMountInfo([]byte(tt.table))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for p, ok := range InProcessStatfs(ms, tt.release) {
				if ok {
					got = append(got, p)
				}
			}
			sort.Strings(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("in-process: got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestKernelVersion(t *testing.T) {
	for _, tt := range []struct {
		in           string
		major, minor int
		ok           bool
	}{
		{"6.18.44-fc-v1045\n", 6, 18, true},
		{"5.15.0-91-generic", 5, 15, true},
		{"4.18.0-513.el8.x86_64", 4, 18, true},
		{"6.1", 6, 1, true},
		{"", 0, 0, false},
		{"6", 0, 0, false},
		{"6.x", 0, 0, false},
		{"-5.15", 0, 0, false},
	} {
		ma, mi, ok := kernelVersion(tt.in)
		if ma != tt.major || mi != tt.minor || ok != tt.ok {
			t.Errorf("kernelVersion(%q) = %d, %d, %v; want %d, %d, %v", tt.in, ma, mi, ok, tt.major, tt.minor, tt.ok)
		}
	}
}

// FuzzInProcessStatfs: a mount point is in-process only if it and every mount on it or
// on a mount point that is a path prefix of it is safe by itself; the answer does not
// depend on the order of the lines.
func FuzzInProcessStatfs(f *testing.F) {
	f.Add(readTestdata(f, "node_exporter/mountinfo-1"), "6.1.0")
	f.Add(readTestdata(f, "procfs/mountinfo-26231"), "5.15.0")
	f.Add(captureFile(f, "loop-partitions", "proc/*/mountinfo"), "6.18.44-fc-v1045")
	f.Add([]byte("26 1 254:0 / / rw - ext4 /dev/vda rw\n194 26 0:42 / /mnt rw - nfs4 h:/x rw\n44 194 259:1 / /mnt/a rw - ext4 /dev/loop0 rw\n"), "")
	f.Fuzz(func(t *testing.T, b []byte, release string) {
		ms, err := ParseMountInfo(b)
		if err != nil {
			return
		}
		xfsOK := xfsStatfsSafe(release)
		got := InProcessStatfs(ms, release)
		for p, ok := range got {
			if !ok {
				continue
			}
			found := false
			for _, m := range ms {
				crossed := m.MountPoint == "/" || m.MountPoint == p || strings.HasPrefix(p, m.MountPoint+"/")
				if crossed && !mountSafe(m, xfsOK) {
					t.Fatalf("%q in-process, but it crosses %q (%s, %q)", p, m.MountPoint, m.FSType, m.SuperOptions)
				}
				found = found || m.MountPoint == p
			}
			if !found {
				t.Fatalf("%q is no mount point of the table", p)
			}
		}
		rev := slices.Clone(ms)
		slices.Reverse(rev)
		if back := InProcessStatfs(rev, release); !maps.Equal(back, got) {
			t.Fatalf("lines reversed: %v; in order: %v", back, got)
		}
	})
}
