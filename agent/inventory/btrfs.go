package inventory

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sms-agent/sms-agent/collectors/btrfs"
	"github.com/sms-agent/sms-agent/collectors/fsid"
	"github.com/sms-agent/sms-agent/platform"
)

// btrfsResult is what the btrfs commands said about one mounted filesystem.
type btrfsResult struct {
	subvols []btrfs.Subvolume
	def     *btrfs.DefaultSubvolume
	errs    []error
}

// runBtrfs reads what sysfs cannot give on the filesystem's mount point (see
// btrfs.ReadMounted): its subvolumes and its default subvolume.
func runBtrfs(ctx context.Context, h platform.Host, mnt string, timeout time.Duration) btrfsResult {
	m, _ := btrfs.ReadMounted(ctx, h.Run, h.BtrfsSearch, mnt, timeout)
	r := btrfsResult{subvols: m.Subvolumes, def: m.Default}
	// The collector's errors name the command and the mount point already.
	if m.ListErr != nil {
		r.errs = append(r.errs, fmt.Errorf("btrfs subvolumes unknown: %w", m.ListErr))
	}
	if m.DefaultErr != nil {
		r.errs = append(r.errs, fmt.Errorf("btrfs default subvolume unknown: %w", m.DefaultErr))
	}
	return r
}

// notOn is the filesystems none of whose member devices lies on the disks.
func (p btrfsPlan) notOn(disks map[string]bool, stack deviceStack) map[string]bool {
	out := map[string]bool{}
	for _, fs := range p.sys {
		on := false
		for _, dv := range fs.Devices {
			for _, dk := range stack.disksOf(dv.Name) {
				on = on || disks[dk]
			}
		}
		if !on {
			out[fs.UUID] = true
		}
	}
	return out
}

// btrfsMount is a mounted subvolume of a filesystem.
type btrfsMount struct {
	subvolID string
	m        *Mount
}

// btrfsPlan finds the mounted btrfs filesystems in sysfs and the mount point each is
// read through.
type btrfsPlan struct {
	sys     []btrfs.SysFS
	mountOf map[string]string       // uuid → primary mount point
	mounts  map[string][]btrfsMount // uuid → mounted subvolumes
}

func planBtrfs(sys []btrfs.SysFS, inv *Inventory) btrfsPlan {
	p := btrfsPlan{sys: sys, mountOf: map[string]string{}, mounts: map[string][]btrfsMount{}}
	for _, fs := range sys {
		members := map[string]bool{}
		for _, dv := range fs.Devices {
			members["/dev/"+dv.Name] = true
		}
		for i := range inv.Mounts {
			m := &inv.Mounts[i]
			if m.FileSystem != "btrfs" || !members[m.Device] {
				continue
			}
			p.mounts[fs.UUID] = append(p.mounts[fs.UUID], btrfsMount{subvolID: m.SubvolID, m: m})
			if _, ok := p.mountOf[fs.UUID]; !ok {
				p.mountOf[fs.UUID] = m.MountPoint
			}
		}
	}
	return p
}

// btrfsFilesystems assembles every btrfs filesystem: the mounted ones from sysfs and
// the commands, the others from the probed identities.
func (d *discovery) btrfsFilesystems(p btrfsPlan, results map[string]btrfsResult, skip map[string]bool, props map[string]fsid.Props, probed []string) []BtrfsFileSystem {
	out := []BtrfsFileSystem{}
	seen := map[string]bool{}
	for _, fs := range p.sys {
		seen[fs.UUID] = true
		r, ok := results[fs.UUID]
		if !ok && !skip[fs.UUID] {
			d.warn("btrfs", fmt.Errorf("btrfs %s: no mount point found to read its subvolumes", fs.UUID))
		}
		out = append(out, d.mountedBtrfs(fs, p, r))
	}
	return append(out, d.unmountedBtrfs(props, probed, seen)...)
}

