//go:build linux && !lite

package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sms-agent/sms-agent/agent/smsfake"
)

// cliSandbox is a directory the binary runs in: HOME, TMPDIR, the working directory
// and the config file (SMS_AGENT_CONFIG, empty) are below it, and every input a case
// names is too.
type cliSandbox struct {
	t   *testing.T
	bin string
	dir string
}

func newCLISandbox(t *testing.T) *cliSandbox {
	s := &cliSandbox{t: t, bin: agentBinary(t), dir: t.TempDir()}
	for _, d := range []string{"home", "tmp", "work"} {
		if err := os.Mkdir(filepath.Join(s.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s.write("home/empty.conf", "", 0o600) // SMS_AGENT_CONFIG: never the machine's config
	return s
}

func (s *cliSandbox) path(name string) string { return filepath.Join(s.dir, name) }

func (s *cliSandbox) write(name, content string, mode os.FileMode) string {
	p := s.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		s.t.Fatal(err)
	}
	return p
}

// command returns the agent's command, run in the sandbox with nothing inherited but
// PATH.
func (s *cliSandbox) command(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Dir = s.path("work")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + s.path("home"), "TMPDIR=" + s.path("tmp"),
		"SMS_AGENT_CONFIG=" + s.path("home/empty.conf")}, env...)
	return cmd
}

// run runs the agent to its end (60 s at most) and returns its exit code and output.
func (s *cliSandbox) run(env []string, args ...string) (code int, stdout, stderr string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := s.command(ctx, env, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		s.t.Fatalf("sms-agent %.200q hung", args)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatal(err)
	}
	return code, o.String(), e.String()
}

