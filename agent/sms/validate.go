package sms

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// Limits documented for the bodies (seed and sms-api.md).
const (
	maxInt32        = 2147483647
	maxStr          = 255
	maxArray        = 65535
	maxLVsPerVG     = 255
	maxBlockSize    = 1048576
	maxPriority     = 65535
	maxSourceName   = 64
	maxSourceDisks  = 50
	maxTargetDisks  = 23              // one target slot is reserved by SMS
	maxLinuxDiskTiB = int64(16) << 40 // Linux target disks ≤ 16 TiB
	maxLVName       = 1024
	maxLVMountPoint = 256
)

// Violation is one broken constraint, at a JSON path such as
// "target_server.disks[1].physical_volumes[0].mount_point".
type Violation struct {
	Path    string
	Message string
}

func (v Violation) String() string { return v.Path + ": " + v.Message }

// ValidationError lists every violation of a body; nothing is sent when it is returned.
type ValidationError struct {
	Body       string // "PostTask" or "PostSourceServerBody"
	Violations []Violation
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s is invalid (%d problem(s)): ", e.Body, len(e.Violations))
	for i, v := range e.Violations {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v.String())
	}
	return b.String()
}

type checker struct{ vs []Violation }

func (c *checker) add(path, format string, args ...any) {
	c.vs = append(c.vs, Violation{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) str(path, s string, min, max int) {
	n := utf8.RuneCountInString(s)
	switch {
	case n > max:
		c.add(path, "%d chars > %d", n, max)
	case n < min:
		if n == 0 {
			c.add(path, "required, must not be empty")
		} else {
			c.add(path, "%d chars < %d", n, min)
		}
	}
}

func (c *checker) num(path string, v, min, max int64) {
	if v < min {
		c.add(path, "%d < %d", v, min)
	} else if v > max {
		c.add(path, "%d > %d", v, max)
	}
}

func (c *checker) optNum(path string, v *int64, min, max int64) {
	if v != nil {
		c.num(path, *v, min, max)
	}
}

func (c *checker) enum(path, s string, allowed ...string) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	if s == "" {
		c.add(path, "required, one of %s", strings.Join(allowed, ", "))
		return
	}
	c.add(path, "%q is not one of %s", s, strings.Join(allowed, ", "))
}

func (c *checker) optEnum(path, s string, allowed ...string) {
	if s != "" {
		c.enum(path, s, allowed...)
	}
}

// array checks a length; required arrays must not be nil (they would be sent as null).
func (c *checker) array(path string, isNil bool, n, max int, required bool) {
	if isNil && required {
		c.add(path, "required, must be an array (send [] when empty)")
		return
	}
	if n > max {
		c.add(path, "%d items > %d", n, max)
	}
}

const i64max = int64(^uint64(0) >> 1)

// ValidatePostTask checks every documented constraint of a CreateTask body, and the
// service-side limits SMS is known to enforce (≤ 23 disks, Linux disks ≤ 16 TiB, a VG
// larger than the sum of its LVs). It returns nil or a *ValidationError.
func ValidatePostTask(t *PostTask) error {
	c := &checker{}
	c.str("name", t.Name, 0, maxStr)
	c.enum("type", t.Type, TypeFile, TypeBlock)
	c.enum("os_type", t.OSType, OSLinux, OSWindows)
	if t.SourceServer.ID == "" {
		c.add("source_server.id", "required, must not be empty")
	}
	c.str("source_server.id", t.SourceServer.ID, 0, maxStr)
	c.str("migration_ip", t.MigrationIP, 0, maxStr)
	if t.MigrationIP != "" && utf8.RuneCountInString(t.MigrationIP) <= maxStr {
		ip, err := netip.ParseAddr(t.MigrationIP)
		v6 := t.UseIPv6 != nil && *t.UseIPv6
		switch {
		case err != nil:
			c.add("migration_ip", "%q is not an IP address", t.MigrationIP)
		case v6 && !ip.Is6():
			c.add("migration_ip", "%q is not IPv6 but use_ipv6 is true", t.MigrationIP)
		case !v6 && !ip.Is4():
			c.add("migration_ip", "%q is not IPv4 (set use_ipv6 for IPv6)", t.MigrationIP)
		}
	}
	c.str("region_name", t.RegionName, 0, maxStr)
	c.str("region_id", t.RegionID, 0, maxStr)
	c.str("project_name", t.ProjectName, 0, maxStr)
	c.str("project_id", t.ProjectID, 0, maxStr)
	c.optNum("priority", t.Priority, 0, maxPriority)
	c.str("vm_template_id", t.VMTemplateID, 0, maxStr)

	ts := &t.TargetServer
	c.array("target_server.btrfs_list", ts.BtrfsList == nil, len(ts.BtrfsList), maxArray, false)
	c.array("target_server.disks", ts.Disks == nil, len(ts.Disks), maxArray, true)
	if len(ts.Disks) > maxTargetDisks {
		c.add("target_server.disks", "%d disks > %d (SMS reserves one of the target's 24 slots)", len(ts.Disks), maxTargetDisks)
	}
	c.str("target_server.name", ts.Name, 0, maxStr)
	c.str("target_server.vm_id", ts.VMID, 0, maxStr)
	c.array("target_server.volume_groups", ts.VolumeGroups == nil, len(ts.VolumeGroups), maxArray, false)
	for i, d := range ts.Disks {
		p := fmt.Sprintf("target_server.disks[%d]", i)
		c.optEnum(p+".device_use", d.DeviceUse, UseBoot, UseOS, UseNormal)
		c.str(p+".disk_id", d.DiskID, 0, maxStr)
		c.str(p+".name", d.Name, 0, maxStr)
		c.array(p+".physical_volumes", d.PhysicalVolumes == nil, len(d.PhysicalVolumes), maxArray, true)
		c.num(p+".size", d.Size, 0, i64max)
		c.num(p+".used_size", d.UsedSize, 0, i64max)
		if t.OSType == OSLinux && d.Size > maxLinuxDiskTiB {
			c.add(p+".size", "%d bytes > 16 TiB, the largest Linux target disk", d.Size)
		}
		for j, pv := range d.PhysicalVolumes {
			checkPhysicalVolumes(c, fmt.Sprintf("%s.physical_volumes[%d]", p, j), &pv)
		}
	}
	for i := range ts.VolumeGroups {
		checkVolumeGroup(c, fmt.Sprintf("target_server.volume_groups[%d]", i), &ts.VolumeGroups[i])
	}
	for i := range ts.BtrfsList {
		checkBtrfs(c, fmt.Sprintf("target_server.btrfs_list[%d]", i), &ts.BtrfsList[i])
	}
	return c.result("PostTask")
}

func (c *checker) result(body string) error {
	if len(c.vs) == 0 {
		return nil
	}
	return &ValidationError{Body: body, Violations: c.vs}
}

func checkPhysicalVolumes(c *checker, p string, pv *PhysicalVolumes) {
	c.str(p+".device_use", pv.DeviceUse, 0, maxStr)
	c.str(p+".file_system", pv.FileSystem, 0, maxStr)
	c.optNum(p+".index", pv.Index, 0, maxInt32)
	c.str(p+".mount_point", pv.MountPoint, 0, maxStr)
	c.str(p+".name", pv.Name, 0, maxStr)
	c.optNum(p+".size", pv.Size, 0, i64max)
	c.optNum(p+".inode_size", pv.InodeSize, 0, i64max)
	c.optNum(p+".used_size", pv.UsedSize, 0, i64max)
	c.str(p+".uuid", pv.UUID, 0, maxStr)
}

func checkVolumeGroup(c *checker, p string, vg *VolumeGroups) {
	c.str(p+".components", vg.Components, 0, maxStr)
	c.optNum(p+".free_size", vg.FreeSize, 0, i64max)
	c.array(p+".logical_volumes", false, len(vg.LogicalVolumes), maxLVsPerVG, false)
	c.str(p+".name", vg.Name, 0, maxStr)
	c.optNum(p+".size", vg.Size, 0, i64max)
	var sum int64
	for j := range vg.LogicalVolumes {
		lv := &vg.LogicalVolumes[j]
		q := fmt.Sprintf("%s.logical_volumes[%d]", p, j)
		c.optNum(q+".block_count", lv.BlockCount, 0, maxInt32)
		c.optNum(q+".block_size", lv.BlockSize, 0, maxBlockSize)
		c.str(q+".file_system", lv.FileSystem, 0, maxStr)
		c.num(q+".inode_size", lv.InodeSize, 0, maxInt32)
		c.optNum(q+".inode_nums", lv.InodeNums, 0, i64max)
		c.str(q+".device_use", lv.DeviceUse, 0, maxStr)
		c.str(q+".mount_point", lv.MountPoint, 0, maxLVMountPoint)
		c.str(q+".name", lv.Name, 0, maxLVName)
		c.num(q+".size", lv.Size, 0, i64max)
		c.num(q+".used_size", lv.UsedSize, 0, i64max)
		c.num(q+".free_size", lv.FreeSize, 0, i64max)
		sum += lv.Size
	}
	if vg.Size != nil && sum > *vg.Size {
		c.add(p+".size", "%d bytes < %d, the sum of its logical volumes", *vg.Size, sum)
	}
}

func checkBtrfs(c *checker, p string, b *BtrfsFileSystem) {
	for _, f := range []struct{ name, v string }{
		{"name", b.Name}, {"label", b.Label}, {"uuid", b.UUID}, {"device", b.Device},
		{"data_profile", b.DataProfile}, {"system_profile", b.SystemProfile},
		{"metadata_profile", b.MetadataProfile}, {"global_reserve1", b.GlobalReserve1},
		{"default_subvolid", b.DefaultSubvolID}, {"default_subvol_name", b.DefaultSubvolName},
		{"default_subvol_mountpath", b.DefaultSubvolMountpath},
	} {
		c.str(p+"."+f.name, f.v, 0, maxStr)
	}
	c.num(p+".size", b.Size, 0, i64max)
	c.num(p+".nodesize", b.Nodesize, 0, i64max)
	c.num(p+".sectorsize", b.Sectorsize, 0, maxInt32)
	c.num(p+".g_vol_used_size", b.GVolUsedSize, 0, i64max)
	c.array(p+".subvolumn", b.Subvolumn == nil, len(b.Subvolumn), maxArray, true)
	for j, s := range b.Subvolumn {
		q := fmt.Sprintf("%s.subvolumn[%d]", p, j)
		for _, f := range []struct{ name, v string }{
			{"uuid", s.UUID}, {"is_snapshot", s.IsSnapshot}, {"subvol_id", s.SubvolID},
			{"parent_id", s.ParentID}, {"subvol_name", s.SubvolName}, {"subvol_mount_path", s.SubvolMountPath},
		} {
			c.str(q+"."+f.name, f.v, 0, maxStr)
		}
	}
}

// ValidateSourceBody checks a registration body against sms-api.md §2.
func ValidateSourceBody(s *PostSourceServerBody) error {
	c := &checker{}
	c.str("name", s.Name, 1, maxSourceName)
	if s.IP == "" && s.IPv6 == "" {
		c.add("ip", "required (or ipv6): the source has no usable address")
	}
	if s.IP != "" {
		if a, err := netip.ParseAddr(s.IP); err != nil || !a.Is4() {
			c.add("ip", "%q is not an IPv4 address", s.IP)
		}
	}
	if s.IPv6 != "" {
		if a, err := netip.ParseAddr(s.IPv6); err != nil || !a.Is6() {
			c.add("ipv6", "%q is not an IPv6 address", s.IPv6)
		}
	}
	c.enum("os_type", s.OSType, OSLinux, OSWindows)
	c.str("os_version", s.OSVersion, 1, maxStr)
	c.optEnum("firmware", s.Firmware, "BIOS", "UEFI")
	c.optNum("cpu_quantity", s.CPUQuantity, 0, maxInt32)
	c.optNum("memory", s.Memory, 0, i64max)
	c.array("disks", s.Disks == nil, len(s.Disks), maxSourceDisks, false)
	linux := s.OSType == OSLinux
	c.array("volume_groups", s.VolumeGroups == nil, len(s.VolumeGroups), maxArray, linux)
	c.array("btrfs_list", s.BtrfsList == nil, len(s.BtrfsList), maxArray, linux)
	if len(s.Networks) == 0 {
		c.add("networks", "required: at least one interface with a MAC address")
	} else if s.Networks[0].MAC == "" {
		c.add("networks[0].mac", "required, must not be empty")
	}
	c.str("agent_version", s.AgentVersion, 1, maxStr)
	c.optEnum("boot_loader", s.BootLoader, "GRUB", "LILO")
	c.optEnum("platform", s.Platform, "hw", "ali", "aws", "azure", "gcp", "tencent", "vmware", "hyperv", "other", "default")
	for i, d := range s.Disks {
		p := fmt.Sprintf("disks[%d]", i)
		c.str(p+".name", d.Name, 1, maxStr)
		c.optEnum(p+".partition_style", d.PartitionStyle, "MBR", "GPT")
		c.enum(p+".device_use", d.DeviceUse, UseNormal, UseOS, UseBoot, UseVolumeGroup, UseBtrfs)
		c.num(p+".size", d.Size, 0, i64max)
		c.num(p+".used_size", d.UsedSize, 0, i64max)
		c.array(p+".physical_volumes", d.PhysicalVolumes == nil, len(d.PhysicalVolumes), maxArray, true)
		c.optNum(p+".inode_size", d.InodeSize, 0, maxInt32)
		for j, pv := range d.PhysicalVolumes {
			q := fmt.Sprintf("%s.physical_volumes[%d]", p, j)
			c.optEnum(q+".device_use", pv.DeviceUse, UseNormal, UseOS, UseBoot, UseVolumeGroup, UseBtrfs)
			c.str(q+".file_system", pv.FileSystem, 0, maxStr)
			c.optNum(q+".index", pv.Index, 0, maxInt32)
			c.str(q+".mount_point", pv.MountPoint, 0, maxStr)
			c.str(q+".name", pv.Name, 0, maxStr)
			c.optNum(q+".size", pv.Size, 0, i64max)
			c.optNum(q+".used_size", pv.UsedSize, 0, i64max)
			c.optNum(q+".inode_size", pv.InodeSize, 0, maxInt32)
			c.optNum(q+".inode_nums", pv.InodeNums, 0, i64max)
			c.str(q+".uuid", pv.UUID, 0, maxStr)
			c.optNum(q+".size_per_cluster", pv.SizePerCluster, 0, maxInt32)
		}
	}
	for i := range s.VolumeGroups {
		checkVolumeGroup(c, fmt.Sprintf("volume_groups[%d]", i), &s.VolumeGroups[i])
	}
	for i := range s.BtrfsList {
		checkBtrfs(c, fmt.Sprintf("btrfs_list[%d]", i), &s.BtrfsList[i])
	}
	for i, n := range s.Networks {
		p := fmt.Sprintf("networks[%d]", i)
		c.optNum(p+".mtu", n.MTU, 0, maxInt32)
		if n.IP != "" {
			if _, err := netip.ParseAddr(n.IP); err != nil {
				c.add(p+".ip", "%q is not an IP address", n.IP)
			}
		}
	}
	return c.result("PostSourceServerBody")
}
