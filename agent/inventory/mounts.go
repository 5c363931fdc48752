package inventory

import (
	"context"
	"errors"
	"fmt"

	"github.com/sms-agent/sms-agent/collectors/mounts"
	"github.com/sms-agent/sms-agent/platform"
)

// statfsAll asks statfs for every block and FUSE mount (never network or autofs ones);
// the statfs of mounts that cannot block (mounts.InProcessStatfs over the whole table
// mis) runs in the agent itself, local kernel filesystems may be answered by coreutils'
// stat, which is cheaper than the abandonable helper child (platform.StatfsProbe). An
// unreadable kernel release leaves xfs to the children.
func statfsAll(ctx context.Context, h platform.Host, mis []mounts.MountInfo, fss []mounts.Filesystem) map[string]platform.StatfsOutcome {
	release, _ := h.FS.ReadString("/proc/sys/kernel/osrelease")
	inProcess := mounts.InProcessStatfs(mis, release)
	var qs []platform.StatfsQuery
	for _, f := range fss {
		if f.Kind == mounts.KindBlock || f.Kind == mounts.KindFUSE {
			qs = append(qs, platform.StatfsQuery{Path: f.MountPoint, Local: f.Kind == mounts.KindBlock && mounts.IsLocalKernelFS(f.FSType),
				InProcess: inProcess[f.MountPoint]})
		}
	}
	return platform.StatfsAll(ctx, h.Probes, qs)
}

// buildMounts fills inv.Mounts from the collapsed mount table.
func (d *discovery) buildMounts(fss []mounts.Filesystem, ix deviceIndex, inv *Inventory) {
	for _, f := range fss {
		m := Mount{
			MountPoint: f.MountPoint, OtherMountPoints: f.Others, Source: f.Source,
			FileSystem: f.FSType, Root: f.Root, Options: f.Options, Kind: f.Kind,
		}
		if f.HasDevNum() {
			m.MajMin = f.MajMin()
		}
		if f.FSType == "btrfs" {
			m.SubvolID, _ = f.SuperOption("subvolid")
		}
		if k := ix.resolve(f.MountInfo); k != "" {
			m.Device = "/dev/" + k
		}
		inv.Mounts = append(inv.Mounts, m)
	}
}

// applyUsage puts the statfs answers on the mounts.
func (d *discovery) applyUsage(inv *Inventory, statfs map[string]platform.StatfsOutcome) {
	notRecorded := 0
	for i := range inv.Mounts {
		m := &inv.Mounts[i]
		o, ok := statfs[m.MountPoint]
		if !ok {
			continue
		}
		if o.Stat != nil {
			u := toUsage(mounts.UsageFromStatfs(*o.Stat))
			m.Usage = &u
		} else if err := o.Error(); errors.Is(err, platform.ErrNotRecorded) {
			notRecorded++
			m.Error = err.Error()
		} else {
			m.Error = err.Error()
			d.warn("usage", fmt.Errorf("mount %s: %w", m.MountPoint, err))
		}
	}
	if notRecorded > 0 {
		d.warn("usage", fmt.Errorf("usage of %d mounts unknown: the capture holds no statfs answers for them", notRecorded))
	}
}

func toUsage(u mounts.Usage) Usage {
	return Usage{FSSize: u.Size, UsedSize: u.Used, FreeSize: u.Avail, InodeNums: u.Inodes,
		InodesFree: u.InodesFree, BlockSize: u.BlockSize, BlockCount: u.Blocks}
}

// mountTable is the mount table, one entry per mounted filesystem view (mounts.Collapse).
type mountTable struct {
	mis []mounts.MountInfo // every line (statfsAll needs the mounts a path crosses)
	fss []mounts.Filesystem
	err error
}

func (d *discovery) readMountTable() mountTable {
	mis, err := mounts.ReadTable(d.h.FS, d.opt.MountTable)
	return mountTable{mis: mis, fss: mounts.Collapse(mis), err: err}
}