// snapshot describes every file below root: type, mode, size, content, link target.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		desc := st.Mode().String()
		switch {
		case st.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			desc += fmt.Sprintf(" %d %s", len(b), hex.EncodeToString(sum[:8]))
		case st.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			desc += " -> " + l
		}
		out[p] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tarGz writes a .tar.gz of the given headers (regular files get their Linkname as
// content, to keep the table short).
func tarGz(t *testing.T, p string, hdrs ...tar.Header) string {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, h := range hdrs {
		content := ""
		if h.Typeflag == tar.TypeReg {
			content, h.Linkname, h.Size = h.Linkname, "", int64(len(h.Linkname))
		}
		if h.Mode == 0 {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, content)
	}
	tw.Close()
	zw.Close()
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCLIBadInput runs the built binary on every bad input of issue 9: it must exit
// with the documented code, print exactly one line on stderr (and nothing on stdout),
// and change no file: neither in its sandbox (inputs, TMPDIR: no leftovers) nor in
// the package directory it was started from.
func TestCLIBadInput(t *testing.T) {
	s := newCLISandbox(t)
	d := s.dir
	fifo := s.path("in/fifo")
	os.MkdirAll(filepath.Dir(fifo), 0o755)
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	unknown := s.write("conf/unknown.conf", "# a comment\ncolour = blue\n", 0o600)
	badValue := s.write("conf/badvalue.conf", "region = ap-southeast-3\npriority = 99999999\n", 0o600)
	halfPair := s.write("conf/halfpair.conf", "region = ap-southeast-3\nak = AKVALUE1234\n", 0o600)
	open := s.write("conf/open.conf", "region = ap-southeast-3\n", 0o644)
	chain := tarGz(t, s.path("in/chain.tar.gz"),
		tar.Header{Name: "d/", Typeflag: tar.TypeDir},
		tar.Header{Name: "d/y", Typeflag: tar.TypeSymlink, Linkname: ".."},
		tar.Header{Name: "a", Typeflag: tar.TypeSymlink, Linkname: "d/y/.."},
		tar.Header{Name: "a/x", Typeflag: tar.TypeReg, Linkname: "pwned"})
	absLink := tarGz(t, s.path("in/abs.tar.gz"),
		tar.Header{Name: "sys/", Typeflag: tar.TypeDir},
		tar.Header{Name: "sys/l", Typeflag: tar.TypeSymlink, Linkname: d})
	inv := s.write("in/inv.json", e2eInventory, 0o644)
	os.Mkdir(s.path("out-dir"), 0o755)
	dangling := s.path("out-dangling")
	os.Symlink(s.path("nowhere"), dangling)
	longName := strings.Repeat("x", 100<<10)
	cut := `"` + strings.Repeat("x", 200) + `"…`

	type cliCase struct {
		args []string
		code int
		want string // the line on stderr, without "sms-agent: "
	}
	see := func(cmd string) string { return "; see 'sms-agent " + cmd + " --help'" }
	cases := []cliCase{
		{[]string{}, 2, "want a command (discover, capture, check, plan, source, task, service, config, version); see 'sms-agent help'"},
		{[]string{"bogus"}, 2, `unknown command "bogus"; see 'sms-agent help'`},
		{[]string{"task"}, 2, "task: want a subcommand: create, show or list; see 'sms-agent task --help'"},
		{[]string{"source", "nope"}, 2, `source: unknown subcommand "nope" (want register or show); see 'sms-agent source --help'`},
		{[]string{"discover", "extra"}, 2, `discover: unexpected argument "extra"` + see("discover")},
		{[]string{"version", "extra"}, 2, `version: unexpected argument "extra"` + see("version")},
		{[]string{"discover", "--bogus"}, 2, "discover: unknown flag --bogus" + see("discover")},
		{[]string{"capture", "--out"}, 2, "capture: flag --out needs a value" + see("capture")},
		{[]string{"capture"}, 2, "capture: --out FILE is required" + see("capture")},
		{[]string{"task", "create", "--type", "BOGUS"}, 2, `task create: --type "BOGUS": want MIGRATE_FILE or MIGRATE_BLOCK` + see("task create")},
		{[]string{"task", "create", "--priority", "99999999"}, 2, `task create: --priority "99999999": want an integer from 0 to 65535` + see("task create")},
		{[]string{"task", "create", "--migration-ip", "999.1.1.1"}, 2, `task create: --migration-ip "999.1.1.1": want an IP address like 192.168.0.10` + see("task create")},
		{[]string{"task", "create", "--region", "ap-southeast-3", "--project-id", "p", "--migration-ip", "fe80::1"}, 2, "task create: --migration-ip fe80::1 is an IPv6 address: add --use-ipv6" + see("task create")},
		{[]string{"task", "create", "--disk-ids", "junk"}, 2, `task create: --disk-ids "junk": want DISK=ID` + see("task create")},
		{[]string{"task", "create", "--syncing=maybe"}, 2, `task create: --syncing "maybe": want true or false` + see("task create")},
		{[]string{"task", "list", "--endpoint", "http://sms.example.com"}, 2, `task list: --endpoint "http://sms.example.com": plain http is allowed only for loopback addresses; use https` + see("task list")},
		{[]string{"task", "list", "--retries", "0"}, 2, `task list: --retries "0": want an integer from 1 to 100` + see("task list")},
		{[]string{"task", "list", "--timeout", "0"}, 2, `task list: --timeout "0": want a duration above 0, like 2s or 500ms` + see("task list")},
		{[]string{"check", "--type", "bogus"}, 2, `check: --type "bogus": want MIGRATE_FILE or MIGRATE_BLOCK` + see("check")},
		{[]string{"plan", "--headroom", "0"}, 2, `plan: --headroom "0": want an integer from 1 to 1000` + see("plan")},
		{[]string{"discover", "--devices", ""}, 2, `discover: --devices "": want a comma-separated list of disks, like /dev/sdb,/dev/sdc` + see("discover")},
		{[]string{"discover", "--devices", ",,,"}, 2, `discover: --devices ",,,": want a comma-separated list of disks, like /dev/sdb,/dev/sdc` + see("discover")},
		{[]string{"task", "create", "--exclude", " , "}, 2, `task create: --exclude " , ": want a comma-separated list of disks, partitions or LVs, like /dev/sdb,/dev/sdc1,vg0/data` + see("task create")},
		{[]string{"discover", "--devices", "/dev/sda\n/dev/sdb"}, 2, `discover: --devices "/dev/sda\n/dev/sdb": not a disk name (want /dev/NAME)` + see("discover")},
		{[]string{"discover", "--devices", longName}, 2, "discover: --devices " + cut + ": not a disk name (want /dev/NAME)" + see("discover")},
		{[]string{"discover", "--statfs-timeout", "0"}, 2, `discover: --statfs-timeout "0": want a duration above 0, like 2s or 500ms` + see("discover")},
		{[]string{"discover", "--statfs-timeout", "-1s"}, 2, `discover: --statfs-timeout "-1s": want a duration above 0, like 2s or 500ms` + see("discover")},
		{[]string{"capture", "--command-timeout", "0s", "--out", "x"}, 2, `capture: --command-timeout "0s": want a duration above 0, like 2s or 500ms` + see("capture")},
		{[]string{"discover", "--from", "/etc"}, 2, "discover: --from /etc: not a capture: it holds no sys/, proc/ or sms-capture.json" + see("discover")},
		{[]string{"discover", "--from", fifo}, 2, "discover: --from " + fifo + ": not a capture: it is a named pipe (FIFO) (want a .tar.gz archive from 'sms-agent capture' or a directory)" + see("discover")},
		{[]string{"discover", "--from", s.path("missing.tar.gz")}, 2, "discover: --from " + s.path("missing.tar.gz") + ": no such file or directory" + see("discover")},
		{[]string{"plan", "--from", fifo + ".json"}, 2, "plan: --from " + fifo + ".json: no such file or directory" + see("plan")},
		{[]string{"plan", "--from", "/dev/null.json"}, 2, "plan: --from /dev/null.json: no such file or directory" + see("plan")},
		{[]string{"check", "--offline", "--from", inv, "--facts", fifo}, 2, "check: --facts " + fifo + ": it is a named pipe (FIFO)" + see("check")},
		{[]string{"discover", "--from", chain}, 1, "discover: --from " + chain + ": entry a/x: mkdirat a: statat a: path escapes from parent"},
		{[]string{"discover", "--from", absLink}, 1, "discover: --from " + absLink + ": entry sys/l: symbolic link to " + d + " leaves the capture"},
		{[]string{"task", "list", "--config", "/etc"}, 2, "task list: /etc: not a config file: it is a directory"},
		{[]string{"task", "list", "--config", fifo}, 2, "task list: " + fifo + ": not a config file: it is a named pipe (FIFO)"},
		{[]string{"task", "list", "--config", s.path("missing.conf")}, 2, "task list: " + s.path("missing.conf") + ": no such file or directory"},
		{[]string{"plan", "--from", inv, "--exclude", "vg0/nope"}, 2, "plan: --exclude vg0/nope: no disk, partition or logical volume of that name in the inventory" + see("plan")},
		{[]string{"task", "list", "--config", unknown}, 2, "task list: " + unknown + ":2: colour: unknown key (see docs/sms.md)"},
		{[]string{"task", "create", "--config", badValue}, 2, "task create: " + badValue + ":2: priority: want an integer from 0 to 65535"},
		{[]string{"task", "list", "--config", halfPair}, 2, "task list: " + halfPair + ":2: ak: set without sk (both or neither)"},
		{[]string{"task", "list", "--config", open}, 2, "task list: " + open + ": config file must be private: mode 0644 lets others read it; run chmod 600"},
		{[]string{"capture", "--out", s.path("out-dir")}, 1, "capture: write " + s.path("out-dir") + ": refusing to write there: it is a directory"},
		{[]string{"capture", "--out", dangling}, 1, "capture: write " + dangling + ": refusing to write there: it is a symbolic link to " + s.path("nowhere") + ", which does not exist"},
	}
	if os.Geteuid() == 0 {
		// Root can replace /dev/full; a device of its own stands for it.
		full := s.path("dev/full")
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := syscall.Mknod(full, syscall.S_IFCHR|0o666, 1<<8|7); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, cliCase{[]string{"capture", "--out", full}, 1, "capture: write " + full + ": no space left on device"})
	}
	pkg, _ := os.Getwd()
	pkgBefore := snapshot(t, pkg)
	for _, c := range cases {
		before := snapshot(t, d)
		start := time.Now()
		code, stdout, stderr := s.run(nil, c.args...)
		elapsed := time.Since(start)
		name := fmt.Sprintf("%.100q", c.args)
		// capture reads the host before it writes: its warnings may come first.
		capture := len(c.args) > 0 && c.args[0] == "capture"
		var lines []string
		for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
			if !capture || !strings.HasPrefix(l, "warning: ") {
				lines = append(lines, l)
			}
		}
		if code != c.code || stdout != "" || len(lines) != 1 || lines[0] != "sms-agent: "+c.want {
			t.Errorf("%s: exit %d (want %d), stdout %.200q\nstderr: %.2000s\n  want: sms-agent: %.2000s", name, code, c.code, stdout, stderr, c.want)
		}
		if !capture && elapsed > 10*time.Second {
			t.Errorf("%s: took %v", name, elapsed)
		}
		if diff := cmp.Diff(before, snapshot(t, d)); diff != "" {
			t.Errorf("%s changed files (-before +after):\n%s", name, diff)
		}
	}
	if diff := cmp.Diff(pkgBefore, snapshot(t, pkg)); diff != "" {
		t.Errorf("the package directory changed (-before +after):\n%s", diff)
	}
}

