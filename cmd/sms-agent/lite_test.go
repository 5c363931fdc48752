//go:build linux && !lite

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sms-agent/sms-agent/internal/agentbuild"
)

// The lite front (main_lite.go) is what `sms-agent` is once installed; agentBinary
// builds it with sms-agent-full beside it, so every other test of the binary runs
// through it too. These tests hold what is particular to it.

// TestLiteDependencies: the front links none of what makes the complete agent slow to
// start (the SMS client and TLS, the service manager, the daemon's log, host facts);
// a change that imports one of them into discover's path fails here, not in a
// benchmark.
func TestLiteDependencies(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain")
	}
	out, err := exec.Command("go", "list", "-tags", "lite", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	if !deps["github.com/sms-agent/sms-agent/agent/inventory"] {
		t.Fatalf("go list -tags lite -deps lists no agent/inventory:\n%s", out)
	}
	for _, p := range []string{
		"github.com/kardianos/service", "github.com/rs/zerolog", "net/http", "crypto/tls", "crypto/x509", "net",
		"net/netip", "regexp",
		"github.com/sms-agent/sms-agent/agent/sms", "github.com/sms-agent/sms-agent/agent/daemon",
		"github.com/sms-agent/sms-agent/agent/check", "github.com/sms-agent/sms-agent/collectors/hostfacts",
	} {
		if deps[p] {
			t.Errorf("the lite build links %s", p)
		}
	}
}

// liteDir copies the built front, and the complete agent when withFull, into a
// directory of its own.
func liteDir(t *testing.T, withFull bool) string {
	t.Helper()
	if agentbuild.FullName != fullName {
		t.Fatalf("internal/agentbuild builds %q beside the front; the front runs %q", agentbuild.FullName, fullName)
	}
	bin := agentBinary(t)
	dir := t.TempDir()
	names := []string{"sms-agent"}
	if withFull {
		names = append(names, fullName)
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(bin), n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestLiteSameAsFull: for discover, which the front runs itself, and for what it
// hands on (discover --from among them), the front and the complete agent print the
// same bytes and exit alike.
func TestLiteSameAsFull(t *testing.T) {
	s := newCLISandbox(t)
	full := filepath.Join(filepath.Dir(s.bin), fullName)
	// discover --from is handed on, so one capture checks the hand-on, as JSON and as a
	// tree; the replays themselves are the complete agent's (the golden tests).
	capture, _ := filepath.Abs("../../testdata/hosts/loop-lvm.tar.gz")
	cases := [][]string{
		nil, {"help"}, {"--help"}, {"version"}, {"--version"}, {"bogus"},
		{"discover", "--help"}, {"help", "discover"}, {"discover", "--bogus"}, {"discover", "extra"},
		{"discover", "--from", s.path("missing.tar.gz")}, {"discover", "--devices", "/dev/ bad"},
		{"check", "--help"}, {"service", "--help"}, {"config", "check"},
		{"discover", "--json", "--from", capture}, {"discover", "--from", capture},
	}
	for _, args := range cases {
		code, out, errOut := s.run(nil, args...)
		fs := *s
		fs.bin = full
		fcode, fout, ferrOut := fs.run(nil, args...)
		if code != fcode || out != fout || errOut != ferrOut {
			t.Errorf("sms-agent %q: exit %d, stdout %d bytes, stderr %q; sms-agent-full: exit %d, stdout %d bytes, stderr %q",
				args, code, len(out), errOut, fcode, len(fout), ferrOut)
		}
		if strings.HasPrefix(strings.Join(args, " "), "discover --json --from") && (code != 0 && code != 3 || !strings.HasPrefix(out, "{")) {
			t.Errorf("sms-agent %q: exit %d, stdout %.80q", args, code, out)
		}
	}
	// This host, which only the front reads itself: the same inventory but for the
	// space and inodes in use, which change between the two runs.
	inUse := regexp.MustCompile(`"(used_size|free_size|inodes_free|inodes_used)": [0-9]+`)
	code, out, errOut := s.run(nil, "discover", "--json")
	fs := *s
	fs.bin = full
	fcode, fout, ferrOut := fs.run(nil, "discover", "--json")
	out, fout = inUse.ReplaceAllString(out, "$1"), inUse.ReplaceAllString(fout, "$1")
	if code != fcode || out != fout || errOut != ferrOut || !strings.Contains(out, `"disks": [`) {
		t.Errorf("discover --json of this host: sms-agent exit %d, stderr %q, stdout:\n%s\nsms-agent-full: exit %d, stderr %q, stdout:\n%s",
			code, errOut, out, fcode, ferrOut, fout)
	}
}

// TestLiteAlone: without sms-agent-full beside it the front still discovers, and any
// other command fails in one line that says what is missing.
func TestLiteAlone(t *testing.T) {
	dir := liteDir(t, false)
	s := newCLISandbox(t)
	s.bin = filepath.Join(dir, "sms-agent")
	if code, out, errOut := s.run(nil, "discover", "--json"); (code != exitOK && code != exitPartial) || !strings.Contains(out, `"disks": [`) {
		t.Errorf("discover of this host without sms-agent-full: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	capture, _ := filepath.Abs("../../testdata/hosts/vm-lvm-active.tar.gz")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"task", "create", "--dry-run"}, `sms-agent: "task" needs the complete agent: exec ` + filepath.Join(dir, fullName) + `: no such file or directory`},
		{[]string{"discover", "--json", "--from", capture}, `sms-agent: discover --from needs the complete agent: exec ` + filepath.Join(dir, fullName) + `: no such file or directory`},
	} {
		code, out, errOut := s.run(nil, c.args...)
		if code != exitFailure || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, c.want) {
			t.Errorf("%q without sms-agent-full: exit %d, stdout %q, stderr %q; want exit 1 and one line %q...", c.args, code, out, errOut, c.want)
		}
	}
	// A usage error is the front's own: it needs no sms-agent-full.
	if code, _, errOut := s.run(nil, "discover", "--from"); code != exitUsage || !strings.Contains(errOut, "flag --from needs a value") {
		t.Errorf("discover --from without its argument: exit %d, stderr %q; want the usage error", code, errOut)
	}
	// A hostile first word is quoted and cut, as in every other message.
	code, _, errOut := s.run(nil, strings.Repeat("\n", 300))
	if code != exitFailure || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, `"\n\n`) || !strings.Contains(errOut, `…`) {
		t.Errorf("300 newlines without sms-agent-full: exit %d, stderr %q; want one line, quoted and cut", code, errOut)
	}
}

// TestLiteSymlink: the front finds sms-agent-full beside the file a symbolic link
// names (a link in /usr/local/bin to an unpacked directory), not beside the link.
func TestLiteSymlink(t *testing.T) {
	dir := liteDir(t, true)
	link := filepath.Join(t.TempDir(), "sms-agent")
	if err := os.Symlink(filepath.Join(dir, "sms-agent"), link); err != nil {
		t.Fatal(err)
	}
	s := newCLISandbox(t)
	s.bin = link
	if code, out, errOut := s.run(nil, "help"); code != 0 || !strings.HasPrefix(out, "Usage: sms-agent <command>") || !strings.Contains(out, "  service ") {
		t.Errorf("help (handed on) through a link: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
