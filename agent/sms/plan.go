package sms

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sms-agent/sms-agent/agent/inventory"
)

// PlanOptions shape the migration's layout. docs/mapping.md states every rule.
type PlanOptions struct {
	// Exclude leaves disks (/dev/vdb or vdb), partitions (/dev/vdb1) and logical volumes
	// (vg/lv, /dev/vg/lv, /dev/mapper/vg-lv) out of the migration (SMS's need_migration
	// false). A disk is left out of both bodies; a partition or LV only out of the task.
	Exclude []string
	// Shrink makes the target smaller than the source where SMS allows it (see size.go).
	Shrink bool
	// Headroom is the room left over the used bytes of a shrunk filesystem, in percent
	// (0: DefaultHeadroom).
	Headroom int
	// Type is the task type (MIGRATE_FILE when ""): block-level tasks cannot shrink.
	Type string
}

// DefaultHeadroom is --shrink's room over the used bytes, in percent.
const DefaultHeadroom = 20

// Plan is the migration's layout, built once from the inventory: every disk, partition,
// volume group and logical volume that is migrated, with its source and target size,
// and what the target will lack and why. The registration body and the task body are
// both built from it, so they describe the disks alike.
type Plan struct {
	Inv          *inventory.Inventory
	Disks        []PlannedDisk
	VolumeGroups []PlannedVG
	Btrfs        []inventory.BtrfsFileSystem
	// Left is what the target will lack: excluded devices, layouts SMS does not
	// support, and volumes whose data a migration does not copy.
	Left []LeftOut
	// Warnings name required body values that are unknown (sent as 0 or "").
	Warnings []string
	Shrink   bool
}

// PlannedDisk is a migrated disk.
type PlannedDisk struct {
	Disk   *inventory.Disk // the source disk
	Target int64           // the target disk's size
	Why    string          // how Target was chosen when it is not the source size
	// Volumes describe the disk: its partitions, or the disk itself when a filesystem,
	// PV or btrfs member lies on it whole. Both bodies list these.
	Volumes []PlannedVolume
}

// PlannedVolume is a partition, or a whole disk's content.
type PlannedVolume struct {
	Name       string // /dev/vda1; the disk's name for a whole-disk volume
	Number     int    // partition number; 0 for a whole-disk volume
	Extended   bool   // an MBR extended partition (the container of the logical ones)
	FileSystem string
	UUID       string
	MountPoint string
	Others     []string // other mount points of the same filesystem
	PartType   string
	InvUse     string // the inventory's device_use (VOLUME_GROUP, BTRFS, ...)
	Size       int64  // source size
	// Used is the inventory's used_size: the filesystem's used bytes when mounted, for
	// an LVM PV the used bytes of the LVs on it.
	Used  int64
	Usage *inventory.Usage
	// SizePerCluster is a Windows volume's cluster size (0 elsewhere).
	SizePerCluster int64
	Target         int64
	Why            string // how Target was chosen when it is not the source size
	Migrate        bool   // false: excluded (--exclude), listed in the registration only
}

// Index is the volume's index in the bodies: the kernel's partition number − 1 (0 for
// vda1, as the seed's example; 4 for the logical sda5), 0 for a whole-disk volume.
func (v PlannedVolume) Index() int64 {
	if v.Number == 0 {
		return 0
	}
	return int64(v.Number - 1)
}

// PlannedVG is a volume group on migrated disks.
type PlannedVG struct {
	VG     *inventory.VolumeGroup
	Target int64
	LVs    []PlannedLV // the data LVs (inventory migrate: true) that are sent
}

// PlannedLV is a logical volume that is sent.
type PlannedLV struct {
	LV     *inventory.LogicalVolume
	Target int64
	Why    string
}

