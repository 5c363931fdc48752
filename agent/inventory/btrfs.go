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
	"github.com/sms-agent/sms-agent/collectors/mounts"
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

// earlyBtrfs is the btrfs reads started from the mount table alone, by device number.
type earlyBtrfs struct {
	started map[string]bool // maj:min; set before any read starts, then only read
	wg      sync.WaitGroup
	mu      sync.Mutex
	out     map[string]btrfsResult // maj:min → result
}

func startBtrfsEarly(ctx context.Context, h platform.Host, fss []mounts.Filesystem, timeout time.Duration) *earlyBtrfs {
	e := &earlyBtrfs{started: map[string]bool{}, out: map[string]btrfsResult{}}
	for _, f := range fss {
		if f.FSType != "btrfs" || !f.HasDevNum() || e.started[f.MajMin()] {
			continue
		}
		mm, mp := f.MajMin(), f.MountPoint
		e.started[mm] = true
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			r := runBtrfs(ctx, h, mp, timeout)
			e.mu.Lock()
			e.out[mm] = r
			e.mu.Unlock()
		}()
	}
	return e
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

// majMinOf is the device number of the mount at mp ("" when unknown).
func majMinOf(inv *Inventory, mp string) string {
	for _, m := range inv.Mounts {
		if m.MountPoint == mp {
			return m.MajMin
		}
	}
	return ""
}

// covers says whether a read was started for the filesystem mounted at mp (never, for
// the zero earlyBtrfs).
func (e *earlyBtrfs) covers(inv *Inventory, mp string) bool {
	mm := majMinOf(inv, mp)
	return mm != "" && e.started[mm]
}

// result is the read of the filesystem mounted at mp; call after wg.Wait.
func (e *earlyBtrfs) result(inv *Inventory, mp string) (btrfsResult, bool) {
	mm := majMinOf(inv, mp)
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.out[mm]
	return r, ok && mm != ""
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
		r, ok := results[fs.UUID]
		if !ok && !skip[fs.UUID] {
			d.warn("btrfs", fmt.Errorf("btrfs %s: no mount point found to read its subvolumes", fs.UUID))
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
		out = append(out, b)
	}
	// Filesystems the kernel does not know (not mounted): what blkid/udev said.
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
