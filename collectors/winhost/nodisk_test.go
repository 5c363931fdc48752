package winhost

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoGopsutilDisk fails if any package of the agent's Windows build imports
// gopsutil/v4/disk: its init() sets HKLM\SYSTEM\CurrentControlSet\Services\PartMgr\
// EnableCounterForIoctl, and the agent never changes the machine it reads.
func TestNoGopsutilDisk(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go toolchain to list the Windows build with (a Windows test binary under Wine): %v", err)
	}
	cmd := exec.Command(gobin, "list", "-deps", "github.com/sms-agent/sms-agent/...")
	cmd.Env = append(cmd.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	if !deps["github.com/shirou/gopsutil/v4/host"] {
		t.Fatalf("gopsutil/v4/host is not in the Windows build's %d packages: the list is not the build's", len(deps))
	}
	for p := range deps {
		if p == "github.com/shirou/gopsutil/v4/disk" || strings.HasPrefix(p, "github.com/shirou/gopsutil/v4/disk/") {
			t.Errorf("the Windows build imports %s, whose init() writes the registry", p)
		}
	}
}
