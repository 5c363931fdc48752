package platform

import (
	"errors"
	"os"
)

// stderrPipe is not implemented on Windows: commands with Complete wait for their
// exit there (none of the tools that need it exists on Windows).
type stderrPipe struct{ done chan struct{} }

func newStderrPipe(*lockedBuffer) (*stderrPipe, *os.File, error) {
	return nil, nil, errors.ErrUnsupported
}

func (p *stderrPipe) copy()  {}
func (p *stderrPipe) sync()  {}
func (p *stderrPipe) close() {}
