//go:build !linux

package fsid

import (
	"context"

	"github.com/sms-agent/sms-agent/platform"
)

// liveNative: block devices are probed live on Linux only; elsewhere NativeProbe
// answers from captures.
var liveNative func(ctx context.Context, env platform.LiveEnv, qs []NativeQuery) []platform.Answer[NativeAnswer]
