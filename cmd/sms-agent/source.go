//go:build !lite

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/sms-agent/sms-agent/agent/check"
	"github.com/sms-agent/sms-agent/agent/daemon"
	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/agent/sms"
	"github.com/sms-agent/sms-agent/collectors/hostfacts"
	"github.com/sms-agent/sms-agent/platform"
)

// defaultConfigPath is read when --config is not given and the file exists.
const defaultConfigPath = "/etc/sms-agent/sms.conf"

// configKeys are every key the config file may hold: the flags of the SMS commands
// (dashes as underscores; task create's --name is task_name, its --source-name is
// name) and the credential keys. docs/sms.md lists them.
func configKeys() map[string]bool {
	keys := map[string]bool{}
	for _, k := range []string{
		"region", "endpoint", "iam_endpoint", "project_id", "project_name", "ca_file", "proxy", "no_proxy",
		"timeout", "retries", "retry_base", "retry_max_wait", "retry_budget",
		"name", "task_name", "type", "source_id", "target_vm_id", "target_name", "migration_ip", "vm_template_id",
		"priority", "syncing", "start_target_server", "use_public_ip", "use_ipv6", "devices", "exclude", "disk_ids",
		"from", "facts", "statfs_timeout", "command_timeout", "shrink", "headroom",
	} {
		keys[k] = true
	}
	for _, k := range sms.CredentialKeys() {
		keys[k] = true
	}
	for _, k := range daemon.Keys() {
		keys[k] = true
	}
	return keys
}

// smsOptions are the flags shared by every command that talks to SMS.
type smsOptions struct {
	config                               string
	region, endpoint, iamEndpoint        string
	projectID                            string
	caFile, proxy, noProxy               string
	timeout, retryBase, retryMax, budget time.Duration
	retries                              int
	cfg                                  *sms.ConfigFile
	keyOf                                map[string]string // flag name → config key, when not the mechanical one
}

func (o *smsOptions) register(fs *flag.FlagSet) {
	o.registerConfig(fs)
	fs.StringVar(&o.region, "region", "", "region, e.g. ap-southeast-3 (endpoints https://sms.<region>.myhuaweicloud.com, https://iam.<region>...)")
	endpointVar(fs, &o.endpoint, "endpoint", "sms", "SMS endpoint URL (overrides the region's; http:// only for loopback)")
	endpointVar(fs, &o.iamEndpoint, "iam-endpoint", "iam", "IAM endpoint URL for password authentication (overrides the region's)")
	fs.StringVar(&o.projectID, "project-id", "", "project id (default HUAWEICLOUD_SDK_PROJECT_ID)")
	fs.StringVar(&o.caFile, "ca-file", "", "extra PEM CA certificates to trust (added to the system's)")
	proxyVar(fs, &o.proxy, "HTTP proxy URL (default HTTPS_PROXY / https_proxy)")
	fs.StringVar(&o.noProxy, "no-proxy", "", "hosts not to proxy (default NO_PROXY / no_proxy)")
	durationVar(fs, &o.timeout, "timeout", 30*time.Second, "timeout of each HTTP attempt")
	intVar(fs, &o.retries, "retries", 5, 1, 100, "attempts per operation, the first included")
	durationVar(fs, &o.retryBase, "retry-base", time.Second, "first backoff between attempts (doubled each time, with jitter)")
	durationVar(fs, &o.retryMax, "retry-max-wait", 30*time.Second, "longest single wait, Retry-After included")
	durationVar(fs, &o.budget, "retry-budget", 2*time.Minute, "total time one operation may take, retries included")
}

// registerConfig registers --config alone, for a command that takes only the config
// keys of its own flags (plan).
func (o *smsOptions) registerConfig(fs *flag.FlagSet) {
	fs.StringVar(&o.config, "config", "", "config file (key = value; must be mode 0600); default $SMS_AGENT_CONFIG, else "+defaultConfigPath+" when it exists")
}

// load reads the config file and applies its values to the flags not given on the
// command line, through the flags' own checks. A bad file or value is an error
// naming the file and the line (*sms.ConfigError): a usage error, exit 2.
func (o *smsOptions) load(a *app, fs *flag.FlagSet) error {
	path := a.configPath(o.config)
	o.cfg = &sms.ConfigFile{Values: map[string]string{}, Lines: map[string]int{}}
	if path != "" {
		cfg, err := sms.LoadConfig(path, a.Euid)
		if err != nil {
			return err
		}
		o.cfg = cfg
	}
	known := configKeys()
	var keys []string
	for k := range o.cfg.Values {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return o.cfg.Lines[keys[i]] < o.cfg.Lines[keys[j]] })
	for _, k := range keys {
		if !known[k] {
			return o.cfg.Errorf(k, "unknown key (see docs/sms.md)")
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		key := strings.ReplaceAll(f.Name, "-", "_")
		if k, ok := o.keyOf[f.Name]; ok {
			key = k
		}
		v, ok := o.cfg.Values[key]
		if !ok || set[f.Name] || f.Name == "config" {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			errs = append(errs, o.cfg.Errorf(key, "%v", e))
		}
	})
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].(*sms.ConfigError).Line < errs[j].(*sms.ConfigError).Line })
		return errs[0]
	}
	if o.projectID == "" {
		o.projectID = strings.TrimSpace(a.Getenv("HUAWEICLOUD_SDK_PROJECT_ID"))
	}
	return nil
}

