package main

import "golang.org/x/sys/windows"

func freeSpace(root string) (avail, total, free uint64, err error) {
	p, err := windows.UTF16PtrFromString(root)
	if err != nil {
		return 0, 0, 0, err
	}
	err = windows.GetDiskFreeSpaceEx(p, &avail, &total, &free)
	return avail, total, free, err
}
