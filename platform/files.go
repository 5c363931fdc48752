package platform

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// TempFiles tracks the temporary files and directories the agent has made and not
// yet removed, so that a run stopped before its own clean-up could run (interrupted
// while a system call hangs) can still remove them. It is safe for concurrent use; a
// nil *TempFiles tracks nothing.
type TempFiles struct {
	mu    sync.Mutex
	paths map[string]bool
}

func (t *TempFiles) add(p string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.paths == nil {
		t.paths = map[string]bool{}
	}
	t.paths[p] = true
}

func (t *TempFiles) remove(p string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	delete(t.paths, p)
	t.mu.Unlock()
}

// RemoveAll removes every tracked file and directory and returns what it could not.
func (t *TempFiles) RemoveAll() error {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	for p := range t.paths {
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(t.paths, p)
	}
	return errors.Join(errs...)
}

// FileKind names the type of a file for messages: "a directory", "a named pipe"...
func FileKind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "not a regular file"
}

// ErrNotRegular: a file the agent reads (a capture, a config or facts file) is a
// named pipe, a device, a socket or a directory.
var ErrNotRegular = errors.New("not a regular file")

// notRegular says what the file is instead ("it is a directory"); it is ErrNotRegular.
type notRegular struct{ mode fs.FileMode }

func (e notRegular) Error() string        { return "it is " + FileKind(e.mode) }
func (e notRegular) Is(target error) bool { return target == ErrNotRegular }

// OpenRegular opens the file p for reading if it is a regular file (symbolic links
// followed), and refuses anything else without opening it: opening a named pipe waits
// for a writer, and opening some devices acts (a watchdog starts, a tape rewinds). It
// is opened without blocking and checked again once open, in case it was swapped.
func OpenRegular(p string) (*os.File, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	if !st.Mode().IsRegular() {
		return nil, notRegular{st.Mode()}
	}
	f, err := os.OpenFile(p, os.O_RDONLY|oNonblock, 0)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	if st, err = f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = notRegular{st.Mode()}
		}
		return nil, err
	}
	return f, nil
}

// ReadRegularFile reads the regular file p (see OpenRegular), at most limit bytes;
// a longer file is an error.
func ReadRegularFile(p string, limit int64) ([]byte, error) {
	f, err := OpenRegular(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, unwrapPathError(err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}

// Quote makes a name (a path, a device) safe to print in a one-line message: as it is
// when it is plain (printable, no quote, at most 200 bytes), else as QuoteValue does.
func Quote(s string) string {
	plain := s != "" && len(s) <= maxQuoted && !strings.ContainsRune(s, '"')
	for _, r := range s {
		if !plain {
			break
		}
		plain = r != utf8.RuneError && strconv.IsPrint(r)
	}
	if plain {
		return s
	}
	return QuoteValue(s)
}

// maxQuoted is how much of a name or value a message shows.
const maxQuoted = 200

// QuoteValue quotes a value for a one-line message as a Go string (a newline or a
// control character shows as \n, \x01), cut after 200 bytes with "…" after the
// closing quote.
func QuoteValue(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}
