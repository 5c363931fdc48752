package platform

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"syscall"
	"time"
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

// renameReplace renames oldpath over newpath. Windows refuses to replace a file that
// another process has open without sharing its deletion (a reader, a virus scanner):
// the rename is tried again for up to two seconds, as Go's own tools do there.
func renameReplace(oldpath, newpath string) error {
	const sharingViolation = syscall.Errno(32) // ERROR_SHARING_VIOLATION
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := os.Rename(oldpath, newpath)
		if err == nil || time.Now().After(deadline) ||
			!(errors.Is(err, syscall.ERROR_ACCESS_DENIED) || errors.Is(err, sharingViolation)) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
