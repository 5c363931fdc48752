//go:build !lite

package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sms-agent/sms-agent/agent/check"
	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/agent/sms"
)

// exitChecks: a check said ERROR, so nothing was sent (docs/checks.md).
const exitChecks = 4

// planFlags are the flags that shape the migration's layout (check, plan, task create).
type planFlags struct {
	shrink   bool
	headroom int
	typ      string
}

func (p *planFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&p.shrink, "shrink", false, "smaller target disks, partitions and LVs: each filesystem its used size plus --headroom (docs/mapping.md)")
	intVar(fs, &p.headroom, "headroom", sms.DefaultHeadroom, 1, 1000, "with --shrink: room left over the used size, in percent (at least 1G for /)")
	if fs.Lookup("type") == nil {
		typeVar(fs, &p.typ, "MIGRATE_FILE (file level) or MIGRATE_BLOCK (block level)")
	}
}

// options are the plan options of these flags and the --exclude list.
func (p *planFlags) options(exclude string) (sms.PlanOptions, error) {
	if p.typ != sms.TypeFile && p.typ != sms.TypeBlock {
		return sms.PlanOptions{}, fmt.Errorf("--type %q: want %s or %s", p.typ, sms.TypeFile, sms.TypeBlock)
	}
	if p.headroom < 1 || p.headroom > 1000 {
		return sms.PlanOptions{}, fmt.Errorf("--headroom %d: want a percentage from 1 to 1000", p.headroom)
	}
	return sms.PlanOptions{Exclude: splitList(exclude), Shrink: p.shrink, Headroom: p.headroom, Type: p.typ}, nil
}

// readClock reads the SMS endpoint's clock when an endpoint is configured; nil when
// offline.
func readClock(ctx context.Context, a *app, o *smsOptions) *check.Clock {
	if o.region == "" && o.endpoint == "" {
		return nil
	}
	c, err := o.endpointClient(a)
	if err != nil {
		return &check.Clock{Endpoint: o.endpoint + o.region, Err: err}
	}
	t, err := c.ServerClock(ctx)
	return &check.Clock{Endpoint: c.Endpoint.Host, Local: time.Now(), Server: t, Err: err}
}

// gate prints the check lines that are not OK, one each, on stderr. It says whether
// the request may go: not when a check said ERROR, unless forced; forced, it prints
// what the target will lack.
func gate(a *app, cmd string, rs []check.Result, p *sms.Plan, force bool) bool {
	for _, r := range rs {
		if r.Level != check.OK {
			fmt.Fprintln(a.Stderr, r.String())
		}
	}
	n := check.Errors(rs)
	if n == 0 {
		return true
	}
	if !force {
		a.errorf("%s: stopped by %d check error(s) above; nothing was sent. Fix them, or give --force to send anyway", cmd, n)
		return false
	}
	fmt.Fprintf(a.Stderr, "sms-agent: %s: --force: sending despite %d check error(s) above\n", cmd, n)
	for _, u := range p.Uncarried() {
		fmt.Fprintf(a.Stderr, "sms-agent: --force: the target will lack %s (%s)\n", u.Mount.MountPoint, u.Reason)
	}
	for _, l := range p.Left {
		if len(l.MountPoints) == 0 {
			fmt.Fprintf(a.Stderr, "sms-agent: --force: the target will lack %s (%s)\n", l.What, l.Reason)
		}
	}
	return true
}

// planFor parses the flags of check or plan, reads the config file and the host (or
// capture), and builds the plan; it prints the inventory's warnings. When the command
// stops there it returns its exit code and false.
func planFor(ctx context.Context, a *app, fs *flag.FlagSet, args []string, o *smsOptions, in *hostInput, pf *planFlags, wantFacts bool) (*sms.Plan, sms.HostFacts, []string, int, bool) {
	var facts sms.HostFacts
	if code, ok := parseFlags(fs, args); !ok {
		return nil, facts, nil, code, false
	}
	if err := o.load(a, fs); err != nil {
		return nil, facts, nil, configError(fs, err), false
	}
	opt, err := pf.options(in.exclude)
	if err != nil {
		return nil, facts, nil, usageError(fs, err.Error()), false
	}
	inv, facts, warns, err := in.load(ctx, a, wantFacts)
	printWarnings(a, warns)
	if err != nil {
		return nil, facts, warns, failf(fs, err), false
	}
	p, err := sms.BuildPlan(inv, opt)
	if err != nil {
		return nil, facts, warns, usageError(fs, err.Error()), false
	}
	return p, facts, warns, 0, true
}

