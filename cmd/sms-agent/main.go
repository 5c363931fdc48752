//go:build !lite

// Command sms-agent discovers a source server's disks, partitions, volume groups and
// filesystems and submits Huawei Cloud SMS migration requests. See README.md.
package main

import (
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/rs/zerolog"
)

// version is stamped by `make build` (-ldflags "-X main.version=...").
var version = "dev"

// The main goroutine stays on the main thread, the thread-group leader: locked in an
// init function, it stays locked through main. A signal sent to the process goes to
// the leader when the leader can take it. A thread blocked in a system call on a dead
// FUSE or NFS mount takes it and cannot return to run the handler until its request
// ends; when a command's goroutine had entered that call on the leader, SIGINT and
// SIGTERM waited with it (discover --from a path on a dead mount: 58 s until the test
// killed it, one run in four). On the leader, the main goroutine only waits in
// runInterruptible's select, and the leader always returns to run the handler.
// The lite front does without (main_lite.go): it makes no such call.
func init() { runtime.LockOSThread() }

func main() {
	setupProcess()
	// The daemon's log: timestamps to the millisecond (zerolog's default is seconds).
	zerolog.TimeFieldFormat = "2006-01-02T15:04:05.000Z07:00"
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	os.Exit(newApp().runInterruptible(os.Args[1:], sigs))
}