// LeftOut is something of the source the target will lack.
type LeftOut struct {
	What string // "disk /dev/vdc", "volume group vg0", "logical volume vg0/snap", ...
	// Reason says why, in a few words: "excluded (--exclude)", "duplicate VG name", ...
	Reason string
	// Kind classifies the reason: excluded, duplicate-vg, nested-lvm, encrypted,
	// md-raid, multipath, stacked, snapshot, not-on-disk.
	Kind string
	// Unsupported: SMS rejects this layout (the check is an ERROR).
	Unsupported bool
	// MountPoints are the mounted filesystems whose data stays behind.
	MountPoints []string
}

// Left-out kinds.
const (
	LeftExcluded    = "excluded"
	LeftDuplicateVG = "duplicate-vg"
	LeftNested      = "nested-lvm"
	LeftEncrypted   = "encrypted"
	LeftStacked     = "stacked"
	LeftSnapshot    = "snapshot"
)

// BuildPlan builds the layout from the inventory. It fails when an option cannot be
// followed: an --exclude that names nothing or would drop / or /boot, a volume group
// or btrfs filesystem split between migrated and excluded devices, --shrink of a
// block-level task.
func BuildPlan(inv *inventory.Inventory, opt PlanOptions) (*Plan, error) {
	if opt.Shrink && opt.Type == TypeBlock {
		return nil, fmt.Errorf("--shrink: a block-level task (%s) copies every partition whole, so no target can be smaller than its source", TypeBlock)
	}
	if opt.Headroom <= 0 {
		opt.Headroom = DefaultHeadroom
	}
	ex, err := resolveExcludes(inv, opt.Exclude)
	if err != nil {
		return nil, err
	}
	p := &Plan{Inv: inv, Shrink: opt.Shrink}
	for i := range inv.Disks {
		d := &inv.Disks[i]
		if ex.disks[d.Name] {
			p.Left = append(p.Left, LeftOut{What: "disk " + d.Name, Reason: "by --exclude", Kind: LeftExcluded, MountPoints: diskMounts(d)})
			continue
		}
		pd := PlannedDisk{Disk: d, Target: d.Size, Volumes: diskVolumes(d)}
		for j := range pd.Volumes {
			v := &pd.Volumes[j]
			v.Target = v.Size
			if ex.parts[v.Name] && v.Number > 0 {
				v.Migrate, v.Why = false, "excluded (--exclude)"
				p.Left = append(p.Left, LeftOut{What: "partition " + v.Name, Reason: "by --exclude", Kind: LeftExcluded, MountPoints: mountsOf(v.MountPoint, v.Others)})
			}
		}
		p.Disks = append(p.Disks, pd)
	}
	if err := p.planVolumes(ex); err != nil {
		return nil, err
	}
	for _, l := range p.Left {
		for _, mp := range l.MountPoints {
			if l.Kind == LeftExcluded && bootCritical(mp) {
				return nil, fmt.Errorf("--exclude: %s would be left out, and with it %s, without which the target cannot boot", l.What, mp)
			}
		}
	}
	p.leaveStacked()
	p.skipUncopiable()
	if opt.Shrink {
		p.shrink(opt.Headroom)
	}
	p.Warnings = p.unknownValues()
	return p, nil
}

// diskVolumes is the one description of a disk's content that both bodies send: its
// partitions in number order; for a disk without a partition table that carries a
// filesystem, an LVM PV or a btrfs member, one volume that is the disk itself.
func diskVolumes(d *inventory.Disk) []PlannedVolume {
	var out []PlannedVolume
	for _, p := range d.PhysicalVolumes {
		out = append(out, PlannedVolume{
			Name: p.Name, Number: p.Number, Extended: p.Extended, FileSystem: p.FileSystem, UUID: p.UUID,
			MountPoint: p.MountPoint, Others: p.OtherMountPoints, PartType: p.PartType, InvUse: p.DeviceUse,
			Size: p.Size, Used: p.UsedSize, Usage: p.Usage, SizePerCluster: p.SizePerCluster, Migrate: true,
		})
	}
	if len(d.PhysicalVolumes) == 0 && d.Identity != nil && d.Identity.FileSystem != "" {
		out = append(out, PlannedVolume{
			Name: d.Name, FileSystem: d.Identity.FileSystem, UUID: d.Identity.UUID, MountPoint: d.MountPoint,
			Others: d.OtherMountPoints, InvUse: d.DeviceUse, Size: d.Size, Used: d.UsedSize, Usage: d.Usage, Migrate: true,
		})
	}
	return out
}

