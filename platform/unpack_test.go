package platform

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// archiveScript builds a .tar.gz from a script, one entry a line: "F name content",
// "D name", "L name target" (symbolic link), "H name target" (hard link), "C name"
// (character device), "B name" (block device), "P name" (named pipe). "$OUT" in a name
// or target stands for the directory above the extraction root.
func archiveScript(script, out string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, line := range strings.Split(script, "\n") {
		line = strings.ReplaceAll(line, "$OUT", out)
		f := strings.SplitN(line, " ", 3)
		if len(f) < 2 || len(f[0]) != 1 {
			continue
		}
		h := &tar.Header{Name: f[1], Mode: 0o644, ModTime: time.Unix(0, 0)}
		arg := ""
		if len(f) == 3 {
			arg = f[2]
		}
		switch f[0] {
		case "F":
			h.Typeflag, h.Size = tar.TypeReg, int64(len(arg))
		case "D":
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		case "L":
			h.Typeflag, h.Linkname = tar.TypeSymlink, arg
		case "H":
			h.Typeflag, h.Linkname = tar.TypeLink, arg
		case "C":
			h.Typeflag, h.Devmajor, h.Devminor = tar.TypeChar, 1, 3
		case "B":
			h.Typeflag, h.Devmajor, h.Devminor = tar.TypeBlock, 8, 0
		case "P":
			h.Typeflag = tar.TypeFifo
		default:
			continue
		}
		if tw.WriteHeader(h) != nil {
			continue // a name tar cannot hold
		}
		if h.Typeflag == tar.TypeReg {
			_, _ = tw.Write([]byte(arg))
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// listTree lists every path below dir (relative, with its type), "" when dir is gone.
func listTree(t testing.TB, dir string) map[string]string {
	out := map[string]string{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		r, _ := filepath.Rel(dir, p)
		out[r] = d.Type().String()
		return nil
	})
	return out
}

// unpackIsolated unpacks the archive of script into top/a/b/root and returns the
// unpack error and what exists in top outside the root afterwards.
func unpackIsolated(t testing.TB, top, script string) ([]string, error) {
	out := filepath.Join(top, "a", "b")
	root := filepath.Join(out, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	// What the directories above the root hold beforehand: the way down, nothing else.
	before := map[string]bool{".": true, "a": true, "a/b": true, "a/b/root": true}
	err := unpack(context.Background(), bytes.NewReader(archiveScript(script, out)), root)
	var outside []string
	for p := range listTree(t, top) {
		if !before[filepath.ToSlash(p)] && !strings.HasPrefix(filepath.ToSlash(p), "a/b/root/") {
			outside = append(outside, p)
		}
	}
	return outside, err
}

// The report: a lexical check lets d/y -> .. and a -> d/y/.. through, and a/x
// then lands above the root. Through os.Root, writing a/x fails and nothing escapes.
func TestUnpackSymlinkChainStaysInside(t *testing.T) {
	for _, tt := range []struct{ name, script string }{
		{"chain one level", "D d\nL d/y ..\nL a d/y/..\nF a/x pwned"},
		{"chain two levels", "D d/e\nL d/e/y ../..\nL a d/e/y/..\nL b a/..\nF b/x pwned"},
		{"directory through chain", "D d\nL d/y ..\nL a d/y/..\nD a/newdir"},
		{"hard link through chain", "F f data\nD d\nL d/y ..\nL a d/y/..\nH a/x f"},
		{"hard link to outside", "H x ../outside"},
		{"hard link to absolute", "H x $OUT/victim"},
		{"absolute name", "F $OUT/x pwned"},
		{"dotdot name", "F ../x pwned"},
		{"absolute link", "L l $OUT\nF l/x pwned"},
		{"escaping link", "L l ../..\nF l/x pwned"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			outside, err := unpackIsolated(t, t.TempDir(), tt.script)
			if len(outside) > 0 {
				t.Fatalf("unpack created %v outside the root", outside)
			}
			if err == nil {
				t.Errorf("unpack accepted %q", tt.script)
			}
		})
	}
}

// Device nodes and named pipes carry no data: skipped, never created (as root,
// mknod would make real devices). Hard links inside the capture work.
func TestUnpackSkipsDevicesKeepsHardLinks(t *testing.T) {
	top := t.TempDir()
	outside, err := unpackIsolated(t, top, "F sys/block/sda/size 2048\nH sys/size-link sys/block/sda/size\nC dev/null\nB dev/sda\nP run/fifo")
	if err != nil || len(outside) > 0 {
		t.Fatalf("err %v, outside %v", err, outside)
	}
	root := filepath.Join(top, "a/b/root")
	if b, err := os.ReadFile(filepath.Join(root, "sys/size-link")); err != nil || string(b) != "2048" {
		t.Errorf("hard link: %q %v", b, err)
	}
	for _, p := range []string{"dev/null", "dev/sda", "run/fifo"} {
		if _, err := os.Lstat(filepath.Join(root, p)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s was created (%v)", p, err)
		}
	}
}

func FuzzUnpack(f *testing.F) {
	for _, s := range []string{
		"D d\nL d/y ..\nL a d/y/..\nF a/x pwned",
		"D d/e\nL d/e/y ../..\nL a d/e/y/..\nL b a/..\nF b/x pwned",
		"L l1 l2\nL l2 l1\nF l1/x loop",
		"L s .\nL s2 s/s/s/s/s/s/s/s/s/..\nF s2/x deep",
		"F ../x up\nF ./../../x up2\nF a/../../x up3",
		"F $OUT/x abs\nL l $OUT\nF l/y abs2\nD $OUT/newdir",
		"F f data\nH h f\nH h2 ../f\nH $OUT/h3 f\nH h4 $OUT/x",
		"C dev/null\nB dev/sda\nP fifo\nC $OUT/null",
		"F sys/block/sda/size 2048\nL sys/class/block/sda ../../block/sda\nF sys/class/block/sda/x in",
		"D a\nL a/b ../a\nL c a/b/b/b/..\nF c/x ok",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		if outside, _ := unpackIsolated(t, t.TempDir(), script); len(outside) > 0 {
			t.Fatalf("unpacking %q created %v outside the root", script, outside)
		}
	})
}

// A plain directory replayed with --from: a symbolic link out of it, absolute or
// relative, does not read the host's file.
func TestReplayDirectoryConfined(t *testing.T) {
	top := t.TempDir()
	secret := filepath.Join(top, "shadow")
	if err := os.WriteFile(secret, []byte("root:SECRET:1:0:99999:7:::\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(top, "sysroot")
	for _, d := range []string{"proc/self", "sys/block", "etc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"proc/self/mountinfo": secret,
		"etc/os-release":      "../../shadow",
		"sys/block/sda":       "../../..",
	}
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, l)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := OpenCapture(dir, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := c.Host(time.Now)
	for _, p := range []string{"/proc/self/mountinfo", "/etc/os-release", "/sys/block/sda/shadow"} {
		b, err := h.FS.ReadFile(p)
		if err == nil || bytes.Contains(b, []byte("SECRET")) {
			t.Errorf("read %s through a link out of the capture: %q, %v", p, b, err)
		}
	}
	if names, err := h.FS.ReadDir("/sys/block/sda"); err == nil {
		t.Errorf("listed the directory above the capture: %v", names)
	}
	if h.FS.Exists("/sys/block/sda/shadow") {
		t.Error("Exists saw a file outside the capture")
	}
}

// Unpacking stops when the context is done and leaves no directory behind.
func TestOpenCaptureCancelled(t *testing.T) {
	var script strings.Builder
	for i := 0; i < 200; i++ {
		script.WriteString("F sys/f" + strings.Repeat("x", i%50) + string(rune('a'+i%26)) + " data\n")
	}
	p := filepath.Join(t.TempDir(), "c.tar.gz")
	if err := os.WriteFile(p, archiveScript(script.String(), ""), 0o600); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	temps := &TempFiles{}
	if _, err := OpenCaptureContext(ctx, p, tmp, temps); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if left := listTree(t, tmp); len(left) != 1 {
		t.Errorf("left behind: %v", left)
	}
	if len(temps.paths) != 0 {
		t.Errorf("still tracked: %v", temps.paths)
	}
}

func TestQuote(t *testing.T) {
	long := strings.Repeat("é", 150) // 300 bytes: cut at a rune boundary
	for _, tt := range []struct{ in, quote, value string }{
		{"/dev/sdb", "/dev/sdb", `"/dev/sdb"`},
		{"", `""`, `""`},
		{"a b", "a b", `"a b"`},
		{"a\nb", `"a\nb"`, `"a\nb"`},
		{`say "x"`, `"say \"x\""`, `"say \"x\""`},
		{"\xff", `"\xff"`, `"\xff"`},
		{long, `"` + strings.Repeat("é", 100) + `"…`, `"` + strings.Repeat("é", 100) + `"…`},
	} {
		if got := Quote(tt.in); got != tt.quote {
			t.Errorf("Quote(%.20q) = %s; want %s", tt.in, got, tt.quote)
		}
		if got := QuoteValue(tt.in); got != tt.value {
			t.Errorf("QuoteValue(%.20q) = %s; want %s", tt.in, got, tt.value)
		}
	}
}
