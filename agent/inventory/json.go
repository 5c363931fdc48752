package inventory

import (
	"strconv"
	"unicode/utf8"
)

// MarshalJSON encodes the inventory without reflection, to the bytes encoding/json's
// reflection gives its fields and tags: the same field order (an embedded Identity's
// fields where it is embedded, none for a nil *Identity), omitempty rules, null for a nil
// slice or pointer, and string escapes. encoding/json builds an encoder per type by
// reflection the first time it meets the type, 0.6 ms for these types on the
// development machine: more than a fifth of `discover --json`'s own time. encoding/json
// still compacts what this returns, and escapes <, > and & in it unless told not to, so
// json.Marshal and an Encoder with SetEscapeHTML(false) give what they always gave.
//
// TestMarshalJSONMatchesReflection holds it to encoding/json on every type with every
// field set and unset, on every golden inventory, and FuzzMarshalJSON on any strings. A
// field added to a type and not here fails those tests.
func (inv *Inventory) MarshalJSON() ([]byte, error) {
	if inv == nil {
		return []byte("null"), nil
	}
	w := &jsonWriter{b: make([]byte, 0, 16<<10)}
	inv.appendJSON(w)
	return w.b, nil
}

func (inv *Inventory) appendJSON(w *jsonWriter) {
	o := w.object()
	o.int("schema_version", int64(inv.SchemaVersion))
	inv.Host.appendJSON(o.key("host"))
	appendArray(o.key("disks"), inv.Disks, (*Disk).appendJSON)
	appendArray(o.key("volume_groups"), inv.VolumeGroups, (*VolumeGroup).appendJSON)
	appendArray(o.key("btrfs_list"), inv.BtrfsList, (*BtrfsFileSystem).appendJSON)
	appendArray(o.key("stacked"), inv.Stacked, (*StackedDevice).appendJSON)
	appendArray(o.key("mounts"), inv.Mounts, (*Mount).appendJSON)
	appendArray(o.key("warnings"), inv.Warnings, (*Warning).appendJSON)
	o.end()
}

func (s *StackedDevice) appendJSON(w *jsonWriter) {
	o := w.object()
	o.str("name", s.Name)
	o.str("kname", s.KName)
	o.strOmit("dm_name", s.DMName)
	o.str("kind", s.Kind)
	o.int("size", s.Size)
	o.strs("slaves", s.Slaves)
	o.strs("disks", s.Disks)
	s.Identity.appendFields(&o)
	o.str("mount_point", s.MountPoint)
	o.strsOmit("other_mount_points", s.OtherMountPoints)
	appendUsageOmit(&o, s.Usage)
	o.end()
}

func (x *Warning) appendJSON(w *jsonWriter) {
	o := w.object()
	o.str("source", x.Source)
	o.str("message", x.Message)
	o.end()
}

func (h *Host) appendJSON(w *jsonWriter) {
	o := w.object()
	o.str("hostname", h.Hostname)
	o.str("os_type", h.OSType)
	h.OS.appendJSON(o.key("os"))
	o.str("kernel_version", h.KernelVersion)
	o.str("arch", h.Arch)
	o.str("firmware", h.Firmware)
	o.int("cpu_quantity", int64(h.CPUQuantity))
	o.int("memory_bytes", h.MemoryBytes)
	if h.Windows != nil {
		h.Windows.appendJSON(o.key("windows"))
	}
	o.end()
}

func (h *WindowsHost) appendJSON(w *jsonWriter) {
	o := w.object()
	o.str("product_name", h.ProductName)
	o.str("family", h.Family)
	o.strOmit("display_version", h.DisplayVersion)
	o.str("system_dir", h.SystemDir)
	o.str("system_drive", h.SystemDrive)
	o.boolPtrOmit("administrator", h.Administrator)
	o.str("vss_service", h.VSSService)
	o.boolPtrOmit("driver_files", h.DriverFiles)
	o.strOmit("manufacturer", h.Manufacturer)
	o.strOmit("product", h.Product)
	o.strOmit("bios_vendor", h.BIOSVendor)
	o.strOmit("platform", h.Platform)
	o.end()
}

func (r *OSRelease) appendJSON(w *jsonWriter) {
	o := w.object()
	o.str("id", r.ID)
	o.strOmit("id_like", r.IDLike)
	o.str("name", r.Name)
	o.str("version_id", r.VersionID)
	o.str("pretty_name", r.PrettyName)
	o.end()
}

// appendFields writes Identity's fields into the object it is embedded in.
func (id *Identity) appendFields(o *jsonObject) {
	o.str("file_system", id.FileSystem)
	o.str("uuid", id.UUID)
	o.strOmit("label", id.Label)
	o.strOmit("id_source", id.Source)
}