// skipUncopiable keeps out of the task the volumes whose content SMS does not copy:
// a LUKS or md RAID member (its mapping, and what it holds, is named in Left or by
// the checks), and an LVM PV whose volume group is left out. The registration still
// lists them: they are on the source.
func (p *Plan) skipUncopiable() {
	planned := map[string]bool{}
	for _, vg := range p.VolumeGroups {
		for _, d := range append(append([]string{}, vg.VG.PVDevices...), vg.VG.Components...) {
			planned[d] = true
		}
	}
	inSomeVG := map[string]string{}
	for _, vg := range p.Inv.VolumeGroups {
		for _, d := range append(append([]string{}, vg.PVDevices...), vg.Components...) {
			inSomeVG[d] = vg.Name
		}
	}
	for i := range p.Disks {
		for j := range p.Disks[i].Volumes {
			v := &p.Disks[i].Volumes[j]
			if !v.Migrate {
				continue
			}
			switch {
			case v.FileSystem == "crypto_LUKS":
				v.Migrate, v.Why = false, "encrypted (LUKS): SMS does not migrate encrypted volumes"
			case v.FileSystem == "linux_raid_member":
				v.Migrate, v.Why = false, "an md RAID member: SMS does not migrate md RAID"
			case v.FileSystem == "LVM2_member" && inSomeVG[v.Name] != "" && !planned[v.Name]:
				v.Migrate, v.Why = false, "the PV of volume group "+inSomeVG[v.Name]+", which is left out"
			}
		}
	}
}

// excludes are the --exclude names resolved to what they name.
type excludes struct {
	disks map[string]bool // /dev/vdb
	parts map[string]bool // /dev/vdb1
	lvs   map[string]bool // vg/lv
}

// resolveExcludes finds what each --exclude names, and refuses one that names nothing
// or would drop / or /boot.
func resolveExcludes(inv *inventory.Inventory, names []string) (excludes, error) {
	ex := excludes{disks: map[string]bool{}, parts: map[string]bool{}, lvs: map[string]bool{}}
	for _, raw := range names {
		n := strings.TrimSpace(raw)
		dev := "/dev/" + strings.TrimPrefix(n, "/dev/")
		var mps []string
		found := false
		for i := range inv.Disks {
			d := &inv.Disks[i]
			if d.Name == dev || d.KName == n {
				ex.disks[d.Name], found, mps = true, true, diskMounts(d)
			}
			for _, p := range d.PhysicalVolumes {
				if p.Name == dev {
					ex.parts[p.Name], found, mps = true, true, mountsOf(p.MountPoint, p.OtherMountPoints)
				}
			}
		}
		for _, vg := range inv.VolumeGroups {
			for _, lv := range vg.LogicalVolumes {
				full := vg.Name + "/" + lv.Name
				if n == full || n == "/dev/"+full || (lv.Path != "" && n == lv.Path) || (lv.DMName != "" && n == "/dev/mapper/"+lv.DMName) {
					ex.lvs[full], found, mps = true, true, mountsOf(lv.MountPoint, lv.OtherMountPoints)
				}
			}
		}
		if !found {
			return ex, fmt.Errorf("--exclude %s: no disk, partition or logical volume of that name in the inventory", raw)
		}
		for _, mp := range mps {
			if bootCritical(mp) {
				return ex, fmt.Errorf("--exclude %s: it holds %s, without which the target cannot boot", raw, mp)
			}
		}
	}
	return ex, nil
}

// bootCritical reports whether the target cannot boot without what is mounted at mp.
func bootCritical(mp string) bool { return mp == "/" || mp == "/boot" || mp == "/boot/efi" }

