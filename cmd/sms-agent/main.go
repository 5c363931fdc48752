// Command sms-agent discovers a source server's disks, partitions, volume groups and
// filesystems and submits Huawei Cloud SMS migration requests. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped by `make build` (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	setupProcess()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, newApp(), os.Args[1:])
	stop()
	os.Exit(code)
}
