package check

// The checks of the source's free space, boot chain, tools, platform and clock.

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/agent/sms"
)

// mountNamed is the mount at mp.
func mountNamed(in Input, mp string) (inventory.Mount, bool) {
	for _, m := range inv(in).Mounts {
		if m.MountPoint == mp {
			return m, true
		}
	}
	return inventory.Mount{}, false
}

// checkRootFree: SMS needs 200M free on / (its agent and logs live there).
func checkRootFree(in Input) []Result {
	m, mounted := mountNamed(in, "/")
	if !mounted {
		return nil
	}
	if m.Usage == nil {
		return []Result{{Level: Warn, Found: "free space on / is unknown (statfs did not answer)", Fix: "make sure / has at least 200M free", Subjects: []string{"/"}}}
	}
	if m.Usage.FreeSize < minRootFree {
		return []Result{{Level: Error, Found: fmt.Sprintf("/ has %s free", human(m.Usage.FreeSize)), Fix: "free at least 200M (SMS's agent works there)", Subjects: []string{"/"}}}
	}
	return okf("/ has %s free (at least 200M)", human(m.Usage.FreeSize))
}

// checkMountFree: every migrated, writable mount point needs 1M free (SMS.1351).
func checkMountFree(in Input) []Result {
	var out []Result
	n := 0
	for _, mp := range carriedMounts(in) {
		m, _ := mountNamed(in, mp)
		if readOnly(m.Options) || m.Usage == nil {
			continue
		}
		n++
		if m.Usage.FreeSize < minMountFree {
			out = append(out, Result{Level: Error, Code: "SMS.1351", Found: fmt.Sprintf("%s has %s free", mp, human(m.Usage.FreeSize)),
				Fix: "free at least 1M", Subjects: []string{mp}})
		}
	}
	if len(out) == 0 && n > 0 {
		return okf("every migrated mount point has at least 1M free (%d checked)", n)
	}
	return out
}

// checkTmpExec: /tmp must not be mounted noexec (SMS.5102).
func checkTmpExec(in Input) []Result {
	m, mounted := mountNamed(in, "/tmp")
	if mounted && slices.Contains(strings.Split(m.Options, ","), "noexec") {
		return []Result{{Level: Error, Code: "SMS.5102", Found: "/tmp is mounted noexec", Fix: "mount -o remount,exec /tmp for the migration", Subjects: []string{"/tmp"}}}
	}
	return ok("/tmp allows executables")
}

// bootFacts is the host's boot facts, or a WARN saying they are unknown.
func bootFacts(in Input, what string) (*sms.HostFacts, []Result) {
	if in.Facts.Boot == nil {
		return nil, []Result{{Level: Warn, Found: what + " unknown, for want of boot facts (an inventory file without --facts)",
			Fix: "run check on the host itself, or give --facts"}}
	}
	return &in.Facts, nil
}

// checkInitramfs: /boot holds an initramfs, the running kernel's in particular (SMS.6563).
func checkInitramfs(in Input) []Result {
	f, w := bootFacts(in, "initramfs images in /boot")
	if f == nil {
		return w
	}
	b := f.Boot
	switch {
	case b.Images == nil:
		return []Result{{Level: Warn, Code: "SMS.6563", Found: "/boot could not be listed (a capture older than this check?), so whether it holds an initramfs is unknown", Fix: "run check on the host itself"}}
	case len(b.Images) == 0:
		return []Result{{Level: Error, Code: "SMS.6563", Found: "no initrd or initramfs image in /boot",
			Fix: "build one for the running kernel (update-initramfs -c -k $(uname -r), or dracut -f)"}}
	}
	k := inv(in).Host.KernelVersion
	if b.Virtio != nil && b.Virtio.Image == "" && k != "" {
		return []Result{{Level: Warn, Code: "SMS.6563", Found: fmt.Sprintf("no initramfs for the running kernel %s in /boot (there are %s)", k, list(b.Images, 3)),
			Fix: "build one (update-initramfs -c -k " + k + ", or dracut -f --kver " + k + ")"}}
	}
	return okf("initramfs in /boot: %s", list(b.Images, 3))
}

// checkGrub: GRUB is the boot loader, with its i386-pc modules on a BIOS host (SMS.6562).
func checkGrub(in Input) []Result {
	f, w := bootFacts(in, "GRUB")
	if f == nil {
		return w
	}
	if f.BootLoader != "GRUB" {
		found := "no GRUB in /boot/grub, /boot/grub2 or /boot/efi/EFI/*/grub.cfg"
		if f.BootLoader != "" {
			found = "the boot loader is " + f.BootLoader + ", not GRUB"
		}
		return []Result{{Level: Error, Code: "SMS.6562", Found: found, Fix: "install GRUB 2 (SMS makes the target boot with it)"}}
	}
	if inv(in).Host.Firmware == "BIOS" && !f.Boot.GrubI386PC {
		return []Result{{Level: Error, Code: "SMS.6562", Found: "BIOS boot, but GRUB's i386-pc modules are not in /boot/grub or /boot/grub2",
			Fix: "reinstall GRUB for BIOS (grub-install or grub2-install --target=i386-pc on the boot disk)"}}
	}
	return ok("GRUB is the boot loader" + map[bool]string{true: ", with its i386-pc modules", false: ""}[inv(in).Host.Firmware == "BIOS"])
}

