//go:build linux

package platform

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// charDevice returns a character device like /dev/name to write to: a node of its
// own in a temporary directory when running as root (a bug must not replace the
// host's /dev/full), else the host's (no user can replace it).
func charDevice(t *testing.T, name string, minor uint32) string {
	t.Helper()
	if os.Geteuid() != 0 {
		return "/dev/" + name
	}
	p := filepath.Join(t.TempDir(), name)
	if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, int(1<<8|minor)); err != nil {
		t.Fatalf("mknod %s: %v", p, err)
	}
	return p
}

// leftovers lists the temporary files WriteFile may have left in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	return m
}

func TestWriteFileRegularAndNew(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	temps := &TempFiles{}
	p := filepath.Join(dir, "host.tar.gz")
	tracked := 0
	err := WriteFile(ctx, p, 0o600, temps, func(w io.Writer) error {
		tracked = len(temps.paths)
		_, err := io.WriteString(w, "new")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Lstat(p)
	if b, _ := os.ReadFile(p); err != nil || string(b) != "new" || st.Mode() != 0o600 {
		t.Errorf("new file: %q, mode %v, %v", b, st.Mode(), err)
	}
	if tracked != 1 || len(temps.paths) != 0 {
		t.Errorf("tracked %d temporary files while writing, %d after; want 1, 0", tracked, len(temps.paths))
	}
	// An existing regular file is replaced by a rename: a reader holding the old one
	// keeps the old content.
	old, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := WriteFile(ctx, p, 0o600, nil, writeString("second")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "second" {
		t.Errorf("replaced file holds %q", b)
	}
	if b, _ := io.ReadAll(old); string(b) != "new" {
		t.Errorf("the old file changed under its reader: %q", b)
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("left %v", l)
	}
}

func TestWriteFileThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real", "capture.tar.gz")
	os.MkdirAll(filepath.Dir(target), 0o755)
	os.WriteFile(target, []byte("old"), 0o600)
	link := filepath.Join(dir, "link")
	if err := os.Symlink("real/capture.tar.gz", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(context.Background(), link, 0o600, nil, writeString("new")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", st.Mode(), err)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("target holds %q", b)
	}
	if l := append(leftovers(t, dir), leftovers(t, filepath.Dir(target))...); len(l) > 0 {
		t.Errorf("left %v", l)
	}
}

func TestWriteFileInPlace(t *testing.T) {
	ctx := context.Background()
	null := charDevice(t, "null", 3)
	if err := WriteFile(ctx, null, 0o600, nil, writeString("x")); err != nil {
		t.Errorf("%s: %v", null, err)
	}
	// /dev/full: the write fails (ENOSPC) and the device stays a device.
	full := charDevice(t, "full", 7)
	err := WriteFile(ctx, full, 0o600, nil, writeString(strings.Repeat("x", 1<<16)))
	if !errors.Is(err, syscall.ENOSPC) || !strings.HasPrefix(err.Error(), "write "+full+": ") {
		t.Errorf("%s: %v; want no space left on device", full, err)
	}
	for _, p := range []string{null, full} {
		if st, err := os.Lstat(p); err != nil || st.Mode()&fs.ModeCharDevice == 0 {
			t.Errorf("%s is no longer a character device: %v %v", p, st.Mode(), err)
		}
	}
	// Through a symbolic link to the device (as /dev/stdout is): the link stays.
	link := filepath.Join(t.TempDir(), "null-link")
	os.Symlink(null, link)
	if err := WriteFile(ctx, link, 0o600, nil, writeString("x")); err != nil {
		t.Errorf("link to %s: %v", null, err)
	}
	if st, _ := os.Lstat(link); st.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link to %s was replaced", null)
	}
}

func TestWriteFileFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(fifo) // blocks until the writer opens
		got <- string(b)
	}()
	if err := WriteFile(context.Background(), fifo, 0o600, nil, writeString("through the pipe")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through the pipe" {
		t.Errorf("reader got %q", s)
	}
	if st, _ := os.Lstat(fifo); st.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v", st.Mode())
	}
	// Nobody reads: WriteFile waits, and stops when the context is done.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := WriteFile(ctx, fifo, 0o600, nil, writeString("x"))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("FIFO without reader: %v after %v", err, time.Since(start))
	}
	// A reader that stops reading: the blocked write ends with the context too.
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	start = time.Now()
	err = WriteFile(ctx2, fifo, 0o600, nil, writeString(strings.Repeat("x", 1<<20))) // more than a pipe holds
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("FIFO with a stalled reader: %v after %v", err, time.Since(start))
	}
}

func TestWriteFileRefuses(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "nowhere"), dangling)
	cases := map[string]string{
		dir:      "it is a directory",
		sock:     "it is a socket",
		dangling: "it is a symbolic link to " + filepath.Join(dir, "nowhere") + ", which does not exist",
	}
	if os.Geteuid() == 0 {
		blk := filepath.Join(dir, "blk")
		if err := syscall.Mknod(blk, syscall.S_IFBLK|0o600, 7<<8|200); err != nil {
			t.Fatal(err)
		}
		cases[blk] = "it is a block device"
	}
	before := listTree(t, dir)
	for p, want := range cases {
		err := WriteFile(context.Background(), p, 0o600, nil, writeString("x"))
		if !errors.Is(err, ErrRefusedTarget) || err.Error() != "write "+p+": refusing to write there: "+want {
			t.Errorf("%s: %v; want %q", p, err, want)
		}
	}
	if after := listTree(t, dir); len(after) != len(before) {
		t.Errorf("tree changed: %v -> %v", before, after)
	}
	if _, err := os.Lstat(filepath.Join(dir, "nowhere")); err == nil {
		t.Error("the dangling link's target was created")
	}
}

// A failed or cancelled write leaves the old file as it was and no temporary file.
func TestWriteFileFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("old"), 0o600)
	boom := errors.New("boom")
	if err := WriteFile(context.Background(), p, 0o600, nil, func(w io.Writer) error {
		w.Write([]byte("half"))
		return boom
	}); !errors.Is(err, boom) {
		t.Errorf("err %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := WriteFile(ctx, p, 0o600, nil, func(w io.Writer) error {
		cancel()
		_, err := w.Write([]byte("after the cancel"))
		return err
	}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("file holds %q", b)
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("left %v", l)
	}
}

// A new name taken by someone else while the agent writes is not replaced.
func TestWriteFileNewNameAppears(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	err := WriteFile(context.Background(), p, 0o600, nil, func(w io.Writer) error {
		return os.WriteFile(p, []byte("theirs"), 0o644)
	})
	if !errors.Is(err, ErrRefusedTarget) {
		t.Errorf("err %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "theirs" {
		t.Errorf("their file holds %q", b)
	}
}

// In a sticky world-writable directory, another user's link is not followed.
func TestWriteFileUntrustedSymlink(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a link another user owns")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777|fs.ModeSticky); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("precious"), 0o600)
	link := filepath.Join(dir, "out")
	os.Symlink(victim, link)
	if err := os.Lchown(link, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(context.Background(), link, 0o600, nil, writeString("x"))
	if !errors.Is(err, ErrRefusedTarget) || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Errorf("err %v", err)
	}
	if b, _ := os.ReadFile(victim); !bytes.Equal(b, []byte("precious")) {
		t.Errorf("victim holds %q", b)
	}
	// The agent's own link there is followed.
	os.Lchown(link, 0, 0)
	if err := WriteFile(context.Background(), link, 0o600, nil, writeString("mine")); err != nil {
		t.Errorf("own link: %v", err)
	}
}
