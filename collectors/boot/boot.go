// Package boot reads what a migrated Linux host needs to boot on the target: the
// initramfs images in /boot, GRUB's BIOS modules, whether the running kernel can reach
// virtio disks from its initramfs, whether it is a Xen PV guest, and SELinux's state.
// See README.md for every file and command.
package boot

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sms-agent/sms-agent/platform"
)

// Facts are the boot facts of a host. Pointers and empty strings are unknown.
type Facts struct {
	// Images are the initrd/initramfs files in /boot (names); nil when /boot could not
	// be listed.
	Images []string `json:"images"`
	// GrubI386PC: GRUB's BIOS modules (/boot/grub/i386-pc or /boot/grub2/i386-pc)
	// are there, which a BIOS target needs to boot GRUB.
	GrubI386PC bool `json:"grub_i386_pc"`
	// Virtio says where the running kernel finds its virtio drivers; nil when it could
	// not be told (no lsinitramfs/lsinitrd, no image of the running kernel).
	Virtio *Virtio `json:"virtio,omitempty"`
	// XenPV: the host is a Xen paravirtualised (PV) guest; nil when unknown.
	XenPV *bool `json:"xen_pv,omitempty"`
	// SELinux is enforcing, permissive or disabled; "" when unknown.
	SELinux string `json:"selinux,omitempty"`
}

// Virtio is where the virtio drivers of the running kernel are.
type Virtio struct {
	Kernel      string   `json:"kernel"`       // the running kernel's release
	Builtin     []string `json:"builtin"`      // virtio drivers built into it (modules.builtin)
	Image       string   `json:"image"`        // its initramfs image, "" when none was found
	InInitramfs []string `json:"in_initramfs"` // virtio drivers in that image
}

// Has reports whether the driver (virtio_blk) is built in or in the initramfs.
func (v *Virtio) Has(driver string) bool {
	for _, l := range [][]string{v.Builtin, v.InInitramfs} {
		for _, d := range l {
			if d == driver {
				return true
			}
		}
	}
	return false
}

// Reader reads the boot facts of a host root. Run runs lsinitramfs or lsinitrd (one of
// them, once) to list the running kernel's initramfs.
type Reader struct {
	FS      platform.FS
	Run     platform.Runner
	Timeout time.Duration
	Kernel  string // the running kernel's release (uname -r); "" skips the virtio facts
}

// Read returns what it could read; warnings say what it could not.
func (r Reader) Read(ctx context.Context) (Facts, []string) {
	var f Facts
	var warns []string
	if names, err := r.FS.ReadDir("/boot"); err == nil {
		f.Images = Images(names)
	} else {
		warns = append(warns, fmt.Sprintf("boot images unknown: %v", err))
	}
	f.GrubI386PC = r.FS.Exists("/boot/grub/i386-pc") || r.FS.Exists("/boot/grub2/i386-pc")
	f.XenPV = r.xenPV()
	f.SELinux = r.selinux()
	if r.Kernel != "" {
		v, err := r.virtio(ctx, f.Images)
		if err != nil {
			warns = append(warns, fmt.Sprintf("virtio drivers unknown: %v", err))
		}
		f.Virtio = v
	}
	return f, warns
}

// isImage reports whether a /boot name is an initramfs: initrd.img-<kver> (Debian,
// Ubuntu), initramfs-<kver>.img (RHEL, Fedora, Arch), initrd-<kver> and initrd (SUSE),
// initramfs-linux.img (Arch). Kdump images are not boot images.
func isImage(n string) bool {
	for _, p := range []string{"initrd", "initramfs"} {
		if rest, ok := strings.CutPrefix(n, p); ok && (rest == "" || rest[0] == '.' || rest[0] == '-') {
			return !strings.Contains(n, "kdump")
		}
	}
	return false
}

