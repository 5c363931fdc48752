package sms

import (
	"fmt"
	"math/bits"
	"slices"

	"github.com/sms-agent/sms-agent/agent/inventory"
)

// The sizes --shrink gives the target (docs/mapping.md, "Smaller targets"). A size is
// never below what its content uses, never above its source, and where a rule cannot
// tell (a filesystem that is not mounted has no known used size), the source size
// stays and Why says so.
const (
	MiB = int64(1) << 20
	GiB = int64(1) << 30

	// minShrunkFS: a new filesystem needs room for its journal and metadata, and
	// mkfs.xfs refuses less than 300 MB.
	minShrunkFS = 512 * MiB
	// rootRoom is the least room left on / (packages, logs, the SMS agent's own work).
	rootRoom = GiB
	// diskSlack is left on a shrunk partitioned disk beyond its partitions: the GPT
	// backup header, alignment, and room to grow.
	diskSlack = GiB
	// pvMetadata is the start of an LVM PV's data area (pe_start, 1 MiB by default).
	pvMetadata = MiB
	// ebrSlack is kept before each logical partition for its EBR and alignment.
	ebrSlack = MiB
	// minOSDisk and minDataDisk are the smallest EVS system and data disks (ECS: a
	// system disk is 40–1024 GiB, a data disk at least 10 GiB).
	minOSDisk   = 40 * GiB
	minDataDisk = 10 * GiB
)

// shrink sets the target sizes: LVs, then their VGs and the PVs under them, then
// partitions and whole-disk volumes, then extended partitions, then disks.
func (p *Plan) shrink(headroom int) {
	pvTarget := map[string]int64{} // PV device → target size
	for i := range p.VolumeGroups {
		vg := &p.VolumeGroups[i]
		extent := max(vg.VG.ExtentSize, MiB)
		var sum int64
		for j := range vg.LVs {
			l := &vg.LVs[j]
			l.Target, l.Why = shrunkSize(l.LV.Size, l.LV.Usage, l.LV.MountPoint, headroom, extent)
			sum += l.Target
		}
		if vg.VG.Size <= 0 {
			continue
		}
		vg.Target = min(vg.VG.Size, sum+4*extent)
		p.sizePVs(vg, pvTarget, extent)
	}
	for i := range p.Disks {
		pd := &p.Disks[i]
		for j := range pd.Volumes {
			v := &pd.Volumes[j]
			if v.Extended {
				continue
			}
			v.Target, v.Why = p.shrunkVolume(*v, pvTarget, headroom)
		}
		for j := range pd.Volumes {
			if v := &pd.Volumes[j]; v.Extended {
				v.Target, v.Why = extendedTarget(*v, pd.Volumes)
			}
		}
		pd.Target, pd.Why = diskTarget(*pd)
	}
}

// sizePVs gives each PV of a shrunk VG its share of the VG's target, in proportion to
// its size, plus its metadata and one extent for rounding.
func (p *Plan) sizePVs(vg *PlannedVG, pvTarget map[string]int64, extent int64) {
	for _, pd := range p.Disks {
		for _, v := range pd.Volumes {
			if !isVGMember(vg.VG, v.Name) {
				continue
			}
			share := mulDivUp(v.Size, vg.Target, vg.VG.Size)
			pvTarget[v.Name] = min(v.Size, roundUp(share, extent)+pvMetadata+extent)
		}
	}
}

// isVGMember reports whether dev is a PV of vg: by its PV devices, or by lvm's PV
// names for inventories that have none.
func isVGMember(vg *inventory.VolumeGroup, dev string) bool {
	devs := vg.PVDevices
	if len(devs) == 0 {
		devs = vg.Components
	}
	return slices.Contains(devs, dev)
}

// shrunkVolume is a partition's (or whole disk's) shrunk size and why.
func (p *Plan) shrunkVolume(v PlannedVolume, pvTarget map[string]int64, headroom int) (int64, string) {
	if t, ok := pvTarget[v.Name]; ok && t > 0 {
		if t >= v.Size {
			return v.Size, ""
		}
		return t, "its share of the shrunk volume group"
	}
	switch {
	case v.FileSystem == "LVM2_member":
		return v.Size, "an LVM PV whose volume group is not shrunk"
	case v.FileSystem == "btrfs":
		return v.Size, "btrfs members keep their size"
	case volumeUse(v) == UseBoot || v.PartType == biosBootType:
		return v.Size, "boot partitions keep their size"
	case v.FileSystem == "swap":
		return v.Size, "swap keeps its size"
	}
	return shrunkSize(v.Size, v.Usage, v.MountPoint, headroom, MiB)
}

