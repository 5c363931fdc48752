package winvolumes

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"unsafe"

	"github.com/yusufpapurcu/wmi"
	"golang.org/x/sys/windows"

	"github.com/sms-agent/sms-agent/platform"
)

// The live answers: Win32 calls made with the least access they need (a volume or disk is
// opened for queries only, except IOCTL_DISK_GET_LENGTH_INFO, which needs read access).
// Nothing is written.

var procGetDiskFreeSpaceW = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetDiskFreeSpaceW")

// callError names the call and makes ERROR_INVALID_FUNCTION, which drivers answer for
// an I/O control they do not implement, match errors.ErrUnsupported as ERROR_NOT_SUPPORTED does.
func callError(call, on string, err error) error {
	if errors.Is(err, windows.ERROR_INVALID_FUNCTION) {
		return fmt.Errorf("%s on %s: %w (%w)", call, on, err, errors.ErrUnsupported)
	}
	return fmt.Errorf("%s on %s: %w", call, on, err)
}

func liveFindVolumes(_ context.Context, _ platform.LiveEnv, qs []None) []platform.Answer[[]string] {
	return platform.AnswerEach(qs, func(None) ([]string, error) {
		buf := make([]uint16, windows.MAX_PATH+1)
		h, err := windows.FindFirstVolume(&buf[0], uint32(len(buf)))
		if err != nil {
			return nil, callError("FindFirstVolumeW", "this machine", err)
		}
		defer windows.FindVolumeClose(h)
		out := []string{}
		for {
			out = append(out, windows.UTF16ToString(buf))
			if err := windows.FindNextVolume(h, &buf[0], uint32(len(buf))); err != nil {
				if errors.Is(err, windows.ERROR_NO_MORE_FILES) {
					return out, nil
				}
				return out, callError("FindNextVolumeW", "this machine", err)
			}
		}
	})
}

func liveVolumePaths(ctx context.Context, env platform.LiveEnv, qs []string) []platform.Answer[[]string] {
	return onVolumes(ctx, env, qs, "GetVolumePathNamesForVolumeNameW", func(p *uint16) ([]string, error) {
		for n := uint32(1024); ; n *= 2 {
			buf := make([]uint16, n)
			var got uint32
			err := windows.GetVolumePathNamesForVolumeName(p, &buf[0], n, &got)
			if errors.Is(err, windows.ERROR_MORE_DATA) && got > n && n < 1<<20 {
				n = got / 2
				continue
			}
			if err != nil {
				return nil, err
			}
			return ParseMultiSz(buf[:min(got, n)]), nil
		}
	})
}

func liveDriveType(_ context.Context, _ platform.LiveEnv, qs []string) []platform.Answer[uint32] {
	return platform.AnswerEach(qs, func(root string) (uint32, error) {
		p, err := windows.UTF16PtrFromString(root)
		if err != nil {
			return 0, err
		}
		return windows.GetDriveType(p), nil
	})
}

// onVolumes asks call of every volume concurrently, within the statfs timeout.
func onVolumes[A any](ctx context.Context, env platform.LiveEnv, qs []string, call string, f func(vol *uint16) (A, error)) []platform.Answer[A] {
	return platform.AnswerWithin(ctx, env.StatfsTimeout, qs, func(vol string) (A, error) {
		var zero A
		p, err := windows.UTF16PtrFromString(vol)
		if err != nil {
			return zero, err
		}
		v, err := f(p)
		if err != nil {
			return zero, callError(call, vol, err)
		}
		return v, nil
	})
}

func liveVolumeInformation(ctx context.Context, env platform.LiveEnv, qs []string) []platform.Answer[VolumeInformation] {
	return onVolumes(ctx, env, qs, "GetVolumeInformationW", func(p *uint16) (VolumeInformation, error) {
		name, fs := make([]uint16, windows.MAX_PATH+1), make([]uint16, windows.MAX_PATH+1)
		var v VolumeInformation
		err := windows.GetVolumeInformation(p, &name[0], uint32(len(name)), &v.VolumeSerialNumber,
			&v.MaximumComponentLength, &v.FileSystemFlags, &fs[0], uint32(len(fs)))
		v.VolumeName, v.FileSystemName = windows.UTF16ToString(name), windows.UTF16ToString(fs)
		return v, err
	})
}

func liveFreeSpaceEx(ctx context.Context, env platform.LiveEnv, qs []string) []platform.Answer[DiskFreeSpaceEx] {
	return onVolumes(ctx, env, qs, "GetDiskFreeSpaceExW", func(p *uint16) (DiskFreeSpaceEx, error) {
		var f DiskFreeSpaceEx
		err := windows.GetDiskFreeSpaceEx(p, &f.FreeBytesAvailableToCaller, &f.TotalNumberOfBytes, &f.TotalNumberOfFreeBytes)
		return f, err
	})
}

