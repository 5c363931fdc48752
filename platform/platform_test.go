package platform

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// The test binary doubles as the statfs helper child, as sms-agent does.
	if len(os.Args) > 1 && os.Args[1] == "__statfs" {
		if err := ServeStatfs(os.Stdin, os.Stdout); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runner() ExecRunner {
	return ExecRunner{Env: []string{"LC_ALL=C", "PATH=/usr/bin:/bin"}}
}

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

func TestHelperStatfs(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	h := HelperStatfs{Argv: []string{exe, "__statfs"}, Timeout: 5 * time.Second}
	out := h.Statfs(context.Background(), []string{dir, filepath.Join(dir, "missing")})
	if o := out[dir]; o.Stat == nil || o.Stat.Blocks == 0 || o.Stat.Bsize == 0 {
		t.Errorf("statfs %s: %+v", dir, o)
	}
	if o := out[filepath.Join(dir, "missing")]; o.Stat != nil || !strings.Contains(o.Error().Error(), "no such file") {
		t.Errorf("statfs missing: %+v", o)
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

func TestOpenCaptureRefusesEscapes(t *testing.T) {
	for _, tt := range []struct {
		name string
		hdr  tar.Header
	}{
		{"dotdot", tar.Header{Name: "../evil", Typeflag: tar.TypeReg, Mode: 0o644}},
		{"absolute link", tar.Header{Name: "sys/x", Typeflag: tar.TypeSymlink, Linkname: "/etc/shadow"}},
		{"escaping link", tar.Header{Name: "sys/x", Typeflag: tar.TypeSymlink, Linkname: "../../etc"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			tw := tar.NewWriter(zw)
			if err := tw.WriteHeader(&tt.hdr); err != nil {
				t.Fatal(err)
			}
			tw.Close()
			zw.Close()
			p := filepath.Join(t.TempDir(), "c.tar.gz")
			os.WriteFile(p, buf.Bytes(), 0o600)
			if c, err := OpenCapture(p, t.TempDir()); err == nil {
				c.Close()
				t.Errorf("opened a capture with %s", tt.name)
			}
		})
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"format":"sms-agent-capture","version":1,"commands":[{"argv":["blkid"],"stdout":"x","exit_code":2}],"statfs":[{"path":"/","error":"timed out after 2s"}]}`))
	f.Add([]byte(`{"format":"sms-agent-capture","version":2,"os":"windows","probes":{"command":[{"key":["blkid"],"answer":{"stdout":"x","exit_code":2}}],"statfs":[{"key":"/","error":{"message":"timed out after 2s","kind":"timeout"}}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err != nil {
			return
		}
		p := NewReplay(m.Probes)
		for _, r := range m.Probes[CommandProbe.Name] {
			var argv []string
			if json.Unmarshal(r.Key, &argv) == nil && len(argv) > 0 {
				_, _ = ProbeRunner{P: p}.Run(context.Background(), Command{Argv: argv})
			}
		}
		for _, r := range m.Probes[StatfsProbe.Name] {
			var path string
			if json.Unmarshal(r.Key, &path) == nil {
				for _, o := range StatfsAll(context.Background(), p, []StatfsQuery{{Path: path}}) {
					_ = o.Error()
				}
			}
		}
	})
}

func TestParseStatLine(t *testing.T) {
	// As `stat -f --printf StatFormat / /tmp` printed them on this machine.
	o, err := ParseStatLine("4096 4096 66053021 62916100 20738395 16777216 16354161 ef53 /")
	want := FSStat{Frsize: 4096, Bsize: 4096, Blocks: 66053021, Bfree: 62916100, Bavail: 20738395, Files: 16777216, Ffree: 16354161, Type: 0xef53}
	if err != nil || o.Path != "/" || *o.Stat != want {
		t.Errorf("got %+v %v", o, err)
	}
	if o, err := ParseStatLine("1024 1024 56037 56023 52671 16384 16373 ef53 /mnt/a b c"); err != nil || o.Path != "/mnt/a b c" {
		t.Errorf("path with spaces: %+v %v", o, err)
	}
	for _, bad := range []string{"", "1 2 3", "x 4096 1 1 1 1 1 ef53 /", "4096 4096 1 1 1 1 1 zz /", "4096 4096 1 1 1 1 1 ef53 "} {
		if _, err := ParseStatLine(bad); err == nil {
			t.Errorf("ParseStatLine(%q): no error", bad)
		}
	}
	errs := ParseStatErrors([]byte("stat: cannot read file system information for '/nonexist': No such file or directory\n"))
	if errs["/nonexist"] != "No such file or directory" {
		t.Errorf("ParseStatErrors = %v", errs)
	}
}

func TestCoreutilsStatfs(t *testing.T) {
	stat, err := (ExecRunner{}).LookPath("stat")
	if err != nil {
		t.Skip("no stat(1) on this machine")
	}
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	out := CoreutilsStatfs{Path: stat, Timeout: 5 * time.Second}.Statfs(context.Background(), []string{dir, missing, "/with\nnewline"})
	if o := out[dir]; o.Stat == nil || o.Stat.Blocks == 0 {
		t.Errorf("%s: %+v", dir, o)
	}
	if o := out[missing]; o.Stat != nil || !strings.Contains(o.Err, "No such file") {
		t.Errorf("%s: %+v", missing, o)
	}
	if o := out["/with\nnewline"]; o.Err != errNotAskedText {
		t.Errorf("newline path: %+v", o)
	}
	// A stat that never answers is abandoned on time.
	start := time.Now()
	stuck := filepath.Join(dir, "stuck-stat")
	if err := os.WriteFile(stuck, []byte("#!/bin/sh\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out = CoreutilsStatfs{Path: stuck, Timeout: 200 * time.Millisecond}.Statfs(context.Background(), []string{"/"})
	if time.Since(start) > 10*time.Second || !errors.Is(out["/"].Error(), ErrTimeout) {
		t.Errorf("stuck stat: %+v after %v", out["/"], time.Since(start))
	}
}

func FuzzParseStatLine(f *testing.F) {
	f.Add("4096 4096 66053021 62916100 20738395 16777216 16354161 ef53 /")
	f.Fuzz(func(t *testing.T, s string) {
		if o, err := ParseStatLine(s); err == nil && (o.Stat == nil || o.Path == "") {
			t.Fatalf("%q: %+v", s, o)
		}
		_ = ParseStatErrors([]byte(s))
	})
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

// fakeSearch answers tree searches from a map; other mounts are refused.
type fakeSearch map[string]BtrfsSearchResult

func (f fakeSearch) BtrfsTreeSearch(mnt string, _ BtrfsSearchKey) (BtrfsSearchResult, error) {
	if r, ok := f[mnt]; ok {
		return r, nil
	}
	return BtrfsSearchResult{}, fmt.Errorf("btrfs tree search on %s: permission denied", mnt)
}

func TestBtrfsSearchItemsLen(t *testing.T) {
	two := make([]byte, 2*BtrfsSearchHeaderSize+7)
	two[28] = 4                         // first item: 4 bytes
	two[BtrfsSearchHeaderSize+4+28] = 3 // second: 3 bytes
	for _, tt := range []struct {
		buf  []byte
		nr   uint32
		want int
		ok   bool
	}{
		{nil, 0, 0, true},
		{two, 1, BtrfsSearchHeaderSize + 4, true},
		{two, 2, len(two), true},
		{two, 3, 0, false},
		{two[:len(two)-1], 2, 0, false},
	} {
		n, err := BtrfsSearchItemsLen(tt.buf, tt.nr)
		if (err == nil) != tt.ok || n != tt.want {
			t.Errorf("len %d nr %d: %d, %v; want %d ok=%v", len(tt.buf), tt.nr, n, err, tt.want, tt.ok)
		}
	}
}
