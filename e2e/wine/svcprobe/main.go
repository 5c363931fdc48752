// Command svcprobe finds out what Wine's service manager does with a Go service, the way
// `sms-agent service install` (golang.org/x/sys/windows/svc, kardianos/service) will use
// it: it installs itself as a demand-start service with a description and recovery
// actions, starts it, waits for Running, stops it, deletes it, and prints one line per
// step ("step: ok" or "step: error"). The service side records svc.IsWindowsService.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

const name = "sms-agent-svcprobe"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "run" {
		os.Exit(runService(filepath.Join(filepath.Dir(os.Args[0]), "svcprobe-ran.txt")))
	}
	if err := probe(); err != nil {
		fmt.Println("svcprobe:", err)
		os.Exit(1)
	}
}

func report(step string, err error) {
	if err != nil {
		fmt.Printf("%s: error: %v\n", step, err)
		return
	}
	fmt.Printf("%s: ok\n", step)
}

func waitFor(query func() (uint32, error), want uint32) error {
	for i := 0; i < 100; i++ {
		st, err := query()
		if err != nil {
			return err
		}
		if st == want {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("state did not become %d within 5s", want)
}
