//go:build !lite

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"regexp"
	"strings"

	checks "github.com/sms-agent/sms-agent/agent/check"
	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/agent/sms"
	"github.com/sms-agent/sms-agent/platform"
)

func runTask(ctx context.Context, a *app, args []string) int {
	if len(args) == 0 {
		a.errorf("task: want a subcommand: create, show or list; see 'sms-agent task --help'")
		return exitUsage
	}
	switch args[0] {
	case "create":
		return runTaskCreate(ctx, a, args[1:])
	case "show":
		return runTaskShow(ctx, a, args[1:])
	case "list":
		return runTaskList(ctx, a, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(a.Stdout, "Usage: sms-agent task create [--dry-run] [flags]\n       sms-agent task show ID [flags]\n       sms-agent task list [--source-id ID] [flags]")
		return exitOK
	}
	a.errorf("task: unknown subcommand %s (want create, show or list); see 'sms-agent task --help'", platform.QuoteValue(args[0]))
	return exitUsage
}

type taskFlags struct {
	name, sourceName, projectName, sourceID, targetVMID, targetName string
	migrationIP, templateID                                         string
	priority                                                        *int64
	diskIDs                                                         map[string]string
	syncing, startTarget, usePublicIP, useIPv6                      optBool
	plan                                                            planFlags
	dry, force                                                      bool
}

// register adds task create's own flags and the plan's (--type, --shrink,
// --headroom); their config keys are in keyOf. The service reads the same keys.
func (f *taskFlags) register(fs *flag.FlagSet, o *smsOptions) {
	o.keyOf = map[string]string{"name": "task_name", "source-name": "name"}
	f.plan.register(fs)
	fs.StringVar(&f.name, "name", "", "task name (config key task_name; default the source's name)")
	fs.StringVar(&f.sourceName, "source-name", "", "name of the source to register or find (config key name; default the hostname)")
	fs.StringVar(&f.projectName, "project-name", "", "project name (default the region)")
	fs.StringVar(&f.sourceID, "source-id", "", "the registered source's id (skips registration; required with --dry-run)")
	fs.StringVar(&f.targetVMID, "target-vm-id", "", "id of an existing target VM (default: SMS creates one)")
	fs.StringVar(&f.targetName, "target-name", "", "target VM name (default the source's name)")
	fs.Var(ipValue{stringPtr{&f.migrationIP}}, "migration-ip", "IP of the target VM to migrate to (not needed when SMS creates it)")
	fs.StringVar(&f.templateID, "vm-template-id", "", "template SMS uses to create the target VM")
	fs.Var(optIntValue{&f.priority, 0, 65535}, "priority", "task priority 0-65535 (SMS default 1)")
	fs.Var(diskIDsValue{&f.diskIDs}, "disk-ids", "target disk ids of an existing VM: /dev/vda=ID,/dev/vdb=ID")
	fs.Var(&f.syncing, "syncing", "keep syncing after the copy (SMS default false)")
	fs.Var(&f.startTarget, "start-target-server", "start the target VM after migration (SMS default true)")
	fs.Var(&f.usePublicIP, "use-public-ip", "migrate over a public IP (SMS default true)")
	fs.Var(&f.useIPv6, "use-ipv6", "migrate over IPv6")
}

// check refuses what needs no inventory to be found wrong: a missing region or
// project, a plan option, an IP of the other family than --use-ipv6 says (the flags'
// own values are checked as they are set). It returns the priority and disk ids.
func (f *taskFlags) check(o *smsOptions) (*int64, map[string]string, error) {
	if o.region == "" {
		return nil, nil, errors.New("--region is required (region_name and region_id of the task)")
	}
	if o.projectID == "" {
		return nil, nil, errors.New("--project-id is required (or project_id, or HUAWEICLOUD_SDK_PROJECT_ID)")
	}
	if _, err := f.plan.options(""); err != nil {
		return nil, nil, err
	}
	if ip := f.migrationIP; ip != "" {
		v6 := strings.Contains(ip, ":")
		if want := f.useIPv6.v != nil && *f.useIPv6.v; v6 && !want {
			return nil, nil, fmt.Errorf("--migration-ip %s is an IPv6 address: add --use-ipv6", ip)
		} else if !v6 && want {
			return nil, nil, fmt.Errorf("--migration-ip %s is an IPv4 address, but --use-ipv6 is set", ip)
		}
	}
	return f.priority, f.diskIDs, nil
}

// sourceNameOf is the name the source is registered (or found) under.
func (f *taskFlags) sourceNameOf(inv *inventory.Inventory) string {
	if f.sourceName != "" {
		return f.sourceName
	}
	return inv.Host.Hostname
}

// buildTask builds and validates the task body of the plan for sourceID ("" when the
// source is registered next: the body is validated with a placeholder id).
func (f *taskFlags) buildTask(o *smsOptions, p *sms.Plan, sourceID string) (*sms.PostTask, error) {
	priority, diskIDs, err := f.check(o)
	if err != nil {
		return nil, err
	}
	inv := p.Inv
	srcName := f.sourceNameOf(inv)
	targetName := f.targetName
	if targetName == "" {
		targetName = srcName
	}
	ts, err := sms.BuildTargetServer(p, sms.TargetOptions{Name: targetName, VMID: f.targetVMID, DiskIDs: diskIDs})
	if err != nil {
		return nil, err
	}
	osType := inv.Host.OSType
	if osType == "" {
		osType = sms.OSLinux
	}
	projectName := f.projectName
	if projectName == "" {
		projectName = o.region
	}
	taskName := f.name
	if taskName == "" {
		taskName = defaultTaskName(srcName)
	}
	body := &sms.PostTask{
		Name: taskName, Type: f.plan.typ, OSType: osType, SourceServer: sms.SourceServerByTask{ID: sourceID},
		TargetServer: ts, MigrationIP: f.migrationIP, RegionName: o.region, RegionID: o.region,
		ProjectName: projectName, ProjectID: o.projectID, Priority: priority, VMTemplateID: f.templateID,
		StartTargetServer: f.startTarget.v, UsePublicIP: f.usePublicIP.v, UseIPv6: f.useIPv6.v, Syncing: f.syncing.v,
	}
	if f.targetVMID != "" {
		body.ExistServer = &[]bool{true}[0]
	}
	check := *body
	if check.SourceServer.ID == "" {
		check.SourceServer.ID = "(registered next)"
	}
	return body, sms.ValidatePostTask(&check)
}

func runTaskCreate(ctx context.Context, a *app, args []string) int {
	var o smsOptions
	var in hostInput
	var f taskFlags
	fs := newFlagSet(a, "task create", "task create [--dry-run] [--force] [--shrink] [flags]")
	o.register(fs)
	in.register(fs)
	f.register(fs, &o)
	fs.BoolVar(&f.dry, "dry-run", false, "print the JSON body that would be sent; no network call (needs --source-id)")
	fs.BoolVar(&f.force, "force", false, "send even when a check says ERROR (each thing the target will lack is printed)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if err := o.load(a, fs); err != nil {
		return configError(fs, err)
	}
	if f.dry && f.sourceID == "" {
		return usageError(fs, "--dry-run makes no network call, so it needs --source-id")
	}
	if _, _, err := f.check(&o); err != nil {
		return usageError(fs, err.Error())
	}
	opt, _ := f.plan.options(in.exclude)

	// The host facts are read even with --source-id: the checks need them.
	inv, facts, warns, err := in.load(ctx, a, true)
	if err != nil {
		printWarnings(a, warns)
		return failf(fs, err)
	}
	plan, err := sms.BuildPlan(inv, opt)
	if err != nil {
		printWarnings(a, warns)
		return usageError(fs, err.Error())
	}
	warns = append(warns, plan.Warnings...)
	srcName := f.sourceNameOf(inv)
	needSource := f.sourceID == ""
	var srcBody *sms.PostSourceServerBody
	if needSource {
		var w []string
		srcBody, w, err = buildSourceBody(a, plan, facts, srcName)
		warns = append(warns, w...)
		if err != nil {
			printWarnings(a, warns)
			return fail(a, sms.Credentials{}, "task create", err)
		}
	}
	body, err := f.buildTask(&o, plan, f.sourceID)
	printWarnings(a, warns)
	if err != nil {
		return fail(a, sms.Credentials{}, "task create", err)
	}
	var clock *checks.Clock
	if !f.dry {
		clock = readClock(ctx, a, &o)
	}
	if !gate(a, "task create", checks.Run(checks.Input{Plan: plan, Facts: facts, Type: opt.Type, Clock: clock}), plan, f.force) {
		return exitChecks
	}
	code := exitOK
	if len(warns) > 0 {
		code = exitPartial
	}
	if f.dry {
		if err := writeBody(a, body); err != nil {
			return fail(a, sms.Credentials{}, "task create", err)
		}
		return code
	}
	c, creds, err := o.client(a)
	if err != nil {
		return fail(a, creds, "task create", err)
	}
	if needSource {
		id, how, err := c.EnsureSource(ctx, srcBody)
		if err != nil {
			return fail(a, creds, "task create: register source", err)
		}
		a.errorf("source %q %s (id %s)", srcName, map[sms.Ensured]string{
			sms.Created:           "registered",
			sms.Found:             "already registered",
			sms.CreatedAnswerLost: "registered; the answer was lost, found it on retry",
		}[how], id)
		body.SourceServer.ID = id
	}
	id, how, err := c.EnsureTask(ctx, body)
	if err != nil {
		return fail(a, creds, "task create", err)
	}
	a.errorf("%s", map[sms.Ensured]string{
		sms.Created:           fmt.Sprintf("task %q created", body.Name),
		sms.Found:             "the source already has a task; nothing created",
		sms.CreatedAnswerLost: fmt.Sprintf("task %q created; the answer was lost, found it on retry", body.Name),
	}[how])
	fmt.Fprintln(a.Stdout, id)
	return code
}

// defaultTaskName is the source name in the newest doc's task-name alphabet (letters,
// digits, CJK, _ and -; 1-64 chars).
func defaultTaskName(src string) string {
	n := regexp.MustCompile(`[^\p{Han}A-Za-z0-9_-]+`).ReplaceAllString(src, "-")
	if r := []rune(n); len(r) > 64 {
		n = string(r[:64])
	}
	if n == "" || n == "-" {
		n = "sms-agent-task"
	}
	return n
}

func runTaskShow(ctx context.Context, a *app, args []string) int {
	var o smsOptions
	fs := newFlagSet(a, "task show", "task show ID [flags]  (or: task show [flags] ID)")
	o.register(fs)
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	max := 0
	if id == "" {
		max = 1 // the id after the flags
	}
	rest, code, ok := parseFlagsArgs(fs, args, max)
	if !ok {
		return code
	}
	if len(rest) == 1 {
		id = rest[0]
	}
	if id == "" {
		return usageError(fs, "want the task id: sms-agent task show ID")
	}
	if err := o.load(a, fs); err != nil {
		return configError(fs, err)
	}
	c, creds, err := o.client(a)
	if err != nil {
		return fail(a, creds, "task show", err)
	}
	raw, err := c.GetTask(ctx, id)
	if err != nil {
		return fail(a, creds, "task show", err)
	}
	return printRaw(a, creds, "task show", raw)
}

func runTaskList(ctx context.Context, a *app, args []string) int {
	var o smsOptions
	var sourceID string
	fs := newFlagSet(a, "task list", "task list [--source-id ID] [flags]")
	o.register(fs)
	fs.StringVar(&sourceID, "source-id", "", "only the tasks of this source")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if err := o.load(a, fs); err != nil {
		return configError(fs, err)
	}
	c, creds, err := o.client(a)
	if err != nil {
		return fail(a, creds, "task list", err)
	}
	raw, err := c.ListTasks(ctx, sourceID)
	if err != nil {
		return fail(a, creds, "task list", err)
	}
	return printRaw(a, creds, "task list", raw)
}

var _ flag.Value = (*optBool)(nil)
