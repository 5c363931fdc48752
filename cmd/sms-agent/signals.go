package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sms-agent/sms-agent/platform"
)

// commandName is the command args run, for messages: "discover", "task create".
func commandName(args []string) string {
	if len(args) == 0 {
		return ""
	}
	for _, sc := range subcommands() {
		if sc.name != args[0] || sc.hidden {
			continue
		}
		if sc.group && len(args) > 1 && args[1] != "" && !strings.HasPrefix(args[1], "-") {
			return sc.name + " " + platform.Quote(args[1])
		}
		return sc.name
	}
	return ""
}

// ownsSignals reports whether the command args run handles SIGINT and SIGTERM itself
// (subcommand.ownSignals).
func ownsSignals(args []string) bool {
	for _, sc := range subcommands() {
		if len(args) > 0 && sc.name == args[0] && sc.ownSignals != nil {
			return sc.ownSignals(args[1:])
		}
	}
	return false
}

// outputGate passes writes through until it is closed, then drops them: an interrupted
// command's output is cut off this way, so that what its cancellation makes it say (a
// cancelled context, the last network error) is not printed.
type outputGate struct {
	w      io.Writer
	closed atomic.Bool
}

func (g *outputGate) Write(p []byte) (int, error) {
	if g.closed.Load() {
		return len(p), nil
	}
	return g.w.Write(p)
}

// interruptGrace is how long an interrupted command gets to return, removing its
// temporary files, before they are removed for it and the agent exits anyway: within
// the second a run may take to stop, whatever system call it is stuck in.
const interruptGrace = 500 * time.Millisecond

// runInterruptible runs the command and stops it when a signal arrives on sigs
// (SIGINT, SIGTERM) — unless it handles them itself (ownsSignals: then its context is
// cancelled and it ends as it sees fit): its context is cancelled and its output cut off; once it has
// returned, or after interruptGrace (at once on a second signal), the temporary files
// it has not removed are removed, one line says it was interrupted, and the exit code
// is 128 + the signal number (130 for SIGINT, 143 for SIGTERM).
func (a *app) runInterruptible(args []string, sigs <-chan os.Signal) int {
	if ownsSignals(args) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			if _, ok := <-sigs; ok {
				cancel()
			}
		}()
		return run(ctx, a, args)
	}
	stderr := a.Stderr
	out, errOut := &outputGate{w: a.Stdout}, &outputGate{w: a.Stderr}
	a.Stdout, a.Stderr = out, errOut
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- run(ctx, a, args) }()
	var sig os.Signal
	select {
	case code := <-done:
		return code
	case sig = <-sigs:
	}
	out.closed.Store(true)
	errOut.closed.Store(true)
	cancel()
	t := time.NewTimer(interruptGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-sigs:
	}
	name, code := "SIGINT", 130
	if s, ok := sig.(syscall.Signal); ok && s == syscall.SIGTERM {
		name, code = "SIGTERM", 143
	}
	msg := "interrupted by " + name
	if err := a.Temps.RemoveAll(); err != nil {
		msg += "; could not remove " + err.Error()
	}
	if c := commandName(args); c != "" {
		msg = c + ": " + msg
	}
	fmt.Fprintln(stderr, "sms-agent: "+strings.ReplaceAll(msg, "\n", `\n`))
	return code
}
