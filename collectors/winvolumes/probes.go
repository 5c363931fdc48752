// Package winvolumes reads a Windows host's volumes, drive letters, disks and partition
// tables through the Win32 API (README.md names every call). Each call is a
// platform.Probe, so `capture` records every answer on Windows and `discover --from`
// replays it on any system; the live side is in live_windows.go, everything else here
// (parsers, the order of the questions) is plain Go that Linux CI tests from recordings.
package winvolumes

import "github.com/sms-agent/sms-agent/platform"

// None is the question of a probe that takes no argument (its key is {}).
type None struct{}

// Drive types (GetDriveTypeW).
const (
	DriveUnknown   = 0
	DriveNoRootDir = 1
	DriveRemovable = 2
	DriveFixed     = 3
	DriveRemote    = 4
	DriveCDROM     = 5
	DriveRAMDisk   = 6
)

// VolumeInformation is what GetVolumeInformationW reports of a volume.
type VolumeInformation struct {
	VolumeName             string `json:"VolumeName"`
	VolumeSerialNumber     uint32 `json:"VolumeSerialNumber"`
	MaximumComponentLength uint32 `json:"MaximumComponentLength"`
	FileSystemFlags        uint32 `json:"FileSystemFlags"`
	FileSystemName         string `json:"FileSystemName"`
}

// FileReadOnlyVolume is the FileSystemFlags bit of a read-only volume.
const FileReadOnlyVolume = 0x00080000

// DiskFreeSpaceEx is what GetDiskFreeSpaceExW reports, in bytes.
type DiskFreeSpaceEx struct {
	FreeBytesAvailableToCaller uint64 `json:"FreeBytesAvailableToCaller"`
	TotalNumberOfBytes         uint64 `json:"TotalNumberOfBytes"`
	TotalNumberOfFreeBytes     uint64 `json:"TotalNumberOfFreeBytes"`
}

// DiskFreeSpace is what GetDiskFreeSpaceW reports: the cluster size and counts.
type DiskFreeSpace struct {
	SectorsPerCluster     uint32 `json:"SectorsPerCluster"`
	BytesPerSector        uint32 `json:"BytesPerSector"`
	NumberOfFreeClusters  uint32 `json:"NumberOfFreeClusters"`
	TotalNumberOfClusters uint32 `json:"TotalNumberOfClusters"`
}

// BitLocker is what WMI's Win32_EncryptableVolume class (namespace
// root\CIMV2\Security\MicrosoftVolumeEncryption) lists. Available is false when the
// namespace does not exist: BitLocker is not installed (a Windows Server feature), so no
// volume is encrypted.
type BitLocker struct {
	Available bool                `json:"Available"`
	Volumes   []EncryptableVolume `json:"Volumes"`
}

// EncryptableVolume is one Win32_EncryptableVolume instance.
type EncryptableVolume struct {
	DeviceID         string `json:"DeviceID"` // the volume GUID path, \\?\Volume{...}\
	DriveLetter      string `json:"DriveLetter"`
	ProtectionStatus uint32 `json:"ProtectionStatus"` // 0 off, 1 on, 2 unknown (locked)
	ConversionStatus uint32 `json:"ConversionStatus"` // 0 fully decrypted, 1 fully encrypted, 2 encrypting, 3 decrypting, 4 encryption paused, 5 decryption paused
	VolumeType       uint32 `json:"VolumeType"`       // 0 OS volume, 1 fixed data, 2 removable data
}

// The probes: one per Win32 call, keyed by the volume GUID path (\\?\Volume{...}\) or the
// disk number. The volume and disk questions of a batch are asked concurrently and
// within LiveEnv.StatfsTimeout: a volume that does not answer is a time-out, not a hang.
var (
	// FindVolumesProbe: FindFirstVolumeW/FindNextVolumeW, every volume's GUID path.
	FindVolumesProbe = platform.Probe[None, []string]{Name: "windows.find_volumes", Live: liveFindVolumes}
	// VolumePathsProbe: GetVolumePathNamesForVolumeNameW, the drive letters and folders a
	// volume is mounted on ("C:\", "D:\data\").
	VolumePathsProbe = platform.Probe[string, []string]{Name: "windows.volume_path_names", Live: liveVolumePaths}
	// DriveTypeProbe: GetDriveTypeW of a volume GUID path or a drive root.
	DriveTypeProbe = platform.Probe[string, uint32]{Name: "windows.drive_type", Live: liveDriveType}
	// VolumeInformationProbe: GetVolumeInformationW of a volume.
	VolumeInformationProbe = platform.Probe[string, VolumeInformation]{Name: "windows.volume_information", Live: liveVolumeInformation}
	// FreeSpaceExProbe: GetDiskFreeSpaceExW of a volume.
	FreeSpaceExProbe = platform.Probe[string, DiskFreeSpaceEx]{Name: "windows.disk_free_space_ex", Live: liveFreeSpaceEx}
	// FreeSpaceProbe: GetDiskFreeSpaceW of a volume (its cluster size).
	FreeSpaceProbe = platform.Probe[string, DiskFreeSpace]{Name: "windows.disk_free_space", Live: liveFreeSpace}
	// DiskExtentsProbe: IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS on a volume.
	DiskExtentsProbe = platform.Probe[string, []DiskExtent]{Name: "windows.volume_disk_extents", Live: liveDiskExtents}
	// DosDevicesProbe: QueryDosDeviceW(NULL), every MS-DOS device name (PhysicalDrive0, C:...).
	DosDevicesProbe = platform.Probe[None, []string]{Name: "windows.dos_devices", Live: liveDosDevices}
	// LogicalDrivesProbe: GetLogicalDriveStringsW, every drive root (C:\, and network drives).
	LogicalDrivesProbe = platform.Probe[None, []string]{Name: "windows.logical_drives", Live: liveLogicalDrives}
	// StorageDeviceProbe: IOCTL_STORAGE_QUERY_PROPERTY StorageDeviceProperty on \\.\PhysicalDriveN.
	StorageDeviceProbe = platform.Probe[uint32, StorageDeviceDescriptor]{Name: "windows.storage_device_descriptor", Live: liveStorageDevice}
	// AccessAlignmentProbe: IOCTL_STORAGE_QUERY_PROPERTY StorageAccessAlignmentProperty (sector sizes).
	AccessAlignmentProbe = platform.Probe[uint32, AccessAlignment]{Name: "windows.storage_access_alignment", Live: liveAccessAlignment}
	// SeekPenaltyProbe: IOCTL_STORAGE_QUERY_PROPERTY StorageDeviceSeekPenaltyProperty (rotational).
	SeekPenaltyProbe = platform.Probe[uint32, bool]{Name: "windows.storage_seek_penalty", Live: liveSeekPenalty}
	// DiskLengthProbe: IOCTL_DISK_GET_LENGTH_INFO, the disk's size (needs read access: an elevated administrator).
	DiskLengthProbe = platform.Probe[uint32, int64]{Name: "windows.disk_length_info", Live: liveDiskLength}
	// DriveLayoutProbe: IOCTL_DISK_GET_DRIVE_LAYOUT_EX, the partition table.
	DriveLayoutProbe = platform.Probe[uint32, DriveLayout]{Name: "windows.drive_layout", Live: liveDriveLayout}
	// BitLockerProbe: WMI SELECT * FROM Win32_EncryptableVolume (the raw API cannot tell).
	BitLockerProbe = platform.Probe[None, BitLocker]{Name: "windows.wmi_encryptable_volumes", Live: liveBitLocker}
)
