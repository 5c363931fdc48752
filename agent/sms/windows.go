package sms

import (
	"github.com/sms-agent/sms-agent/agent/inventory"
)

// Windows registration: the facts only a Windows source has (docs/mapping.md rule 26).

// windowsSourceFields sets the Windows-only registration fields from the inventory's
// host: system_dir, account_rights (the agent runs as an elevated administrator),
// system_services (the VSS service exists and is not disabled), driver_files (the virtio
// drivers are installed) and platform (omitted when not recognised).
func windowsSourceFields(b *PostSourceServerBody, h inventory.Host) {
	w := h.Windows
	if h.OSType != OSWindows || w == nil {
		return
	}
	b.SystemDir = w.SystemDir
	b.AccountRights = w.Administrator
	switch w.VSSService {
	case "":
	case "missing", "disabled":
		b.SystemServices = ptr(false)
	default:
		b.SystemServices = ptr(true)
	}
	b.DriverFiles = w.DriverFiles
	b.Platform = w.Platform
	for i := range b.Disks {
		for j := range b.Disks[i].PhysicalVolumes {
			pv := &b.Disks[i].PhysicalVolumes[j]
			pv.InodeSize, pv.InodeNums = nil, nil // NTFS has no inode count
		}
	}
}

// windowsTargetFields drops what a Windows target layout has no use for: inode counts.
func windowsTargetFields(ts *TargetServerByTask, h inventory.Host) {
	if h.OSType != OSWindows {
		return
	}
	for i := range ts.Disks {
		for j := range ts.Disks[i].PhysicalVolumes {
			ts.Disks[i].PhysicalVolumes[j].InodeSize = nil
		}
	}
}

// sizePerCluster is a Windows partition's cluster size, omitted when unknown (Linux).
func sizePerCluster(n int64) *int64 {
	if n <= 0 {
		return nil
	}
	return ptr(n)
}