// TestCLIHelp: "help CMD" is "CMD --help", on stdout, exit 0; the flags show with
// two dashes.
func TestCLIHelp(t *testing.T) {
	s := newCLISandbox(t)
	for _, cmd := range [][]string{{"discover"}, {"capture"}, {"task", "create"}, {"source", "register"}, {"check"}, {"plan"}, {"version"}} {
		code1, out1, err1 := s.run(nil, append([]string{"help"}, cmd...)...)
		code2, out2, err2 := s.run(nil, append(append([]string{}, cmd...), "--help")...)
		if code1 != 0 || code2 != 0 || err1 != "" || err2 != "" || out1 != out2 || !strings.HasPrefix(out1, "Usage: sms-agent "+strings.Join(cmd, " ")) {
			t.Errorf("%v: help exit %d, --help exit %d, stderr %q %q\n%s\n---\n%s", cmd, code1, code2, err1, err2, out1, out2)
		}
	}
	_, out, _ := s.run(nil, "help", "discover")
	if !strings.Contains(out, "\n  --statfs-timeout DURATION\n") || !strings.Contains(out, "(default 2s)") {
		t.Errorf("discover help:\n%s", out)
	}
	if code, out, errs := s.run(nil, "help"); code != 0 || errs != "" || !strings.Contains(out, "Commands:") {
		t.Errorf("help: %d %q\n%s", code, errs, out)
	}
}

