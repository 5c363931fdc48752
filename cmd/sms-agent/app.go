package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sms-agent/sms-agent/platform"
)

// Exit codes, documented in the README.
const (
	exitOK      = 0 // complete result
	exitFailure = 1 // the command failed
	exitUsage   = 2 // bad command line
	exitPartial = 3 // a result was printed, with warnings: something could not be read
	// exitChecks (4, preflight.go): a check said ERROR; nothing was sent.
)

// fullName is the complete agent's file name. The lite build (main_lite.go), installed
// as sms-agent, runs it from its own directory for every command but discover and
// version.
const fullName = "sms-agent-full"

// app is what every subcommand gets: its streams, the environment (read only here in
// cmd/), and the agent's version.
type app struct {
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Getenv  func(string) string
	Version string
	// Euid is the effective user id (0 for root; -1 on Windows).
	Euid int
	// Privileged: the agent can read everything discovery reads (root; on Windows an
	// elevated administrator).
	Privileged bool
	// OS is the system the agent runs on: platform.OSLinux or platform.OSWindows.
	OS string
	// TempDir is where replayed captures are unpacked; "": os.TempDir() (os.MkdirTemp's
	// default), asked only when a capture is unpacked.
	TempDir string
	// Temps tracks the temporary files and directories in use, removed even when an
	// interrupted command cannot return in time to remove them itself.
	Temps *platform.TempFiles
	// CatchSignals, when not nil, catches SIGINT and SIGTERM, once, for
	// runInterruptible: the lite front (main_lite.go) calls it only when discovery is
	// about to start a child process, which an interruption must stop. Until then
	// there is nothing to stop or remove, and a signal ends the front at once. nil:
	// they are caught already (sms-agent-full catches them at start).
	CatchSignals func()
	// HandOn, when not nil (the lite front), runs this command line in the complete
	// agent instead, and returns only if it could not, with the exit code: the front
	// does not replay captures (discover --from).
	HandOn func() int
}

func newApp() *app {
	return &app{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, Version: version, Euid: os.Geteuid(),
		Privileged: privileged(), OS: hostOS(),
		Temps: &platform.TempFiles{},
	}
}

// errorf prints one line on stderr: "sms-agent: <message>" (a newline in the message
// is printed as \n: one message, one line).
func (a *app) errorf(format string, args ...any) {
	msg := strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", `\n`)
	fmt.Fprintln(a.Stderr, "sms-agent: "+msg)
}

type subcommand struct {
	name    string
	summary string
	run     func(ctx context.Context, a *app, args []string) int
	hidden  bool
	group   bool // takes a subcommand of its own (source register)
	// ownSignals, when it says yes for the command's arguments, leaves SIGINT and
	// SIGTERM to the command (service run: the service manager's stop, with its own
	// grace period and exit status): its context is cancelled, nothing more.
	ownSignals func(args []string) bool
}

// The commands both builds run: commands.go lists them among every command,
// main_lite.go runs only these.
var (
	discoverCommand     = subcommand{name: "discover", summary: "print what is on this host (disks, partitions, LVM, btrfs, mounts)", run: runDiscover}
	versionCommand      = subcommand{name: "version", summary: "print the agent's version", run: runVersion}
	statfsHelperCommand = subcommand{name: "__statfs", hidden: true, run: runStatfsHelper}
)

func run(ctx context.Context, a *app, args []string) int {
	if len(args) == 0 {
		var names []string
		for _, sc := range subcommands() {
			if !sc.hidden {
				names = append(names, sc.name)
			}
		}
		a.errorf("want a command (%s); see 'sms-agent help'", strings.Join(names, ", "))
		return exitUsage
	}
	switch args[0] {
	case "help":
		if len(args) > 1 { // help CMD [SUB] is CMD [SUB] --help
			return run(ctx, a, append(args[1:len(args):len(args)], "--help"))
		}
		usage(a.Stdout)
		return exitOK
	case "-h", "-help", "--help":
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
	a.errorf("unknown command %s; see 'sms-agent help'", platform.QuoteValue(args[0]))
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
	b.WriteString("\nRun 'sms-agent help <command>' (or 'sms-agent <command> --help') for a command's flags.\n")
	b.WriteString("Exit codes: 0 complete, 1 failure, 2 usage error, 3 partial result (warnings), 4 a check said ERROR, 130/143 interrupted.\n")
	fmt.Fprint(w, b.String())
}

func runVersion(_ context.Context, a *app, args []string) int {
	fs := newFlagSet(a, "version", "version")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fmt.Fprintf(a.Stdout, "sms-agent %s\n", a.Version)
	return exitOK
}
