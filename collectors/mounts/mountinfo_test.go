package mounts

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sms-agent/sms-agent/platform"
)

func readTestdata(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../testdata/upstream/" + p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseMountInfoNodeExporter(t *testing.T) {
	ms, err := ParseMountInfo(readTestdata(t, "node_exporter/mountinfo-1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 32 {
		t.Fatalf("got %d mounts; want 32", len(ms))
	}
	byID := map[int]MountInfo{}
	for _, m := range ms {
		byID[m.ID] = m
	}
	tests := []struct {
		id   int
		want MountInfo
	}{
		{29, MountInfo{ID: 29, ParentID: 1, Major: 259, Minor: 2, Root: "/", MountPoint: "/", Options: "rw,relatime",
			Optional: []string{"shared:1"}, FSType: "ext4", Source: "/dev/dm-2", SuperOptions: "errors=remount-ro,data=ordered"}},
		{3148, MountInfo{ID: 3148, ParentID: 3003, Major: 260, Minor: 0, Root: "/",
			MountPoint: "/var/lib/kubelet/plugins/kubernetes.io/vsphere-volume/mounts/[vsanDatastore] bafb9e5a-8856-7e6c-699c-801844e77a4a/kubernetes-dynamic-pvc-3eba5bba-48a3-11e8-89ab-005056b92113.vmdk",
			Options:    "rw,relatime", Optional: []string{"shared:31"}, FSType: "ext4", Source: "/dev/sda", SuperOptions: "rw,data=ordered"}},
		{3149, MountInfo{ID: 3149, ParentID: 3004, Major: 260, Minor: 0, Root: "/",
			MountPoint: "/var/lib/kubelet/plugins/kubernetes.io/vsphere-volume/mounts/[vsanDatastore]\tbafb9e5a-8856-7e6c-699c-801844e77a4a/kubernetes-dynamic-pvc-3eba5bba-48a3-11e8-89ab-005056b92113.vmdk",
			Options:    "rw,relatime", Optional: []string{"shared:32"}, FSType: "ext4", Source: "/dev/sda", SuperOptions: "rw,data=ordered"}},
		{1128, MountInfo{ID: 1128, ParentID: 67, Major: 253, Minor: 0, Root: "/var/lib/containers/storage/overlay",
			MountPoint: "/var/lib/containers/storage/overlay", Options: "rw,relatime", Optional: []string{}, FSType: "xfs",
			Source: "/dev/mapper/rhel-root", SuperOptions: "rw,seclabel,attr2,inode64,logbufs=8,logbsize=32k,noquota"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, byID[tt.id], cmpopts.EquateEmpty(), cmp.AllowUnexported(MountInfo{})); diff != "" {
			t.Errorf("mount %d (-want +got):\n%s", tt.id, diff)
		}
	}
}

func TestCollapse(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []Filesystem
	}{
		{
			// One NFS export mounted twice on one path (same superblock 0:42) collapses (the
			// lower mount id is primary); the
			// NFSv3 mount (0:44) is another filesystem; the xfs bind of a subdirectory is kept
			// since nothing else mounts 253:0 here.
			name: "procfs-nfs", file: "procfs/mountinfo-26231",
			want: []Filesystem{
				{MountInfo: MountInfo{ID: 21, Major: 8, Minor: 1, Root: "/", MountPoint: "/", FSType: "ext4", Source: "/dev/sda1"}, Kind: KindBlock},
				{MountInfo: MountInfo{ID: 177, Major: 0, Minor: 42, Root: "/", MountPoint: "/mnt/nfs/test", FSType: "nfs4", Source: "192.168.1.1:/srv/test"}, Kind: KindNetwork, Others: []string{"/mnt/nfs/test"}},
				{MountInfo: MountInfo{ID: 1128, Major: 253, Minor: 0, Root: "/var/lib/containers/storage/overlay", MountPoint: "/var/lib/containers/storage/overlay", FSType: "xfs", Source: "/dev/mapper/rhel-root"}, Kind: KindBlock},
				{MountInfo: MountInfo{ID: 1398, Major: 0, Minor: 44, Root: "/", MountPoint: "/mnt/nfs/test", FSType: "nfs", Source: "192.168.1.1:/srv/test"}, Kind: KindNetwork},
			},
		},
		{
			// The two escaped kubelet paths are the same device 260:0: one filesystem. Line 43
			// was hand-edited upstream ("- systemd-1 autofs": type and source swapped); read
			// literally, its type is "systemd-1", which is not a known kind: block.
			name: "node-exporter", file: "node_exporter/mountinfo-1",
			want: []Filesystem{
				{MountInfo: MountInfo{ID: 29, Major: 259, Minor: 2, Root: "/", MountPoint: "/", FSType: "ext4", Source: "/dev/dm-2"}, Kind: KindBlock},
				{MountInfo: MountInfo{ID: 43, Major: 0, Minor: 33, Root: "/", MountPoint: "/proc/sys/fs/binfmt_misc", FSType: "systemd-1", Source: "autofs"}, Kind: KindBlock},
				{MountInfo: MountInfo{ID: 48, Major: 260, Minor: 3, Root: "/", MountPoint: "/boot", FSType: "ext2", Source: "/dev/sda3"}, Kind: KindBlock},
				{MountInfo: MountInfo{ID: 1128, Major: 253, Minor: 0, Root: "/var/lib/containers/storage/overlay", MountPoint: "/var/lib/containers/storage/overlay", FSType: "xfs", Source: "/dev/mapper/rhel-root"}, Kind: KindBlock},
				{MountInfo: MountInfo{ID: 3147, Major: 0, Minor: 81, Root: "/", MountPoint: "/run/user/1000/gvfs", FSType: "fuse.gvfsd-fuse", Source: "gvfsd-fuse"}, Kind: KindFUSE},
				{MountInfo: MountInfo{ID: 3148, Major: 260, Minor: 0, Root: "/", MountPoint: "/var/lib/kubelet/plugins/kubernetes.io/vsphere-volume/mounts/[vsanDatastore] bafb9e5a-8856-7e6c-699c-801844e77a4a/kubernetes-dynamic-pvc-3eba5bba-48a3-11e8-89ab-005056b92113.vmdk", FSType: "ext4", Source: "/dev/sda"}, Kind: KindBlock,
					Others: []string{"/var/lib/kubelet/plugins/kubernetes.io/vsphere-volume/mounts/[vsanDatastore]\tbafb9e5a-8856-7e6c-699c-801844e77a4a/kubernetes-dynamic-pvc-3eba5bba-48a3-11e8-89ab-005056b92113.vmdk"}},
			},
		},
	}
	ignore := cmpopts.IgnoreFields(MountInfo{}, "ParentID", "Options", "Optional", "SuperOptions")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := ParseMountInfo(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got := Collapse(ms)
			if diff := cmp.Diff(tt.want, got, ignore, cmp.AllowUnexported(MountInfo{})); diff != "" {
				t.Errorf("Collapse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCollapseBtrfsSubvolumesAndBinds(t *testing.T) {
	// Captured shape: two subvolumes of one btrfs (same 0:52) are two filesystems; a bind
	// of a directory inside @home stays with @home, and the subvolume's own mount is primary.
	in := []byte(`100 1 0:52 /@ / rw,relatime - btrfs /dev/sda2 rw,space_cache=v2,subvolid=256,subvol=/@
101 100 0:52 /@home /home rw,relatime - btrfs /dev/sda2 rw,space_cache=v2,subvolid=257,subvol=/@home
102 100 0:52 /@home/alice/shared /srv/shared rw,relatime - btrfs /dev/sda2 rw,space_cache=v2,subvolid=257,subvol=/@home
103 100 8:1 / /boot rw,relatime - ext4 /dev/sda1 rw
104 100 8:1 / /mnt/boot\040copy rw,relatime - ext4 /dev/sda1 rw
`)
	ms, err := ParseMountInfo(in)
	if err != nil {
		t.Fatal(err)
	}
	got := Collapse(ms)
	type row struct {
		MP     string
		Others []string
	}
	var rows []row
	for _, f := range got {
		rows = append(rows, row{f.MountPoint, f.Others})
	}
	want := []row{{"/", nil}, {"/home", []string{"/srv/shared"}}, {"/boot", []string{"/mnt/boot copy"}}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseMountsFacter(t *testing.T) {
	ms, err := ParseMounts(readTestdata(t, "facter/proc_self_mounts"))
	if err != nil {
		t.Fatal(err)
	}
	var root *MountInfo
	for i := range ms {
		if ms[i].MountPoint == "/" {
			root = &ms[i]
		}
	}
	if root == nil {
		t.Fatal("no / mount")
	}
	if root.FSType != "ext4" || root.Source != "/dev/mapper/localhost--vg-root" {
		t.Errorf("/ = %s %s; want ext4 /dev/mapper/localhost--vg-root", root.FSType, root.Source)
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct{ in, want string }{
		{`/mnt/a\040b`, "/mnt/a b"},
		{`/mnt/tab\011x`, "/mnt/tab\tx"},
		{`/mnt/nl\012x`, "/mnt/nl\nx"},
		{`/mnt/back\134slash`, `/mnt/back\slash`},
		{`/mnt/plain`, "/mnt/plain"},
		{`/mnt/trailing\04`, `/mnt/trailing\04`},
		{`/mnt/\9xx`, `/mnt/\9xx`},
	}
	for _, tt := range tests {
		if got := Unescape(tt.in); got != tt.want {
			t.Errorf("Unescape(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseMountInfoErrors(t *testing.T) {
	for _, in := range []string{
		"36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 ext3 /dev/root rw", // no separator
		"x 35 98:0 / / rw - ext3 /dev/root rw",
		"36 35 98-0 / / rw - ext3 /dev/root rw",
		"36 35 98:0 / / rw -",
	} {
		if _, err := ParseMountInfo([]byte(in)); err == nil {
			t.Errorf("ParseMountInfo(%q): no error", in)
		}
	}
}

func FuzzParseMountInfo(f *testing.F) {
	f.Add(readTestdata(f, "node_exporter/mountinfo-1"))
	f.Add(readTestdata(f, "procfs/mountinfo-26231"))
	f.Add([]byte(`100 1 0:52 /@home /home rw - btrfs /dev/sda2 rw,subvolid=257,subvol=/@home`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := ParseMountInfo(b)
		if err != nil {
			return
		}
		for _, fs := range Collapse(ms) {
			if fs.Kind == KindVirtual {
				t.Fatalf("virtual filesystem %q listed", fs.FSType)
			}
		}
	})
}

// FuzzParseMounts: the entries written back as /proc/mounts lines (every byte that
// is not printable ASCII, and the backslash, escaped as \ooo, as the kernel does for
// space, tab, newline and backslash) read back the same; there are never more entries
// than lines.
func FuzzParseMounts(f *testing.F) {
	f.Add(readTestdata(f, "facter/proc_self_mounts"))
	f.Add([]byte("/dev/sda1 /mnt/a\\040b ext4 rw 0 0\n\n\\134x \\ y\\0 z\\\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := ParseMounts(b)
		if err != nil {
			return
		}
		_ = Collapse(ms)
		if n := strings.Count(string(b), "\n") + 1; len(ms) > n {
			t.Fatalf("%d entries from %d lines", len(ms), n)
		}
		esc := func(s string) string {
			var w strings.Builder
			for i := 0; i < len(s); i++ {
				if c := s[i]; c <= ' ' || c >= 0x7f || c == '\\' {
					fmt.Fprintf(&w, "\\%03o", c)
				} else {
					w.WriteByte(c)
				}
			}
			return w.String()
		}
		var w strings.Builder
		for _, m := range ms {
			fmt.Fprintf(&w, "%s %s %s %s 0 0\n", esc(m.Source), esc(m.MountPoint), esc(m.FSType), m.Options)
		}
		back, err := ParseMounts([]byte(w.String()))
		if err != nil || len(back) != len(ms) {
			t.Fatalf("written back as %q: %d entries, %v; want %d", w.String(), len(back), err, len(ms))
		}
		for i := range ms {
			back[i].ID = ms[i].ID // the line number: blank lines are not written back
			if !reflect.DeepEqual(back[i], ms[i]) {
				t.Fatalf("entry %d read back as %+v; want %+v", i, back[i], ms[i])
			}
		}
	})
}

func FuzzUnescape(f *testing.F) {
	f.Add(`/mnt/a\040b\134c`)
	f.Fuzz(func(t *testing.T, s string) {
		if got := Unescape(s); len(got) > len(s) {
			t.Fatalf("Unescape grew %q to %q", s, got)
		}
	})
}

func TestUsageFromStatfs(t *testing.T) {
	// statfs of a 256 GiB ext4 as `stat -f -c '%S %s %b %f %a %c %d' /` printed it
	// (4096 4096 66053021 63065291 20887586 16777216 16364513); df -B1 then showed size
	// 270553174016 and, one 4 KiB block apart as the disk was in use, the same used/avail.
	s := statfsOf(4096, 4096, 66053021, 63065291, 20887586, 16777216, 16364513)
	u := UsageFromStatfs(s)
	want := Usage{Size: 270553174016, Used: 12237742080, Avail: 85555552256,
		Inodes: 16777216, InodesFree: 16364513, BlockSize: 4096, Blocks: 66053021}
	if u != want {
		t.Errorf("got %+v; want %+v", u, want)
	}
}

func TestReadTableReadsTheNamedTable(t *testing.T) {
	dir := t.TempDir()
	self := "21 1 8:1 / / rw - ext4 /dev/sda1 rw\n30 21 8:1 /usr /usr ro - ext4 /dev/sda1 rw\n"
	init := "21 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
	for p, c := range map[string]string{"proc/self/mountinfo": self, "proc/1/mountinfo": init} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fsys := platform.NewFS(dir)
	own, err := ReadTable(fsys, "")
	if err != nil || len(own) != 2 {
		t.Fatalf("own table: %d entries, %v", len(own), err)
	}
	host, err := ReadTable(fsys, "/proc/1/mountinfo")
	if err != nil || len(host) != 1 || host[0].MountPoint != "/" {
		t.Fatalf("init's table: %+v, %v", host, err)
	}
}
