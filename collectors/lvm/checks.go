package lvm

import (
	"fmt"
	"sort"
	"strings"
)

// Warning is something about the LVM layout a migration must not ignore.
type Warning struct {
	Code    string // stable identifier, one of the Warn* constants
	Message string // for people
}

// Warning codes.
const (
	WarnDuplicateVGName = "lvm-duplicate-vg-name" // two VGs share a name: /dev/<vg>/<lv> is ambiguous
	WarnNestedPV        = "lvm-nested-pv"         // a PV sits on an LV (LVM inside LVM)
	WarnMissingPV       = "lvm-missing-pv"        // a VG lacks PVs; its LVs may be incomplete
	WarnDuplicatePV     = "lvm-duplicate-pv"      // one PV UUID on two devices (multipath, clones)
	WarnExportedVG      = "lvm-exported-vg"       // vgexport'ed: not usable on this host
	WarnSharedVG        = "lvm-shared-vg"         // lvmlockd/clustered VG: other hosts use it too
)

// DuplicateVGNames returns each VG name used by more than one VG, with those VGs'
// UUIDs in report order. LVM allows this (it warns and reports both); names, paths
// and dm names of their LVs then collide.
func (r *Report) DuplicateVGNames() map[string][]string {
	byName := map[string][]string{}
	for _, vg := range r.VGs {
		byName[vg.Name] = append(byName[vg.Name], vg.UUID)
	}
	for n, u := range byName {
		if len(u) < 2 {
			delete(byName, n)
		}
	}
	return byName
}

// NestedPV is a PV whose device is an LV of this report.
type NestedPV struct {
	PV PV
	LV LV
}

// NestedPVs returns the PVs that sit on an LV (a VG built inside an LV, as VM images
// do). The PV is matched to the LV by device number (pv_major:minor against the LV's
// dm device) or by name (/dev/mapper/<dm name>, /dev/<vg>/<lv>).
func (r *Report) NestedPVs() []NestedPV {
	var out []NestedPV
	for _, pv := range r.PVs {
		for _, lv := range r.LVs {
			if pvIsLV(pv, lv) {
				out = append(out, NestedPV{PV: pv, LV: lv})
				break
			}
		}
	}
	return out
}

func pvIsLV(pv PV, lv LV) bool {
	if pv.Dev != nil && lv.Kernel != nil {
		return *pv.Dev == *lv.Kernel
	}
	return pv.Name != "" && (pv.Name == "/dev/mapper/"+lv.DMName ||
		(lv.Path != "" && pv.Name == lv.Path) || pv.Name == "/dev/"+lv.VGName+"/"+lv.Name)
}

// Warnings lists everything of note: duplicate VG names, nested PVs, VGs missing PVs,
// duplicate PVs, exported and shared VGs. The order is stable.
func (r *Report) Warnings() []Warning {
	var out []Warning
	dups := r.DuplicateVGNames()
	names := make([]string, 0, len(dups))
	for n := range dups {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, Warning{WarnDuplicateVGName, fmt.Sprintf("volume group name %q is used by %d VGs (UUIDs %s)", n, len(dups[n]), strings.Join(dups[n], ", "))})
	}
	for _, n := range r.NestedPVs() {
		out = append(out, Warning{WarnNestedPV, fmt.Sprintf("physical volume %s of VG %q is logical volume %s", n.PV.Name, n.PV.VGName, n.LV.FullName)})
	}
	for _, vg := range r.VGs {
		switch {
		case vg.MissingPVs != nil && *vg.MissingPVs > 0:
			out = append(out, Warning{WarnMissingPV, fmt.Sprintf("volume group %q is missing %d physical volume(s)", vg.Name, *vg.MissingPVs)})
		case vg.Partial:
			out = append(out, Warning{WarnMissingPV, fmt.Sprintf("volume group %q is partial (physical volumes missing)", vg.Name)})
		}
		if vg.Exported {
			out = append(out, Warning{WarnExportedVG, fmt.Sprintf("volume group %q is exported", vg.Name)})
		}
		if vg.Shared {
			out = append(out, Warning{WarnSharedVG, fmt.Sprintf("volume group %q is shared with other hosts", vg.Name)})
		}
	}
	for _, pv := range r.PVs {
		if pv.Duplicate {
			out = append(out, Warning{WarnDuplicatePV, fmt.Sprintf("physical volume %s (UUID %s) is a duplicate of a PV on another device", pv.Name, pv.UUID)})
		}
	}
	return out
}
