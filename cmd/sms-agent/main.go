// Command sms-agent discovers a source server's disks, partitions, volume groups and
// filesystems and submits Huawei Cloud SMS migration requests. See README.md.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

// version is stamped by `make build` (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	setupProcess()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	os.Exit(newApp().runInterruptible(os.Args[1:], sigs))
}
