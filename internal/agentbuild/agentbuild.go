// Package agentbuild builds the agent as `make build` ships it, for the tests that run
// the binary: cmd/sms-agent's CLI tests and e2e/discover.
package agentbuild

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// FullName is the complete agent's file name beside the lite front (cmd/sms-agent's
// fullName; docs/lite.md).
const FullName = "sms-agent-full"

// Installed builds the package at pkg (the path of cmd/sms-agent) into dir as it is
// installed: on Linux the complete agent as FullName and the lite front (-tags lite)
// as sms-agent beside it, elsewhere the complete agent as sms-agent; static and with
// trimmed paths, as `make build` builds them. It returns the path of sms-agent, the
// program an operator types.
func Installed(dir, pkg string) (string, error) {
	front := filepath.Join(dir, "sms-agent")
	builds := [][]string{{"-o", front}}
	if runtime.GOOS == "linux" {
		builds = [][]string{{"-o", filepath.Join(dir, FullName)}, {"-tags", "lite", "-o", front}}
	}
	for _, b := range builds {
		args := append(append([]string{"build", "-trimpath"}, b...), pkg)
		cmd := exec.Command("go", args...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return front, nil
}
