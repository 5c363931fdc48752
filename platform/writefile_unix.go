//go:build !windows

package platform

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// openInPlace opens a character device or a named pipe for writing. A pipe without a
// reader is retried (O_NONBLOCK: ENXIO) until it has one or ctx is done; O_NOCTTY keeps
// a terminal from becoming the agent's controlling terminal.
func openInPlace(ctx context.Context, name string) (*os.File, error) {
	for {
		f, err := os.OpenFile(name, os.O_WRONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
		if !errors.Is(err, syscall.ENXIO) {
			if err != nil {
				return nil, unwrapPathError(err)
			}
			return f, nil
		}
		t := time.NewTimer(50 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// syncDir makes a rename in dir durable (best effort).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// symlinkTrusted mirrors the kernel's fs.protected_symlinks, which the agent's own
// resolution of a symbolic link would otherwise bypass: in a sticky, world-writable
// directory (/tmp), a link is followed only when the agent's user or the directory's
// owner owns it, so that a link another user planted there cannot aim root's write at
// a file of their choosing.
func symlinkTrusted(link string, lst fs.FileInfo) error {
	dst, err := os.Stat(filepath.Dir(link))
	if err != nil {
		return unwrapPathError(err)
	}
	if dst.Mode()&fs.ModeSticky == 0 || dst.Mode().Perm()&0o002 == 0 {
		return nil
	}
	l, ok1 := lst.Sys().(*syscall.Stat_t)
	d, ok2 := dst.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 || int(l.Uid) == os.Geteuid() || l.Uid == d.Uid {
		return nil
	}
	return fmt.Errorf("%w: it is a symbolic link owned by uid %d in the shared directory %s, not followed", ErrRefusedTarget, l.Uid, Quote(filepath.Dir(link)))
}

// renameReplace renames oldpath over newpath.
func renameReplace(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
