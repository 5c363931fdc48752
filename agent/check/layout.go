package check

// The checks of the layout: what the plan carries and leaves behind, and the limits of
// SMS's target disks and volume groups.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sms-agent/sms-agent/agent/sms"
)

const (
	maxTargetDisks  = 23 // SMS reserves one of a target's 24 disk slots
	maxSystemDisk   = int64(1) << 40
	maxLinuxDisk    = int64(16) << 40
	minRootFree     = 200 << 20
	minMountFree    = 1 << 20
	maxClockSkewMin = 15
)

// uncarriedAt is the uncarried mount whose mount points include mp.
func uncarriedAt(us []sms.Uncarried, mp string) (sms.Uncarried, bool) {
	for _, u := range us {
		if u.Mount.MountPoint == mp || slices.Contains(u.Mount.OtherMountPoints, mp) {
			return u, true
		}
	}
	return sms.Uncarried{}, false
}

// mountedAt is the device and filesystem type mounted at mp, when it is.
func mountedAt(in Input, mp string) (device, fstype string, ok bool) {
	for _, m := range inv(in).Mounts {
		if m.MountPoint == mp || slices.Contains(m.OtherMountPoints, mp) {
			return m.Device, m.FileSystem, true
		}
	}
	return "", "", false
}

// fixFor is what to do about a mount left behind, by why it is.
func fixFor(in Input, u sms.Uncarried) string {
	switch {
	case u.Kind == sms.MountUnknown && osOf(in) == sms.OSWindows:
		return "fix what the warnings name (the volume's disk extents could not be read), then check again"
	}
	switch u.Kind {
	case sms.MountUnknown:
		return "fix what the warnings name (lvm2 or btrfs-progs missing, a capture without their output), then check again"
	case sms.LeftEncrypted:
		return "copy the data onto an unencrypted volume (or decrypt it) first, or give --force to migrate without it"
	case sms.LeftStacked:
		return "move the data onto a plain partition or LV first, or give --force to migrate without it"
	case sms.LeftDuplicateVG:
		return "rename one of the volume groups (vgrename <uuid> <new name>), or give --force to migrate without them"
	case sms.LeftNested:
		return "move the inner volume group's data onto a plain partition or LV (pvmove, or a copy), or give --force to migrate without it"
	}
	return "migrate it another way, or give --force to go without it"
}

