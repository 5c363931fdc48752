//go:build unix

// Tests that run processes (sh, sleep, the statfs helper) or make symlinks the way a
// Linux capture needs: they need a Unix.

package platform

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExecRunner(t *testing.T) {
	ctx := context.Background()
	res, err := runner().Run(ctx, Command{Argv: []string{"sh", "-c", "echo out; echo err >&2; echo $LC_ALL $EXTRA"}, Env: []string{"EXTRA=x"}})
	if err != nil || string(res.Stdout) != "out\nC x\n" || string(res.Stderr) != "err\n" || res.ExitCode != 0 {
		t.Errorf("got %q %q %d %v", res.Stdout, res.Stderr, res.ExitCode, err)
	}
	res, err = runner().Run(ctx, Command{Argv: []string{"sh", "-c", "echo partial; echo 'no such VG' >&2; exit 5"}})
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 5 || res.ExitCode != 5 || string(res.Stdout) != "partial\n" {
		t.Fatalf("exit: %+v %v", res, err)
	}
	if want := `sh -c echo partial; echo 'no such VG' >&2; exit 5: exit status 5: "no such VG"`; err.Error() != want {
		t.Errorf("error %q; want %q", err, want)
	}
	if _, err := runner().Run(ctx, Command{Argv: []string{"no-such-tool-sms"}}); !errors.Is(err, ErrToolUnavailable) {
		t.Errorf("missing tool: %v", err)
	}
	start := time.Now()
	_, err = runner().Run(ctx, Command{Argv: []string{"sleep", "30"}, Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) || time.Since(start) > 10*time.Second {
		t.Errorf("timeout: %v after %v", err, time.Since(start))
	}
}

func liveEnv() LiveEnv {
	return LiveEnv{Env: []string{"LC_ALL=C", "PATH=/usr/bin:/bin"}}
}

func TestRecordReplay(t *testing.T) {
	rec := NewRecorder(NewLive(liveEnv()))
	run := ProbeRunner{P: rec}
	ctx := context.Background()
	_, _ = run.Run(ctx, Command{Argv: []string{"sh", "-c", "echo hi; exit 3"}})
	_, _ = run.Run(ctx, Command{Argv: []string{"no-such-tool-sms", "x"}})
	_, _ = run.Run(ctx, Command{Argv: []string{"sleep", "5"}, Timeout: 50 * time.Millisecond})
	recs, errs := rec.Records()
	if len(errs) != 0 || len(recs[CommandProbe.Name]) != 3 {
		t.Fatalf("records %v, errors %v", recs, errs)
	}
	rp := ProbeRunner{P: NewReplay(recs)}
	res, err := rp.Run(ctx, Command{Argv: []string{"sh", "-c", "echo hi; exit 3"}})
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 3 || string(res.Stdout) != "hi\n" {
		t.Errorf("replayed exit: %+v %v", res, err)
	}
	if _, err := rp.Run(ctx, Command{Argv: []string{"no-such-tool-sms", "x"}}); !errors.Is(err, ErrToolUnavailable) {
		t.Errorf("replayed unavailable: %v", err)
	}
	if _, err := rp.Run(ctx, Command{Argv: []string{"sleep", "5"}}); !errors.Is(err, ErrTimeout) {
		t.Errorf("replayed timeout: %v", err)
	}
	if _, err := rp.Run(ctx, Command{Argv: []string{"sh", "-c", "other"}}); !errors.Is(err, ErrToolUnavailable) {
		t.Errorf("unrecorded argv: %v", err)
	}
}

// TestHelperStatfs: the helper answers for each path, named by its path or, with ""
// (what the agent passes), found as this program's executable when it starts.
func TestHelperStatfs(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, bin := range []string{exe, ""} {
		dir := t.TempDir()
		var started []string
		h := HelperStatfs{Argv: []string{bin, "__statfs"}, Timeout: 5 * time.Second, Spawned: func(argv []string) { started = argv }}
		out := h.Statfs(context.Background(), []string{dir, filepath.Join(dir, "missing")})
		if o := out[dir]; o.Stat == nil || o.Stat.Blocks == 0 || o.Stat.Bsize == 0 {
			t.Errorf("helper %q: statfs %s: %+v", bin, dir, o)
		}
		if o := out[filepath.Join(dir, "missing")]; o.Stat != nil || !strings.Contains(o.Error().Error(), "no such file") {
			t.Errorf("helper %q: statfs missing: %+v", bin, o)
		}
		if len(started) != 2 || started[0] != exe || started[1] != "__statfs" {
			t.Errorf("helper %q started as %q; want {%q, __statfs}", bin, started, exe)
		}
	}
}

// A helper that never answers stands for a statfs stuck on a dead mount: every path
// times out, and Statfs returns on time.
func TestHelperStatfsAbandonsStuckChild(t *testing.T) {
	h := HelperStatfs{Argv: []string{"/bin/sleep", "60"}, Timeout: 300 * time.Millisecond}
	start := time.Now()
	out := h.Statfs(context.Background(), []string{"/a", "/b"})
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("Statfs took %v", el)
	}
	for _, p := range []string{"/a", "/b"} {
		err := out[p].Error()
		if !errors.Is(err, ErrTimeout) || err.Error() != "statfs timed out after 300ms" {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestCaptureRoundTrip(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "sys/devices/pci0000:00/block/sda/sda1"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "sys/block"), 0o755))
	must(os.WriteFile(filepath.Join(root, "sys/devices/pci0000:00/block/sda/size"), []byte("2048\n"), 0o644))
	must(os.WriteFile(filepath.Join(root, "sys/devices/pci0000:00/block/sda/sda1/partition"), []byte("1\n"), 0o644))
	must(os.WriteFile(filepath.Join(root, "sys/devices/pci0000:00/block/sda/secret"), []byte("not read\n"), 0o644))
	must(os.Symlink("../devices/pci0000:00/block/sda", filepath.Join(root, "sys/block/sda")))
	// A dm device whose slaves/ holds a link that is listed, never read, and a file.
	dm := filepath.Join(root, "sys/devices/virtual/block/dm-0")
	must(os.MkdirAll(filepath.Join(dm, "slaves"), 0o755))
	must(os.MkdirAll(filepath.Join(dm, "queue"), 0o755))
	must(os.WriteFile(filepath.Join(dm, "uevent"), []byte("MAJOR=253\n"), 0o644))
	must(os.Symlink("../../../../pci0000:00/block/sda/sda1", filepath.Join(dm, "slaves", "sda1")))
	must(os.Symlink("../devices/virtual/block/dm-0", filepath.Join(root, "sys/block/dm-0")))
	rec := NewFileRecorder()
	fsys := NewFS(root).WithRecorder(rec)
	if _, err := fsys.ReadDir("/sys/block"); err != nil {
		t.Fatal(err)
	}
	if s, err := fsys.ReadString("/sys/block/sda/size"); err != nil || s != "2048" {
		t.Fatalf("%q %v", s, err)
	}
	if !fsys.Exists("/sys/block/sda/sda1/partition") {
		t.Fatal("partition missing")
	}
	for _, d := range []string{"/sys/block/dm-0", "/sys/block/dm-0/slaves"} {
		if _, err := fsys.ReadDir(d); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	// A command, a tree search answered and one refused, recorded as `capture` records them.
	key := BtrfsSearchKey{TreeID: 1, MinObjectID: 6, MaxObjectID: 6, MinType: 84, MaxType: 84, NrItems: 16}
	item := append(make([]byte, BtrfsSearchHeaderSize), 1, 2, 3)
	item[28] = 3 // len of the item after the header
	var recs []ProbeRecord
	for _, mnt := range []string{"/srv", "/home"} {
		res, err := fakeSearch{"/srv": {NrItems: 1, Buf: item}}.BtrfsTreeSearch(mnt, key)
		r, e := ProbeRecordOf(BtrfsSearchProbe, BtrfsSearchQuery{Mount: mnt, Search: key}, res, err)
		must(e)
		recs = append(recs, r)
	}
	blkid, err := ProbeRecordOf(CommandProbe, Command{Argv: []string{"blkid"}}, CommandOutput{Stdout: "x"}, nil)
	must(err)
	m := Manifest{Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Privileged: true,
		Probes: map[string][]ProbeRecord{CommandProbe.Name: {blkid}, BtrfsSearchProbe.Name: recs}}
	must(WriteCapture(&buf, NewFS(root), rec, m))
	arch := filepath.Join(t.TempDir(), "c.tar.gz")
	must(os.WriteFile(arch, buf.Bytes(), 0o600))
	c, err := OpenCapture(arch, t.TempDir())
	must(err)
	defer c.Close()
	rfs := NewFS(c.Dir)
	if s, err := rfs.ReadString("/sys/block/sda/size"); err != nil || s != "2048" {
		t.Errorf("replayed size %q %v", s, err)
	}
	if l, err := rfs.Readlink("/sys/block/sda"); err != nil || l != "../devices/pci0000:00/block/sda" {
		t.Errorf("replayed link %q %v", l, err)
	}
	if b, err := rfs.ReadFile("/sys/block/sda/sda1/partition"); err != nil || len(b) != 0 {
		t.Errorf("existence-only file: %q %v; want an empty placeholder", b, err)
	}
	if names, err := rfs.ReadDir("/sys/block/dm-0/slaves"); err != nil || strings.Join(names, ",") != "sda1" {
		t.Errorf("replayed slaves %v %v; want the listed link sda1", names, err)
	}
	if l, err := rfs.Readlink("/sys/block/dm-0/slaves/sda1"); err != nil || l != "../../../../pci0000:00/block/sda/sda1" {
		t.Errorf("replayed slave link %q %v", l, err)
	}
	if names, err := rfs.ReadDir("/sys/block/dm-0"); err != nil || strings.Join(names, ",") != "queue,slaves" {
		t.Errorf("replayed dm-0 %v %v; want its directories only (uevent was never read)", names, err)
	}
	if rfs.Exists("/sys/devices/pci0000:00/block/sda/secret") {
		t.Error("a file discovery never read was captured")
	}
	if c.Manifest == nil || !c.Manifest.Privileged || c.Manifest.Format != CaptureFormat || c.Manifest.OS != OSLinux ||
		c.Manifest.Version != CaptureVersion || len(c.Manifest.Probes[CommandProbe.Name]) != 1 {
		t.Errorf("manifest %+v", c.Manifest)
	}
	h := c.Host(time.Now)
	if res, err := h.Run.Run(context.Background(), Command{Argv: []string{"blkid"}}); err != nil || string(res.Stdout) != "x" {
		t.Errorf("replayed command: %+v, %v", res, err)
	}
	if res, err := h.BtrfsSearch.BtrfsTreeSearch("/srv", key); err != nil || res.NrItems != 1 || !bytes.Equal(res.Buf, item) {
		t.Errorf("replayed search: %+v, %v", res, err)
	}
	if _, err := h.BtrfsSearch.BtrfsTreeSearch("/home", key); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("replayed refusal: %v", err)
	}
	if _, err := h.BtrfsSearch.BtrfsTreeSearch("/srv", BtrfsSearchKey{TreeID: 5}); !errors.Is(err, ErrNotRecorded) {
		t.Errorf("search with another key: %v; want ErrNotRecorded", err)
	}
	dir := c.Dir
	c.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("unpacked capture not removed: %v", err)
	}
}

