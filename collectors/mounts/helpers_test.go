package mounts

import "github.com/sms-agent/sms-agent/platform"

func statfsOf(bsize, frsize int64, blocks, bfree, bavail, files, ffree uint64) platform.FSStat {
	return platform.FSStat{Bsize: bsize, Frsize: frsize, Blocks: blocks, Bfree: bfree, Bavail: bavail, Files: files, Ffree: ffree}
}
