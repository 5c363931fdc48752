//go:build !linux

package platform

import (
	"io/fs"
	"os"
)

// renameNoReplace renames oldpath to newpath unless newpath exists, checked just before
// (this system has no atomic no-replace rename the agent uses).
func renameNoReplace(oldpath, newpath string) error {
	if _, err := os.Lstat(newpath); err == nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: fs.ErrExist}
	}
	return os.Rename(oldpath, newpath)
}
