package inventory

import (
	"strings"

	"github.com/sms-agent/sms-agent/collectors/blockdev"
	"github.com/sms-agent/sms-agent/collectors/fsid"
	"github.com/sms-agent/sms-agent/collectors/lvm"
	"github.com/sms-agent/sms-agent/collectors/mounts"
)

// deviceIndex resolves mount sources to kernel device names.
type deviceIndex struct {
	byMajMin map[string]string
	known    map[string]bool
	byDMName map[string]string
	byUUID   map[string]string
}

func newDeviceIndex(devs []blockdev.Device, props map[string]fsid.Props) deviceIndex {
	ix := deviceIndex{byMajMin: map[string]string{}, known: map[string]bool{}, byDMName: map[string]string{}, byUUID: map[string]string{}}
	for _, dv := range devs {
		ix.byMajMin[dv.MajMin()] = dv.KName
		ix.known[dv.KName] = true
		if dv.DMName != "" {
			ix.byDMName[dv.DMName] = dv.KName
		}
		for _, p := range dv.Partitions {
			ix.byMajMin[p.MajMin()] = p.KName
			ix.known[p.KName] = true
		}
	}
	for k, p := range props {
		if p.UUID != "" {
			ix.byUUID[p.UUID] = k
		}
	}
	return ix
}

// resolve returns the kernel name of the block device a mount comes from, or "".
func (ix deviceIndex) resolve(m mounts.MountInfo) string {
	if m.Major != 0 {
		if k, ok := ix.byMajMin[m.MajMin()]; ok {
			return k
		}
	}
	src := m.Source
	switch {
	case strings.HasPrefix(src, "/dev/mapper/"):
		return ix.byDMName[strings.TrimPrefix(src, "/dev/mapper/")]
	case strings.HasPrefix(src, "/dev/disk/by-uuid/"):
		return ix.byUUID[strings.TrimPrefix(src, "/dev/disk/by-uuid/")]
	case strings.HasPrefix(src, "UUID="):
		return ix.byUUID[strings.TrimPrefix(src, "UUID=")]
	case strings.HasPrefix(src, "/dev/"):
		if k := strings.TrimPrefix(src, "/dev/"); ix.known[k] {
			return k
		}
	}
	return ""
}

// deviceMounts is what is mounted from one block device, primary mount first.
type deviceMounts struct {
	primary *Mount
	others  []string
}

// where gives a device's mount point, its other mount points and a copy of its usage,
// as disks, partitions and LVs all report them. A nil dm is not mounted.
func (dm *deviceMounts) where() (mountPoint string, others []string, usage *Usage) {
	if dm == nil {
		return "", nil, nil
	}
	others = append(append([]string{}, dm.primary.OtherMountPoints...), dm.others...)
	if u := dm.primary.Usage; u != nil {
		uu := *u
		usage = &uu
	}
	return dm.primary.MountPoint, others, usage
}

// primaryOf is the primary mount of a device (nil when it is not mounted).
func (dm *deviceMounts) primaryOf() *Mount {
	if dm == nil {
		return nil
	}
	return dm.primary
}

// mountsByDevice returns the mounts of each block device, primary first.
func mountsByDevice(inv *Inventory) map[string]*deviceMounts {
	byDev := map[string]*deviceMounts{}
	for i := range inv.Mounts {
		m := &inv.Mounts[i]
		if m.Device == "" {
			continue
		}
		k := strings.TrimPrefix(m.Device, "/dev/")
		dm := byDev[k]
		if dm == nil {
			byDev[k] = &deviceMounts{primary: m}
			continue
		}
		// Several views of one device (btrfs subvolumes): the one showing the top of the
		// filesystem, else the first mounted, is the device's mount point.
		if betterDeviceMount(m, dm.primary) {
			dm.others = append(dm.others, dm.primary.MountPoint)
			dm.others = append(dm.others, dm.primary.OtherMountPoints...)
			dm.primary = m
		} else {
			dm.others = append(dm.others, m.MountPoint)
			dm.others = append(dm.others, m.OtherMountPoints...)
		}
	}
	return byDev
}

func betterDeviceMount(a, b *Mount) bool {
	return a.Root == "/" && b.Root != "/"
}

// pvKName is the kernel name of an LVM PV's device: by its device number, else by the
// name lvm printed (/dev/sda2, /dev/md127, /dev/mapper/NAME for dm devices).
func (ix deviceIndex) pvKName(pv lvm.PV) string {
	if pv.Dev != nil {
		if k := ix.byMajMin[pv.Dev.String()]; k != "" {
			return k
		}
	}
	n := strings.TrimPrefix(pv.Name, "/dev/")
	if dm, ok := strings.CutPrefix(n, "mapper/"); ok {
		if k := ix.byDMName[dm]; k != "" {
			return k
		}
	}
	return n
}
