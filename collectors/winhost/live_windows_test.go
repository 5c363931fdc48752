package winhost

import (
	"context"
	"strings"
	"testing"

	"github.com/sms-agent/sms-agent/platform"
)

// The live probes on this Windows (under Wine in CI: make test-windows).
func TestLiveHost(t *testing.T) {
	ctx := context.Background()
	p := platform.NewLive(platform.LiveEnv{})
	info := Read(ctx, p)
	if info.Hostname == "" || info.CPUs < 1 || info.MemoryBytes < 1<<20 || !strings.Contains(info.Platform.Platform, "Windows") {
		t.Errorf("host facts %+v", info)
	}
	if !strings.HasSuffix(strings.ToLower(info.SystemDir), `\system32`) || info.DriverFiles == nil || info.Elevated == nil {
		t.Errorf("system dir %q, driver files %v, elevated %v", info.SystemDir, info.DriverFiles, info.Elevated)
	}
	// RpcSs exists on every Windows (and Wine); the other does not.
	for name, exists := range map[string]bool{"RpcSs": true, "sms-agent-no-such-service": false} {
		s, err := platform.Ask(ctx, p, ServiceProbe, name)
		if err != nil || s.Exists != exists || (exists && s.StartType == 0) {
			t.Errorf("service %s: %+v %v; want exists=%v", name, s, err, exists)
		}
	}
	ads, err := ReadAdapters(ctx, p)
	if err != nil || len(ads) == 0 {
		t.Errorf("adapters: %v %v", ads, err)
	}
}