// Images picks the initramfs images out of a /boot listing, sorted.
func Images(names []string) []string {
	out := []string{}
	for _, n := range names {
		if isImage(n) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// ImageOf is the initramfs of kernel release k among the images: the name that carries
// it exactly (initrd.img-6.1.0-18-amd64, initramfs-5.14.0-362.el9.x86_64.img,
// initrd-5.14.21-150500.55-default); "" when none does.
func ImageOf(images []string, k string) string {
	for _, want := range []string{"initrd.img-" + k, "initramfs-" + k + ".img", "initrd-" + k, "initrd-" + k + ".img", "initramfs-" + k} {
		for _, n := range images {
			if n == want {
				return n
			}
		}
	}
	return ""
}

// virtio reads where the running kernel's virtio drivers are: built in (modules.builtin),
// or in its initramfs as the image lister prints it.
func (r Reader) virtio(ctx context.Context, images []string) (*Virtio, error) {
	v := &Virtio{Kernel: r.Kernel, Builtin: []string{}, InInitramfs: []string{}}
	var builtin []byte
	var err error
	for _, dir := range []string{"/lib/modules/", "/usr/lib/modules/"} {
		if builtin, err = r.FS.ReadFile(dir + r.Kernel + "/modules.builtin"); err == nil {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	v.Builtin = VirtioModules(builtin)
	v.Image = ImageOf(images, r.Kernel)
	if v.Image == "" {
		return v, nil
	}
	img := "/boot/" + v.Image
	var res platform.Result
	for _, tool := range []string{"lsinitramfs", "lsinitrd"} {
		res, err = r.Run.Run(ctx, platform.Command{Argv: []string{tool, img}, Timeout: r.Timeout})
		if !errors.Is(err, platform.ErrToolUnavailable) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", img, err)
	}
	v.InInitramfs = VirtioModules(res.Stdout)
	return v, nil
}

// virtioModule is the module name in a path ending in a virtio kernel module's file
// (kernel/drivers/block/virtio_blk.ko, with the compression suffixes distributions use),
// as modprobe knows it (virtio-gpu → virtio_gpu); "" for any other path.
func virtioModule(p string) string {
	base := p[strings.LastIndexByte(p, '/')+1:]
	for _, z := range []string{".xz", ".zst", ".gz"} {
		base = strings.TrimSuffix(base, z)
	}
	name, ok := strings.CutSuffix(base, ".ko")
	if !ok || !strings.HasPrefix(name, "virtio") {
		return ""
	}
	return strings.ReplaceAll(name, "-", "_")
}

// VirtioModules lists the virtio modules named in a file list: modules.builtin (one
// path a line), or an initramfs listing (lsinitramfs: one path a line; lsinitrd: `ls -l`
// lines with the path last). Names are sorted, once each.
func VirtioModules(list []byte) []string {
	seen := map[string]bool{}
	out := []string{}
	sc := bufio.NewScanner(bytes.NewReader(list))
	sc.Buffer(make([]byte, 0, 4096), platform.MaxFileSize)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		name := virtioModule(f[len(f)-1])
		if name != "" && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// xenPV reads /sys/hypervisor: type "xen" and guest_type "PV" is a PV guest; another
// hypervisor type, or none, is not; xen without guest_type (kernels before 4.3) is unknown.
func (r Reader) xenPV() *bool {
	typ, err := r.FS.ReadString("/sys/hypervisor/type")
	if err != nil || typ != "xen" {
		f := false
		return &f
	}
	gt, err := r.FS.ReadString("/sys/hypervisor/guest_type")
	if err != nil {
		return nil
	}
	pv := gt == "PV"
	return &pv
}

// selinux is the running state: /sys/fs/selinux/enforce (1 enforcing, 0 permissive)
// when selinuxfs is mounted, else disabled.
func (r Reader) selinux() string {
	s, err := r.FS.ReadString("/sys/fs/selinux/enforce")
	switch {
	case err != nil:
		return "disabled"
	case s == "1":
		return "enforcing"
	case s == "0":
		return "permissive"
	}
	return ""
}
