// Package capturetest opens captured hosts for tests.
package capturetest

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sms-agent/sms-agent/platform"
)

// Open opens the capture at path, unpacked below a temporary directory removed when the
// test ends. A capture this system cannot store (a Linux /sys tree on Windows: ':' in
// names, symlinks) skips the test with the reason.
func Open(t testing.TB, path string) *platform.Capture {
	t.Helper()
	c, err := platform.OpenCapture(path, t.TempDir())
	if errors.Is(err, platform.ErrCaptureUnstorable) {
		t.Skipf("%s: %v", path, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// File returns the first file of a capture archive (.tar.gz) whose path inside it
// matches pattern (path.Match, e.g. "proc/*/mountinfo"), read from the archive without
// unpacking the rest; ok is false when none does.
func File(t testing.TB, archive, pattern string) (b []byte, ok bool) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", archive, err)
	}
	tr := tar.NewReader(z)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, false
		}
		if err != nil {
			t.Fatalf("%s: %v", archive, err)
		}
		if m, _ := path.Match(pattern, path.Clean(strings.TrimPrefix(h.Name, "./"))); m {
			if b, err = io.ReadAll(tr); err != nil {
				t.Fatalf("%s: %s: %v", archive, h.Name, err)
			}
			return b, true
		}
	}
}

// Manifest reads the manifest of a capture archive or directory without unpacking
// it; nil for an archive without one (a directory without one fails the test).
func Manifest(t testing.TB, capture string) *platform.Manifest {
	t.Helper()
	var b []byte
	if strings.HasSuffix(capture, ".tar.gz") {
		var ok bool
		if b, ok = File(t, capture, platform.ManifestName); !ok {
			return nil
		}
	} else {
		var err error
		if b, err = os.ReadFile(filepath.Join(capture, platform.ManifestName)); err != nil {
			t.Fatal(err)
		}
	}
	m, err := platform.ParseManifest(b)
	if err != nil {
		t.Fatalf("%s: %v", capture, err)
	}
	return m
}

// Hosts lists the captured hosts in dir (testdata/hosts): the archives (NAME.tar.gz),
// then the directories that hold a manifest (the Windows recordings). None fails the
// test.
func Hosts(t testing.TB, dir string) []string {
	t.Helper()
	out, err := filepath.Glob(filepath.Join(dir, "*.tar.gz"))
	if err != nil || len(out) == 0 {
		t.Fatalf("no captures in %s (%v)", dir, err)
	}
	manifests, _ := filepath.Glob(filepath.Join(dir, "*", platform.ManifestName))
	for _, m := range manifests {
		out = append(out, filepath.Dir(m))
	}
	return out
}
