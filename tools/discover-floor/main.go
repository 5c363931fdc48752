//go:build linux

// Command discover-floor is the performance baseline for `sms-agent discover`: the least
// a discovery can do — read /proc/self/mountinfo, walk /sys/block (size and partitions),
// statfs every mounted block filesystem — with no probing, no helper process and no
// output formatting. The README's performance table compares against it.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"syscall"
)

func main() {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var mounts []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && !strings.HasPrefix(fields[2], "0:") {
			mounts = append(mounts, fields[4])
		}
	}
	f.Close()
	devs, _ := os.ReadDir("/sys/block")
	n := 0
	for _, d := range devs {
		if b, err := os.ReadFile("/sys/block/" + d.Name() + "/size"); err == nil {
			n += len(b)
		}
		ents, _ := os.ReadDir("/sys/block/" + d.Name())
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), d.Name()) {
				if b, err := os.ReadFile("/sys/block/" + d.Name() + "/" + e.Name() + "/size"); err == nil {
					n += len(b)
				}
			}
		}
	}
	var st syscall.Statfs_t
	for _, m := range mounts {
		if syscall.Statfs(m, &st) == nil {
			n++
		}
	}
	fmt.Println(len(devs), len(mounts), n)
}