// checkRoot: / (on Windows, the system drive) must be migrated, or the target cannot
// boot.
func checkRoot(in Input) []Result {
	root, what := "/", "/"
	if w := inv(in).Host.Windows; osOf(in) == sms.OSWindows {
		if w == nil || w.SystemDrive == "" {
			return []Result{{Level: Warn, Found: "the system drive is unknown, so whether it is migrated is unknown", Fix: "run check on the host itself"}}
		}
		root, what = w.SystemDrive+`\`, "the system drive "+w.SystemDrive
	}
	dev, fstype, mounted := mountedAt(in, root)
	if !mounted {
		table := "/proc/self/mountinfo"
		if osOf(in) == sms.OSWindows {
			table = "the volumes' mount points"
		}
		return []Result{{Level: Warn, Found: what + " is not in the mount table, so whether it is migrated is unknown", Fix: "make sure the capture or inventory holds " + table}}
	}
	if u, left := uncarriedAt(in.Plan.Uncarried(), root); left {
		return []Result{{Level: Error, Found: what + " is not migrated (" + u.Reason + ")", Fix: fixFor(in, u), Subjects: []string{root}}}
	}
	return ok(fmt.Sprintf("%s (%s on %s) is migrated", what, fstype, dev), root)
}

// checkBootMounts: /boot and /boot/efi, when mounted, must be migrated.
func checkBootMounts(in Input) []Result {
	var out []Result
	us := in.Plan.Uncarried()
	for _, mp := range []string{"/boot", "/boot/efi"} {
		dev, fstype, mounted := mountedAt(in, mp)
		if !mounted {
			continue
		}
		if u, left := uncarriedAt(us, mp); left {
			out = append(out, Result{Level: Error, Found: mp + " is not migrated (" + u.Reason + ")", Fix: fixFor(in, u), Subjects: []string{mp}})
			continue
		}
		out = append(out, ok(fmt.Sprintf("%s (%s on %s) is migrated", mp, fstype, dev), mp)...)
	}
	return out
}

// checkLayout: volume groups SMS does not support (duplicate names, nested LVM, PVs on
// LUKS, md or other stacked devices) are left out of both bodies; each is an ERROR.
func checkLayout(in Input) []Result {
	var out []Result
	for _, l := range in.Plan.Left {
		if !l.Unsupported {
			continue
		}
		found := l.What + " is left out"
		if len(l.MountPoints) > 0 {
			found += ", and with it " + list(l.MountPoints, 5)
		}
		found += ", " + l.Reason
		subjects := append([]string{l.What}, l.MountPoints...)
		out = append(out, Result{Level: Error, Found: found, Fix: fixFor(in, sms.Uncarried{Kind: l.Kind}), Subjects: subjects})
	}
	if len(out) == 0 {
		return ok("no volume group SMS rejects (duplicate names, nested LVM, PVs on LUKS, md or multipath)")
	}
	return out
}

// checkMounts names every other mounted filesystem whose data the task does not carry:
// an ERROR when local data would be left behind by accident, a WARN when it is known
// and meant (excluded, a snapshot, a network or FUSE filesystem, a loop device's image,
// a disk not migrated).
func checkMounts(in Input) []Result {
	var out []Result
	groups := map[string][]sms.Uncarried{}
	var order []string
	n := 0
	for _, u := range in.Plan.Uncarried() {
		mp := u.Mount.MountPoint
		if mp == "/" || mp == "/boot" || mp == "/boot/efi" || u.Unsupported || isSystemDrive(in, mp) {
			continue // named by root, boot-mounts and layout
		}
		n++
		switch u.Kind {
		case sms.MountUnknown, sms.LeftEncrypted, sms.LeftStacked:
			out = append(out, Result{Level: Error, Found: mp + " is not migrated (" + u.Reason + ")", Fix: fixFor(in, u), Subjects: []string{mp}})
		default:
			if _, seen := groups[u.Kind]; !seen {
				order = append(order, u.Kind)
			}
			groups[u.Kind] = append(groups[u.Kind], u)
		}
	}
	for _, k := range order {
		out = append(out, warnGroup(k, groups[k]))
	}
	if n == 0 {
		return ok("every mounted filesystem is migrated, but for those named above")
	}
	return out
}

// isSystemDrive reports whether mp is a Windows host's system drive (C:\).
func isSystemDrive(in Input, mp string) bool {
	w := inv(in).Host.Windows
	return w != nil && w.SystemDrive != "" && mp == w.SystemDrive+`\`
}

// warnGroup is one WARN line for the mounts left behind for the same kind of reason.
func warnGroup(kind string, us []sms.Uncarried) Result {
	var mps, whys []string
	for _, u := range us {
		mps = append(mps, u.Mount.MountPoint)
		whys = append(whys, u.Mount.MountPoint+" ("+u.Reason+")")
	}
	r := Result{Level: Warn, Subjects: mps}
	n := func(what string) string {
		if len(us) == 1 {
			return "1 " + what + " is not migrated"
		}
		return fmt.Sprintf("%d %ss are not migrated", len(us), what)
	}
	switch kind {
	case sms.MountNetwork:
		r.Found, r.Fix = n("network filesystem")+": "+list(whys, 3), "SMS does not migrate network filesystems; mount them on the target after the migration"
	case sms.MountFUSE:
		r.Found, r.Fix = n("FUSE filesystem")+": "+list(whys, 3), "SMS does not migrate FUSE filesystems; mount them on the target after the migration"
	case sms.MountLoop:
		r.Found, r.Fix = n("filesystem on a loop device")+" as a volume: "+list(mps, 3), "nothing to do when their image files lie on a migrated filesystem: they are copied with it"
	case sms.LeftExcluded:
		r.Found, r.Fix = n("excluded filesystem")+": "+list(mps, 5), "drop them from --exclude to migrate them"
	case sms.LeftSnapshot:
		r.Found, r.Fix = n("filesystem on an LVM snapshot")+": "+list(whys, 3), "the origins are migrated; copy what a snapshot alone holds, if anything"
	default:
		r.Found, r.Fix = n("filesystem")+": "+list(whys, 3), "name their disks with --devices, or migrate them another way"
	}
	return r
}

// checkUnopened names encrypted volumes and RAID members whose content is not migrated
// and is not mounted (closed LUKS partitions, unassembled md members, open LUKS or md
// devices that hold nothing mounted).
func checkUnopened(in Input) []Result {
	var names []string
	slaves := map[string]bool{}
	for _, s := range inv(in).Stacked {
		for _, d := range s.Slaves {
			slaves[d] = true
		}
	}
	for _, pd := range in.Plan.Disks {
		for _, v := range pd.Volumes {
			if (v.FileSystem == "crypto_LUKS" || v.FileSystem == "linux_raid_member") && !slaves[v.Name] {
				names = append(names, fmt.Sprintf("%s (%s, closed)", v.Name, v.FileSystem))
			}
		}
	}
	for _, l := range in.Plan.Left {
		if len(l.MountPoints) == 0 && (l.Kind == sms.LeftEncrypted || l.Kind == sms.LeftStacked) && !l.Unsupported {
			names = append(names, l.What+": "+l.Reason)
		}
	}
	if len(names) == 0 {
		return ok("no encrypted volume or RAID member whose content would stay behind")
	}
	return []Result{{Level: Warn, Found: "not migrated, and nothing on them mounted: " + list(names, 4),
		Fix: "SMS migrates neither encrypted volumes nor md RAID; copy what they hold onto plain volumes first if it must move", Subjects: names}}
}

// checkDiskCount: at most 23 target disks.
func checkDiskCount(in Input) []Result {
	n := len(in.Plan.Disks)
	if n > maxTargetDisks {
		return []Result{{Level: Error, Found: fmt.Sprintf("%d disks to migrate, more than the %d a target can have (SMS keeps one of its 24 slots)", n, maxTargetDisks),
			Fix: "leave disks out with --exclude"}}
	}
	return ok(fmt.Sprintf("%d disk%s to migrate (at most %d)", n, map[bool]string{true: "", false: "s"}[n == 1], maxTargetDisks))
}

// checkSystemDisk: the system disk (the one holding /) is at most 1 TiB on the target
// (SMS.6537).
func checkSystemDisk(in Input) []Result {
	var out []Result
	for _, pd := range in.Plan.Disks {
		if !pd.Disk.OSDisk {
			continue
		}
		d := pd.Disk
		switch {
		case pd.Target > maxSystemDisk:
			out = append(out, Result{Level: Error, Code: "SMS.6537", Found: fmt.Sprintf("system disk %s is %s on the target, more than 1T", d.Name, human(pd.Target)),
				Fix: "shrink it (sms-agent plan --shrink shows the sizes), or move data off the disk that holds /", Subjects: []string{d.Name}})
		case d.Size > maxSystemDisk:
			out = append(out, Result{Level: Warn, Code: "SMS.6537", Found: fmt.Sprintf("system disk %s is %s, over 1T, which SMS's own check will report; the task asks for %s", d.Name, human(d.Size), human(pd.Target)),
				Subjects: []string{d.Name}})
		default:
			out = append(out, ok(fmt.Sprintf("system disk %s is %s on the target (at most 1T)", d.Name, human(pd.Target)), d.Name)...)
		}
	}
	return out
}

// checkDiskSize: a Linux target disk is at most 16 TiB.
func checkDiskSize(in Input) []Result {
	var out []Result
	for _, pd := range in.Plan.Disks {
		if pd.Target > maxLinuxDisk {
			out = append(out, Result{Level: Error, Found: fmt.Sprintf("disk %s is %s on the target, more than the 16T a Linux target disk can be", pd.Disk.Name, human(pd.Target)),
				Fix: "shrink it (--shrink) or leave it out (--exclude) and move its data another way", Subjects: []string{pd.Disk.Name}})
		}
	}
	if len(out) == 0 {
		return ok("every target disk is at most 16T")
	}
	return out
}

// checkVGSize: a volume group must be larger than the logical volumes sent (thin volumes
// can add up to more than their pool).
func checkVGSize(in Input) []Result {
	var out []Result
	for _, vg := range in.Plan.VolumeGroups {
		var sum int64
		for _, l := range vg.LVs {
			sum += l.Target
		}
		if sum > vg.Target {
			out = append(out, Result{Level: Error, Found: fmt.Sprintf("volume group %s is %s, but its logical volumes add up to %s (thin volumes are counted at their virtual size)", vg.VG.Name, human(vg.Target), human(sum)),
				Fix: "shrink them to what they use (--shrink), or leave some out (--exclude vg/lv)", Subjects: []string{"volume group " + vg.VG.Name}})
		}
	}
	if len(out) == 0 && len(in.Plan.VolumeGroups) > 0 {
		return ok("every volume group is larger than its logical volumes")
	}
	return out
}

// carriedMounts are the mounts whose data the task carries.
func carriedMounts(in Input) []string {
	un := map[string]bool{}
	for _, u := range in.Plan.Uncarried() {
		un[u.Mount.MountPoint] = true
	}
	var out []string
	for _, m := range inv(in).Mounts {
		if m.Kind == "block" && !un[m.MountPoint] {
			out = append(out, m.MountPoint)
		}
	}
	return out
}

// readOnly reports whether a mount's options say ro.
func readOnly(options string) bool {
	return slices.Contains(strings.Split(options, ","), "ro")
}
