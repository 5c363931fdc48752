//go:build linux

package platform

import "golang.org/x/sys/unix"

// StatfsDirect calls statfs(2) in this process. Only the helper child, and the agent for
// mounts whose statfs cannot block (StatfsQuery.InProcess), should call it.
func StatfsDirect(path string) (FSStat, error) {
	var s unix.Statfs_t
	if err := unix.Statfs(path, &s); err != nil {
		return FSStat{}, err
	}
	return FSStat{
		Type: int64(s.Type), Bsize: int64(s.Bsize), Frsize: int64(s.Frsize),
		Blocks: s.Blocks, Bfree: s.Bfree, Bavail: s.Bavail, Files: s.Files, Ffree: s.Ffree,
	}, nil
}

// statfsInProcess: in-process statfs is available: StatfsDirect works here.
const statfsInProcess = true
