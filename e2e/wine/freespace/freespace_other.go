//go:build !windows

package main

import "errors"

func freeSpace(string) (avail, total, free uint64, err error) {
	return 0, 0, 0, errors.New("GetDiskFreeSpaceExW is Windows only")
}