func (u *Usage) appendJSON(w *jsonWriter) {
	o := w.object()
	o.int("fs_size", u.FSSize)
	o.int("used_size", u.UsedSize)
	o.int("free_size", u.FreeSize)
	o.int("inode_nums", u.InodeNums)
	o.int("inodes_free", u.InodesFree)
	o.int("block_size", u.BlockSize)
	o.int("block_count", u.BlockCount)
	o.end()
}

// appendUsageOmit writes "usage" (omitempty: absent when nil).
func appendUsageOmit(o *jsonObject, u *Usage) {
	if u != nil {
		u.appendJSON(o.key("usage"))
	}
}

func (d *Disk) appendJSON(w *jsonWriter) {
	o := w.object()
	o.str("name", d.Name)
	o.str("kname", d.KName)
	o.str("maj_min", d.MajMin)
	o.int("size", d.Size)
	o.int("used_size", d.UsedSize)
	o.str("device_use", d.DeviceUse)
	o.strOmit("partition_style", d.PartitionStyle)
	o.strOmit("partition_table_uuid", d.PartitionTableUUID)
	o.bool("os_disk", d.OSDisk)
	o.int("logical_sector_size", d.LogicalSectorSize)
	o.int("physical_sector_size", d.PhysicalSectorSize)
	o.bool("rotational", d.Rotational)
	o.bool("removable", d.Removable)
	o.bool("read_only", d.ReadOnly)
	o.strOmit("model", d.Model)
	o.strOmit("serial", d.Serial)
	o.strOmit("wwn", d.WWN)
	if d.Identity != nil {
		d.Identity.appendFields(&o)
	}
	o.strOmit("mount_point", d.MountPoint)
	o.strsOmit("other_mount_points", d.OtherMountPoints)
	appendUsageOmit(&o, d.Usage)
	appendArray(o.key("physical_volumes"), d.PhysicalVolumes, (*Partition).appendJSON)
	o.boolOmit("dynamic", d.Dynamic)
	o.strOmit("storage_spaces", d.StorageSpaces)
	o.end()
}

func (p *Partition) appendJSON(w *jsonWriter) {
	o := w.object()
	o.str("name", p.Name)
	o.str("kname", p.KName)
	o.str("maj_min", p.MajMin)
	o.int("index", int64(p.Index))
	o.int("number", int64(p.Number))
	o.int("start", p.Start)
	o.int("size", p.Size)
	o.int("used_size", p.UsedSize)
	o.str("device_use", p.DeviceUse)
	o.strOmit("part_uuid", p.PartUUID)
	o.strOmit("part_label", p.PartLabel)
	o.strOmit("part_type", p.PartType)
	o.boolOmit("extended", p.Extended)
	o.str("mount_point", p.MountPoint)
	o.strsOmit("other_mount_points", p.OtherMountPoints)
	p.Identity.appendFields(&o)
	o.intOmit("inode_size", p.InodeSize)
	o.intOmit("inode_nums", p.InodeNums)
	appendUsageOmit(&o, p.Usage)
	o.intOmit("size_per_cluster", p.SizePerCluster)
	o.strOmit("volume_serial", p.VolumeSerial)
	o.strOmit("bitlocker", p.BitLocker)
	if p.Extent != nil {
		e := o.key("extent").object()
		e.int("index", int64(p.Extent.Index))
		e.int("count", int64(p.Extent.Count))
		e.int("volume_size", p.Extent.VolumeSize)
		e.end()
	}
	o.end()
}

func (m *Mount) appendJSON(w *jsonWriter) {
	o := w.object()
	o.str("mount_point", m.MountPoint)
	o.strsOmit("other_mount_points", m.OtherMountPoints)
	o.str("source", m.Source)
	o.strOmit("device", m.Device)
	o.strOmit("maj_min", m.MajMin)
	o.str("file_system", m.FileSystem)
	o.str("root", m.Root)
	o.str("options", m.Options)
	o.strOmit("subvol_id", m.SubvolID)
	o.str("kind", m.Kind)
	appendUsageOmit(&o, m.Usage)
	o.strOmit("error", m.Error)
	o.end()
}

func (g *VolumeGroup) appendJSON(w *jsonWriter) {
	o := w.object()
	o.str("name", g.Name)
	o.str("uuid", g.UUID)
	o.int("size", g.Size)
	o.int("free_size", g.FreeSize)
	o.int("extent_size", g.ExtentSize)
	o.strs("components", g.Components)
	o.strsOmit("pv_devices", g.PVDevices)
	o.strs("disks", g.Disks)
	appendArray(o.key("logical_volumes"), g.LogicalVolumes, (*LogicalVolume).appendJSON)
	o.end()
}