// diskMounts is every mount point of a disk's content (partitions or the whole disk).
func diskMounts(d *inventory.Disk) []string {
	out := mountsOf(d.MountPoint, d.OtherMountPoints)
	for _, p := range d.PhysicalVolumes {
		out = append(out, mountsOf(p.MountPoint, p.OtherMountPoints)...)
	}
	return out
}

func mountsOf(mp string, others []string) []string {
	if mp == "" {
		return others
	}
	return append([]string{mp}, others...)
}

// planVolumes places the VGs and btrfs filesystems: those on migrated devices are
// sent, those wholly on excluded (or unknown) devices are not; one split between the
// two is an error. VGs SMS does not support are left out and named.
func (p *Plan) planVolumes(ex excludes) error {
	migrated, all := p.deviceSets()
	unsupported := p.unsupportedVGs()
	for i := range p.Inv.VolumeGroups {
		vg := &p.Inv.VolumeGroups[i]
		members := p.members(vg.PVDevices, vg.Disks, vg.Components, all)
		ok, err := placement("volume group "+vg.Name, members, migrated, all)
		if err != nil {
			return err
		}
		if !ok {
			if onAny(members, all) {
				p.Left = append(p.Left, LeftOut{What: "volume group " + vg.Name, Reason: "as its devices are excluded (--exclude)", Kind: LeftExcluded, MountPoints: vgMounts(vg)})
			}
			continue
		}
		if u, bad := unsupported[vg.UUID]; bad {
			u.MountPoints = vgMounts(vg)
			p.Left = append(p.Left, u)
			continue
		}
		pv := PlannedVG{VG: vg, Target: vg.Size}
		for j := range vg.LogicalVolumes {
			lv := &vg.LogicalVolumes[j]
			full := vg.Name + "/" + lv.Name
			mps := mountsOf(lv.MountPoint, lv.OtherMountPoints)
			switch {
			case ex.lvs[full]:
				p.Left = append(p.Left, LeftOut{What: "logical volume " + full, Reason: "by --exclude", Kind: LeftExcluded, MountPoints: mps})
			case !lv.Migrate:
				if len(mps) > 0 { // a mounted snapshot (or sub-LV) holds data that is not copied
					p.Left = append(p.Left, LeftOut{What: "logical volume " + full, Reason: lvNotCopied(lv), Kind: LeftSnapshot, MountPoints: mps})
				}
			case p.isNestedPV(lv):
				// Its content is a VG of its own, left out above: nothing to copy as a filesystem.
			default:
				pv.LVs = append(pv.LVs, PlannedLV{LV: lv, Target: lv.Size})
			}
		}
		p.VolumeGroups = append(p.VolumeGroups, pv)
	}
	for i := range p.Inv.BtrfsList {
		fs := p.Inv.BtrfsList[i]
		members := p.members(fs.Devices, fs.Disks, fs.Devices, all)
		ok, err := placement("btrfs "+fs.UUID, members, migrated, all)
		if err != nil {
			return err
		}
		switch {
		case ok:
			p.Btrfs = append(p.Btrfs, fs)
		case onAny(members, all):
			p.Left = append(p.Left, LeftOut{What: "btrfs " + fs.UUID, Reason: "as its devices are excluded (--exclude)", Kind: LeftExcluded, MountPoints: btrfsMounts(fs)})
		}
	}
	return nil
}

// onAny reports whether any of the devices is in the set.
func onAny(devs []string, set map[string]bool) bool {
	for _, d := range devs {
		if set[d] || set[strings.TrimPrefix(d, "/dev/")] {
			return true
		}
	}
	return false
}

// btrfsMounts is every mount point of a btrfs filesystem: its primary one and its
// mounted subvolumes'.
func btrfsMounts(fs inventory.BtrfsFileSystem) []string {
	out := mountsOf(fs.MountPoint, nil)
	for _, s := range fs.Subvolume {
		if s.SubvolMountPath != "" && s.SubvolMountPath != fs.MountPoint {
			out = append(out, s.SubvolMountPath)
		}
	}
	return out
}

