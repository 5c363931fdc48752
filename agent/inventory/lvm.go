package inventory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sms-agent/sms-agent/collectors/blockdev"
	"github.com/sms-agent/sms-agent/collectors/fsid"
	"github.com/sms-agent/sms-agent/collectors/lvm"
	"github.com/sms-agent/sms-agent/platform"
)

// hasLVM reports whether the host has LVM: an LVM2_member device or an active LV.
func hasLVM(devs []blockdev.Device, props map[string]fsid.Props) bool {
	for _, p := range props {
		if p.Type == "LVM2_member" {
			return true
		}
	}
	for _, d := range devs {
		if strings.HasPrefix(d.DMUUID, "LVM-") {
			return true
		}
	}
	return false
}

// lvmResult is the outcome of the one lvm process.
type lvmResult struct {
	report *lvm.Report
	res    platform.Result
	err    error
}

func runLVM(ctx context.Context, run platform.Runner, timeout time.Duration) lvmResult {
	rep, res, err := lvm.Read(ctx, run, timeout)
	return lvmResult{rep, res, err}
}

// volumeGroups builds the VGs from the lvm report, joining each active LV to its dm
// device, identity and mounts.
func (d *discovery) volumeGroups(r lvmResult, ix deviceIndex, props map[string]fsid.Props, byDev map[string]*deviceMounts) []VolumeGroup {
	if r.err != nil {
		d.rootOnly("lvm", "LVM volume groups (lvm fullreport: "+firstLineOf(r.err.Error())+")", r.err)
	}
	if diag := lvm.Diagnostics(r.res.Stderr); len(diag) > 0 {
		d.warn("lvm", fmt.Errorf("lvm fullreport said on stderr: %s", strings.Join(diag, "; ")))
	}
	if r.report == nil {
		return nil
	}
	for _, w := range r.report.Warnings() {
		d.warn("lvm", errors.New(w.Message))
	}
	pvK := map[string]string{} // PV UUID → kernel name
	for _, pv := range r.report.PVs {
		pvK[pv.UUID] = ix.pvKName(pv)
	}
	d.lvExtents = lvExtentsOnPVs(r.report, pvK)
	d.vgPVs = map[string][]string{}
	for _, pv := range r.report.PVs {
		if pv.VGUUID != "" && pvK[pv.UUID] != "" {
			d.vgPVs[pv.VGUUID] = append(d.vgPVs[pv.VGUUID], pvK[pv.UUID])
		}
	}
	out := []VolumeGroup{}
	for _, vg := range r.report.VGs {
		v := VolumeGroup{Name: vg.Name, UUID: vg.UUID, Size: vg.Size, FreeSize: vg.Free, ExtentSize: vg.ExtentSize,
			Components: append([]string{}, vg.PVs...), LogicalVolumes: []LogicalVolume{}}
		for _, k := range d.vgPVs[vg.UUID] {
			v.PVDevices = append(v.PVDevices, "/dev/"+k)
		}
		for _, lv := range r.report.LVsOfUUID(vg.UUID) {
			l := LogicalVolume{Name: lv.Name, UUID: lv.UUID, Path: lv.Path, Size: lv.Size, Kind: string(lv.Kind),
				Hidden: lv.Hidden, Snapshot: lv.Snapshot, Migrate: lv.DataLV, Origin: lv.Origin, Pool: lv.Pool,
				Active: lv.Active, DMName: lv.DMName, DeviceUse: UseNormal}
			// By dm name first: for a thin pool lvm reports the device number of its
			// -tpool layer, while the device named like the LV is the pool itself.
			kname := ix.byDMName[lv.DMName]
			if kname == "" && lv.Kernel != nil {
				kname = ix.byMajMin[lv.Kernel.String()]
			}
			if kname != "" {
				l.Device = "/dev/" + kname
				dm := byDev[kname]
				l.Identity = identity(props[kname], dm.primaryOf())
				l.MountPoint, l.OtherMountPoints, l.Usage = dm.where()
			}
			switch {
			case l.MountPoint == "/":
				l.DeviceUse = UseOS
			case IsBootMount(l.MountPoint):
				l.DeviceUse = UseBoot
			}
			v.LogicalVolumes = append(v.LogicalVolumes, l)
		}
		out = append(out, v)
	}
	return out
}

// lvExtentsOnPVs counts, for each LV, its extents on each PV (by PV kernel name), from
// lvm's PV segments. LVs whose data sits in sub-LVs (raid, mirror, thin) have none.
func lvExtentsOnPVs(rep *lvm.Report, pvName map[string]string) map[string]map[string]int64 {
	out := map[string]map[string]int64{}
	for _, seg := range rep.PVSegs {
		if seg.LVUUID == "" {
			continue
		}
		if out[seg.LVUUID] == nil {
			out[seg.LVUUID] = map[string]int64{}
		}
		out[seg.LVUUID][pvName[seg.PVUUID]] += seg.Size
	}
	return out
}

func firstLineOf(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// lvmReport runs lvm once LVM is known to be there: as soon as sysfs shows an active LV,
// else once identification found a PV; nil when there is no LVM (or no disk).
func (d *discovery) lvmReport(ctx context.Context, p firstPass, ids *stage[identified]) *lvmResult {
	if p.err != nil || p.selErr != nil || !hasLVM(p.devs, nil) && !hasLVM(nil, ids.get().res.Props) {
		return nil
	}
	r := runLVM(ctx, d.h.Run, d.opt.CommandTimeout)
	return &r
}