func runCheck(ctx context.Context, a *app, args []string) int {
	var o smsOptions
	var in hostInput
	var pf planFlags
	var asJSON, offline bool
	fs := newFlagSet(a, "check", "check [--json] [--type T] [--shrink] [--exclude LIST] [--from CAPTURE] [flags]")
	o.register(fs)
	in.register(fs)
	pf.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the results as JSON (docs/checks.md)")
	fs.BoolVar(&offline, "offline", false, "do not read the SMS endpoint's clock, even when an endpoint is configured")
	p, facts, _, code, ok := planFor(ctx, a, fs, args, &o, &in, &pf, true)
	if !ok {
		return code
	}
	opt, _ := pf.options(in.exclude)
	var clock *check.Clock
	if !offline {
		clock = readClock(ctx, a, &o)
	}
	rs := check.Run(check.Input{Plan: p, Facts: facts, Type: opt.Type, Clock: clock})
	if asJSON {
		if err := writeJSON(a.Stdout, struct {
			Results []check.Result `json:"results"`
			Errors  int            `json:"errors"`
		}{rs, check.Errors(rs)}); err != nil {
			return fail(a, sms.Credentials{}, "check", err)
		}
	} else {
		for _, r := range rs {
			fmt.Fprintln(a.Stdout, r.String())
		}
	}
	if check.Errors(rs) > 0 {
		return exitChecks
	}
	return exitOK
}

func runPlan(ctx context.Context, a *app, args []string) int {
	var o smsOptions
	var in hostInput
	var pf planFlags
	var asJSON bool
	fs := newFlagSet(a, "plan", "plan [--json] [--shrink [--headroom N]] [--exclude LIST] [--from CAPTURE] [flags]")
	o.registerConfig(fs)
	in.register(fs)
	pf.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the plan as JSON (docs/mapping.md)")
	p, _, warns, code, ok := planFor(ctx, a, fs, args, &o, &in, &pf, false)
	if !ok {
		return code
	}
	printWarnings(a, p.Warnings)
	if asJSON {
		if err := writeJSON(a.Stdout, p.View()); err != nil {
			return fail(a, sms.Credentials{}, "plan", err)
		}
	} else {
		writePlan(a, p)
	}
	if len(warns)+len(p.Warnings) > 0 {
		return exitPartial
	}
	return exitOK
}

// writePlan prints the plan as a tree like lsblk's: each disk, its partitions (or
// whole-disk volume), then each VG and its LVs, with source, used and target sizes,
// then what is left out.
func writePlan(a *app, p *sms.Plan) {
	v := p.View()
	size := inventory.HumanSize
	used := func(u *int64) string {
		if u == nil {
			return "-"
		}
		return size(*u)
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 0, 2, ' ', 0)
	row := func(cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")) }
	row("NAME", "SOURCE", "USED", "TARGET", "FSTYPE", "MOUNTPOINT", "NOTE")
	branch := func(i, n int) string {
		if i == n-1 {
			return "└─"
		}
		return "├─"
	}
	volume := func(prefix string, vol sms.VolumeView) {
		target := size(vol.TargetSize)
		if !vol.Migrate {
			target = "-"
		}
		row(prefix+vol.Name, size(vol.Size), used(vol.UsedSize), target, orDash(vol.FileSystem), orDash(vol.MountPoint), vol.Note)
	}
	for _, d := range v.Disks {
		row(d.Name, size(d.Size), size(d.UsedSize), size(d.TargetSize), orDash(d.PartitionStyle), "-", d.Note)
		// Logical partitions are drawn inside their extended partition.
		var top, logical []sms.VolumeView
		for _, vol := range d.Volumes {
			if vol.Logical {
				logical = append(logical, vol)
			} else {
				top = append(top, vol)
			}
		}
		for i, vol := range top {
			volume(branch(i, len(top)), vol)
			if !vol.Extended {
				continue
			}
			indent := "│ "
			if i == len(top)-1 {
				indent = "  "
			}
			for j, l := range logical {
				volume(indent+branch(j, len(logical)), l)
			}
		}
	}
	for _, vg := range v.VolumeGroups {
		row("vg "+vg.Name, size(vg.Size), "-", size(vg.TargetSize), "LVM2", "-", vg.Note)
		for i, lv := range vg.LogicalVolumes {
			row(branch(i, len(vg.LogicalVolumes))+lv.Name, size(lv.Size), used(lv.UsedSize), size(lv.TargetSize), orDash(lv.FileSystem), orDash(lv.MountPoint), lv.Note)
		}
	}
	for _, b := range v.Btrfs {
		row("btrfs "+b.UUID, "-", size(b.Used), "-", "btrfs", orDash(b.MountPoint), "on "+strings.Join(b.Devices, ","))
	}
	tw.Flush()
	if len(v.LeftOut) > 0 {
		fmt.Fprintln(a.Stdout, "\nLeft out (the target will not have these):")
		for _, l := range v.LeftOut {
			line := "  " + l.What + ": " + l.Reason
			if len(l.MountPoints) > 0 {
				line += " [" + strings.Join(l.MountPoints, ", ") + "]"
			}
			fmt.Fprintln(a.Stdout, line)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