func liveFreeSpace(ctx context.Context, env platform.LiveEnv, qs []string) []platform.Answer[DiskFreeSpace] {
	return onVolumes(ctx, env, qs, "GetDiskFreeSpaceW", func(p *uint16) (DiskFreeSpace, error) {
		var f DiskFreeSpace
		r, _, err := procGetDiskFreeSpaceW.Call(uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&f.SectorsPerCluster)),
			uintptr(unsafe.Pointer(&f.BytesPerSector)), uintptr(unsafe.Pointer(&f.NumberOfFreeClusters)),
			uintptr(unsafe.Pointer(&f.TotalNumberOfClusters)))
		if r == 0 {
			return f, err
		}
		return f, nil
	})
}

// deviceIoControl opens path with access (0: queries only), sends code with in and
// returns the output, growing the buffer while the driver says it is too small.
func deviceIoControl(path string, access, code uint32, in []byte, size int) ([]byte, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	h, err := windows.CreateFile(p, access, windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		return nil, err
	}
	defer windows.CloseHandle(h)
	var inp *byte
	if len(in) > 0 {
		inp = &in[0]
	}
	for {
		out := make([]byte, size)
		var got uint32
		err := windows.DeviceIoControl(h, code, inp, uint32(len(in)), &out[0], uint32(len(out)), &got, nil)
		if (errors.Is(err, windows.ERROR_INSUFFICIENT_BUFFER) || errors.Is(err, windows.ERROR_MORE_DATA)) && size < 1<<22 {
			size *= 4
			continue
		}
		if err != nil {
			return nil, err
		}
		return out[:got], nil
	}
}

