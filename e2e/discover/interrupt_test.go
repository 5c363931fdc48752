//go:build e2e

package discover

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterruptOnDeadMount: the built binary, stuck on a FUSE mount whose server never
// answers, stops within a second of SIGINT or SIGTERM, exits 130 or 143 with one line
// saying it was interrupted, and leaves no file behind. The statfs of the mount runs
// in a helper child the agent abandons; a --from or --out path on the mount blocks
// the agent's own system call, which no context can end: the agent exits anyway once
// its grace period is over.
func TestInterruptOnDeadMount(t *testing.T) {
	requireRoot(t)
	work := t.TempDir()
	dead := filepath.Join(work, "dead")
	deadFUSE(t, dead)
	tmp := filepath.Join(work, "tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "out", "host.tar.gz")
	os.Mkdir(filepath.Dir(out), 0o755)
	for _, c := range []struct {
		sig  syscall.Signal
		args []string
		want string
	}{
		{syscall.SIGINT, []string{"discover", "--json", "--statfs-timeout", "60s"}, "sms-agent: discover: interrupted by SIGINT"},
		{syscall.SIGTERM, []string{"capture", "--statfs-timeout", "60s", "--out", out}, "sms-agent: capture: interrupted by SIGTERM"},
		{syscall.SIGINT, []string{"discover", "--from", filepath.Join(dead, "host.tar.gz")}, "sms-agent: discover: interrupted by SIGINT"},
		{syscall.SIGTERM, []string{"capture", "--statfs-timeout", "100ms", "--out", filepath.Join(dead, "host.tar.gz")}, "sms-agent: capture: interrupted by SIGTERM"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, agentBin, c.args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "TMPDIR=" + tmp}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond) // well into the wait on the dead mount
		start := time.Now()
		cmd.Process.Signal(c.sig)
		err := cmd.Wait()
		took := time.Since(start)
		cancel()
		code := -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if code != 128+int(c.sig) || lines[len(lines)-1] != c.want || took > time.Second {
			t.Errorf("%q: exit %d %v after the signal; stderr:\n%s", c.args, code, took, stderr.String())
		}
		t.Logf("%q: exited %v after the signal", c.args, took.Round(time.Millisecond))
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			t.Errorf("%q left %d files in TMPDIR", c.args, len(left))
		}
		if left, _ := os.ReadDir(filepath.Dir(out)); len(left) > 0 {
			t.Errorf("%q left %v", c.args, left)
		}
	}
}
