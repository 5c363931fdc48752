package platform

import (
	"context"
	"io/fs"
	"os"
)

// openInPlace opens a device for writing (Windows: NUL, CON).
func openInPlace(_ context.Context, name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	return f, nil
}

// syncDir is not needed on Windows: NTFS journals the rename.
func syncDir(string) {}

// symlinkTrusted: Windows has no sticky shared directories; creating a symbolic link
// there needs a privilege.
func symlinkTrusted(string, fs.FileInfo) error { return nil }
