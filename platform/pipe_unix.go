//go:build !windows

package platform

import (
	"errors"
	"os"
	"syscall"
)

// stderrPipe collects a child's stderr through a pipe whose every read is made under
// the buffer's lock, so that sync, called once the child's stdout is complete, can
// take in everything the child wrote to stderr before that point: the bytes are
// either in the buffer already or still in the pipe, never in flight between the two.
type stderrPipe struct {
	buf  *lockedBuffer
	r    *os.File
	rc   syscall.RawConn
	done chan struct{}
}

// newStderrPipe returns the pipe and the write end to hand to the child.
func newStderrPipe(buf *lockedBuffer) (*stderrPipe, *os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	rc, err := r.SyscallConn()
	if err != nil {
		r.Close()
		w.Close()
		return nil, nil, err
	}
	return &stderrPipe{buf: buf, r: r, rc: rc, done: make(chan struct{})}, w, nil
}

// readLocked reads what the pipe holds now into the buffer; the caller holds buf.mu.
// It reports whether the pipe had nothing to give yet (EAGAIN) and whether it ended.
func (p *stderrPipe) readLocked(fd uintptr, b []byte) (wouldBlock, ended bool) {
	for {
		n, err := syscall.Read(int(fd), b)
		if n > 0 {
			p.buf.writeLocked(b[:n])
		}
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN):
			return true, false
		case err != nil || n == 0:
			return false, true
		}
		if n < len(b) {
			return false, false
		}
	}
}

// copy reads the pipe until the child closes it (it exits), then closes the pipe.
func (p *stderrPipe) copy() {
	defer close(p.done)
	defer p.r.Close()
	b := make([]byte, 32<<10)
	ended := false
	for !ended {
		err := p.rc.Read(func(fd uintptr) bool {
			p.buf.mu.Lock()
			defer p.buf.mu.Unlock()
			var wouldBlock bool
			wouldBlock, ended = p.readLocked(fd, b)
			return !wouldBlock || ended
		})
		if err != nil {
			return
		}
	}
}

// close releases the read end when the child never started.
func (p *stderrPipe) close() { p.r.Close() }

// sync takes in whatever the child has written so far and is still in the pipe.
func (p *stderrPipe) sync() {
	b := make([]byte, 32<<10)
	_ = p.rc.Control(func(fd uintptr) {
		p.buf.mu.Lock()
		defer p.buf.mu.Unlock()
		p.readLocked(fd, b)
	})
}
