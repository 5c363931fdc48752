//go:build !windows

package platform

import "syscall"

// oNonblock opens a file without waiting (a named pipe without a writer).
const oNonblock = syscall.O_NONBLOCK

// holdRoot: a confined FS keeps its root directory open (see FS.openRoot).
const holdRoot = true