// A --from directory whose files link out of it does not print the host's files.
func TestCLIReplayDirectoryConfined(t *testing.T) {
	s := newCLISandbox(t)
	secret := s.write("secret", "36 35 98:0 / /SECRET rw - ext4 /dev/SECRET rw\n", 0o600)
	root := s.path("sysroot")
	for _, dir := range []string{"proc/self", "sys/block", "etc"} {
		os.MkdirAll(filepath.Join(root, dir), 0o755)
	}
	os.Symlink(secret, filepath.Join(root, "proc/self/mountinfo"))
	os.Symlink("../../secret", filepath.Join(root, "etc/os-release"))
	code, stdout, stderr := s.run(nil, "discover", "--json", "--from", root)
	if code != 3 || strings.Contains(stdout+stderr, "SECRET") ||
		!strings.Contains(stderr, "warning: mounts: read /proc/self/mountinfo: path escapes from parent") ||
		!strings.Contains(stderr, "warning: host: read /etc/os-release: path escapes from parent") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
}

// interrupt starts the agent, calls ready until it says the agent is where the test
// wants it, sends sig, and returns the exit code, stderr and how long the agent took
// to exit after the signal.
func (s *cliSandbox) interrupt(sig syscall.Signal, env []string, ready func(stderr string) bool, args ...string) (int, string, time.Duration) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := s.command(ctx, env, args...)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	var stderr strings.Builder
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text() + "\n"
		}
		close(lines)
	}()
	deadline := time.After(30 * time.Second)
	for !ready(stderr.String()) {
		select {
		case l, ok := <-lines:
			if !ok {
				s.t.Fatalf("sms-agent %q ended before it was interrupted:\n%s", args, stderr.String())
			}
			stderr.WriteString(l)
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			s.t.Fatalf("sms-agent %q never got ready:\n%s", args, stderr.String())
		}
	}
	start := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
	err := cmd.Wait()
	took := time.Since(start)
	pw.Close()
	for l := range lines {
		stderr.WriteString(l)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatal(err)
	}
	return code, stderr.String(), took
}