// endpointClient is a client of the SMS endpoint without credentials (the clock check
// needs no more), with the proxy, CA and retry settings.
func (o *smsOptions) endpointClient(a *app) (*sms.Client, error) {
	if o.region == "" && o.endpoint == "" {
		return nil, errors.New("no endpoint: give --region (or region in the config file) or --endpoint")
	}
	ep, err := sms.Endpoint("sms", o.region, o.endpoint)
	if err != nil {
		return nil, err
	}
	proxy, noProxy := o.proxy, o.noProxy
	if proxy == "" {
		proxy = firstEnv(a, "HTTPS_PROXY", "https_proxy")
	}
	if noProxy == "" {
		noProxy = firstEnv(a, "NO_PROXY", "no_proxy")
	}
	hc, err := sms.NewHTTPClient(sms.HTTPOptions{CAFile: o.caFile, Proxy: proxy, NoProxy: noProxy})
	if err != nil {
		return nil, err
	}
	return &sms.Client{
		Endpoint: ep, HTTP: hc, Timeout: o.timeout, UserAgent: "sms-agent/" + a.Version, Now: time.Now,
		Retry: sms.RetryPolicy{Attempts: o.retries, Base: o.retryBase, MaxWait: o.retryMax, Budget: o.budget},
	}, nil
}

// client builds the SMS client, or an error an operator can act on.
func (o *smsOptions) client(a *app) (*sms.Client, sms.Credentials, error) {
	creds, err := sms.LoadCredentials(o.cfg.Values, a.Getenv)
	if err != nil {
		return nil, creds, err
	}
	c, err := o.endpointClient(a)
	if err != nil {
		return nil, creds, err
	}
	c.Logf = func(format string, args ...any) {
		fmt.Fprintln(a.Stderr, sms.Redact("warning: "+fmt.Sprintf(format, args...), creds.Secrets()))
	}
	switch creds.Kind() {
	case "AK/SK", "temporary AK/SK":
		if o.projectID == "" {
			return nil, creds, errors.New("AK/SK signing needs the project id: give --project-id (or project_id, or HUAWEICLOUD_SDK_PROJECT_ID)")
		}
		c.Auth = &sms.AKSK{AK: creds.AK, SK: creds.SK, SecurityToken: creds.SecurityToken, ProjectID: o.projectID, Now: time.Now}
	case "token":
		c.Auth = &sms.StaticToken{Token: creds.AuthToken}
	case "password":
		if o.projectID == "" {
			return nil, creds, errors.New("password authentication needs the project id for a project-scoped token: give --project-id")
		}
		if o.region == "" && o.iamEndpoint == "" {
			return nil, creds, errors.New("password authentication needs --region or --iam-endpoint")
		}
		iam, err := sms.Endpoint("iam", o.region, o.iamEndpoint)
		if err != nil {
			return nil, creds, err
		}
		c.Auth = &sms.PasswordToken{IAM: iam, User: creds.IAMUser, Password: creds.IAMPassword, Domain: creds.IAMDomain,
			ProjectID: o.projectID, HTTP: c.HTTP, Now: time.Now, Timeout: o.timeout}
	}
	return c, creds, nil
}

func firstEnv(a *app, keys ...string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(a.Getenv(k)); v != "" {
			return v
		}
	}
	return ""
}

// fail prints err as one line and returns exitFailure.
func fail(a *app, creds sms.Credentials, cmd string, err error) int {
	a.errorf("%s", sms.Redact(cmd+": "+err.Error(), creds.Secrets()))
	return exitFailure
}

// hostInput is how a command gets the inventory and the host facts: the flags every
// command that reads a host has, plus the disks to leave out and a host facts file.
type hostInput struct {
	hostOptions
	exclude, facts string
	// mountTable is the mountinfo file discovery reads ("": its own); the service
	// sets it (hostMountTable).
	mountTable string
}

func (h *hostInput) register(fs *flag.FlagSet) {
	h.hostOptions.register(fs)
	fs.Lookup("from").Usage = "build from a capture (.tar.gz or root directory) or an inventory JSON file ('discover --json') instead of this host"
	excludeListVar(fs, &h.exclude, "comma-separated disks to leave out of the migration")
	fs.StringVar(&h.facts, "facts", "", "JSON file of host facts (networks, has_rsync, ...; docs/sms.md) instead of reading them")
}

