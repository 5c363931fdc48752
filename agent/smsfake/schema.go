package smsfake

import (
	"encoding/json"
	"fmt"
	"sort"
	"unicode/utf8"
)

// The documented request schemas, written out independently of agent/sms's models so
// the fake catches a wrong field name or type there. Sources: the CreateTask page (the
// seed) and docs sms-api.md §2.

type kind int

const (
	kString kind = iota
	kInt
	kBool
	kObject
	kArray
)

type field struct {
	kind     kind
	req      bool
	maxLen   int // strings; 0: unlimited
	minLen   int
	min, max int64 // integers
	enum     []string
	obj      schema // objects, and array items of kind object
	maxItems int    // arrays; 0: unlimited
}

type schema map[string]field

const i64 = int64(^uint64(0) >> 1)

func str(req bool, max int) field { return field{kind: kString, req: req, maxLen: max} }
func num(req bool, max int64) field {
	return field{kind: kInt, req: req, min: 0, max: max}
}
func boolean() field                   { return field{kind: kBool} }
func enum(req bool, v ...string) field { return field{kind: kString, req: req, enum: v} }
func arr(req bool, max int, item schema) field {
	return field{kind: kArray, req: req, maxItems: max, obj: item}
}

func physicalVolumesSchema() schema {
	return schema{
		"device_use": str(false, 255), "file_system": str(false, 255), "index": num(false, 2147483647),
		"mount_point": str(false, 255), "name": str(false, 255), "size": num(false, i64),
		"inode_size": num(false, i64), "used_size": num(false, i64), "uuid": str(false, 255),
	}
}

func volumeGroupsSchema() schema {
	lv := schema{
		"block_count": num(false, 2147483647), "block_size": num(false, 1048576),
		"file_system": str(true, 255), "inode_size": num(true, 2147483647), "inode_nums": num(false, i64),
		"device_use": str(false, 255), "mount_point": str(true, 256), "name": str(true, 1024),
		"size": num(true, i64), "used_size": num(true, i64), "free_size": num(true, i64),
	}
	return schema{
		"components": str(false, 255), "free_size": num(false, i64),
		"logical_volumes": arr(false, 255, lv), "name": str(false, 255), "size": num(false, i64),
	}
}

func btrfsSchema() schema {
	sub := schema{}
	for _, k := range []string{"uuid", "is_snapshot", "subvol_id", "parent_id", "subvol_name", "subvol_mount_path"} {
		sub[k] = str(true, 255)
	}
	s := schema{
		"size": num(true, i64), "nodesize": num(true, i64), "sectorsize": num(true, 2147483647),
		"g_vol_used_size": num(true, i64), "subvolumn": arr(true, 65535, sub),
	}
	for _, k := range []string{"name", "label", "uuid", "device", "data_profile", "system_profile", "metadata_profile",
		"global_reserve1", "default_subvolid", "default_subvol_name", "default_subvol_mountpath"} {
		s[k] = str(true, 255)
	}
	return s
}

func postTaskSchema() schema {
	disk := schema{
		"device_use": enum(false, "BOOT", "OS", "NORMAL"), "disk_id": str(false, 255), "name": str(true, 255),
		"physical_volumes": arr(true, 65535, physicalVolumesSchema()), "size": num(true, i64), "used_size": num(true, i64),
	}
	target := schema{
		"btrfs_list": arr(false, 65535, btrfsSchema()), "disks": arr(true, 65535, disk),
		"name": str(true, 255), "vm_id": str(true, 255), "volume_groups": arr(false, 65535, volumeGroupsSchema()),
	}
	return schema{
		"name": str(true, 255), "type": enum(true, "MIGRATE_FILE", "MIGRATE_BLOCK"),
		"start_target_server": boolean(), "auto_start": boolean(), "os_type": str(true, 255),
		"source_server": {kind: kObject, req: true, obj: schema{"id": str(true, 255)}},
		"target_server": {kind: kObject, req: true, obj: target},
		"migration_ip":  str(false, 255), "region_name": str(true, 255), "region_id": str(true, 255),
		"project_name": str(true, 255), "project_id": str(true, 255), "priority": num(false, 65535),
		"vm_template_id": str(false, 255), "use_public_ip": boolean(), "use_ipv6": boolean(),
		"syncing": boolean(), "exist_server": boolean(), "start_network_check": boolean(),
	}
}

