//go:build lite && linux

// Built with -tags lite (Linux only), this is the agent's front: the program installed
// as sms-agent. It runs discover and version itself, and the statfs helper child
// discover starts, and hands every other command line to the complete agent,
// sms-agent-full in the same directory, by exec: the same process, arguments,
// environment, streams and signals.
// Discover so starts without the complete agent's SMS client, TLS, service manager and
// log, whose package initialisers and pages cost more than discovery itself
// (README.md, "Performance"). docs/lite.md says what runs where.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/sms-agent/sms-agent/platform"
)

// version is stamped by `make build` (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	args := os.Args[1:]
	if len(args) == 0 || !isLiteCommand(args[0]) {
		what := "this command"
		if len(args) > 0 {
			what = platform.QuoteValue(args[0])
		}
		os.Exit(execFull(os.Args, what))
	}
	setupProcess()
	a := newApp()
	a.HandOn = func() int { return execFull(os.Args, "discover --from") }
	// SIGINT and SIGTERM are caught only when discovery is about to start a child
	// process (lvm, btrfs, blkid, a statfs helper), which an interruption must stop:
	// signal.Notify starts two threads of the runtime's (the signal mask's, locked,
	// and the signal queue's), which cost discover 0.3 ms. Until then the runtime's
	// own handler ends the process by the signal at once: nothing is to be stopped or
	// removed, as discover has only read files until then. That is also why the main
	// goroutine need not keep the main thread here, as in sms-agent-full (main.go):
	// no system call of the front's can wait on a dead mount (statfs of a network or
	// FUSE filesystem is the helper child's; --from is handed on).
	sigs := make(chan os.Signal, 2)
	var once sync.Once
	a.CatchSignals = func() {
		once.Do(func() { signal.Notify(sigs, os.Interrupt, syscall.SIGTERM) })
	}
	os.Exit(a.runInterruptible(args, sigs))
}

// subcommands are the commands this program runs itself.
func subcommands() []subcommand {
	return []subcommand{discoverCommand, versionCommand, statfsHelperCommand}
}

func isLiteCommand(name string) bool {
	if name == "--version" {
		return true
	}
	for _, sc := range subcommands() {
		if sc.name == name {
			return true
		}
	}
	return false
}

// execFull replaces this process with sms-agent-full, given argv (argv[0] kept, so
// that ps shows what was typed). It returns only if the exec failed, with the exit
// code after printing why, in one line that names what needed it.
func execFull(argv []string, what string) int {
	full, err := fullPath()
	if err == nil {
		err = syscall.Exec(full, argv, os.Environ())
		err = &fs.PathError{Op: "exec", Path: full, Err: err}
	}
	hint := ""
	if errors.Is(err, fs.ErrNotExist) {
		hint = " (this sms-agent is the lite front, which runs only version and discover of this host; install " + fullName + " beside it, as the packages do)"
	}
	fmt.Fprintf(os.Stderr, "sms-agent: %s needs the complete agent: %v%s\n", what, err, hint)
	return exitFailure
}

// fullPath is sms-agent-full in the directory of this program's executable (symbolic
// links resolved: the kernel's /proc/self/exe).
func fullPath() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find this program's executable: %w", err)
	}
	return filepath.Join(filepath.Dir(exe), fullName), nil
}
