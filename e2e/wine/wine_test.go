//go:build wine

// Package wine runs the agent's Windows build under Wine 10 (tools/wine/): discovery as a
// live Windows host, its capture replayed on Linux, the request bodies, and what Wine's
// service manager does. As root, with the chroot of tools/wine/setup-wine-chroot.sh:
//
//	go test -tags wine -count=1 ./e2e/wine/
package wine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

var build struct {
	sync.Once
	dir string
	err error
}

// binaries builds the agent for Linux and Windows and the two helpers, once, into a
// directory Wine sees (run-under-wine.sh binds it at the same path).
func binaries(t *testing.T) string {
	t.Helper()
	build.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "sms-agent-wine-")
		if build.err != nil {
			return
		}
		for _, b := range []struct{ goos, out, pkg string }{
			{"linux", "sms-agent", "../../cmd/sms-agent"},
			{"windows", "sms-agent.exe", "../../cmd/sms-agent"},
			{"windows", "freespace.exe", "./freespace"},
			{"windows", "svcprobe.exe", "./svcprobe"},
		} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(build.dir, b.out), b.pkg)
			cmd.Env = append(os.Environ(), "GOOS="+b.goos, "GOARCH=amd64", "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				build.err = errors.New("go build " + b.pkg + ": " + err.Error() + "\n" + string(out))
				return
			}
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// wine runs a Windows program of the build directory under Wine, in that directory.
func wine(t *testing.T, exe string, args ...string) result {
	t.Helper()
	dir := binaries(t)
	runner, err := filepath.Abs("../../tools/wine/run-under-wine.sh")
	if err != nil {
		t.Fatal(err)
	}
	return run(t, dir, append([]string{runner, filepath.Join(dir, exe)}, args...)...)
}

func run(t *testing.T, dir string, argv ...string) result {
	t.Helper()
	return runWithin(t, 0, dir, argv...)
}

// runWithin is run with a time limit (0: none): past it the runner, and with it the
// program's PID namespace (unshare --kill-child), is killed, and the test fails.
func runWithin(t *testing.T, limit time.Duration, dir string, argv ...string) result {
	t.Helper()
	ctx := context.Background()
	if limit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, limit)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WINE_BINDS="+dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s: still running after %v; stdout:\n%s\nstderr:\n%s", strings.Join(argv, " "), limit, stdout.String(), stderr.String())
	}
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", strings.Join(argv, " "), err)
	}
	if code == 125 {
		t.Fatalf("run-under-wine.sh failed: %s", stderr.String())
	}
	return result{stdout.String(), stderr.String(), code}
}

