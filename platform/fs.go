// Package platform is the agent's view of the host: a filesystem root under which
// /proc, /sys, /dev, /run and /etc are read, a command runner, a statfs that cannot
// hang the process, and a clock. A Host is built once in cmd/ and passed down; nothing
// below cmd/ reads the environment or touches globals.
package platform

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// MaxFileSize caps every read of a pseudo-file. /proc and /sys files report size 0,
// so they are read without stat, up to this many bytes.
const MaxFileSize = 4 << 20

// FS reads files below a root directory. Paths given to its methods are absolute host
// paths ("/sys/block/sda/size"); they are resolved under the root, so a captured tree
// is a drop-in for the live host.
//
// Any root other than "/" is confined: paths are resolved through an os.Root, so no
// "..", absolute or escaping symbolic link below it can reach a file outside it (a
// replayed capture is hostile input; such a read fails as "path escapes from parent").
type FS struct {
	root     string
	confined bool     // every root but "/"
	dir      *os.Root // a confined root held open (not on Windows, see holdRoot)
	err      error    // why the root could not be opened: every read returns it
	rec      *FileRecorder
}

// NewFS returns an FS rooted at root: "/" for the live host, any other directory
// confined to itself (see FS). Close releases a confined root.
func NewFS(root string) FS {
	if root == "/" {
		return FS{root: root}
	}
	f := FS{root: root, confined: true}
	if holdRoot {
		f.dir, f.err = os.OpenRoot(root)
	}
	return f
}

// Close releases the directory a confined FS holds open; the live host's is a no-op.
func (f FS) Close() error {
	if f.dir == nil {
		return nil
	}
	return f.dir.Close()
}

// openRoot returns the os.Root of a confined FS and the function that releases it:
// the one NewFS holds, or, where an open directory cannot be removed (Windows), one
// opened for this call.
func (f FS) openRoot() (*os.Root, func(), error) {
	switch {
	case f.err != nil:
		return nil, nil, f.err
	case f.dir != nil:
		return f.dir, func() {}, nil
	}
	r, err := os.OpenRoot(f.root)
	if err != nil {
		return nil, nil, err
	}
	return r, func() { r.Close() }, nil
}

// WithRecorder returns a copy of f that notes every path it reads in rec.
func (f FS) WithRecorder(rec *FileRecorder) FS { f.rec = rec; return f }

// Root is the directory the FS is rooted at.
func (f FS) Root() string { return f.root }

// Path returns the real path of the host path p under the root. Opening it directly
// bypasses the confinement of a root other than "/": use the FS's methods.
func (f FS) Path(p string) string {
	return filepath.Join(f.root, filepath.FromSlash(path.Clean("/"+p)))
}

// rel is p relative to a confined root ("." for the root itself).
func rel(p string) string {
	if r := strings.TrimPrefix(path.Clean("/"+p), "/"); r != "" {
		return r
	}
	return "."
}

// ReadFile reads the host file p (at most MaxFileSize bytes).
func (f FS) ReadFile(p string) ([]byte, error) {
	b, err := f.readFile(p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, unwrapPathError(err))
	}
	f.rec.noteFile(p, b)
	return b, nil
}

// ReadString reads the host file p and trims surrounding white space.
func (f FS) ReadString(p string) (string, error) {
	b, err := f.ReadFile(p)
	return strings.TrimSpace(string(b)), err
}

// ReadDir lists the host directory p, sorted by name.
func (f FS) ReadDir(p string) ([]string, error) {
	names, err := f.readDir(p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, unwrapPathError(err))
	}
	f.rec.noteDir(p, names)
	return names, nil
}

// Readlink returns the target of the host symlink p.
func (f FS) Readlink(p string) (string, error) {
	t, err := f.readlink(p)
	if err != nil {
		return "", fmt.Errorf("readlink %s: %w", p, unwrapPathError(err))
	}
	f.rec.noteLink(p)
	return t, nil
}