// mountedBtrfs is a filesystem the kernel knows: sizes and profiles from sysfs,
// subvolumes from the commands' result r.
func (d *discovery) mountedBtrfs(fs btrfs.SysFS, p btrfsPlan, r btrfsResult) BtrfsFileSystem {
	b := BtrfsFileSystem{UUID: fs.UUID, Label: fs.Label, NodeSize: fs.NodeSize, SectorSize: fs.SectorSize,
		Devices: []string{}, Subvolume: []BtrfsSubvolume{}, Mounted: true, MountPoint: p.mountOf[fs.UUID]}
	for _, dv := range fs.Devices {
		b.Devices = append(b.Devices, "/dev/"+dv.Name)
	}
	if len(b.Devices) > 0 {
		b.Name = b.Devices[0]
	}
	b.DataProfile, b.MetadataProfile, b.SystemProfile = fs.Data.ProfileNames(), fs.Metadata.ProfileNames(), fs.System.ProfileNames()
	if fs.Mixed != nil && fs.Data == nil {
		b.DataProfile, b.MetadataProfile = fs.Mixed.ProfileNames(), fs.Mixed.ProfileNames()
	}
	for _, a := range []*btrfs.Allocation{fs.Data, fs.Metadata, fs.System, fs.Mixed} {
		if a == nil {
			continue
		}
		if a == fs.Data || (a == fs.Mixed && fs.Data == nil) {
			b.Size += a.BytesUsed
		}
		if a.DiskUsed != nil {
			b.GVolUsedSize += *a.DiskUsed
		} else {
			b.GVolUsedSize += a.BytesUsed
		}
	}
	if fs.GlobalRsvSize != nil {
		b.GlobalReserve1 = strconv.FormatInt(*fs.GlobalRsvSize, 10)
	}
	mountPathOf := func(id string) string {
		for _, bm := range p.mounts[fs.UUID] {
			if bm.subvolID == id {
				return bm.m.MountPoint
			}
		}
		return ""
	}
	for _, e := range r.errs {
		d.rootOnly("btrfs", "btrfs subvolumes of "+b.MountPoint, e)
	}
	for _, sv := range r.subvols {
		id := strconv.FormatUint(sv.ID, 10)
		b.Subvolume = append(b.Subvolume, BtrfsSubvolume{SubvolID: id, ParentID: strconv.FormatUint(sv.Parent, 10),
			SubvolName: sv.Path, SubvolMountPath: mountPathOf(id), SubvolUUID: sv.UUID, ParentUUID: sv.ParentUUID,
			IsSnapshot: sv.IsSnapshot})
	}
	if r.def != nil {
		id := strconv.FormatUint(r.def.ID, 10)
		b.DefaultSubvolID = id
		b.DefaultSubvolName = r.def.Path
		if r.def.TopLevel {
			b.DefaultSubvolName = "<FS_TREE>"
		}
		b.DefaultSubvolMountPath = mountPathOf(id)
	}
	return b
}

// unmountedBtrfs is the filesystems the kernel does not know (not mounted): what
// identification said of their members.
func (d *discovery) unmountedBtrfs(props map[string]fsid.Props, probed []string, seen map[string]bool) []BtrfsFileSystem {
	var out []BtrfsFileSystem
	byUUID := map[string][]string{}
	var order []string
	for _, k := range probed {
		pp := props[k]
		if pp.Type != "btrfs" || pp.UUID == "" || seen[pp.UUID] {
			continue
		}
		if _, ok := byUUID[pp.UUID]; !ok {
			order = append(order, pp.UUID)
		}
		byUUID[pp.UUID] = append(byUUID[pp.UUID], "/dev/"+k)
	}
	for _, u := range order {
		devs := byUUID[u]
		sort.Strings(devs)
		label := ""
		if k := strings.TrimPrefix(devs[0], "/dev/"); props[k].Label != "" {
			label = props[k].Label
		}
		out = append(out, BtrfsFileSystem{Name: devs[0], UUID: u, Label: label, Devices: devs, Subvolume: []BtrfsSubvolume{}})
		d.warn("btrfs", fmt.Errorf("btrfs %s on %s is not mounted: its subvolumes, profiles and usage are unknown", u, strings.Join(devs, ",")))
	}
	return out
}