func postSourceSchema() schema {
	s := schema{
		"name": {kind: kString, req: true, minLen: 1, maxLen: 64}, "ip": str(false, 0), "ipv6": str(false, 0),
		"hostname": str(false, 0), "os_type": enum(true, "LINUX", "WINDOWS"), "os_version": {kind: kString, req: true, minLen: 1},
		"firmware": enum(false, "BIOS", "UEFI"), "cpu_quantity": num(false, 2147483647), "memory": num(false, i64),
		"disks": arr(false, 50, serverDiskSchema()), "volume_groups": arr(false, 0, volumeGroupsSchema()),
		"btrfs_list": arr(false, 0, btrfsSchema()), "networks": arr(true, 0, networkSchema()),
		"agent_version": {kind: kString, req: true, minLen: 1}, "kernel_version": str(false, 0),
		"has_rsync": boolean(), "has_tc": boolean(), "paravirtualization": boolean(), "raw_devices": str(false, 0),
		"boot_loader": enum(false, "GRUB", "LILO"), "driver_files": boolean(), "system_services": boolean(),
		"account_rights": boolean(), "system_dir": str(false, 0),
		"platform": enum(false, "hw", "ali", "aws", "azure", "gcp", "tencent", "vmware", "hyperv", "other", "default"),
	}
	return s
}

// diskInfoSchema is PUT /v3/sources/{id}/diskinfo (PutDiskInfoReq): "volumegroups"
// has no underscore there.
func diskInfoSchema() schema {
	return schema{
		"disks": arr(true, 50, serverDiskSchema()), "volumegroups": arr(false, 0, volumeGroupsSchema()),
		"btrfs_list": arr(false, 0, btrfsSchema()),
	}
}

func serverDiskSchema() schema {
	pv := schema{
		"device_use": enum(false, "NORMAL", "OS", "BOOT", "VOLUME_GROUP", "BTRFS"), "file_system": str(false, 0),
		"index": num(false, 2147483647), "mount_point": str(false, 0), "name": str(false, 0), "size": num(false, i64),
		"used_size": num(false, i64), "inode_size": num(false, 2147483647), "inode_nums": num(false, i64),
		"uuid": str(false, 0), "size_per_cluster": num(false, 2147483647),
	}
	disk := schema{
		"name": str(true, 0), "partition_style": enum(false, "MBR", "GPT"),
		"device_use": enum(true, "NORMAL", "OS", "BOOT", "VOLUME_GROUP", "BTRFS"),
		"size":       num(true, i64), "used_size": num(true, i64), "physical_volumes": arr(true, 0, pv),
		"os_disk": boolean(), "relation_name": str(false, 0), "inode_size": num(false, 2147483647),
	}
	return disk
}

func networkSchema() schema {
	return schema{
		"name": str(true, 0), "ip": str(true, 0), "ipv6": str(false, 0), "netmask": str(true, 0),
		"gateway": str(true, 0), "mtu": num(false, 2147483647), "mac": str(true, 0), "id": str(false, 0),
	}
}

// validate checks v (decoded with UseNumber) against s; it returns every problem.
func validate(s schema, v map[string]any, path string) []string {
	var errs []string
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := s[k]; !ok {
			errs = append(errs, fmt.Sprintf("%s%s: unknown field", path, k))
		}
	}
	names := make([]string, 0, len(s))
	for k := range s {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		f := s[k]
		p := path + k
		val, present := v[k]
		if !present || val == nil {
			if f.req {
				errs = append(errs, p+": required")
			}
			continue
		}
		errs = append(errs, checkValue(f, val, p)...)
	}
	return errs
}

func checkValue(f field, val any, p string) []string {
	switch f.kind {
	case kString:
		s, ok := val.(string)
		if !ok {
			return []string{p + ": not a string"}
		}
		n := utf8.RuneCountInString(s)
		if f.maxLen > 0 && n > f.maxLen || n < f.minLen {
			return []string{fmt.Sprintf("%s: length %d not in %d..%d", p, n, f.minLen, f.maxLen)}
		}
		if len(f.enum) > 0 {
			for _, e := range f.enum {
				if s == e {
					return nil
				}
			}
			return []string{fmt.Sprintf("%s: %q not in %v", p, s, f.enum)}
		}
	case kInt:
		n, ok := val.(json.Number)
		if !ok {
			return []string{p + ": not a number"}
		}
		i, err := n.Int64()
		if err != nil {
			return []string{p + ": not an integer"}
		}
		if i < f.min || i > f.max {
			return []string{fmt.Sprintf("%s: %d not in %d..%d", p, i, f.min, f.max)}
		}
	case kBool:
		if _, ok := val.(bool); !ok {
			return []string{p + ": not a boolean"}
		}
	case kObject:
		m, ok := val.(map[string]any)
		if !ok {
			return []string{p + ": not an object"}
		}
		return validate(f.obj, m, p+".")
	case kArray:
		a, ok := val.([]any)
		if !ok {
			return []string{p + ": not an array"}
		}
		if f.maxItems > 0 && len(a) > f.maxItems {
			return []string{fmt.Sprintf("%s: %d items > %d", p, len(a), f.maxItems)}
		}
		var errs []string
		for i, it := range a {
			m, ok := it.(map[string]any)
			if !ok {
				errs = append(errs, fmt.Sprintf("%s[%d]: not an object", p, i))
				continue
			}
			errs = append(errs, validate(f.obj, m, fmt.Sprintf("%s[%d].", p, i))...)
		}
		return errs
	}
	return nil
}