// bigCapture writes a capture holding sys/block/ and a file of mib MiB of zeros. The
// gzip stream is one member for the tar headers, then one member of 1 MiB of zeros
// written mib times, then the tar trailer (zeros too): a gzip reader reads the members
// as one stream, and the test compresses 1 MiB, not 1000.
func bigCapture(t *testing.T, p string, mib int) string {
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	tw.WriteHeader(&tar.Header{Name: "sys/block/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "sys/big", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(mib) << 20})
	member := func(b []byte) []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	out := member(hdr.Bytes())
	mb := member(make([]byte, 1<<20))
	for i := 0; i < mib; i++ {
		out = append(out, mb...)
	}
	out = append(out, member(make([]byte, 1024))...)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCLIInterrupt sends SIGINT or SIGTERM to the agent while it unpacks a replay,
// waits for a FIFO's reader, and waits between retries or for an answer: it must exit
// within a second with 130 or 143 and one line saying it was interrupted (not the
// error its cancellation caused), leaving no temporary file.
func TestCLIInterrupt(t *testing.T) {
	s := newCLISandbox(t)
	tmp := s.path("tmp")
	// A capture that takes seconds to unpack: 1000 MiB of zeros, in 1 MB (see bigCapture).
	big := bigCapture(t, s.path("in/big.tar.gz"), 1000)
	fifo := s.path("out.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	fake := smsfake.New(smsfake.Config{AK: e2eAK, SK: e2eSK, ProjectID: e2eProject})
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	fake.Inject(smsfake.Fault{Method: "GET", Path: "/v3/sources", Status: 503, Times: 1000})
	fake.Inject(smsfake.Fault{Method: "GET", Path: "/v3/tasks", Delay: time.Minute, Times: 1000})
	unpacking := func(string) bool {
		m, _ := filepath.Glob(filepath.Join(tmp, "sms-agent-replay-*", "sys", "big"))
		return len(m) > 0
	}
	after := func(d time.Duration) func(string) bool {
		var start time.Time // from the first call: when the agent has been started
		return func(string) bool {
			if start.IsZero() {
				start = time.Now()
			}
			return time.Since(start) > d
		}
	}
	retrying := func(stderr string) bool { return strings.Contains(stderr, "retrying in") }
	for _, c := range []struct {
		name  string
		sig   syscall.Signal
		env   []string
		ready func(string) bool
		args  []string
		want  string
	}{
		{"replay", syscall.SIGINT, nil, unpacking, []string{"discover", "--from", big}, "sms-agent: discover: interrupted by SIGINT\n"},
		{"replay, SIGTERM", syscall.SIGTERM, nil, unpacking, []string{"discover", "--json", "--from", big}, "sms-agent: discover: interrupted by SIGTERM\n"},
		{"FIFO without reader", syscall.SIGTERM, nil, after(time.Second), []string{"capture", "--out", fifo}, "sms-agent: capture: interrupted by SIGTERM\n"},
		{"retry wait", syscall.SIGINT, akEnv, retrying,
			[]string{"source", "show", "--name", "web-1", "--endpoint", srv.URL, "--retry-base", "30s", "--retry-max-wait", "40s"},
			"sms-agent: source show: interrupted by SIGINT\n"},
		{"answer wait", syscall.SIGTERM, akEnv, after(500 * time.Millisecond),
			[]string{"task", "list", "--endpoint", srv.URL, "--timeout", "50s"}, "sms-agent: task list: interrupted by SIGTERM\n"},
	} {
		before := snapshot(t, s.dir)
		code, stderr, took := s.interrupt(c.sig, c.env, c.ready, c.args...)
		// Everything before the last line is what the agent said before the signal
		// (capture's warnings, the retry notice); the last line says it stopped.
		last := stderr[strings.LastIndex(strings.TrimSuffix(stderr, "\n"), "\n")+1:]
		if code != 128+int(c.sig) || last != c.want || took > time.Second {
			t.Errorf("%s: exit %d after %v; stderr:\n%s", c.name, code, took, stderr)
		}
		t.Logf("%s: exited %v after the signal", c.name, took.Round(time.Millisecond))
		if diff := cmp.Diff(before, snapshot(t, s.dir)); diff != "" {
			t.Errorf("%s left files (-before +after):\n%s", c.name, diff)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		names := []string{}
		for _, e := range left {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		t.Errorf("left in TMPDIR: %v", names)
	}
}