// btrfsSysfs is /sys/fs/btrfs: the mounted filesystems and their member devices.
type btrfsSysfs struct {
	sys []btrfs.SysFS
	err error
}

func (d *discovery) readBtrfsSysfs() btrfsSysfs {
	if !d.h.FS.Exists(btrfs.SysfsRoot) {
		return btrfsSysfs{}
	}
	sys, err := btrfs.ReadSysfs(d.h.FS)
	return btrfsSysfs{sys: sys, err: err}
}

// layout is what joins mounts to devices: the device index, the mounts with their
// devices, the mounted btrfs filesystems, and those lying on none of the disks
// inventoried (not read, and left out).
type layout struct {
	ix     deviceIndex
	mounts []Mount
	plan   btrfsPlan // points into mounts
	skip   map[string]bool
	// keys is btrfsKey of each planned filesystem's mount point (by UUID), fixed here
	// because assemble goes on to fill mounts while the btrfs stage reads the keys.
	keys map[string]string
}

func (d *discovery) planLayout(t mountTable, p firstPass, a allDevices, ids identified, bs btrfsSysfs) layout {
	if p.err != nil || a.err != nil {
		return layout{}
	}
	ix := newDeviceIndex(a.devs, ids.res.Props)
	inv := &Inventory{Mounts: []Mount{}}
	d.buildMounts(t.fss, ix, inv)
	plan := planBtrfs(bs.sys, inv)
	// Partitions and dm/md slaves are known from sysfs already.
	skip := plan.notOn(kernelNames(p.disks), newDeviceStack(a.devs, &Inventory{}, nil))
	keys := map[string]string{}
	for uuid, mp := range plan.mountOf {
		keys[uuid] = btrfsKey(inv.Mounts, mp)
	}
	return layout{ix: ix, mounts: inv.Mounts, plan: plan, skip: skip, keys: keys}
}

// btrfsReads runs the btrfs commands on each mounted filesystem, once per filesystem,
// keyed by btrfsKey. They need only a mount point: without --devices they start from
// the mount table alone, while sysfs is read; with --devices they wait for the layout,
// to run only on the filesystems on those disks. A filesystem the table did not show
// with a device number is read once the layout is known.
func (d *discovery) btrfsReads(ctx context.Context, table *stage[mountTable], lay *stage[layout]) map[string]btrfsResult {
	out := map[string]btrfsResult{}
	started := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	read := func(key, mp string) {
		started[key] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := runBtrfs(ctx, d.h, mp, d.opt.CommandTimeout)
			mu.Lock()
			out[key] = r
			mu.Unlock()
		}()
	}
	if len(d.opt.Devices) == 0 {
		for _, f := range table.get().fss {
			if f.FSType == "btrfs" && f.HasDevNum() && !started[f.MajMin()] {
				read(f.MajMin(), f.MountPoint)
			}
		}
	}
	l := lay.get()
	for uuid, mp := range l.plan.mountOf {
		if k := l.keys[uuid]; !started[k] && !l.skip[uuid] {
			read(k, mp)
		}
	}
	wg.Wait()
	return out
}

// btrfsKey identifies a mounted filesystem: its device number, else its mount point.
func btrfsKey(ms []Mount, mp string) string {
	for _, m := range ms {
		if m.MountPoint == mp && m.MajMin != "" {
			return m.MajMin
		}
	}
	return "mount:" + mp
}

// btrfsByUUID gives each planned filesystem its reads.
func (l layout) btrfsByUUID(reads map[string]btrfsResult) map[string]btrfsResult {
	out := map[string]btrfsResult{}
	for uuid := range l.plan.mountOf {
		if r, ok := reads[l.keys[uuid]]; ok {
			out[uuid] = r
		}
	}
	return out
}
