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
	"reflect"
	"sort"
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
	})
}

// FuzzParseStatErrors: every path and reason found is one of the input's lines, word
// for word, and the lines written back from what was found read back the same.
func FuzzParseStatErrors(f *testing.F) {
	const prefix = "stat: cannot read file system information for '"
	f.Add([]byte(prefix + "/nonexist': No such file or directory\n"))
	f.Add([]byte(prefix + "/mnt/a': Permission denied\n" + prefix + "/mnt/it's': x\nstat: other\n" + prefix + "/x': y': z\n"))
	f.Add([]byte(prefix + "': \n" + prefix + "'\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := ParseStatErrors(b)
		lines := map[string]bool{}
		for _, l := range strings.Split(string(b), "\n") {
			lines[l] = true
		}
		var again []string
		for p, why := range got {
			line := prefix + p + "': " + why
			if !lines[line] {
				t.Fatalf("%q -> %q not a line of the input", p, why)
			}
			again = append(again, line)
		}
		sort.Strings(again)
		if back := ParseStatErrors([]byte(strings.Join(again, "\n"))); !reflect.DeepEqual(back, got) {
			t.Fatalf("written back and read again: %q; want %q", back, got)
		}
	})
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
