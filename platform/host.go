package platform

import "time"

// Host is everything discovery reads from: files under a root, external commands,
// statfs, the clock, and whether it runs with root's privileges. cmd/ builds one for
// the live machine or for a capture being replayed.
type Host struct {
	FS     FS
	Run    Runner
	Statfs Statfser
	// StatfsLocal, when set, answers for local kernel filesystems on block devices
	// (CoreutilsStatfs: cheaper); Statfs answers for everything else.
	StatfsLocal Statfser
	// BtrfsSearch answers btrfs tree searches (the default subvolume); nil: none.
	BtrfsSearch BtrfsSearcher
	Now         func() time.Time
	Privileged  bool // the reads were made as root (live: euid 0; replay: as recorded)
	Live        bool // the host is this machine, not a replayed capture
}
