//go:build lite

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
	"syscall"

	"github.com/sms-agent/sms-agent/platform"
)

// version is stamped by `make build` (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	args := os.Args[1:]
	if len(args) == 0 || !isLiteCommand(args[0]) {
		os.Exit(execFull(os.Args))
	}
	setupProcess()
	// signal.Notify waits for the runtime to start a thread of its own for signal masks
	// (0.3 ms on the development machine): catch the signals while discovery
	// starts. Until they are caught, SIGINT and SIGTERM end the process at once, which a
	// shell reports as 130 and 143 too; a command waits for them before it creates a
	// temporary file (app.waitSignals).
	sigs := make(chan os.Signal, 2)
	caught := make(chan struct{})
	go func() {
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
		close(caught)
	}()
	a := newApp()
	a.SignalsCaught = caught
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
// code after printing why, in one line.
func execFull(argv []string) int {
	full, err := fullPath()
	if err == nil {
		err = syscall.Exec(full, argv, os.Environ())
		err = &fs.PathError{Op: "exec", Path: full, Err: err}
	}
	what := "this command"
	if len(argv) > 1 {
		what = platform.QuoteValue(argv[1])
	}
	hint := ""
	if errors.Is(err, fs.ErrNotExist) {
		hint = " (this sms-agent is the lite front, which runs only discover and version; install " + fullName + " beside it, as the packages do)"
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
