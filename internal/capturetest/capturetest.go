// Package capturetest opens captured hosts for tests.
package capturetest

import (
	"errors"
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
