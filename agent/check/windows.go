package check

// The checks of Windows sources: layouts SMS migrates differently (dynamic disks,
// Storage Spaces) or not at all (BitLocker), and what SMS's Windows agent needs
// (administrator rights, the VSS service, the drivers a KVM target boots with).

import (
	"fmt"
	"strings"
)

// checkDynamicDisks: SMS migrates a dynamic disk as a basic one; a volume that spans
// disks cannot be one volume on basic disks.
func checkDynamicDisks(in Input) []Result {
	var out []Result
	spans := map[string][]string{} // volume → the disks its pieces are on
	var order []string
	for _, pd := range in.Plan.Disks {
		d := pd.Disk
		if d.Dynamic {
			out = append(out, Result{Level: Warn, Found: d.Name + " is a dynamic disk: SMS migrates it as a basic disk (the target has no dynamic disks)", Subjects: []string{d.Name}})
		}
		for _, p := range d.PhysicalVolumes {
			if p.Extent != nil && p.Extent.Count > 1 {
				if _, seen := spans[p.Name]; !seen {
					order = append(order, p.Name)
				}
				spans[p.Name] = append(spans[p.Name], d.Name)
			}
		}
	}
	for _, v := range order {
		out = append(out, Result{Level: Error, Found: fmt.Sprintf("volume %s spans %s: on the target's basic disks each piece would be a partition of its own, and the volume would not mount", v, strings.Join(spans[v], " and ")),
			Fix: "move its data so that it fits one disk (or shrink it onto one) before migrating, or give --force to migrate it broken", Subjects: []string{v + `\`, v}})
	}
	if len(out) == 0 {
		return ok("no dynamic disk")
	}
	return out
}

// checkBitLocker: SMS does not migrate encrypted volumes.
func checkBitLocker(in Input) []Result {
	var out []Result
	for _, pd := range in.Plan.Disks {
		for _, p := range pd.Disk.PhysicalVolumes {
			switch p.BitLocker {
			case "", "off":
				continue
			}
			out = append(out, Result{Level: Error, Found: fmt.Sprintf("volume %s is BitLocker-encrypted (%s): SMS does not migrate encrypted volumes", p.Name, p.BitLocker),
				Fix: fmt.Sprintf("decrypt it (manage-bde -off %s) and wait for it to finish, or leave its disk out with --exclude", p.Name), Subjects: []string{p.Name, p.MountPoint}})
		}
	}
	if len(out) == 0 {
		return ok("no BitLocker-encrypted volume")
	}
	return out
}

// checkStorageSpaces: a pool's member disks cannot be migrated; its virtual disks are
// migrated as plain disks.
func checkStorageSpaces(in Input) []Result {
	var out []Result
	for _, pd := range in.Plan.Disks {
		d := pd.Disk
		switch d.StorageSpaces {
		case "pool_member":
			out = append(out, Result{Level: Error, Found: d.Name + " belongs to a Storage Spaces pool: SMS cannot migrate a pool's disks (as with RAID members)",
				Fix: "leave it out (--exclude " + d.Name + ") and migrate the virtual disks the pool serves", Subjects: []string{d.Name}})
		case "virtual_disk":
			out = append(out, Result{Level: Warn, Found: d.Name + " is a Storage Spaces virtual disk: SMS migrates it as one plain disk of its size, without the pool's redundancy", Subjects: []string{d.Name}})
		}
	}
	if len(out) == 0 {
		return ok("no Storage Spaces disk")
	}
	return out
}

// checkAdmin: SMS's Windows agent runs with administrator rights (account_rights).
func checkAdmin(in Input) []Result {
	w := inv(in).Host.Windows
	switch {
	case w == nil || w.Administrator == nil:
		return []Result{{Level: Warn, Found: "whether the agent runs with administrator rights is unknown", Fix: "run it from an elevated prompt"}}
	case !*w.Administrator:
		return []Result{{Level: Error, Found: "not running with administrator rights (SMS's environment check requires them)", Fix: "run it from an elevated prompt (Run as administrator)"}}
	}
	return ok("running with administrator rights")
}

// checkVSS: the Volume Shadow Copy service must be present and not disabled: SMS
// copies a consistent snapshot of each volume through it (system_services).
func checkVSS(in Input) []Result {
	w := inv(in).Host.Windows
	switch {
	case w == nil || w.VSSService == "":
		return []Result{{Level: Warn, Found: "the Volume Shadow Copy service's state is unknown", Fix: "make sure the VSS service is not disabled (sc qc VSS)"}}
	case w.VSSService == "disabled" || w.VSSService == "missing":
		return []Result{{Level: Error, Found: "the Volume Shadow Copy service is " + w.VSSService + " (SMS copies volumes through its snapshots)", Fix: "set it to manual: sc config VSS start= demand"}}
	}
	return ok("the Volume Shadow Copy service is " + w.VSSService)
}

// checkDrivers: the target is a KVM guest; its disk and network need the virtio
// drivers (driver_files).
func checkDrivers(in Input) []Result {
	w := inv(in).Host.Windows
	switch {
	case w == nil || w.DriverFiles == nil:
		return []Result{{Level: Warn, Found: "whether the virtio storage and network drivers are installed is unknown", Fix: "install the virtio drivers (Huawei Cloud's UVP VMTools, or virtio-win) before migrating"}}
	case !*w.DriverFiles:
		return []Result{{Level: Warn, Found: "the virtio storage and network drivers are not installed, so the target, a KVM guest, may not boot or reach the network",
			Fix: "install them (Huawei Cloud's UVP VMTools, or virtio-win) before migrating"}}
	}
	return ok("the virtio storage and network drivers are installed")
}
