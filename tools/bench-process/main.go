//go:build linux

// Command bench-process times whole processes, the way an operator experiences them:
// each command runs -n times, interleaved (floor, candidate, floor, ...) so that both
// see the same machine state; it prints the median wall time, the median peak RSS
// (getrusage maxrss), and each command's ratio to the first one (the baseline).
//
//	go run ./tools/bench-process -n 50 -- ./bin/discover-floor -- ./bin/sms-agent discover --json
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 30, "runs per command")
	flag.Parse()
	var cmds [][]string
	var cur []string
	for _, a := range flag.Args() {
		if a == "--" {
			if len(cur) > 0 {
				cmds = append(cmds, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, a)
	}
	if len(cur) > 0 {
		cmds = append(cmds, cur)
	}
	if len(cmds) == 0 {
		fmt.Fprintln(os.Stderr, "usage: bench-process [-n N] -- baseline args... [-- other args...]")
		os.Exit(2)
	}
	walls := make([][]time.Duration, len(cmds))
	rss := make([][]int64, len(cmds))
	for i := 0; i < *n; i++ {
		for c, argv := range cmds {
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
			start := time.Now()
			err := cmd.Run()
			walls[c] = append(walls[c], time.Since(start))
			if _, ok := err.(*exec.ExitError); err != nil && !ok {
				fmt.Fprintf(os.Stderr, "%s: %v\n", strings.Join(argv, " "), err)
				os.Exit(1)
			}
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				rss[c] = append(rss[c], ru.Maxrss)
			}
		}
	}
	base := median(walls[0])
	fmt.Printf("%-60s %12s %12s %8s\n", "command", "median", "peak RSS", "ratio")
	for c, argv := range cmds {
		m := median(walls[c])
		fmt.Printf("%-60s %9.2f ms %8.1f MiB %7.2fx\n", strings.Join(argv, " "), float64(m)/1e6,
			float64(medianInt(rss[c]))/1024, float64(m)/float64(base))
	}
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func medianInt(d []int64) int64 {
	if len(d) == 0 {
		return 0
	}
	s := append([]int64(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
