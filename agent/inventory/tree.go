package inventory

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteTree prints the inventory for a person, like lsblk: one line a disk, partition,
// volume group and logical volume, then the other mounted filesystems.
func WriteTree(w io.Writer, inv *Inventory) {
	h := inv.Host
	fmt.Fprintf(w, "%s  %s  kernel %s  %s  %s  %d CPUs  %s memory\n\n",
		orDash(h.Hostname), orDash(h.OS.PrettyName), orDash(h.KernelVersion), orDash(h.Arch), h.Firmware,
		h.CPUQuantity, HumanSize(h.MemoryBytes))
	mountCell := mountCellFor(h.OSType == OSTypeWindows)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSIZE\tFSTYPE\tUUID\tMOUNTPOINT\tUSED\tUSE")
	for _, d := range inv.Disks {
		fstype, uuid := "", ""
		if d.Identity != nil {
			fstype, uuid = d.FileSystem, d.UUID
		}
		table := d.PartitionStyle
		if table != "" {
			fstype = table
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Name, HumanSize(d.Size), orDash(fstype), orDash(uuid),
			mountCell(d.MountPoint, d.OtherMountPoints), usedCell(d.Usage), d.DeviceUse)
		for i, p := range d.PhysicalVolumes {
			branch := "├─"
			if i == len(d.PhysicalVolumes)-1 {
				branch = "└─"
			}
			fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%s\t%s\n", branch, p.Name, HumanSize(p.Size), orDash(p.FileSystem),
				orDash(p.UUID), mountCell(p.MountPoint, p.OtherMountPoints), usedCell(p.Usage), p.DeviceUse)
		}
	}
	for _, vg := range inv.VolumeGroups {
		fmt.Fprintf(tw, "vg %s\t%s\t%s\t%s\t%s\t%s\t%s\n", vg.Name, HumanSize(vg.Size), "LVM2", "-",
			strings.Join(vg.Components, ","), "free "+HumanSize(vg.FreeSize), "")
		for i, lv := range vg.LogicalVolumes {
			branch := "├─"
			if i == len(vg.LogicalVolumes)-1 {
				branch = "└─"
			}
			fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%s\t%s\n", branch, lv.Name, HumanSize(lv.Size), orDash(lv.FileSystem),
				orDash(lv.Identity.UUID), orDash(lv.MountPoint), usedCell(lv.Usage), "")
		}
	}
	tw.Flush()
	var other []Mount
	for _, m := range inv.Mounts {
		if m.Kind != "block" || m.Device == "" {
			other = append(other, m)
		}
	}
	if len(other) > 0 {
		fmt.Fprintln(w, "\nOther mounted filesystems:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "MOUNTPOINT\tFSTYPE\tSOURCE\tKIND\tUSED")
		for _, m := range other {
			used := usedCell(m.Usage)
			if m.Error != "" {
				used = "? (" + m.Error + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", mountCell(m.MountPoint, m.OtherMountPoints), m.FileSystem, m.Source, m.Kind, used)
		}
		tw.Flush()
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// mountCellFor shows a mount point and how many others the filesystem has, quoted when
// it holds characters that would make the column ambiguous (a backslash only outside
// Windows, where it separates paths).
func mountCellFor(windows bool) func(string, []string) string {
	special := " \t\n\\\""
	if windows {
		special = " \t\n\""
	}
	return func(mp string, others []string) string { return mountCell(mp, others, special) }
}

func mountCell(mp string, others []string, special string) string {
	s := strconv.Quote(mp)
	if !strings.ContainsAny(mp, special) {
		s = mp
	}
	if mp == "" {
		s = "-"
	}
	if len(others) > 0 {
		s += fmt.Sprintf(" (+%d)", len(others))
	}
	return s
}

func usedCell(u *Usage) string {
	if u == nil {
		return "-"
	}
	pct := 0.0
	if u.FSSize > 0 {
		pct = 100 * float64(u.UsedSize) / float64(u.FSSize)
	}
	return fmt.Sprintf("%s (%.0f%%)", HumanSize(u.UsedSize), pct)
}

// HumanSize formats bytes the way lsblk does: powers of 1024, at most one decimal.
func HumanSize(n int64) string {
	const units = "BKMGTPE"
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%dB", n)
	}
	s := strconv.FormatFloat(f, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + string(units[i])
}
