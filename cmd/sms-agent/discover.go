package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/platform"
)

// hostOptions are the flags shared by every command that reads a host.
type hostOptions struct {
	from           string
	devices        string
	statfsTimeout  time.Duration
	commandTimeout time.Duration
}

func (o *hostOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.from, "from", "", "replay a capture (.tar.gz from 'sms-agent capture') or a root-like directory instead of reading this host")
	diskListVar(fs, &o.devices, "devices", "comma-separated disks to report (e.g. /dev/sdb,/dev/loop3); default: every disk that is a migration candidate")
	durationVar(fs, &o.statfsTimeout, "statfs-timeout", 2*time.Second, "how long to wait for mounted filesystems to answer statfs")
	durationVar(fs, &o.commandTimeout, "command-timeout", 10*time.Second, "timeout of each external command (blkid, lvm, btrfs)")
}

func (o *hostOptions) deviceList() []string { return splitList(o.devices) }

// liveHost is this machine, read through the real runner and the statfs helper child.
func (a *app) liveHost(o hostOptions) platform.Host {
	env := platform.LiveEnv{
		SearchPath:     platform.DefaultSearchPath,
		Env:            []string{"LC_ALL=C", "PATH=" + strings.Join(platform.DefaultSearchPath, ":")},
		StatfsHelper:   []string{"", "__statfs"}, // this program, found if a helper is needed
		StatfsTimeout:  o.statfsTimeout,
		CommandTimeout: o.commandTimeout,
	}
	if catch := a.CatchSignals; catch != nil {
		env.Spawned = func([]string) { catch() }
	}
	h := platform.NewHost(platform.NewFS("/"), platform.NewLive(env), time.Now)
	h.Privileged, h.Live, h.OS = a.Privileged, true, a.OS
	return h
}

// badInput marks an error in what a flag names (the --from path is no capture, or
// missing): a usage error, exit 2.
type badInput struct{ error }

func (b badInput) Unwrap() error { return b.error }

// exitCode is the exit code of a command that failed with err.
func exitCode(err error) int {
	var bad badInput
	if errors.As(err, &bad) {
		return exitUsage
	}
	return exitFailure
}

// failf prints err of the command of fs as one line and returns its exit code: a bad
// --from is a usage error (pointing at the help), anything else a failure.
func failf(fs *flag.FlagSet, err error) int {
	if exitCode(err) == exitUsage {
		return usageError(fs, err.Error())
	}
	fs.Output().(*flagOutput).a.errorf("%s: %v", fs.Name(), err)
	return exitFailure
}

// openHost returns the host to read: this machine, or the capture `from` (then also
// the capture, for what it holds beyond the host: its manifest). done releases it.
func (a *app) openHost(ctx context.Context, o hostOptions) (h platform.Host, c *platform.Capture, done func(), err error) {
	if o.from == "" {
		return a.liveHost(o), nil, func() {}, nil
	}
	if c, err = platform.OpenCaptureContext(ctx, o.from, a.TempDir, a.Temps); err != nil {
		err = fmt.Errorf("--from %w", err)
		if errors.Is(err, platform.ErrNotCapture) || errors.Is(err, fs.ErrNotExist) {
			err = badInput{err}
		}
		return platform.Host{}, nil, nil, err
	}
	return c.Host(time.Now), c, c.Close, nil
}

func runDiscover(ctx context.Context, a *app, args []string) int {
	var o hostOptions
	var asJSON bool
	fs := newFlagSet(a, "discover", "discover [--json] [--devices LIST] [--from CAPTURE]")
	fs.BoolVar(&asJSON, "json", false, "print the inventory as JSON (docs/inventory.md) instead of a tree")
	o.register(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if o.from != "" && a.HandOn != nil {
		return a.HandOn()
	}
	h, _, done, err := a.openHost(ctx, o)
	if err != nil {
		return failf(fs, err)
	}
	defer done()
	inv, err := inventory.Discover(ctx, h, inventory.Options{Devices: o.deviceList(), CommandTimeout: o.commandTimeout})
	if err != nil {
		return failf(fs, err)
	}
	if asJSON {
		if err := writeJSON(a.Stdout, inv); err != nil {
			return failf(fs, fmt.Errorf("write: %w", err))
		}
	} else {
		inventory.WriteTree(a.Stdout, inv)
	}
	return a.reportWarnings(inv.Warnings)
}

// reportWarnings prints each warning on stderr and returns the exit code.
func (a *app) reportWarnings(ws []inventory.Warning) int {
	for _, w := range ws {
		fmt.Fprintf(a.Stderr, "warning: %s: %s\n", w.Source, w.Message)
	}
	if len(ws) > 0 {
		return exitPartial
	}
	return exitOK
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// runStatfsHelper is the hidden child that does statfs(2) for the parent (see
// platform.HelperStatfs): the parent can abandon it if a mount never answers.
func runStatfsHelper(_ context.Context, a *app, _ []string) int {
	if err := platform.ServeStatfs(a.Stdin, a.Stdout); err != nil {
		a.errorf("%v", err)
		return exitFailure
	}
	return exitOK
}
