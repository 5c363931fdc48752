package daemon

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/agent/sms"
)

// Layout is the part of the registration body that is the disk layout SMS holds:
// disks, partitions, volume groups, logical volumes and btrfs filesystems with their
// sizes, filesystems and mount points. Used space is not part of it: it changes all
// the time and SMS reads it again when the migration starts.
type Layout struct {
	Disks        []LayoutDisk  `json:"disks"`
	VolumeGroups []LayoutVG    `json:"volume_groups,omitempty"`
	Btrfs        []LayoutBtrfs `json:"btrfs,omitempty"`
}

// LayoutDisk is a disk and its partitions.
type LayoutDisk struct {
	Name       string       `json:"name"`
	Size       int64        `json:"size"`
	Partitions []LayoutPart `json:"partitions,omitempty"`
}

// LayoutPart is a partition or a logical volume.
type LayoutPart struct {
	Name       string `json:"name"`
	Size       int64  `json:"size"`
	FileSystem string `json:"fs,omitempty"`
	MountPoint string `json:"mount,omitempty"`
}

// LayoutVG is a volume group and its logical volumes.
type LayoutVG struct {
	Name string       `json:"name"`
	Size int64        `json:"size"`
	PVs  string       `json:"pvs,omitempty"`
	LVs  []LayoutPart `json:"lvs,omitempty"`
}

// LayoutBtrfs is a btrfs filesystem and its subvolumes.
type LayoutBtrfs struct {
	UUID       string   `json:"uuid"`
	Devices    string   `json:"devices"`
	MountPoint string   `json:"mount,omitempty"`
	Subvolumes []string `json:"subvolumes,omitempty"`
}

