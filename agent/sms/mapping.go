package sms

import (
	"fmt"

	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/collectors/hostfacts"
)

// TargetOptions name the target VM.
type TargetOptions struct {
	Name    string            // target VM name (target_server.name)
	VMID    string            // existing target VM id; "" lets SMS create one
	DiskIDs map[string]string // source disk (/dev/vda or vda) → target EVS disk id
}

// BuildTargetServer is the task's target layout: one TargetDisks per planned disk in
// inventory order, its migrated volumes as PhysicalVolumes at their target sizes, and
// the planned volume groups and btrfs filesystems. It fails when a disk id names no
// planned disk. docs/mapping.md states every rule.
func BuildTargetServer(p *Plan, opts TargetOptions) (TargetServerByTask, error) {
	ts := TargetServerByTask{
		Name: opts.Name, VMID: opts.VMID,
		Disks: []TargetDisks{}, VolumeGroups: []VolumeGroups{}, BtrfsList: []BtrfsFileSystem{},
	}
	used := map[string]bool{} // the --disk-ids keys that named a planned disk
	for _, pd := range p.Disks {
		key, id := lookupDisk(opts.DiskIDs, pd.Disk)
		if key != "" {
			used[key] = true
		}
		ts.Disks = append(ts.Disks, targetDisk(pd, id))
	}
	for k := range opts.DiskIDs {
		if !used[k] {
			return ts, fmt.Errorf("disk id for %s: no migrated disk of that name", k)
		}
	}
	for _, vg := range p.VolumeGroups {
		ts.VolumeGroups = append(ts.VolumeGroups, volumeGroup(vg, true))
	}
	for _, fs := range p.Btrfs {
		ts.BtrfsList = append(ts.BtrfsList, btrfsFileSystem(fs))
	}
	windowsTargetFields(&ts, p.Inv.Host)
	return ts, nil
}

// lookupDisk finds the disk's id by its name or kernel name; key is the one that
// matched ("" when neither).
func lookupDisk(ids map[string]string, d *inventory.Disk) (key, id string) {
	for _, k := range []string{d.Name, d.KName} {
		if id, ok := ids[k]; ok {
			return k, id
		}
	}
	return "", ""
}

// targetDisk is a planned disk as the task sends it: the migrated volumes only, at
// their target sizes; used_size is theirs.
func targetDisk(pd PlannedDisk, diskID string) TargetDisks {
	td := TargetDisks{
		Name: pd.Disk.Name, DiskID: diskID, Size: pd.Target, DeviceUse: diskUse(pd.Disk.DeviceUse),
		PhysicalVolumes: []PhysicalVolumes{},
	}
	for _, v := range pd.Volumes {
		if !v.Migrate {
			continue
		}
		pv := PhysicalVolumes{
			DeviceUse: volumeUse(v), FileSystem: v.FileSystem, Index: ptr(v.Index()), MountPoint: v.MountPoint,
			Name: v.Name, Size: ptr(v.Target), UUID: v.UUID,
		}
		if u := v.Usage; u != nil { // used size and inodes are known only for a mounted filesystem
			pv.UsedSize, pv.InodeSize = ptr(u.UsedSize), ptr(u.InodeNums)
		}
		td.PhysicalVolumes = append(td.PhysicalVolumes, pv)
		td.UsedSize += v.Used
	}
	return td
}

// diskUse is a disk's device_use in the task: the inventory's when it is BOOT, OS or
// NORMAL (TargetDisks' enum); VOLUME_GROUP and BTRFS disks are NORMAL.
func diskUse(use string) string {
	switch use {
	case UseBoot, UseOS, UseNormal:
		return use
	case "":
		return ""
	}
	return UseNormal
}

// volumeUse is a volume's device_use in both bodies, from the seed's enum for
// partitions (普通分区, 启动分区, 系统分区: NORMAL, BOOT, OS): BOOT for the EFI system
// partition or what is mounted on /boot or /boot/efi, OS for /, else NORMAL — an LVM
// PV or btrfs member too (the LV or filesystem on it carries its own use).
func volumeUse(v PlannedVolume) string {
	switch {
	case inventory.IsESPType(v.PartType) || inventory.IsBootMount(v.MountPoint):
		return UseBoot
	case v.MountPoint == "/":
		return UseOS
	}
	return UseNormal
}

// SourceOptions are the registration facts that are not in the inventory.
type SourceOptions struct {
	Name         string // the source's name in SMS (1–64); default the hostname
	AgentVersion string
}

// BuildSourceBody assembles the registration body from the plan (its source side) and
// the host facts. warnings says what is sent in a degraded form (an OS SMS does not
// list).
func BuildSourceBody(p *Plan, facts HostFacts, opts SourceOptions) (*PostSourceServerBody, []string) {
	h := p.Inv.Host
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
		Disks: []ServerDisk{}, Networks: netWorks(facts.Networks), VolumeGroups: []VolumeGroups{}, BtrfsList: []BtrfsFileSystem{},
		HasRsync: facts.HasRsync, HasTc: facts.HasTc, Paravirtualization: facts.Paravirtualization,
		RawDevices: facts.RawDevices, BootLoader: facts.BootLoader,
	}
	if h.CPUQuantity > 0 {
		b.CPUQuantity = ptr(int64(h.CPUQuantity))
	}
	if h.MemoryBytes > 0 {
		b.Memory = ptr(h.MemoryBytes >> 20)
	}
	b.IP, b.IPv6 = primaryAddresses(b.Networks)
	for _, pd := range p.Disks {
		b.Disks = append(b.Disks, serverDisk(pd))
	}
	for _, vg := range p.VolumeGroups {
		b.VolumeGroups = append(b.VolumeGroups, volumeGroup(vg, false))
	}
	for _, fs := range p.Btrfs {
		b.BtrfsList = append(b.BtrfsList, btrfsFileSystem(fs))
	}
	windowsSourceFields(b, h)
	return b, warns
}

// netWorks is the interfaces as registration sends them (never null).
func netWorks(nets []hostfacts.Network) []NetWork {
	out := make([]NetWork, 0, len(nets))
	for _, n := range nets {
		out = append(out, NetWork{Name: n.Name, IP: n.IP, IPv6: n.IPv6, Netmask: n.Netmask, Gateway: n.Gateway, MTU: n.MTU, MAC: n.MAC})
	}
	return out
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

// serverDisk is a planned disk as registered: the source as it is, every volume of it
// (excluded partitions too: they exist on the source) at its source size.
func serverDisk(pd PlannedDisk) ServerDisk {
	d := pd.Disk
	use := d.DeviceUse
	if use == "" {
		use = UseNormal
	}
	sd := ServerDisk{
		Name: d.Name, PartitionStyle: d.PartitionStyle, DeviceUse: use, Size: d.Size,
		UsedSize: d.UsedSize, PhysicalVolumes: []PhysicalVolume{}, OSDisk: ptr(d.OSDisk),
	}
	for _, v := range pd.Volumes {
		pv := PhysicalVolume{
			DeviceUse: volumeUse(v), FileSystem: v.FileSystem, Index: ptr(v.Index()),
			MountPoint: v.MountPoint, Name: v.Name, Size: ptr(v.Size), UUID: v.UUID, SizePerCluster: sizePerCluster(v.SizePerCluster),
		}
		if u := v.Usage; u != nil {
			pv.UsedSize, pv.InodeSize, pv.InodeNums = ptr(u.UsedSize), ptr(u.InodeNums), ptr(u.InodeNums)
		}
		sd.PhysicalVolumes = append(sd.PhysicalVolumes, pv)
	}
	return sd
}
