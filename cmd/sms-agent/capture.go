//go:build !lite

package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/collectors/hostfacts"
	"github.com/sms-agent/sms-agent/platform"
)

func runCapture(ctx context.Context, a *app, args []string) int {
	var o hostOptions
	var out string
	fs := newFlagSet(a, "capture", "capture --out FILE [--devices LIST]")
	fs.StringVar(&out, "out", "", "write the capture archive (.tar.gz) to FILE (mode 0600; - for stdout; a device or FIFO is written in place)")
	o.register(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if out == "" {
		return usageError(fs, "--out FILE is required")
	}
	if o.from != "" {
		return usageError(fs, "--from cannot be used with capture (it records this host)")
	}
	live, _, _, _ := a.openHost(ctx, o) // live: cannot fail
	frec := platform.NewFileRecorder()
	h, rec := live.Recording(frec)
	created := time.Now().UTC().Truncate(time.Second)
	inv, err := inventory.Discover(ctx, h, inventory.Options{Devices: o.deviceList(), CommandTimeout: o.commandTimeout})
	if err != nil {
		return failf(fs, err)
	}
	// The host facts a registration needs (network files, boot loader, tools; Windows'
	// adapters) are recorded too, and the interface addresses, which no file holds.
	if h.OS == platform.OSWindows {
		hostfacts.Windows(ctx, h.Probes)
	} else {
		hostfacts.Reader{FS: h.FS, Run: h.Run, Timeout: o.commandTimeout, Kernel: inv.Host.KernelVersion}.Read(ctx)
	}
	probes, encErrs := rec.Records()
	for _, err := range encErrs {
		fmt.Fprintf(a.Stderr, "warning: capture: %v (not recorded)\n", err)
	}
	m := platform.Manifest{Created: created, AgentVersion: a.Version, Privileged: h.Privileged, OS: h.OS, Probes: probes}
	// On Windows the adapters and their addresses are the windows.adapters_addresses probe's.
	if h.OS != platform.OSWindows {
		if ifs, err := hostfacts.LiveInterfaces(); err == nil {
			m.Interfaces = hostfacts.ToCapture(ifs)
		} else {
			fmt.Fprintf(a.Stderr, "warning: capture: network interfaces: %v\n", err)
		}
	}
	write := func(w io.Writer) error { return platform.WriteCapture(w, h.FS, frec, m) }
	where := platform.Quote(out)
	if out == "-" {
		where, err = "stdout", write(a.Stdout)
	} else {
		err = platform.WriteFile(ctx, out, 0o600, a.Temps, write)
	}
	if err != nil {
		return failf(fs, err)
	}
	fmt.Fprintf(a.Stderr, "wrote %s: %d disks, %d mounts, probe answers: %s\n",
		where, len(inv.Disks), len(inv.Mounts), probeCounts(m.Probes))
	return a.reportWarnings(inv.Warnings)
}

// probeCounts says how many answers of each probe a capture holds ("command 3, statfs 5").
func probeCounts(probes map[string][]platform.ProbeRecord) string {
	names := make([]string, 0, len(probes))
	for n := range probes {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, len(probes[n])))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
