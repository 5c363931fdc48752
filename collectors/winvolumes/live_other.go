//go:build !windows

package winvolumes

import (
	"context"

	"github.com/sms-agent/sms-agent/platform"
)

// Outside Windows the probes have no live answer: they are replayed from captures.
var (
	liveFindVolumes       func(context.Context, platform.LiveEnv, []None) []platform.Answer[[]string]
	liveVolumePaths       func(context.Context, platform.LiveEnv, []string) []platform.Answer[[]string]
	liveDriveType         func(context.Context, platform.LiveEnv, []string) []platform.Answer[uint32]
	liveVolumeInformation func(context.Context, platform.LiveEnv, []string) []platform.Answer[VolumeInformation]
	liveFreeSpaceEx       func(context.Context, platform.LiveEnv, []string) []platform.Answer[DiskFreeSpaceEx]
	liveFreeSpace         func(context.Context, platform.LiveEnv, []string) []platform.Answer[DiskFreeSpace]
	liveDiskExtents       func(context.Context, platform.LiveEnv, []string) []platform.Answer[[]DiskExtent]
	liveDosDevices        func(context.Context, platform.LiveEnv, []None) []platform.Answer[[]string]
	liveLogicalDrives     func(context.Context, platform.LiveEnv, []None) []platform.Answer[[]string]
	liveStorageDevice     func(context.Context, platform.LiveEnv, []uint32) []platform.Answer[StorageDeviceDescriptor]
	liveAccessAlignment   func(context.Context, platform.LiveEnv, []uint32) []platform.Answer[AccessAlignment]
	liveSeekPenalty       func(context.Context, platform.LiveEnv, []uint32) []platform.Answer[bool]
	liveDiskLength        func(context.Context, platform.LiveEnv, []uint32) []platform.Answer[int64]
	liveDriveLayout       func(context.Context, platform.LiveEnv, []uint32) []platform.Answer[DriveLayout]
	liveBitLocker         func(context.Context, platform.LiveEnv, []None) []platform.Answer[BitLocker]
)