// Exists reports whether the host path p exists (following symlinks).
func (f FS) Exists(p string) bool {
	_, err := f.stat(p)
	if err == nil {
		f.rec.noteExists(p)
	}
	return err == nil
}

// The unrecorded primitives, each through the os.Root of a confined FS.

func (f FS) readFile(p string) ([]byte, error) {
	if !f.confined {
		return readFileRaw(f.Path(p), MaxFileSize)
	}
	r, done, err := f.openRoot()
	if err != nil {
		return nil, err
	}
	defer done()
	fh, err := openRegularIn(r, rel(p))
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return io.ReadAll(io.LimitReader(fh, MaxFileSize))
}

// openRegularInStat opens name below root for reading if it is a regular file; in a
// replayed tree a named pipe would block the open and a device node could act when
// opened, so the file is stat'ed through the root first, opened without blocking and
// checked again. openRegularIn is this, or a faster way to the same on Linux.
func openRegularInStat(root *os.Root, name string) (*os.File, error) {
	st, err := root.Stat(name)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, notRegular{st.Mode()}
	}
	fh, err := root.OpenFile(name, os.O_RDONLY|oNonblock, 0)
	if err != nil {
		return nil, err
	}
	if st, err := fh.Stat(); err != nil || !st.Mode().IsRegular() {
		fh.Close()
		if err == nil {
			err = notRegular{st.Mode()}
		}
		return nil, err
	}
	return fh, nil
}

func (f FS) readDir(p string) ([]string, error) {
	if !f.confined {
		return readDirRaw(f.Path(p))
	}
	r, done, err := f.openRoot()
	if err != nil {
		return nil, err
	}
	defer done()
	fh, err := r.Open(rel(p))
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	names, err := fh.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

func (f FS) readlink(p string) (string, error) {
	if !f.confined {
		return os.Readlink(f.Path(p))
	}
	r, done, err := f.openRoot()
	if err != nil {
		return "", err
	}
	defer done()
	return r.Readlink(rel(p))
}

func (f FS) stat(p string) (fs.FileInfo, error) { return f.statAt(p, true) }

func (f FS) lstat(p string) (fs.FileInfo, error) { return f.statAt(p, false) }

// statAt stats the host path p, following a final symbolic link when follow is set.
func (f FS) statAt(p string, follow bool) (fs.FileInfo, error) {
	switch {
	case !f.confined && follow:
		return os.Stat(f.Path(p))
	case !f.confined:
		return os.Lstat(f.Path(p))
	}
	r, done, err := f.openRoot()
	if err != nil {
		return nil, err
	}
	defer done()
	if follow {
		return r.Stat(rel(p))
	}
	return r.Lstat(rel(p))
}

func (f FS) isDir(p string) bool {
	st, err := f.stat(p)
	return err == nil && st.IsDir()
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// FileRecorder notes what an FS read, for `capture`. It is safe for concurrent use.
type FileRecorder struct {
	mu    sync.Mutex
	files map[string][]byte
	dirs  map[string][]string // listed directory → the names it held
	paths map[string]bool     // links and existence checks
}

// NewFileRecorder returns an empty recorder.
func NewFileRecorder() *FileRecorder {
	return &FileRecorder{files: map[string][]byte{}, dirs: map[string][]string{}, paths: map[string]bool{}}
}

func (r *FileRecorder) noteFile(p string, b []byte) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.files[path.Clean(p)] = append([]byte(nil), b...)
	r.mu.Unlock()
}

// noteDir keeps a listed directory and the names it held: a name that is only listed,
// never read (a slaves/ or holders/ link), must be listed again when replayed.
func (r *FileRecorder) noteDir(p string, names []string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.dirs[path.Clean(p)] = append([]string(nil), names...)
	r.mu.Unlock()
}

func (r *FileRecorder) noteLink(p string) { r.notePath(p) }

func (r *FileRecorder) noteExists(p string) { r.notePath(p) }

func (r *FileRecorder) notePath(p string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.paths[path.Clean(p)] = true
	r.mu.Unlock()
}
