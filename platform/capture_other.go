//go:build !windows

package platform

// storable says whether a capture entry can be a file here: any name can on Linux.
func storable(string) error { return nil }

// symlinkError is the error of a symbolic link that could not be made, as it is.
func symlinkError(err error) error { return err }
