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
