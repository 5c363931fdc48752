//go:build !linux

package platform

import "errors"

// StatfsDirect is not available outside Linux.
func StatfsDirect(string) (FSStat, error) {
	return FSStat{}, errors.New("statfs is only implemented on linux")
}

// statfsInProcess: StatfsDirect does not work here: StatfsQuery.InProcess is ignored.
const statfsInProcess = false