// checkVirtio: the target is a KVM guest with virtio disks: the running kernel must
// reach virtio_pci and virtio_blk or virtio_scsi, built in or from its initramfs.
func checkVirtio(in Input) []Result {
	f, w := bootFacts(in, "virtio drivers")
	if f == nil {
		return w
	}
	v := f.Boot.Virtio
	if v == nil {
		return []Result{{Level: Warn, Found: "whether the initramfs holds virtio drivers is unknown (lsinitramfs and lsinitrd missing, or modules.builtin unreadable)",
			Fix: "check by hand with lsinitrd /boot/initramfs-$(uname -r).img | grep virtio"}}
	}
	var missing []string
	if !v.Has("virtio_pci") {
		missing = append(missing, "virtio_pci")
	}
	if !v.Has("virtio_blk") && !v.Has("virtio_scsi") {
		missing = append(missing, "virtio_blk or virtio_scsi")
	}
	if len(missing) == 0 {
		return okf("kernel %s reaches virtio disks (built in: %s; in its initramfs: %s)", v.Kernel, orNone(v.Builtin), orNone(v.InInitramfs))
	}
	where := "its initramfs " + v.Image
	if v.Image == "" {
		where = "no initramfs of its own"
	}
	return []Result{{Level: Warn, Found: fmt.Sprintf("kernel %s lacks %s (not built in, and %s), so the target, a KVM guest, may not find its disk", v.Kernel, strings.Join(missing, " and "), where),
		Fix: "add them with dracut -f --add-drivers 'virtio_pci virtio_blk virtio_scsi virtio_net' (RHEL, SUSE), or list them in /etc/initramfs-tools/modules and run update-initramfs -u (Debian, Ubuntu)"}}
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// checkRsync: a file-level migration copies files with rsync.
func checkRsync(in Input) []Result {
	if in.Type == sms.TypeBlock {
		return nil
	}
	switch {
	case in.Facts.HasRsync == nil:
		return []Result{{Level: Warn, Found: "whether rsync is installed is unknown", Fix: "make sure rsync is installed: a file-level migration copies with it"}}
	case !*in.Facts.HasRsync:
		return []Result{{Level: Error, Found: "rsync is not installed (a file-level migration, MIGRATE_FILE, copies files with it)", Fix: "install rsync"}}
	}
	return ok("rsync is installed")
}

// checkTc: SMS's environment check requires tc (iproute2) on Linux sources.
func checkTc(in Input) []Result {
	switch {
	case in.Facts.HasTc == nil:
		return []Result{{Level: Warn, Found: "whether tc is installed is unknown", Fix: "make sure tc (iproute2) is installed"}}
	case !*in.Facts.HasTc:
		return []Result{{Level: Error, Found: "tc is not installed (SMS's environment check requires it)", Fix: "install it (iproute2; iproute-tc on RHEL 8 and later)"}}
	}
	return ok("tc is installed")
}

// checkXenPV: a Xen paravirtualised guest cannot boot as a KVM guest.
func checkXenPV(in Input) []Result {
	b := in.Facts.Boot
	switch {
	case b == nil:
		return nil // said once, by the boot checks
	case b.XenPV == nil:
		return []Result{{Level: Warn, Found: "a Xen guest of unknown type (no /sys/hypervisor/guest_type)", Fix: "make sure it is an HVM guest: SMS does not migrate Xen PV guests"}}
	case *b.XenPV:
		return []Result{{Level: Error, Found: "a Xen PV (paravirtualised) guest, whose kernel cannot boot as a KVM guest", Fix: "convert it to an HVM guest first"}}
	}
	return ok("not a Xen PV guest")
}

// checkArch: SMS migrates x86_64 Linux sources (SMS.0206).
func checkArch(in Input) []Result {
	a := inv(in).Host.Arch
	switch a {
	case "":
		return []Result{{Level: Warn, Code: "SMS.0206", Found: "the architecture is unknown", Fix: "make sure it is x86_64"}}
	case "x86_64":
		return ok("architecture x86_64")
	}
	return []Result{{Level: Error, Code: "SMS.0206", Found: "architecture " + a + " (SMS migrates x86_64 sources)", Fix: "migrate this host another way"}}
}

// checkSELinux says SELinux's state; enforcing is a WARN (labels must survive the copy).
func checkSELinux(in Input) []Result {
	b := in.Facts.Boot
	if b == nil || b.SELinux == "" {
		return nil
	}
	if b.SELinux == "enforcing" {
		return []Result{{Level: Warn, Found: "SELinux is enforcing (the target enforces it too, with the labels the copy carries)",
			Fix: "if services on the target are denied after the migration, relabel it (touch /.autorelabel, reboot)"}}
	}
	return ok("SELinux is " + b.SELinux)
}

// checkClock: AK/SK signatures fail when this host's clock is more than 15 minutes off
// the endpoint's (SMS.0205). Only when online.
func checkClock(in Input) []Result {
	c := in.Clock
	if c == nil {
		return nil
	}
	if c.Err != nil {
		return []Result{{Level: Warn, Code: "SMS.0205", Found: "the clock of " + c.Endpoint + " could not be read: " + c.Err.Error(), Fix: "make sure this host's clock is right (NTP)"}}
	}
	skew := c.Local.Sub(c.Server)
	if skew < 0 {
		skew = -skew
	}
	if skew > maxClockSkewMin*time.Minute {
		// Date has whole seconds: the skew is known to a second, said to the minute.
		return []Result{{Level: Error, Code: "SMS.0205", Found: fmt.Sprintf("this host's clock is %d min off %s's (%s there, %s here)", skew.Round(time.Minute)/time.Minute, c.Endpoint, c.Server.UTC().Format(time.RFC3339), c.Local.UTC().Format(time.RFC3339)),
			Fix: "set the clock and time zone right (NTP); signatures more than 15 minutes off are refused"}}
	}
	return okf("clock within %s of %s", skew.Round(time.Second), c.Endpoint)
}

func okf(format string, args ...any) []Result { return ok(fmt.Sprintf(format, args...)) }