// volumeDevice is the device of a volume GUID path: \\?\Volume{...}\ without the slash.
func volumeDevice(vol string) string { return strings.TrimSuffix(vol, `\`) }

// DiskPath is the device path of disk n.
func DiskPath(n uint32) string { return fmt.Sprintf(`\\.\PhysicalDrive%d`, n) }

func liveDiskExtents(ctx context.Context, env platform.LiveEnv, qs []string) []platform.Answer[[]DiskExtent] {
	return platform.AnswerWithin(ctx, env.StatfsTimeout, qs, func(vol string) ([]DiskExtent, error) {
		b, err := deviceIoControl(volumeDevice(vol), 0, IoctlVolumeGetVolumeDiskExtents, nil, 8+24*4)
		if err != nil {
			return nil, callError("IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS", vol, err)
		}
		return ParseDiskExtents(b)
	})
}

func diskQuery[A any](ctx context.Context, env platform.LiveEnv, qs []uint32, call string, access, code uint32, in []byte, size int, parse func([]byte) (A, error)) []platform.Answer[A] {
	return platform.AnswerWithin(ctx, env.StatfsTimeout, qs, func(n uint32) (A, error) {
		var zero A
		b, err := deviceIoControl(DiskPath(n), access, code, in, size)
		if err != nil {
			return zero, callError(call, DiskPath(n), err)
		}
		v, err := parse(b)
		if err != nil {
			return zero, fmt.Errorf("%s on %s: %w", call, DiskPath(n), err)
		}
		return v, nil
	})
}

func liveStorageDevice(ctx context.Context, env platform.LiveEnv, qs []uint32) []platform.Answer[StorageDeviceDescriptor] {
	return diskQuery(ctx, env, qs, "IOCTL_STORAGE_QUERY_PROPERTY StorageDeviceProperty", 0, IoctlStorageQueryProperty,
		StoragePropertyQuery(StorageDeviceProperty), 1024, ParseStorageDeviceDescriptor)
}

func liveAccessAlignment(ctx context.Context, env platform.LiveEnv, qs []uint32) []platform.Answer[AccessAlignment] {
	return diskQuery(ctx, env, qs, "IOCTL_STORAGE_QUERY_PROPERTY StorageAccessAlignmentProperty", 0, IoctlStorageQueryProperty,
		StoragePropertyQuery(StorageAccessAlignmentProperty), 64, ParseAccessAlignment)
}

func liveSeekPenalty(ctx context.Context, env platform.LiveEnv, qs []uint32) []platform.Answer[bool] {
	return diskQuery(ctx, env, qs, "IOCTL_STORAGE_QUERY_PROPERTY StorageDeviceSeekPenaltyProperty", 0, IoctlStorageQueryProperty,
		StoragePropertyQuery(StorageDeviceSeekPenaltyProperty), 16, ParseSeekPenalty)
}

func liveDiskLength(ctx context.Context, env platform.LiveEnv, qs []uint32) []platform.Answer[int64] {
	return diskQuery(ctx, env, qs, "IOCTL_DISK_GET_LENGTH_INFO", windows.GENERIC_READ, IoctlDiskGetLengthInfo, nil, 8, ParseLengthInfo)
}

func liveDriveLayout(ctx context.Context, env platform.LiveEnv, qs []uint32) []platform.Answer[DriveLayout] {
	return diskQuery(ctx, env, qs, "IOCTL_DISK_GET_DRIVE_LAYOUT_EX", 0, IoctlDiskGetDriveLayoutEx, nil,
		driveLayoutHeader+16*partitionInfoSize, ParseDriveLayout)
}

// multiSz calls f with a growing UTF-16 buffer until the list fits.
func multiSz(call string, f func(buf []uint16) (uint32, error)) ([]string, error) {
	for n := 4096; n <= 1<<22; n *= 4 {
		buf := make([]uint16, n)
		got, err := f(buf)
		if errors.Is(err, windows.ERROR_INSUFFICIENT_BUFFER) || int(got) > n {
			continue
		}
		if err != nil {
			return nil, callError(call, "this machine", err)
		}
		return ParseMultiSz(buf[:got]), nil
	}
	return nil, fmt.Errorf("%s: the list is longer than 4 Mi characters", call)
}

func liveDosDevices(_ context.Context, _ platform.LiveEnv, qs []None) []platform.Answer[[]string] {
	return platform.AnswerEach(qs, func(None) ([]string, error) {
		return multiSz("QueryDosDeviceW", func(buf []uint16) (uint32, error) {
			return windows.QueryDosDevice(nil, &buf[0], uint32(len(buf)))
		})
	})
}

func liveLogicalDrives(_ context.Context, _ platform.LiveEnv, qs []None) []platform.Answer[[]string] {
	return platform.AnswerEach(qs, func(None) ([]string, error) {
		return multiSz("GetLogicalDriveStringsW", func(buf []uint16) (uint32, error) {
			n, err := windows.GetLogicalDriveStrings(uint32(len(buf)), &buf[0])
			if err == nil && int(n) > len(buf) {
				return n, windows.ERROR_INSUFFICIENT_BUFFER
			}
			return n, err
		})
	})
}

// win32EncryptableVolume is the WMI class's part the agent reads.
type win32EncryptableVolume struct {
	DeviceID         string
	DriveLetter      *string
	ProtectionStatus uint32
	ConversionStatus uint32
	VolumeType       uint32
}

// wbemInvalidNamespace is WBEM_E_INVALID_NAMESPACE: the BitLocker namespace does not
// exist because BitLocker is not installed.
const wbemInvalidNamespace = "0x8004100e"

// wbemAccessDenied is WBEM_E_ACCESS_DENIED: BitLocker's class needs an administrator.
const wbemAccessDenied = "0x80041003"

func liveBitLocker(ctx context.Context, env platform.LiveEnv, qs []None) []platform.Answer[BitLocker] {
	timeout := env.CommandTimeout
	if timeout <= 0 {
		timeout = platform.DefaultCommandTimeout
	}
	// WMI may start a service first: it gets the command timeout, not the statfs one.
	return platform.AnswerWithin(ctx, timeout, qs, func(None) (BitLocker, error) {
		var dst []win32EncryptableVolume
		err := wmi.QueryNamespace("SELECT DeviceID, DriveLetter, ProtectionStatus, ConversionStatus, VolumeType FROM Win32_EncryptableVolume",
			&dst, `root\CIMV2\Security\MicrosoftVolumeEncryption`)
		if err != nil {
			if strings.Contains(strings.ToLower(err.Error()), wbemInvalidNamespace) || strings.Contains(err.Error(), "Invalid namespace") {
				return BitLocker{Available: false, Volumes: []EncryptableVolume{}}, nil
			}
			if msg := strings.ToLower(err.Error()); strings.Contains(msg, wbemAccessDenied) || strings.Contains(msg, "access denied") {
				return BitLocker{}, fmt.Errorf("WMI Win32_EncryptableVolume: %w (%w)", err, fs.ErrPermission)
			}
			return BitLocker{}, fmt.Errorf("WMI Win32_EncryptableVolume: %w", err)
		}
		out := BitLocker{Available: true, Volumes: []EncryptableVolume{}}
		for _, v := range dst {
			e := EncryptableVolume{DeviceID: v.DeviceID, ProtectionStatus: v.ProtectionStatus,
				ConversionStatus: v.ConversionStatus, VolumeType: v.VolumeType}
			if v.DriveLetter != nil {
				e.DriveLetter = *v.DriveLetter
			}
			out.Volumes = append(out.Volumes, e)
		}
		return out, nil
	})
}
