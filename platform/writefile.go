package platform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ErrRefusedTarget: WriteFile does not write over what is at the path (a directory, a
// block device, a socket, a dangling or untrusted symbolic link).
var ErrRefusedTarget = errors.New("refusing to write there")

// WriteFile writes the file name with what write produces, by the one rule every file
// the agent writes follows (README, "Files the agent writes"):
//
//   - a new name or an existing regular file: written to a temporary file in the same
//     directory, synced and renamed into place with mode perm, so that a reader sees
//     the old content or the new, never a part; a new name is never renamed over a
//     file that appeared meanwhile;
//   - a symbolic link: the same rule for the file it points to, so the link stays (a
//     link to nothing, or another user's link in a shared sticky directory such as
//     /tmp, is refused);
//   - a character device or a named pipe (/dev/null, a terminal, /dev/stdout to a
//     pipe): written in place, never replaced; a pipe is waited for until it has a
//     reader or ctx is done;
//   - anything else (a directory, a block device, a socket) is refused
//     (ErrRefusedTarget).
//
// When ctx is done the write stops and the temporary file is removed; while it exists
// it is tracked in temps (nil: not tracked). Errors name the path.
func WriteFile(ctx context.Context, name string, perm fs.FileMode, temps *TempFiles, write func(io.Writer) error) error {
	target, st, err := writeTarget(name)
	if err != nil {
		return fmt.Errorf("write %s: %w", Quote(name), err)
	}
	switch {
	case st == nil || st.Mode().IsRegular():
		err = replaceFile(ctx, target, perm, st == nil, temps, write)
	case st.Mode()&(fs.ModeCharDevice|fs.ModeNamedPipe) != 0:
		err = writeInPlace(ctx, name, write)
	default:
		err = fmt.Errorf("%w: it is %s", ErrRefusedTarget, FileKind(st.Mode()))
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", Quote(name), err)
	}
	return nil
}

// writeTarget returns the path to write and what is there now (nil: nothing).
func writeTarget(name string) (string, fs.FileInfo, error) {
	lst, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return name, nil, nil
	}
	if err != nil {
		return "", nil, unwrapPathError(err)
	}
	if lst.Mode()&fs.ModeSymlink == 0 {
		return name, lst, nil
	}
	if err := symlinkTrusted(name, lst); err != nil {
		return "", nil, err
	}
	st, err := os.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		t, _ := os.Readlink(name)
		return "", nil, fmt.Errorf("%w: it is a symbolic link to %s, which does not exist", ErrRefusedTarget, Quote(t))
	}
	if err != nil {
		return "", nil, unwrapPathError(err)
	}
	if !st.Mode().IsRegular() {
		return name, st, nil // a device or a pipe is opened through the link
	}
	real, err := filepath.EvalSymlinks(name)
	if err != nil {
		return "", nil, unwrapPathError(err)
	}
	return real, st, nil
}

// replaceFile writes target through a temporary file renamed into place.
func replaceFile(ctx context.Context, target string, perm fs.FileMode, isNew bool, temps *TempFiles, write func(io.Writer) error) error {
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	if len(base) > 100 {
		base = base[:100] // the temporary name must stay within NAME_MAX
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-")
	if err != nil {
		return unwrapPathError(err)
	}
	tmp := f.Name()
	temps.add(tmp)
	defer func() {
		_ = os.Remove(tmp) // gone already once renamed
		temps.remove(tmp)
	}()
	err = f.Chmod(perm)
	if err == nil {
		err = write(ctxWriter{ctx, f})
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return err
	}
	if !isNew {
		err = renameReplace(tmp, target)
	} else if err = renameNoReplace(tmp, target); errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: a file appeared there while it was being written", ErrRefusedTarget)
	}
	if err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// writeInPlace writes to a character device or a named pipe without replacing it.
func writeInPlace(ctx context.Context, name string, write func(io.Writer) error) error {
	f, err := openInPlace(ctx, name)
	if err != nil {
		return err
	}
	// A write blocked on a full pipe ends when ctx does (pipes and terminals are
	// polled, so a deadline interrupts them; other devices do not block).
	stop := context.AfterFunc(ctx, func() { _ = f.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	err = write(ctxWriter{ctx, f})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return unwrapPathError(err)
}

// ctxWriter fails its writes once ctx is done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// Rename renames oldpath to newpath (replacing it), as os.Rename does; on Windows a
// refusal because another process holds either file open is retried for up to 2 s.
func Rename(oldpath, newpath string) error { return renameReplace(oldpath, newpath) }