func (lv *LogicalVolume) appendJSON(w *jsonWriter) {
	o := w.object()
	o.str("name", lv.Name)
	o.str("lv_uuid", lv.UUID)
	o.str("path", lv.Path)
	o.int("size", lv.Size)
	o.str("kind", lv.Kind)
	o.bool("hidden", lv.Hidden)
	o.bool("snapshot", lv.Snapshot)
	o.bool("migrate", lv.Migrate)
	o.strOmit("origin", lv.Origin)
	o.strOmit("pool", lv.Pool)
	o.boolPtrOmit("active", lv.Active)
	o.str("dm_name", lv.DMName)
	o.strOmit("device", lv.Device)
	o.str("device_use", lv.DeviceUse)
	o.str("mount_point", lv.MountPoint)
	o.strsOmit("other_mount_points", lv.OtherMountPoints)
	lv.Identity.appendFields(&o)
	appendUsageOmit(&o, lv.Usage)
	o.end()
}

func (b *BtrfsFileSystem) appendJSON(w *jsonWriter) {
	o := w.object()
	o.str("name", b.Name)
	o.str("label", b.Label)
	o.str("uuid", b.UUID)
	o.strs("devices", b.Devices)
	o.strs("disks", b.Disks)
	o.bool("mounted", b.Mounted)
	o.str("mount_point", b.MountPoint)
	o.int("size", b.Size)
	o.int("g_vol_used_size", b.GVolUsedSize)
	o.int("nodesize", b.NodeSize)
	o.int("sectorsize", b.SectorSize)
	o.str("data_profile", b.DataProfile)
	o.str("metadata_profile", b.MetadataProfile)
	o.str("system_profile", b.SystemProfile)
	o.str("global_reserve1", b.GlobalReserve1)
	o.str("default_subvolid", b.DefaultSubvolID)
	o.str("default_subvol_name", b.DefaultSubvolName)
	o.str("default_subvol_mountpath", b.DefaultSubvolMountPath)
	appendArray(o.key("subvolumn"), b.Subvolume, (*BtrfsSubvolume).appendJSON)
	o.end()
}

func (s *BtrfsSubvolume) appendJSON(w *jsonWriter) {
	o := w.object()
	o.str("subvol_id", s.SubvolID)
	o.str("parent_id", s.ParentID)
	o.str("subvol_name", s.SubvolName)
	o.str("subvol_mount_path", s.SubvolMountPath)
	o.str("subvol_uuid", s.SubvolUUID)
	o.strOmit("parent_uuid", s.ParentUUID)
	o.bool("is_snapshot", s.IsSnapshot)
	o.end()
}

// jsonWriter appends compact JSON to b.
type jsonWriter struct{ b []byte }

// jsonObject writes one object's members; the keys are plain ASCII, written as given.
type jsonObject struct {
	w *jsonWriter
	n int
}

func (w *jsonWriter) object() jsonObject {
	w.b = append(w.b, '{')
	return jsonObject{w: w}
}

func (o *jsonObject) end() { o.w.b = append(o.w.b, '}') }

// key starts the member name and returns the writer for its value.
func (o *jsonObject) key(name string) *jsonWriter {
	if o.n > 0 {
		o.w.b = append(o.w.b, ',')
	}
	o.n++
	o.w.b = append(o.w.b, '"')
	o.w.b = append(o.w.b, name...)
	o.w.b = append(o.w.b, '"', ':')
	return o.w
}

func (o *jsonObject) str(name, v string) { o.key(name).string(v) }

func (o *jsonObject) strOmit(name, v string) {
	if v != "" {
		o.str(name, v)
	}
}

func (o *jsonObject) int(name string, v int64) {
	w := o.key(name)
	w.b = strconv.AppendInt(w.b, v, 10)
}

func (o *jsonObject) intOmit(name string, v int64) {
	if v != 0 {
		o.int(name, v)
	}
}

func (o *jsonObject) bool(name string, v bool) {
	w := o.key(name)
	w.b = strconv.AppendBool(w.b, v)
}

func (o *jsonObject) boolOmit(name string, v bool) {
	if v {
		o.bool(name, v)
	}
}

func (o *jsonObject) boolPtrOmit(name string, v *bool) {
	if v != nil {
		o.bool(name, *v)
	}
}

// strs writes a list of strings: null when nil, [] when empty.
func (o *jsonObject) strs(name string, v []string) {
	appendArray(o.key(name), v, func(s *string, w *jsonWriter) { w.string(*s) })
}

func (o *jsonObject) strsOmit(name string, v []string) {
	if len(v) > 0 {
		o.strs(name, v)
	}
}

// appendArray writes a list, each element by f: null when nil, [] when empty.
func appendArray[T any](w *jsonWriter, v []T, f func(*T, *jsonWriter)) {
	if v == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '[')
	for i := range v {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		f(&v[i], w)
	}
	w.b = append(w.b, ']')
}

// string writes s quoted as encoding/json does without HTML escaping: \" and \\, \b \f
// \n \r \t, \u00XX for the other control characters, \u2028 and \u2029 (which end a
// line in JavaScript), and \ufffd for each byte that is not valid UTF-8.
func (w *jsonWriter) string(s string) {
	const hex = "0123456789abcdef"
	b := append(w.b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	w.b = append(append(b, s[start:]...), '"')
}