// TestRecordRunnerWaitsForExit: a capture keeps the real exit code and all of stderr,
// so a recording waits for the exit even of a command whose output is complete early;
// the plain ExecRunner returns early and says so.
func TestRecordingWaitsForExit(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	dir := t.TempDir()
	script := "#!/bin/sh\necho done\nsleep 0.3\necho late >&2\nexit 3\n"
	if err := os.WriteFile(filepath.Join(dir, "tool"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	exec := ExecRunner{SearchPath: []string{dir}, Env: []string{"PATH=/usr/bin:/bin"}}
	c := Command{Argv: []string{"tool"}, Timeout: 5 * time.Second,
		Complete: func(b []byte) bool { return bytes.Equal(b, []byte("done\n")) }}
	res, err := exec.Run(context.Background(), c)
	if err != nil || !res.Early || string(res.Stdout) != "done\n" || len(res.Stderr) != 0 {
		t.Fatalf("exec: %+v, %v; want the early answer", res, err)
	}
	rec := NewRecorder(NewLive(LiveEnv{SearchPath: exec.SearchPath, Env: exec.Env}))
	res, err = ProbeRunner{P: rec}.Run(context.Background(), c)
	var ee *ExitError
	if !errors.As(err, &ee) || res.Early || res.ExitCode != 3 || string(res.Stderr) != "late\n" {
		t.Fatalf("record: %+v, %v; want exit 3 with stderr", res, err)
	}
	recs, _ := rec.Records()
	if got := recs[CommandProbe.Name]; len(got) != 1 || string(got[0].Answer) != `{"stdout":"done\n","stderr":"late\n","exit_code":3}` {
		t.Errorf("recorded %+v", got)
	}
}

func runner() ExecRunner {
	return ExecRunner{Env: []string{"LC_ALL=C", "PATH=/usr/bin:/bin"}}
}