// biosBootType is the GPT type of a BIOS boot partition (GRUB's core image).
const biosBootType = "21686148-6449-6e6f-744e-656564454649"

// shrunkSize is a filesystem's size shrunk to its used bytes plus headroom (at least
// rootRoom for /, at least minShrunkFS in all), rounded up to align, and why; the source
// size when that is no smaller or the used size is unknown.
func shrunkSize(size int64, u *inventory.Usage, mp string, headroom int, align int64) (int64, string) {
	if u == nil {
		return size, "not mounted: its used size is unknown"
	}
	room := mulDivUp(u.UsedSize, int64(headroom), 100)
	why := fmt.Sprintf("used %s + %d%%", inventory.HumanSize(u.UsedSize), headroom)
	if mp == "/" && room < rootRoom {
		room, why = rootRoom, fmt.Sprintf("used %s + 1G for /", inventory.HumanSize(u.UsedSize))
	}
	t := roundUp(max(u.UsedSize+room, minShrunkFS), align)
	if t >= size {
		return size, ""
	}
	return t, why
}

// extendedTarget is an extended partition's size: its migrated logical partitions and
// an EBR's room before each.
func extendedTarget(ext PlannedVolume, vols []PlannedVolume) (int64, string) {
	var sum int64
	n := 0
	for _, v := range vols {
		if v.Number > 4 && v.Migrate {
			sum += v.Target + ebrSlack
			n++
		}
	}
	if n == 0 || sum >= ext.Size {
		return ext.Size, ""
	}
	return sum, "its logical partitions"
}

// diskTarget is a disk's shrunk size: its migrated top-level volumes (logical
// partitions count in their extended one), the space before the first partition and
// diskSlack, rounded up to a whole GiB (EVS sizes) and no smaller than an EVS disk
// can be; never larger than the source.
func diskTarget(pd PlannedDisk) (int64, string) {
	d := pd.Disk
	if len(pd.Volumes) == 0 {
		return d.Size, "nothing on it to shrink"
	}
	extended := slices.ContainsFunc(pd.Volumes, func(v PlannedVolume) bool { return v.Extended })
	var sum int64
	for _, v := range pd.Volumes {
		if v.Migrate && !(extended && v.Number > 4) { // logical partitions count in their extended one
			sum += v.Target
		}
	}
	why := "its volumes"
	if len(d.PhysicalVolumes) > 0 {
		first := d.PhysicalVolumes[0].Start
		for _, q := range d.PhysicalVolumes {
			first = min(first, q.Start)
		}
		sum += first + diskSlack
		why = "its partitions + 1G"
	}
	floor := minDataDisk
	if d.OSDisk || d.DeviceUse == UseBoot || d.DeviceUse == UseOS {
		floor = minOSDisk
	}
	t := roundUp(max(sum, floor), GiB)
	if sum < floor {
		why = fmt.Sprintf("the smallest EVS %s disk", map[bool]string{true: "system", false: "data"}[floor == minOSDisk])
	}
	if t >= d.Size {
		return d.Size, ""
	}
	return t, why
}

// roundUp rounds n up to a multiple of unit (unit > 0).
func roundUp(n, unit int64) int64 {
	if r := n % unit; r != 0 {
		return n + unit - r
	}
	return n
}

// mulDivUp is ⌈a·b/c⌉ for non-negative a, b and positive c, exact where a·b
// overflows 64 bits (16 TiB × 16 TiB); a result beyond int64 saturates.
func mulDivUp(a, b, c int64) int64 {
	if a <= 0 || b <= 0 || c <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return int64(^uint64(0) >> 1)
	}
	q, r := bits.Div64(hi, lo, uint64(c))
	if r != 0 {
		q++
	}
	if q > uint64(^uint64(0)>>1) {
		return int64(^uint64(0) >> 1)
	}
	return int64(q)
}
