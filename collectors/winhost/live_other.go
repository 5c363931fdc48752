//go:build !windows

package winhost

import (
	"context"

	"github.com/sms-agent/sms-agent/platform"
)

// Outside Windows the probes have no live answer: they are replayed from captures.
var (
	liveHostname        func(context.Context, platform.LiveEnv, []None) []platform.Answer[string]
	livePlatform        func(context.Context, platform.LiveEnv, []None) []platform.Answer[PlatformInformation]
	liveKernelVersion   func(context.Context, platform.LiveEnv, []None) []platform.Answer[string]
	liveKernelArch      func(context.Context, platform.LiveEnv, []None) []platform.Answer[string]
	liveCPUCount        func(context.Context, platform.LiveEnv, []bool) []platform.Answer[int]
	liveMemory          func(context.Context, platform.LiveEnv, []None) []platform.Answer[uint64]
	liveFirmwareType    func(context.Context, platform.LiveEnv, []None) []platform.Answer[uint32]
	liveSystemDirectory func(context.Context, platform.LiveEnv, []None) []platform.Answer[string]
	liveElevated        func(context.Context, platform.LiveEnv, []None) []platform.Answer[bool]
	liveService         func(context.Context, platform.LiveEnv, []string) []platform.Answer[Service]
	liveFileExists      func(context.Context, platform.LiveEnv, []string) []platform.Answer[bool]
	liveRegistry        func(context.Context, platform.LiveEnv, []RegistryValue) []platform.Answer[string]
	liveAdapters        func(context.Context, platform.LiveEnv, []None) []platform.Answer[[]Adapter]
)
