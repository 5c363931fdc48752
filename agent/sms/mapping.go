package sms

import (
	"fmt"
	"strings"

	"github.com/sms-agent/sms-agent/agent/inventory"
)

// TargetOptions shapes the target layout. docs/mapping.md states every rule.
type TargetOptions struct {
	Name    string            // target VM name (target_server.name)
	VMID    string            // existing target VM id; "" lets SMS create one
	DiskIDs map[string]string // source disk (/dev/vda or vda) → target EVS disk id
	Exclude []string          // source disks (/dev/vdb or vdb) left out of the migration
}

// BuildTargetServer mirrors the source layout: one TargetDisks per migrated disk in
// inventory order, each partition a PhysicalVolumes, and the volume groups and btrfs
// filesystems that live on migrated disks. warnings lists what SMS requires but the
// inventory does not know (sent as 0 or ""). It fails when a volume group or btrfs
// filesystem spans both a migrated and an excluded disk, or a disk id names no disk.
func BuildTargetServer(inv *inventory.Inventory, opts TargetOptions) (TargetServerByTask, []string, error) {
	ts := TargetServerByTask{
		Name: opts.Name, VMID: opts.VMID,
		Disks: []TargetDisks{}, VolumeGroups: []VolumeGroups{}, BtrfsList: []BtrfsFileSystem{},
	}
	disks, err := migratedDisks(inv, opts.Exclude)
	if err != nil {
		return ts, nil, err
	}
	used := map[string]bool{} // the --disk-ids keys that named a migrated disk
	for _, d := range disks {
		key, id := lookupDisk(opts.DiskIDs, d)
		if key != "" {
			used[key] = true
		}
		ts.Disks = append(ts.Disks, targetDisk(d, id))
	}
	for k := range opts.DiskIDs {
		if !used[k] {
			return ts, nil, fmt.Errorf("disk id for %s: no migrated disk of that name", k)
		}
	}
	vgs, btrfs, warns, err := layoutVolumes(inv, disks)
	if err != nil {
		return ts, nil, err
	}
	ts.VolumeGroups, ts.BtrfsList = vgs, btrfs
	windowsTargetFields(&ts, inv.Host)
	return ts, warns, nil
}

// lookupDisk finds the disk's id by its name or kernel name; key is the one that
// matched ("" when neither).
func lookupDisk(ids map[string]string, d inventory.Disk) (key, id string) {
	for _, k := range []string{d.Name, d.KName} {
		if id, ok := ids[k]; ok {
			return k, id
		}
	}
	return "", ""
}

// migratedDisks is the inventory's disks minus the excluded ones, in order.
func migratedDisks(inv *inventory.Inventory, exclude []string) ([]inventory.Disk, error) {
	ex := map[string]bool{}
	for _, e := range exclude {
		ex[e] = true
	}
	var out []inventory.Disk
	found := map[string]bool{}
	for _, d := range inv.Disks {
		if ex[d.Name] || ex[d.KName] {
			found[d.Name], found[d.KName] = true, true
			continue
		}
		out = append(out, d)
	}
	for _, e := range exclude {
		if !found[e] {
			return nil, fmt.Errorf("excluded disk %s is not in the inventory", e)
		}
	}
	return out, nil
}

func targetDisk(d inventory.Disk, diskID string) TargetDisks {
	td := TargetDisks{
		Name: d.Name, DiskID: diskID, Size: d.Size, UsedSize: d.UsedSize,
		PhysicalVolumes: []PhysicalVolumes{},
	}
	switch d.DeviceUse {
	case UseBoot, UseOS, UseNormal:
		td.DeviceUse = d.DeviceUse
	case "":
	default: // VOLUME_GROUP, BTRFS: not target disk uses
		td.DeviceUse = UseNormal
	}
	for _, p := range d.PhysicalVolumes {
		td.PhysicalVolumes = append(td.PhysicalVolumes, targetPartition(p))
	}
	if len(d.PhysicalVolumes) == 0 && d.Identity != nil && d.Identity.FileSystem != "" {
		// A filesystem (or LVM PV, btrfs member) on the whole disk: one volume that is
		// the disk itself, so the target gets the filesystem.
		pv := PhysicalVolumes{Name: d.Name, Index: ptr(int64(0)), Size: ptr(d.Size),
			FileSystem: d.Identity.FileSystem, UUID: d.Identity.UUID, MountPoint: d.MountPoint}
		if d.Usage != nil {
			pv.UsedSize, pv.InodeSize = ptr(d.Usage.UsedSize), ptr(d.Usage.InodeNums)
		}
		td.PhysicalVolumes = append(td.PhysicalVolumes, pv)
	}
	return td
}

