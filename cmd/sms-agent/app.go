package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes, documented in the README.
const (
	exitOK      = 0 // complete result
	exitFailure = 1 // the command failed
	exitUsage   = 2 // bad command line
	exitPartial = 3 // a result was printed, with warnings: something could not be read
	// exitChecks (4, preflight.go): a check said ERROR; nothing was sent.
)

// app is what every subcommand gets: its streams, the environment (read only here in
// cmd/), and the agent's version.
type app struct {
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Getenv  func(string) string
	Version string
	// Exe is the path of this binary, for the statfs helper child.
	Exe string
	// Euid is the effective user id (0 for root; -1 on Windows).
	Euid int
	// Privileged: the agent can read everything discovery reads (root; on Windows an
	// elevated administrator).
	Privileged bool
	// OS is the system the agent runs on: platform.OSLinux or platform.OSWindows.
	OS string
	// TempDir is where replayed captures are unpacked.
	TempDir string
}

func newApp() *app {
	exe, err := os.Executable()
	if err != nil {
		exe = "/proc/self/exe"
	}
	return &app{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, Version: version, Exe: exe, Euid: os.Geteuid(), TempDir: os.TempDir(),
		Privileged: privileged(), OS: hostOS(),
	}
}

// errorf prints one line on stderr: "sms-agent: <message>".
func (a *app) errorf(format string, args ...any) {
	fmt.Fprintf(a.Stderr, "sms-agent: "+format+"\n", args...)
}

type subcommand struct {
	name    string
	summary string
	run     func(ctx context.Context, a *app, args []string) int
	hidden  bool
}

func subcommands() []subcommand {
	return []subcommand{
		{name: "discover", summary: "print what is on this host (disks, partitions, LVM, btrfs, mounts)", run: runDiscover},
		{name: "capture", summary: "record everything discovery reads into one archive, for bug reports and tests", run: runCapture},
		{name: "check", summary: "preflight: what SMS would refuse or the target would lack, one line each (OK, WARN, ERROR)", run: runCheck},
		{name: "plan", summary: "the target layout task create would send, disk by disk, with source, used and target sizes", run: runPlan},
		{name: "source", summary: "register this host with SMS (source register|show)", run: runSource},
		{name: "task", summary: "create and inspect SMS migration tasks (task create|show|list)", run: runTask},
		{name: "service", summary: "run as a system service (service install|uninstall|start|stop|restart|status|run)", run: runService},
		{name: "config", summary: "check the config file (config check)", run: runConfig},
		{name: "version", summary: "print the agent's version", run: runVersion},
		{name: "__statfs", hidden: true, run: runStatfsHelper},
	}
}

func run(ctx context.Context, a *app, args []string) int {
	if len(args) == 0 {
		usage(a.Stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(a.Stdout)
		return exitOK
	case "--version":
		return runVersion(ctx, a, nil)
	}
	for _, sc := range subcommands() {
		if sc.name == args[0] {
			return sc.run(ctx, a, args[1:])
		}
	}
	a.errorf("unknown command %q (see 'sms-agent help')", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("Usage: sms-agent <command> [flags]\n\nCommands:\n")
	for _, sc := range subcommands() {
		if !sc.hidden {
			fmt.Fprintf(&b, "  %-10s %s\n", sc.name, sc.summary)
		}
	}
	b.WriteString("\nRun 'sms-agent <command> --help' for a command's flags.\n")
	b.WriteString("Exit codes: 0 complete, 1 failure, 2 usage error, 3 partial result (warnings), 4 a check said ERROR.\n")
	fmt.Fprint(w, b.String())
}

func runVersion(_ context.Context, a *app, _ []string) int {
	fmt.Fprintf(a.Stdout, "sms-agent %s\n", a.Version)
	return exitOK
}