// lvNotCopied says why a mounted LV that is not a data volume is not copied.
func lvNotCopied(lv *inventory.LogicalVolume) string {
	if lv.Snapshot {
		return "a snapshot of " + lv.Origin + " (only its origin is migrated)"
	}
	return "an internal " + lv.Kind + " volume"
}

// deviceSets are the device names (disk and partition, /dev/x and x) that are
// migrated, and those of every disk of the inventory. An excluded partition is in
// all but not in migrated.
func (p *Plan) deviceSets() (migrated, all map[string]bool) {
	migrated, all = map[string]bool{}, map[string]bool{}
	add := func(s map[string]bool, names ...string) {
		for _, n := range names {
			s[n], s[strings.TrimPrefix(n, "/dev/")] = true, true
		}
	}
	for _, d := range p.Inv.Disks {
		add(all, d.Name)
		for _, q := range d.PhysicalVolumes {
			add(all, q.Name)
		}
	}
	for _, pd := range p.Disks {
		add(migrated, pd.Disk.Name)
		for _, v := range pd.Volumes {
			if v.Migrate {
				add(migrated, v.Name)
			}
		}
	}
	return migrated, all
}

// placement tells whether members lie on migrated disks: all, none, or some (an error).
func placement(what string, members []string, migrated, all map[string]bool) (include bool, err error) {
	var in, out []string
	for _, m := range members {
		switch {
		case migrated[m] || migrated[strings.TrimPrefix(m, "/dev/")]:
			in = append(in, m)
		case all[m] || all[strings.TrimPrefix(m, "/dev/")]:
			out = append(out, m)
		}
	}
	if len(in) > 0 && len(out) > 0 {
		return false, fmt.Errorf("%s lies on migrated (%s) and excluded (%s) devices: migrate all of them or none",
			what, strings.Join(in, ", "), strings.Join(out, ", "))
	}
	return len(in) > 0, nil
}

// members are the partitions and disks a volume (VG or btrfs) lies on, so that
// placement can tell whether they are migrated: its devices themselves when they are
// partitions or disks, the devices under a stacked device (a PV on LUKS lies on the
// LUKS partition), else the disks the inventory traced it to (a PV on an LV),
// else the names lvm or btrfs gave (inventories from before the trace).
func (p *Plan) members(devs, disks, names []string, all map[string]bool) []string {
	slaves := map[string][]string{}
	for _, s := range p.Inv.Stacked {
		slaves[s.Name] = s.Slaves
		if s.DMName != "" {
			slaves["/dev/mapper/"+s.DMName] = s.Slaves
		}
	}
	var out []string
	for _, d := range devs {
		switch {
		case all[d]:
			out = append(out, d)
		case len(slaves[d]) > 0:
			out = append(out, slaves[d]...)
		default:
			return append(out, disks...)
		}
	}
	switch {
	case len(out) > 0:
		return out
	case len(disks) > 0:
		return disks
	}
	return names
}

