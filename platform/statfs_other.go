//go:build !linux

package platform

import "errors"

// StatfsDirect is not available outside Linux.
func StatfsDirect(string) (FSStat, error) {
	return FSStat{}, errors.New("statfs is only implemented on linux")
}
