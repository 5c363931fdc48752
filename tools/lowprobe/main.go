//go:build linux

// Command lowprobe identifies devices with the in-process prober
// (collectors/lowprobe) and prints what `blkid -c /dev/null -p -o export DEV...` would:
// one block of KEY=value lines per device, blank lines between them. A device the
// prober leaves to blkid (a type it does not decode, ZFS labels) or finds ambivalent
// is named on stderr. Exit status as blkid's: 0 when something was printed, 2 when
// nothing was found, 8 when the last device was ambivalent, 4 on a read error.
//
//	go build -o bin/lowprobe ./tools/lowprobe && sudo bin/lowprobe /dev/sda /dev/sda1
package main

import (
	"fmt"
	"os"

	"github.com/sms-agent/sms-agent/collectors/lowprobe"
)

func main() {
	code, printed := 2, false
	for _, path := range os.Args[1:] {
		t, done, err := lowprobe.OpenDevice(path, false)
		if err != nil {
			fmt.Fprintf(os.Stderr, "lowprobe: %v\n", err)
			code = 4
			continue
		}
		res, err := lowprobe.Probe(t)
		done()
		if err != nil {
			fmt.Fprintf(os.Stderr, "lowprobe: %s: %v\n", path, err)
			code = 4
			continue
		}
		switch res.Status {
		case lowprobe.Identified:
			if printed {
				fmt.Println()
			}
			fmt.Print(res.Export(path))
			printed = true
			if code == 2 {
				code = 0
			}
		case lowprobe.Ambivalent:
			fmt.Fprintf(os.Stderr, "lowprobe: %s: ambivalent result (%s)\n", path, res.Reason)
			code = 8
		case lowprobe.NeedsBlkid:
			fmt.Fprintf(os.Stderr, "lowprobe: %s: ask blkid: %s\n", path, res.Reason)
		}
	}
	os.Exit(code)
}