// load returns the inventory and, when wanted, the host facts, with warnings. The host
// (or capture) is opened once, for both.
func (h *hostInput) load(ctx context.Context, a *app, wantFacts bool) (*inventory.Inventory, sms.HostFacts, []string, error) {
	var facts sms.HostFacts
	if strings.HasSuffix(h.from, ".json") {
		b, err := platform.ReadRegularFile(h.from, maxInputFile)
		if err != nil {
			return nil, facts, nil, badInput{fmt.Errorf("--from %s: %w", platform.Quote(h.from), err)}
		}
		inv := new(inventory.Inventory)
		if err := json.Unmarshal(b, inv); err != nil {
			return nil, facts, nil, fmt.Errorf("--from %s: not an inventory: %w", platform.Quote(h.from), err)
		}
		warns := inventoryWarnings(inv)
		if !wantFacts {
			return inv, facts, warns, nil
		}
		if h.facts == "" {
			return inv, facts, append(warns, "host facts: none for an inventory file (give --facts); networks and environment checks unknown"), nil
		}
		facts, err = readFacts(h.facts)
		return inv, facts, warns, err
	}
	host, capt, done, err := a.openHost(ctx, h.hostOptions)
	if err != nil {
		return nil, facts, nil, err
	}
	defer done()
	inv, err := inventory.Discover(ctx, host, inventory.Options{Devices: h.deviceList(), CommandTimeout: h.commandTimeout, MountTable: h.mountTable})
	if err != nil {
		return nil, facts, nil, err
	}
	warns := inventoryWarnings(inv)
	switch {
	case !wantFacts:
	case h.facts != "":
		facts, err = readFacts(h.facts)
	case host.OS == platform.OSWindows:
		var w []string
		facts, w = hostfacts.Windows(ctx, host.Probes)
		for _, s := range w {
			warns = append(warns, "host facts: "+s)
		}
	default:
		r := hostfacts.Reader{FS: host.FS, Run: host.Run, Timeout: h.commandTimeout, Kernel: inv.Host.KernelVersion}
		switch {
		case host.Live:
			r.Interfaces = hostfacts.LiveInterfaces
		case capt.Manifest != nil && len(capt.Manifest.Interfaces) > 0:
			r.Interfaces = hostfacts.CapturedInterfaces(capt.Manifest.Interfaces)
		}
		var w []string
		facts, w = r.Read(ctx)
		for _, s := range w {
			warns = append(warns, "host facts: "+s)
		}
		if r.Interfaces == nil {
			warns = append(warns, "host facts: the capture holds no interface addresses (give --facts)")
		}
	}
	return inv, facts, warns, err
}

func inventoryWarnings(inv *inventory.Inventory) []string {
	var warns []string
	for _, w := range inv.Warnings {
		warns = append(warns, w.Source+": "+w.Message)
	}
	return warns
}

// maxInputFile bounds an inventory or host facts file.
const maxInputFile = 64 << 20

func readFacts(path string) (sms.HostFacts, error) {
	var facts sms.HostFacts
	b, err := platform.ReadRegularFile(path, maxInputFile)
	if err != nil {
		return facts, badInput{fmt.Errorf("--facts %s: %w", platform.Quote(path), err)}
	}
	if err := json.Unmarshal(b, &facts); err != nil {
		return facts, fmt.Errorf("--facts %s: not a host facts file: %w", platform.Quote(path), err)
	}
	return facts, nil
}

// printWarnings prints each distinct warning once (task create builds the source body
// and the target layout from the same volumes, and both say what is unknown).
func printWarnings(a *app, warns []string) {
	seen := map[string]bool{}
	for _, w := range warns {
		if !seen[w] {
			seen[w] = true
			fmt.Fprintf(a.Stderr, "warning: %s\n", w)
		}
	}
}

