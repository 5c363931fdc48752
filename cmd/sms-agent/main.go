//go:build !lite

// Command sms-agent discovers a source server's disks, partitions, volume groups and
// filesystems and submits Huawei Cloud SMS migration requests. See README.md.
package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/rs/zerolog"
)

// version is stamped by `make build` (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	setupProcess()
	// The daemon's log: timestamps to the millisecond (zerolog's default is seconds).
	zerolog.TimeFieldFormat = "2006-01-02T15:04:05.000Z07:00"
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	os.Exit(newApp().runInterruptible(os.Args[1:], sigs))
}
