package boot

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sms-agent/sms-agent/platform"
)

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The virtio drivers of Debian 12's kernel 6.1.0-57-amd64 (see testdata/README.md):
// none built in; in an initramfs made with MODULES=most every virtio block, SCSI and
// net driver; with MODULES=list and an empty list, none.
func TestVirtioModules(t *testing.T) {
	most := []string{"virtio", "virtio_blk", "virtio_mmio", "virtio_net", "virtio_pci", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_ring", "virtio_scsi"}
	tests := []struct {
		file string
		want []string
	}{
		{"modules.builtin-6.1.0-57-amd64", []string{}},
		{"lsinitramfs-most.txt", most},
		{"lsinitrd-most.txt", most}, // the same image listed by dracut's lsinitrd
		{"lsinitramfs-list.txt", []string{}},
	}
	for _, tt := range tests {
		if got := VirtioModules(read(t, tt.file)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %q; want %q", tt.file, got, tt.want)
		}
	}
	// Built-in drivers as modules.builtin names them; compressed modules; a dash.
	in := "kernel/drivers/virtio/virtio.ko\nkernel/drivers/block/virtio_blk.ko\n" +
		"usr/lib/modules/5.14.0/kernel/drivers/scsi/virtio_scsi.ko.xz\n" +
		"-rw-r--r-- 1 root root 1 Jan 1 00:00 usr/lib/modules/5.14.0/kernel/drivers/gpu/drm/virtio/virtio-gpu.ko.zst\n" +
		"kernel/drivers/block/virtio_blk.ko.gz\nkernel/fs/fuse/virtiofs.ko\nvirtio_blk.conf\nnotvirtio_x.ko\n"
	want := []string{"virtio", "virtio_blk", "virtio_gpu", "virtio_scsi", "virtiofs"}
	if got := VirtioModules([]byte(in)); !slices.Equal(got, want) {
		t.Errorf("%q; want %q", got, want)
	}
}

func TestImages(t *testing.T) {
	boot := []string{"System.map-6.1.0-57-amd64", "config-6.1.0-57-amd64", "efi", "grub", "initrd.img-6.1.0-57-amd64",
		"initrd.img-6.1.0-18-amd64", "initramfs-5.14.0-362.el9.x86_64.img", "initramfs-5.14.0-362.el9.x86_64kdump.img",
		"initrd", "initrd-5.14.21-150500.55-default", "initrdfoo", "vmlinuz-6.1.0-57-amd64", "initramfs-linux.img"}
	want := []string{"initramfs-5.14.0-362.el9.x86_64.img", "initramfs-linux.img", "initrd", "initrd-5.14.21-150500.55-default",
		"initrd.img-6.1.0-18-amd64", "initrd.img-6.1.0-57-amd64"}
	got := Images(boot)
	if !slices.Equal(got, want) {
		t.Errorf("Images = %q; want %q", got, want)
	}
	for k, img := range map[string]string{
		"6.1.0-57-amd64":            "initrd.img-6.1.0-57-amd64",
		"5.14.0-362.el9.x86_64":     "initramfs-5.14.0-362.el9.x86_64.img",
		"5.14.21-150500.55-default": "initrd-5.14.21-150500.55-default",
		"6.8.0-1-generic":           "",
	} {
		if got := ImageOf(got, k); got != img {
			t.Errorf("ImageOf(%s) = %q; want %q", k, got, img)
		}
	}
}

// fakeRunner answers lsinitramfs (or, when it is missing, lsinitrd) for one image.
type fakeRunner struct {
	tools map[string][]byte // tool → stdout
	ran   []string
}

func (f *fakeRunner) Run(_ context.Context, c platform.Command) (platform.Result, error) {
	f.ran = append(f.ran, strings.Join(c.Argv, " "))
	out, ok := f.tools[c.Argv[0]]
	if !ok {
		return platform.Result{}, platform.ErrToolUnavailable
	}
	return platform.Result{Stdout: out}, nil
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestRead(t *testing.T) {
	k := "6.1.0-57-amd64"
	root := writeTree(t, map[string]string{
		"/boot/initrd.img-" + k:                      "",
		"/boot/vmlinuz-" + k:                         "",
		"/boot/grub/i386-pc/normal.mod":              "",
		"/usr/lib/modules/" + k + "/modules.builtin": string(read(t, "modules.builtin-"+k)),
		"/sys/hypervisor/type":                       "xen\n",
		"/sys/hypervisor/guest_type":                 "HVM\n",
		"/sys/fs/selinux/enforce":                    "1",
	})
	run := &fakeRunner{tools: map[string][]byte{"lsinitrd": read(t, "lsinitrd-most.txt")}}
	got, warns := Reader{FS: platform.NewFS(root), Run: run, Kernel: k}.Read(context.Background())
	if len(warns) != 0 {
		t.Errorf("warnings %q", warns)
	}
	f := false
	want := Facts{Images: []string{"initrd.img-" + k}, GrubI386PC: true, XenPV: &f, SELinux: "enforcing",
		Virtio: &Virtio{Kernel: k, Builtin: []string{}, Image: "initrd.img-" + k,
			InInitramfs: []string{"virtio", "virtio_blk", "virtio_mmio", "virtio_net", "virtio_pci", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_ring", "virtio_scsi"}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("facts (-want +got):\n%s", d)
	}
	// lsinitramfs is missing here, so lsinitrd listed the image.
	if w := []string{"lsinitramfs /boot/initrd.img-" + k, "lsinitrd /boot/initrd.img-" + k}; !slices.Equal(run.ran, w) {
		t.Errorf("ran %q; want %q", run.ran, w)
	}
	if !got.Virtio.Has("virtio_blk") || got.Virtio.Has("virtio_gpu") {
		t.Errorf("Has: virtio_blk %v, virtio_gpu %v", got.Virtio.Has("virtio_blk"), got.Virtio.Has("virtio_gpu"))
	}

	// A Xen PV guest without SELinux, GRUB for UEFI only, no initramfs, no lister.
	root = writeTree(t, map[string]string{
		"/boot/vmlinuz-" + k:                     "",
		"/boot/grub/x86_64-efi/normal.mod":       "",
		"/lib/modules/" + k + "/modules.builtin": "kernel/drivers/block/virtio_blk.ko\n",
		"/sys/hypervisor/type":                   "xen\n",
		"/sys/hypervisor/guest_type":             "PV\n",
	})
	got, warns = Reader{FS: platform.NewFS(root), Run: &fakeRunner{}, Kernel: k}.Read(context.Background())
	tr := true
	want = Facts{Images: []string{}, XenPV: &tr, SELinux: "disabled",
		Virtio: &Virtio{Kernel: k, Builtin: []string{"virtio_blk"}, InInitramfs: []string{}}}
	if d := cmp.Diff(want, got); d != "" || len(warns) != 0 {
		t.Errorf("facts (-want +got):\n%s\nwarnings %q", d, warns)
	}

	// A root without /boot, /sys/hypervisor or modules: unknowns, and what was missing.
	got, warns = Reader{FS: platform.NewFS(t.TempDir()), Run: &fakeRunner{}, Kernel: k}.Read(context.Background())
	if got.Images != nil || got.Virtio != nil || got.XenPV == nil || *got.XenPV || len(warns) != 2 ||
		!strings.HasPrefix(warns[0], "boot images unknown: read /boot:") || !strings.HasPrefix(warns[1], "virtio drivers unknown: read /usr/lib/modules/"+k+"/modules.builtin:") {
		t.Errorf("empty root: %+v, warnings %q", got, warns)
	}
}

func FuzzVirtioModules(f *testing.F) {
	for _, n := range []string{"modules.builtin-6.1.0-57-amd64", "lsinitramfs-list.txt"} {
		f.Add(read(f, n))
	}
	f.Add([]byte("a/virtio_x.ko.zst\n-rw 1 a b virtio-y.ko\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := VirtioModules(b)
		if !slices.IsSorted(got) {
			t.Fatalf("not sorted: %q", got)
		}
		for i, m := range got {
			if !strings.HasPrefix(m, "virtio") || strings.ContainsAny(m, "-/ \n") || (i > 0 && got[i-1] == m) {
				t.Fatalf("bad module name %q in %q", m, got)
			}
			if !strings.Contains(strings.ReplaceAll(string(b), "-", "_"), m) {
				t.Fatalf("%q is not in the input", m)
			}
		}
	})
}

func FuzzImages(f *testing.F) {
	f.Add("initrd.img-6.1.0-57-amd64\x00grub\x00initramfs-5.14.img")
	f.Fuzz(func(t *testing.T, s string) {
		names := strings.Split(s, "\x00")
		for _, img := range Images(names) {
			if !slices.Contains(names, img) || !(strings.HasPrefix(img, "initrd") || strings.HasPrefix(img, "initramfs")) {
				t.Fatalf("%q is not an image of %q", img, names)
			}
		}
	})
}