func targetPartition(p inventory.Partition) PhysicalVolumes {
	pv := PhysicalVolumes{
		DeviceUse: p.DeviceUse, FileSystem: p.FileSystem, Index: ptr(int64(p.Index)),
		MountPoint: p.MountPoint, Name: p.Name, Size: ptr(p.Size), UUID: p.UUID,
	}
	if p.Usage != nil { // used size and inodes are known only for a mounted filesystem
		pv.UsedSize, pv.InodeSize = ptr(p.UsedSize), ptr(p.InodeSize)
	}
	return pv
}

// SourceOptions are the registration facts that are not in the inventory.
type SourceOptions struct {
	Name         string // the source's name in SMS (1–64); default the hostname
	AgentVersion string
	Exclude      []string
}

// BuildSourceBody assembles the registration body from the inventory and host facts.
// warnings says what is sent in a degraded form (an OS SMS does not list, unknown
// required btrfs/LVM values).
func BuildSourceBody(inv *inventory.Inventory, facts HostFacts, opts SourceOptions) (*PostSourceServerBody, []string, error) {
	h := inv.Host
	osType := h.OSType
	if osType == "" {
		osType = OSLinux
	}
	var warns []string
	osv, known := OSVersion(osType, h.OS, facts.ReleaseVersion, h.Arch)
	if !known {
		warns = append(warns, fmt.Sprintf("os_version: SMS does not list %q; sending %s, SMS may refuse the source", h.OS.PrettyName, osv))
	}
	name := opts.Name
	if name == "" {
		name = h.Hostname
	}
	b := &PostSourceServerBody{
		Name: name, Hostname: h.Hostname, OSType: osType, OSVersion: osv,
		Firmware: h.Firmware, KernelVersion: h.KernelVersion, AgentVersion: opts.AgentVersion,
		Disks: []ServerDisk{}, Networks: facts.Networks,
		HasRsync: facts.HasRsync, HasTc: facts.HasTc, Paravirtualization: facts.Paravirtualization,
		RawDevices: facts.RawDevices, BootLoader: facts.BootLoader,
	}
	if b.Networks == nil {
		b.Networks = []NetWork{}
	}
	if h.CPUQuantity > 0 {
		b.CPUQuantity = ptr(int64(h.CPUQuantity))
	}
	if h.MemoryBytes > 0 {
		b.Memory = ptr(h.MemoryBytes >> 20)
	}
	b.IP, b.IPv6 = primaryAddresses(facts.Networks)
	disks, err := migratedDisks(inv, opts.Exclude)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range disks {
		b.Disks = append(b.Disks, serverDisk(d))
	}
	vgs, btrfs, w, err := layoutVolumes(inv, disks)
	if err != nil {
		return nil, nil, err
	}
	warns = append(warns, w...)
	b.VolumeGroups, b.BtrfsList = vgs, btrfs
	windowsSourceFields(b, h)
	return b, warns, nil
}

// primaryAddresses is the first IPv4 and the first IPv6 address of the interfaces, in
// the facts' order (the default route's interface comes first).
func primaryAddresses(nets []NetWork) (ip, ip6 string) {
	for _, n := range nets {
		if ip == "" && n.IP != "" {
			ip = n.IP
		}
		if ip6 == "" && n.IPv6 != "" {
			ip6 = n.IPv6
		}
	}
	return ip, ip6
}

func serverDisk(d inventory.Disk) ServerDisk {
	use := d.DeviceUse
	if use == "" {
		use = UseNormal
	}
	sd := ServerDisk{
		Name: d.Name, PartitionStyle: d.PartitionStyle, DeviceUse: use, Size: d.Size,
		UsedSize: d.UsedSize, PhysicalVolumes: []PhysicalVolume{}, OSDisk: ptr(d.OSDisk),
	}
	for _, p := range d.PhysicalVolumes {
		pv := PhysicalVolume{
			DeviceUse: p.DeviceUse, FileSystem: p.FileSystem, Index: ptr(int64(p.Index)),
			MountPoint: p.MountPoint, Name: p.Name, Size: ptr(p.Size), UUID: p.UUID, SizePerCluster: sizePerCluster(p),
		}
		if p.Usage != nil {
			pv.UsedSize, pv.InodeSize, pv.InodeNums = ptr(p.UsedSize), ptr(p.InodeSize), ptr(p.InodeNums)
		}
		sd.PhysicalVolumes = append(sd.PhysicalVolumes, pv)
	}
	return sd
}

// deviceSet is every device name (disk and partition, /dev/x and x) of the disks.
func deviceSet(disks []inventory.Disk) map[string]bool {
	s := map[string]bool{}
	for _, d := range disks {
		s[d.Name], s[d.KName] = true, true
		for _, p := range d.PhysicalVolumes {
			s[p.Name], s[p.KName] = true, true
		}
	}
	delete(s, "")
	return s
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
