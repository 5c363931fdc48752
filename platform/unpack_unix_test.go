//go:build !windows

package platform

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestOpenCaptureNotACapture(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	for _, tt := range []struct{ path, want string }{
		{fifo, "not a capture: it is a named pipe (FIFO)"},
		{empty, "not a capture: it holds no sys/, proc/ or sms-capture.json"},
		{"/dev/null", "not a capture: it is a character device"},
	} {
		done := make(chan struct{})
		var err error
		go func() {
			defer close(done)
			var c *Capture
			if c, err = OpenCapture(tt.path, t.TempDir()); err == nil {
				c.Close()
			}
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("OpenCapture(%s) blocks", tt.path)
		}
		if !errors.Is(err, ErrNotCapture) || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), tt.path+": ") {
			t.Errorf("OpenCapture(%s): %v; want %q", tt.path, err, tt.want)
		}
	}
	if _, err := OpenCapture(filepath.Join(dir, "missing"), t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}

// A replayed tree is read through its root and only regular files are opened: a named
// pipe is refused without blocking, a device node (root only) without being opened, a
// final symbolic link inside the tree is followed.
func TestConfinedFSReadsRegularFilesOnly(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"proc/self", "usr/lib", "etc", "dev"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "proc/self/mountinfo"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "usr/lib/os-release"), []byte("ID=debian\n"), 0o644)
	os.Symlink("../usr/lib/os-release", filepath.Join(root, "etc/os-release"))
	want := map[string]string{"/proc/self/mountinfo": "it is a named pipe (FIFO)", "/dev": "it is a directory"}
	if os.Geteuid() == 0 {
		// /dev/watchdog's numbers: opening it would start the watchdog.
		if err := syscall.Mknod(filepath.Join(root, "dev/watchdog"), syscall.S_IFCHR|0o600, 10<<8|130); err != nil {
			t.Fatal(err)
		}
		want["/dev/watchdog"] = "it is a character device"
	}
	fsys := NewFS(root)
	defer fsys.Close()
	for p, why := range want {
		done := make(chan error, 1)
		go func() { _, err := fsys.ReadFile(p); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, ErrNotRegular) || err.Error() != "read "+p+": "+why {
				t.Errorf("%s: %v; want %q", p, err, why)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("reading %s blocks", p)
		}
	}
	if b, err := fsys.ReadFile("/etc/os-release"); err != nil || string(b) != "ID=debian\n" {
		t.Errorf("/etc/os-release through its link: %q %v", b, err)
	}
}