// partial checks a run that printed its result with warnings: exit 3, every stderr line a
// warning (or run-under-wine's own note), no crash.
func partial(t *testing.T, what string, r result) {
	t.Helper()
	if r.code != 3 {
		t.Errorf("%s: exit %d; want 3 (a result, with warnings)\nstderr:\n%s", what, r.code, r.stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		if line != "" && !strings.HasPrefix(line, "warning: ") && !strings.HasPrefix(line, "wrote ") && !strings.HasPrefix(line, "run-under-wine: ") {
			t.Errorf("%s: stderr line %q is not a warning", what, line)
		}
	}
}

type freeSpace struct {
	FreeBytesAvailableToCaller, TotalNumberOfBytes, TotalNumberOfFreeBytes int64
}

// around runs the agent with args under Wine between two GetDiskFreeSpaceExW of C:\, all
// in one Wine session (freespace.exe runs it), and returns the answers and the run.
func around(t *testing.T, args ...string) (before, after freeSpace, r result) {
	t.Helper()
	w := wine(t, "freespace.exe", append([]string{`C:\`, filepath.Join(binaries(t), "sms-agent.exe")}, args...)...)
	var out struct {
		Before, After  freeSpace
		ExitCode       int
		Stdout, Stderr string
	}
	if w.code != 0 || json.Unmarshal([]byte(w.stdout), &out) != nil || out.Before.TotalNumberOfBytes == 0 {
		t.Fatalf("freespace: exit %d: %s %s", w.code, w.stdout, w.stderr)
	}
	return out.Before, out.After, result{out.Stdout, out.Stderr, out.ExitCode}
}

type inventory struct {
	Host struct {
		OSType string `json:"os_type"`
	} `json:"host"`
	Mounts []struct {
		MountPoint string `json:"mount_point"`
		Usage      *struct {
			FSSize   int64 `json:"fs_size"`
			UsedSize int64 `json:"used_size"`
			FreeSize int64 `json:"free_size"`
		} `json:"usage"`
	} `json:"mounts"`
}

// TestDiscoverC: `discover --json` lists C: with the size and used bytes that
// GetDiskFreeSpaceExW reports, asked by another program just before and after; the calls
// Wine does not support are warnings (exit 3), never a crash.
func TestDiscoverC(t *testing.T) {
	// The disk is shared with other work, and its free space moves while the agent runs
	// (up and down, so even the answers just before and after need not bracket it). Try
	// up to 10 times for a run whose reading lies between them — equal to the byte when
	// the free space held still; fail when no run does.
	used := func(f freeSpace) int64 { return f.TotalNumberOfBytes - f.TotalNumberOfFreeBytes }
	var inv inventory
	found, agreed := false, false
	for try := 1; try <= 10 && !agreed; try++ {
		before, after, r := around(t, "discover", "--json")
		partial(t, "discover --json", r)
		if err := json.Unmarshal([]byte(r.stdout), &inv); err != nil {
			t.Fatalf("discover --json: %v\n%s", err, r.stdout)
		}
		for _, m := range inv.Mounts {
			if m.MountPoint != `C:\` {
				continue
			}
			found = true
			if m.Usage == nil {
				t.Fatal(`C:\ has no usage`)
			}
			lo, hi := min(used(before), used(after)), max(used(before), used(after))
			agreed = m.Usage.FSSize == before.TotalNumberOfBytes && m.Usage.UsedSize >= lo && m.Usage.UsedSize <= hi
			t.Logf(`try %d: C:\ size %d, used %d bytes; GetDiskFreeSpaceExW: total %d, used %d before, %d after`, try,
				m.Usage.FSSize, m.Usage.UsedSize, before.TotalNumberOfBytes, used(before), used(after))
		}
	}
	if inv.Host.OSType != "WINDOWS" {
		t.Errorf("os_type %q", inv.Host.OSType)
	}
	if found && !agreed {
		t.Errorf(`in 10 runs, C:\'s size and used bytes never matched GetDiskFreeSpaceExW's (see the log)`)
	}
	if !found {
		t.Errorf(`no C:\ among the mounts: %+v`, inv.Mounts)
	}
	tree := wine(t, "sms-agent.exe", "discover")
	partial(t, "discover", tree)
	if !strings.Contains(tree.stdout, `C:\`) || !strings.Contains(tree.stdout, `PHYSICALDRIVE0`) {
		t.Errorf("discover tree:\n%s", tree.stdout)
	}
}

// TestCaptureReplaysOnLinux: a capture taken under Wine replays on Linux to the JSON the
// same replay gives under Wine, and to what discover printed live (to the byte when the
// free space held still; else but for the usage numbers).
func TestCaptureReplaysOnLinux(t *testing.T) {
	dir := binaries(t)
	capture := filepath.Join(dir, "wine-capture.tar.gz")
	var live, linux result
	exact := false
	for try := 0; try < 2 && !exact; try++ {
		live = wine(t, "sms-agent.exe", "discover", "--json")
		c := wine(t, "sms-agent.exe", "capture", "--out", capture)
		partial(t, "capture", c)
		if !strings.Contains(c.stderr, "wrote "+capture) {
			t.Fatalf("capture: %s", c.stderr)
		}
		linux = run(t, dir, filepath.Join(dir, "sms-agent"), "discover", "--json", "--from", capture)
		partial(t, "discover --from (Linux)", linux)
		exact = live.stdout == linux.stdout
	}
	if !exact {
		var a, b map[string]any
		_ = json.Unmarshal([]byte(live.stdout), &a)
		_ = json.Unmarshal([]byte(linux.stdout), &b)
		for _, m := range append(a["mounts"].([]any), b["mounts"].([]any)...) {
			delete(m.(map[string]any), "usage")
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("live under Wine and replayed on Linux differ beyond usage:\n%s\n---\n%s", live.stdout, linux.stdout)
		}
		t.Logf("the free space kept moving: live and replayed inventories compared without usage")
	}
	onWine := wine(t, "sms-agent.exe", "discover", "--json", "--from", capture)
	partial(t, "discover --from (Wine)", onWine)
	if onWine.stdout != linux.stdout || onWine.stderr != linux.stderr {
		t.Errorf("one capture, two replays differ:\nWine:\n%s%s\nLinux:\n%s%s", onWine.stdout, onWine.stderr, linux.stdout, linux.stderr)
	}
}

// TestRequestsOnWindows: check runs the Windows checks, which stop the requests under
// Wine (the process is not elevated, there is no VSS service, and Wine names no disk
// under C:); forced, source register and task create build their bodies on Windows as
// on Linux (dry runs: no network).
func TestRequestsOnWindows(t *testing.T) {
	c := wine(t, "sms-agent.exe", "check")
	for _, want := range []string{"ERROR not running with administrator rights", "ERROR the system drive C: is not migrated", "ERROR the Volume Shadow Copy service is missing", "OK architecture x86_64"} {
		if !strings.Contains(c.stdout, want) {
			t.Errorf("check lacks %q:\n%s", want, c.stdout)
		}
	}
	if c.code != 4 || strings.Contains(c.stdout, "GRUB") || strings.Contains(c.stdout, "rsync") {
		t.Errorf("check: exit %d (want 4), Linux checks run on Windows?\n%s", c.code, c.stdout)
	}
	for _, args := range [][]string{
		{"source", "register", "--dry-run"},
		{"task", "create", "--dry-run", "--source-id", "0a1b2c3d-0000-4000-8000-000000000001", "--region", "ap-southeast-3",
			"--project-id", "0123456789abcdef0123456789abcdef"},
	} {
		what := strings.Join(args[:2], " ")
		if r := wine(t, "sms-agent.exe", args...); r.code != 4 || r.stdout != "" || !strings.Contains(r.stderr, "sms-agent: "+what+": stopped by") {
			t.Errorf("%s: exit %d (want 4, nothing printed)\n%s%s", what, r.code, r.stdout, r.stderr)
		}
		r := wine(t, "sms-agent.exe", append(args, "--force")...)
		if r.code != 3 {
			t.Errorf("%s --force: exit %d; want 3\n%s", what, r.code, r.stderr)
		}
		for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
			if !strings.HasPrefix(line, "warning: ") && !strings.HasPrefix(line, "WARN ") && !strings.HasPrefix(line, "ERROR ") &&
				!strings.HasPrefix(line, "sms-agent: "+what+": --force: ") && !strings.HasPrefix(line, "sms-agent: --force: the target will lack ") &&
				!strings.HasPrefix(line, "run-under-wine: ") {
				t.Errorf("%s --force: stderr line %q is neither a warning nor a check line", what, line)
			}
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &body); err != nil || body["os_type"] != "WINDOWS" {
			t.Errorf("%s: %v\n%s", what, err, r.stdout)
		}
	}
}

// TestServiceManager records what Wine's service manager does with a Go service (for
// `sms-agent service`): create, recovery actions, start, Running, stop and delete work;
// QueryServiceConfig2 (the description) is refused and svc.IsWindowsService is false in
// the service process.
func TestServiceManager(t *testing.T) {
	r := wine(t, "svcprobe.exe")
	t.Logf("svcprobe under Wine:\n%s", r.stdout)
	for _, step := range []string{"connect", "create (with a description)", "recovery actions", "start", "running", "stop", "stopped", "delete"} {
		if !strings.Contains(r.stdout, step+": ok") {
			t.Errorf("%s: not ok under Wine", step)
		}
	}
	if r.code != 0 {
		t.Errorf("svcprobe: exit %d: %s", r.code, r.stderr)
	}
}

// TestServiceInstallUnderWine: `sms-agent service install` registers the service with
// Wine's service manager (status: stopped), and uninstall removes it. Starting it is
// not tested: under Wine the service process is told it is not a Windows service
// (svc.IsWindowsService, see TestServiceManager), so it runs as a console program and
// never reports Running, and the manager's start times out (docs/windows.md).
func TestServiceInstallUnderWine(t *testing.T) {
	dir := binaries(t)
	conf := filepath.Join(dir, "service.conf")
	if err := os.WriteFile(conf, []byte("region = ap-southeast-3\nregister = false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	winConf := `Z:` + strings.ReplaceAll(conf, "/", `\`)
	t.Cleanup(func() { wine(t, "sms-agent.exe", "service", "uninstall") })
	if r := wine(t, "sms-agent.exe", "service", "install", "--config", winConf); r.code != 0 || !strings.Contains(r.stderr, "service installed (windows-service)") {
		t.Fatalf("service install: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := wine(t, "sms-agent.exe", "service", "status"); !strings.HasPrefix(r.stdout, "service:     stopped (windows-service)") {
		t.Errorf("status after install: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := wine(t, "sms-agent.exe", "service", "uninstall"); r.code != 0 || !strings.Contains(r.stderr, "service uninstalled (windows-service)") {
		t.Errorf("service uninstall: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := wine(t, "sms-agent.exe", "service", "status"); !strings.HasPrefix(r.stdout, "service:     not installed (windows-service)") {
		t.Errorf("status after uninstall: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestServiceRunCannotStart: a daemon that cannot start (its state directory cannot be
// made) ends the process with exit code 1 and says why, so that the service manager's
// recovery action restarts it, as systemd's Restart=on-failure does. kardianos/service
// returns only on the manager's stop (or Ctrl-C in a console, which is how Wine runs
// it): before, the process stayed, doing nothing.
func TestServiceRunCannotStart(t *testing.T) {
	dir := binaries(t) // bound into the chroot, unlike a t.TempDir
	blocker := filepath.Join(dir, "not-a-directory")
	conf := filepath.Join(dir, "cannot-start.conf")
	winPath := func(p string) string { return `Z:` + strings.ReplaceAll(p, "/", `\`) }
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(blocker, []byte("a file"), 0o600))
	must(os.WriteFile(conf, []byte("region = ap-southeast-3\nregister = false\nstate_dir = "+winPath(blocker)+`\state`+"\n"), 0o600))
	runner, err := filepath.Abs("../../tools/wine/run-under-wine.sh")
	must(err)
	r := runWithin(t, 2*time.Minute, dir, runner, filepath.Join(dir, "sms-agent.exe"), "service", "run", "--config", winPath(conf))
	if r.code != 1 || !strings.Contains(r.stderr, "stopped with an error") || !strings.Contains(r.stderr, "not-a-directory") {
		t.Errorf("service run with an unusable state_dir: exit %d; want 1 and the reason logged\nstderr:\n%s", r.code, r.stderr)
	}
}