func runSource(ctx context.Context, a *app, args []string) int {
	if len(args) == 0 {
		a.errorf("source: want a subcommand: register or show; see 'sms-agent source --help'")
		return exitUsage
	}
	switch args[0] {
	case "register":
		return runSourceRegister(ctx, a, args[1:])
	case "show":
		return runSourceShow(ctx, a, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(a.Stdout, "Usage: sms-agent source register [--dry-run] [flags]\n       sms-agent source show [--source-id ID | --name NAME] [flags]")
		return exitOK
	}
	a.errorf("source: unknown subcommand %s (want register or show); see 'sms-agent source --help'", platform.QuoteValue(args[0]))
	return exitUsage
}

// buildSourceBody maps and validates the registration body of a plan.
func buildSourceBody(a *app, p *sms.Plan, facts sms.HostFacts, name string) (*sms.PostSourceServerBody, []string, error) {
	body, warns := sms.BuildSourceBody(p, facts, sms.SourceOptions{Name: name, AgentVersion: a.Version})
	return body, warns, sms.ValidateSourceBody(body)
}

// writeBody prints a request body exactly as it would be sent (--dry-run).
func writeBody(a *app, body any) error {
	b, err := sms.EncodeBody(body)
	if err != nil {
		return err
	}
	_, err = a.Stdout.Write(b)
	return err
}

func runSourceRegister(ctx context.Context, a *app, args []string) int {
	var o smsOptions
	var in hostInput
	var name, typ string
	var dry, force bool
	fs := newFlagSet(a, "source register", "source register [--dry-run] [--force] [--name NAME] [flags]")
	o.register(fs)
	in.register(fs)
	fs.StringVar(&name, "name", "", "the source's name in SMS, 1-64 chars (default the hostname)")
	typeVar(fs, &typ, "the task type it will be migrated with, for the checks: MIGRATE_FILE or MIGRATE_BLOCK")
	fs.BoolVar(&dry, "dry-run", false, "print the JSON body that would be sent; no network call")
	fs.BoolVar(&force, "force", false, "send even when a check says ERROR (each thing the target will lack is printed)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if err := o.load(a, fs); err != nil {
		return configError(fs, err)
	}
	opt, err := (&planFlags{typ: typ, headroom: sms.DefaultHeadroom}).options(in.exclude)
	if err != nil {
		return usageError(fs, err.Error())
	}
	inv, facts, warns, err := in.load(ctx, a, true)
	if err != nil {
		printWarnings(a, warns)
		return failf(fs, err)
	}
	p, err := sms.BuildPlan(inv, opt)
	if err != nil {
		printWarnings(a, warns)
		return usageError(fs, err.Error())
	}
	body, w, err := buildSourceBody(a, p, facts, name)
	warns = append(append(warns, p.Warnings...), w...)
	printWarnings(a, warns)
	if err != nil {
		return failf(fs, err)
	}
	var clock *check.Clock
	if !dry {
		clock = readClock(ctx, a, &o)
	}
	if !gate(a, "source register", check.Run(check.Input{Plan: p, Facts: facts, Type: opt.Type, Clock: clock}), p, force) {
		return exitChecks
	}
	code := exitOK
	if len(warns) > 0 {
		code = exitPartial
	}
	if dry {
		if err := writeBody(a, body); err != nil {
			return fail(a, sms.Credentials{}, "source register", err)
		}
		return code
	}
	c, creds, err := o.client(a)
	if err != nil {
		return fail(a, creds, "source register", err)
	}
	id, how, err := c.EnsureSource(ctx, body)
	if err != nil {
		return fail(a, creds, "source register", err)
	}
	a.errorf("source %q %s", body.Name, map[sms.Ensured]string{
		sms.Created:           "registered",
		sms.Found:             "was already registered; nothing sent",
		sms.CreatedAnswerLost: "registered; the answer was lost, found it on retry",
	}[how])
	fmt.Fprintln(a.Stdout, id)
	return code
}

func runSourceShow(ctx context.Context, a *app, args []string) int {
	var o smsOptions
	var name, id string
	fs := newFlagSet(a, "source show", "source show [--source-id ID | --name NAME] [flags]")
	o.register(fs)
	fs.StringVar(&name, "name", "", "the source's name (default the hostname)")
	fs.StringVar(&id, "source-id", "", "the source's id")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if err := o.load(a, fs); err != nil {
		return configError(fs, err)
	}
	c, creds, err := o.client(a)
	if err != nil {
		return fail(a, creds, "source show", err)
	}
	if id == "" {
		if name == "" {
			if name, err = os.Hostname(); err != nil {
				return fail(a, creds, "source show", err)
			}
		}
		s, err := c.FindSource(ctx, name)
		if err != nil {
			return fail(a, creds, "source show", err)
		}
		if s == nil {
			return fail(a, creds, "source show", fmt.Errorf("no source named %q is registered", name))
		}
		id = s.ID
	}
	raw, err := c.GetSource(ctx, id)
	if err != nil {
		return fail(a, creds, "source show", err)
	}
	return printRaw(a, creds, "source show", raw)
}

func printRaw(a *app, creds sms.Credentials, cmd string, raw json.RawMessage) int {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fail(a, creds, cmd, err)
	}
	if err := writeJSON(a.Stdout, v); err != nil {
		return fail(a, creds, cmd, err)
	}
	return exitOK
}

// configError prints a config file error of the command of fs (it names the file and
// the line) and returns exitUsage.
func configError(fs *flag.FlagSet, err error) int {
	fs.Output().(*flagOutput).a.errorf("%s: %v", fs.Name(), err)
	return exitUsage
}