// unsupportedVGs finds the volume groups SMS does not support (sms-api.md §4):
// duplicate names, a PV on an LV (nested LVM), a PV on an encrypted or other stacked
// device. Each is left out, by VG UUID.
func (p *Plan) unsupportedVGs() map[string]LeftOut {
	out := map[string]LeftOut{}
	count := map[string]int{}
	for _, vg := range p.Inv.VolumeGroups {
		count[vg.Name]++
	}
	lvDev := map[string]string{} // /dev/dm-N → vg/lv
	for _, vg := range p.Inv.VolumeGroups {
		for _, lv := range vg.LogicalVolumes {
			if lv.Device != "" {
				lvDev[lv.Device] = vg.Name + "/" + lv.Name
			}
		}
	}
	stacked := map[string]inventory.StackedDevice{}
	for _, s := range p.Inv.Stacked {
		stacked[s.Name] = s
		if s.DMName != "" {
			stacked["/dev/mapper/"+s.DMName] = s
		}
	}
	for _, vg := range p.Inv.VolumeGroups {
		what := "volume group " + vg.Name
		if count[vg.Name] > 1 {
			out[vg.UUID] = LeftOut{What: what + " (" + vg.UUID + ")", Kind: LeftDuplicateVG, Unsupported: true,
				Reason: fmt.Sprintf("as %d volume groups are named %s, which SMS does not support", count[vg.Name], vg.Name)}
			continue
		}
		for _, dev := range append(append([]string{}, vg.PVDevices...), vg.Components...) {
			if lv, ok := lvDev[dev]; ok {
				out[vg.UUID] = LeftOut{What: what, Kind: LeftNested, Unsupported: true,
					Reason: "as its physical volume is logical volume " + lv + " (nested LVM, which SMS does not support)"}
				break
			}
			if s, ok := stacked[dev]; ok {
				kind, why := LeftStacked, "a "+s.Kind+" device"
				if s.Kind == "crypt" {
					kind, why = LeftEncrypted, "an encrypted (LUKS) device"
				}
				out[vg.UUID] = LeftOut{What: what, Kind: kind, Unsupported: true,
					Reason: fmt.Sprintf("as its physical volume %s is %s on %s (SMS does not migrate %s)", dev, why, strings.Join(s.Disks, ", "), stackedNoun(s.Kind))}
				break
			}
		}
	}
	return out
}

// stackedNoun names what SMS does not migrate, by stacked kind.
func stackedNoun(kind string) string {
	switch kind {
	case "crypt":
		return "encrypted volumes"
	case "md":
		return "md RAID arrays"
	case "multipath":
		return "multipath devices"
	}
	return "device-mapper devices"
}

// isNestedPV reports whether lv is the PV of another VG.
func (p *Plan) isNestedPV(lv *inventory.LogicalVolume) bool {
	for _, vg := range p.Inv.VolumeGroups {
		for _, dev := range vg.PVDevices {
			if lv.Device != "" && dev == lv.Device {
				return true
			}
		}
		for _, c := range vg.Components {
			if (lv.Path != "" && c == lv.Path) || (lv.DMName != "" && c == "/dev/mapper/"+lv.DMName) {
				return true
			}
		}
	}
	return false
}

// vgMounts is every mount point of a VG's LVs.
func vgMounts(vg *inventory.VolumeGroup) []string {
	var out []string
	for _, lv := range vg.LogicalVolumes {
		out = append(out, mountsOf(lv.MountPoint, lv.OtherMountPoints)...)
	}
	return out
}

// leaveStacked names the LUKS, md and multipath devices on migrated disks: SMS copies
// none of them (sms-api.md §4), so what they hold stays behind. Those under a VG that
// was left out already are named with it.
func (p *Plan) leaveStacked() {
	underVG := map[string]bool{}
	for _, vg := range p.Inv.VolumeGroups {
		for _, d := range vg.PVDevices {
			underVG[d] = true
		}
	}
	onMigrated := map[string]bool{}
	for _, pd := range p.Disks {
		onMigrated[pd.Disk.Name] = true
	}
	for _, s := range p.Inv.Stacked {
		on := false
		for _, d := range s.Disks {
			on = on || onMigrated[d]
		}
		if !on || underVG[s.Name] {
			continue
		}
		kind := LeftStacked
		if s.Kind == "crypt" {
			kind = LeftEncrypted
		}
		holds := s.FileSystem
		if holds == "" {
			holds = "nothing recognised"
		}
		p.Left = append(p.Left, LeftOut{
			What: fmt.Sprintf("%s device %s (%s)", s.Kind, s.Name, strings.Join(s.Slaves, ", ")), Kind: kind,
			Reason:      fmt.Sprintf("holding %s (SMS does not migrate %s)", holds, stackedNoun(s.Kind)),
			MountPoints: mountsOf(s.MountPoint, s.OtherMountPoints),
		})
	}
	sort.SliceStable(p.Left, func(i, j int) bool { return p.Left[i].Unsupported && !p.Left[j].Unsupported })
}