// LayoutOf extracts the layout of a registration body, in a canonical order.
func LayoutOf(b *sms.PostSourceServerBody) *Layout {
	l := &Layout{Disks: []LayoutDisk{}}
	for _, d := range b.Disks {
		ld := LayoutDisk{Name: d.Name, Size: d.Size}
		for _, p := range d.PhysicalVolumes {
			ld.Partitions = append(ld.Partitions, LayoutPart{Name: p.Name, Size: deref(p.Size), FileSystem: p.FileSystem, MountPoint: p.MountPoint})
		}
		l.Disks = append(l.Disks, ld)
	}
	for _, vg := range b.VolumeGroups {
		lv := LayoutVG{Name: vg.Name, Size: deref(vg.Size), PVs: vg.Components}
		for _, v := range vg.LogicalVolumes {
			lv.LVs = append(lv.LVs, LayoutPart{Name: v.Name, Size: v.Size, FileSystem: v.FileSystem, MountPoint: v.MountPoint})
		}
		l.VolumeGroups = append(l.VolumeGroups, lv)
	}
	for _, f := range b.BtrfsList {
		lb := LayoutBtrfs{UUID: f.UUID, Devices: f.Device, MountPoint: f.DefaultSubvolMountpath}
		for _, s := range f.Subvolumn {
			lb.Subvolumes = append(lb.Subvolumes, s.SubvolName)
		}
		sort.Strings(lb.Subvolumes)
		l.Btrfs = append(l.Btrfs, lb)
	}
	sort.Slice(l.Disks, func(i, j int) bool { return l.Disks[i].Name < l.Disks[j].Name })
	sort.Slice(l.VolumeGroups, func(i, j int) bool { return l.VolumeGroups[i].Name < l.VolumeGroups[j].Name })
	sort.Slice(l.Btrfs, func(i, j int) bool { return l.Btrfs[i].UUID < l.Btrfs[j].UUID })
	return l
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// Digest is a SHA-256 of the layout's canonical JSON.
func (l *Layout) Digest() string {
	b, _ := json.Marshal(l) // plain structs: cannot fail
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Diff says in one line each what changed from old to new: "disk /dev/sdc added",
// "/var grew 12 GiB", "partition /dev/sdb2 removed".
func Diff(old, new *Layout) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	matchBy(old.Disks, new.Disks, func(d LayoutDisk) string { return d.Name },
		func(d LayoutDisk) { add("disk %s added (%s)", d.Name, iec(d.Size)) },
		func(d LayoutDisk) { add("disk %s removed", d.Name) },
		func(o, d LayoutDisk) {
			sizeChange(&out, "disk "+d.Name, o.Size, d.Size)
			out = append(out, diffParts("partition ", o.Partitions, d.Partitions)...)
		})
	matchBy(old.VolumeGroups, new.VolumeGroups, func(v LayoutVG) string { return v.Name },
		func(v LayoutVG) { add("volume group %s added (%s)", v.Name, iec(v.Size)) },
		func(v LayoutVG) { add("volume group %s removed", v.Name) },
		func(o, v LayoutVG) {
			sizeChange(&out, "volume group "+v.Name, o.Size, v.Size)
			if o.PVs != v.PVs {
				add("volume group %s: physical volumes now %s (were %s)", v.Name, v.PVs, o.PVs)
			}
			out = append(out, diffParts("logical volume "+v.Name+"/", o.LVs, v.LVs)...)
		})
	matchBy(old.Btrfs, new.Btrfs, func(b LayoutBtrfs) string { return b.UUID },
		func(b LayoutBtrfs) { add("btrfs %s on %s added", b.UUID, b.Devices) },
		func(b LayoutBtrfs) { add("btrfs %s removed", b.UUID) },
		func(o, b LayoutBtrfs) {
			if o.Devices != b.Devices {
				add("btrfs %s: devices now %s (were %s)", b.UUID, b.Devices, o.Devices)
			}
			if strings.Join(o.Subvolumes, "\n") != strings.Join(b.Subvolumes, "\n") {
				add("btrfs %s: subvolumes changed (%d → %d)", b.UUID, len(o.Subvolumes), len(b.Subvolumes))
			}
		})
	return out
}

// matchBy pairs old and new items by key: added for the new ones (in new's order),
// then removed for the gone ones (in old's order), both for the ones in each, called
// in new's order between the added ones.
func matchBy[T any](old, new []T, key func(T) string, added, removed func(T), both func(o, n T)) {
	byKey := map[string]T{}
	for _, o := range old {
		byKey[key(o)] = o
	}
	seen := map[string]bool{}
	for _, n := range new {
		seen[key(n)] = true
		if o, ok := byKey[key(n)]; ok {
			both(o, n)
		} else {
			added(n)
		}
	}
	for _, o := range old {
		if !seen[key(o)] {
			removed(o)
		}
	}
}

// diffParts compares partitions (prefix "partition ") or the LVs of one VG (prefix
// "logical volume vg/"). A mounted one is named by its mount point: "/var grew 12 GiB".
func diffParts(prefix string, old, new []LayoutPart) []string {
	var out []string
	label := func(p LayoutPart) string {
		if p.MountPoint != "" {
			return p.MountPoint
		}
		return prefix + p.Name
	}
	matchBy(old, new, func(p LayoutPart) string { return p.Name },
		func(p LayoutPart) { out = append(out, fmt.Sprintf("%s%s added (%s)", prefix, p.Name, iec(p.Size))) },
		func(p LayoutPart) { out = append(out, fmt.Sprintf("%s removed", label(p))) },
		func(o, p LayoutPart) {
			sizeChange(&out, label(p), o.Size, p.Size)
			if o.FileSystem != p.FileSystem {
				out = append(out, fmt.Sprintf("%s: filesystem now %s (was %s)", label(p), orNone(p.FileSystem), orNone(o.FileSystem)))
			}
			if o.MountPoint != p.MountPoint {
				out = append(out, fmt.Sprintf("%s%s: mount point now %s (was %s)", prefix, p.Name, orNone(p.MountPoint), orNone(o.MountPoint)))
			}
		})
	return out
}

func sizeChange(out *[]string, label string, old, new int64) {
	switch {
	case new > old:
		*out = append(*out, fmt.Sprintf("%s grew %s", label, iec(new-old)))
	case new < old:
		*out = append(*out, fmt.Sprintf("%s shrank %s", label, iec(old-new)))
	}
}

// iec formats bytes in powers of 1024: "512 B", "12 GiB", "1.5 TiB".
func iec(n int64) string {
	s := inventory.HumanSize(n)
	if strings.HasSuffix(s, "B") {
		return strings.TrimSuffix(s, "B") + " B"
	}
	return s[:len(s)-1] + " " + s[len(s)-1:] + "iB"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
