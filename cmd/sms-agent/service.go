//go:build !lite

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/kardianos/service"
	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/sms-agent/sms-agent/agent/check"
	"github.com/sms-agent/sms-agent/agent/daemon"
	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/agent/sms"
	"github.com/sms-agent/sms-agent/packaging"
	"github.com/sms-agent/sms-agent/platform"
)

const serviceName = "sms-agent"

// stopTimeout is how long Stop waits for the daemon to finish (the bound is 5 s).
const stopTimeout = 4 * time.Second

func runService(ctx context.Context, a *app, args []string) int {
	usage := "Usage: sms-agent service install|uninstall|start|stop|restart|status|run [--config FILE]"
	if len(args) == 0 {
		a.errorf("service: want a subcommand: install, uninstall, start, stop, restart, status or run; see 'sms-agent service --help'")
		return exitUsage
	}
	switch args[0] {
	case "run":
		return runServiceRun(ctx, a, args[1:])
	case "status":
		return runServiceStatus(a, args[1:])
	case "install", "uninstall", "start", "stop", "restart":
		return runServiceControl(a, args[0], args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(a.Stdout, usage)
		return exitOK
	}
	a.errorf("service: unknown subcommand %s (want install, uninstall, start, stop, restart, status or run); see 'sms-agent service --help'", platform.QuoteValue(args[0]))
	return exitUsage
}

// defaultStateDir is /var/lib/sms-agent, or %ProgramData%\sms-agent on Windows.
func (a *app) defaultStateDir() string {
	if runtime.GOOS == "windows" {
		pd := a.Getenv("ProgramData")
		if pd == "" {
			pd = `C:\ProgramData`
		}
		return filepath.Join(pd, "sms-agent")
	}
	return "/var/lib/sms-agent"
}

// configPath is the config file given, else the one SMS_AGENT_CONFIG names, else the
// default one when it exists, else "".
func (a *app) configPath(given string) string {
	if given != "" {
		return given
	}
	if p := strings.TrimSpace(a.Getenv("SMS_AGENT_CONFIG")); p != "" {
		return p
	}
	if _, err := os.Lstat(defaultConfigPath); err == nil {
		return defaultConfigPath
	}
	return ""
}

// newService describes the service to kardianos/service: the packaged unit and SysV
// script as templates, `service run` with the config file as its arguments.
func newService(i service.Interface, config string, wait func()) (service.Service, error) {
	unit, err := packaging.SystemdTemplate()
	if err != nil {
		return nil, err
	}
	sysv, err := packaging.SysVTemplate()
	if err != nil {
		return nil, err
	}
	args := []string{"service", "run"}
	if config != "" {
		// The path is written into an init script (systemd, SysV) or the service's
		// command line (Windows, where \ separates directories).
		bad, what := " \t\n\"'\\$`", "white space, quotes, $ or backslashes (it is written into the init script)"
		if runtime.GOOS == "windows" {
			bad, what = "\t\n\"", "tabs, newlines or quotes (it is written into the service's command line)"
		}
		if strings.ContainsAny(config, bad) {
			return nil, fmt.Errorf("--config %q: the path may not contain %s", config, what)
		}
		abs, err := filepath.Abs(config)
		if err != nil {
			return nil, err
		}
		args = append(args, "--config", abs)
	}
	opt := service.KeyValue{
		"SystemdScript": unit, "SysvScript": sysv,
		// Windows: restart 30 s after a failure, start at boot.
		"OnFailure": "restart", "OnFailureDelayDuration": "30s", "StartType": "automatic",
	}
	if wait != nil {
		opt["RunWait"] = wait
	}
	return service.New(i, &service.Config{
		Name: serviceName, DisplayName: "SMS source agent",
		Description: "Discovers this server's disks for Huawei Cloud Server Migration Service (SMS)",
		Arguments:   args, Option: opt,
	})
}

// program is the kardianos/service Interface: Start returns at once, the daemon runs
// in the background, Stop cancels it and waits at most stopTimeout.
type program struct {
	d      *daemon.Daemon
	first  *daemon.Setup
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	// endedAlone, when set, is called when the daemon returns without having been
	// stopped (it could not start), with its error, before done is closed.
	endedAlone func(error)
}

func (p *program) Start(service.Service) error {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go func() {
		defer close(p.done)
		p.err = p.d.Run(ctx)
		if ctx.Err() == nil && p.endedAlone != nil {
			p.endedAlone(p.err)
		}
	}()
	return nil
}

func (p *program) Stop(service.Service) error {
	p.cancel()
	select {
	case <-p.done:
		return p.err
	case <-time.After(stopTimeout):
		return fmt.Errorf("the daemon did not stop within %v", stopTimeout)
	}
}

func runServiceRun(ctx context.Context, a *app, args []string) int {
	var config string
	fs := newFlagSet(a, "service run", "service run [--config FILE]")
	fs.StringVar(&config, "config", "", "config file (default "+defaultConfigPath+" when it exists)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	config = a.configPath(config)
	load := daemonLoader(a, config)
	// The log's format is read once, before the daemon starts.
	setup, loadErr := load()
	format := "auto"
	if loadErr == nil {
		format = setup.Settings.LogFormat
	}
	sink, closeSink := a.logSink(setup)
	defer closeSink()
	rw := &daemon.RedactWriter{W: sink}
	log := newLogger(rw, format, a.Stderr)
	if loadErr != nil {
		log.Error().Err(loadErr).Str("config", config).Msg("cannot start: the configuration is not usable (sms-agent config check names each problem)")
		return exitFailure
	}
	first := true
	d := daemon.New(func() (*daemon.Setup, error) {
		if first { // the setup read above, so that the start needs one reading
			first = false
			return setup, nil
		}
		return load()
	}, log, time.Now, rand.Float64)
	d.Redact = rw

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			log.Info().Msg("SIGHUP: reloading the configuration")
			d.Reload()
		}
	}()

	p := &program{d: d}
	if runtime.GOOS == "windows" {
		// On Windows kardianos/service returns when the service manager stops the
		// service (or, in a console, on Ctrl-C), never when the daemon ends: one that
		// could not start would leave a service Running that does nothing. It exits
		// instead, as under systemd, and the manager's recovery action (a restart after
		// 30 s, set by service install) applies.
		p.endedAlone = func(err error) {
			log.Error().Err(err).Msg("stopped with an error")
			closeSink()
			os.Exit(exitFailure)
		}
	}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	svc, err := newService(p, "", func() {
		select {
		case <-runCtx.Done(): // SIGTERM or SIGINT (main), the stop
		case <-p.done: // the daemon ended on its own: it could not start
		}
	})
	if err != nil {
		log.Error().Err(err).Msg("cannot start")
		return exitFailure
	}
	if err := svc.Run(); err != nil {
		log.Error().Err(err).Msg("stopped with an error")
		return exitFailure
	}
	return exitOK
}

// logSink is where the log goes: stderr (journald or the SysV log file keep it), or
// on Windows under the service manager, which has no stderr, sms-agent.log in the
// state directory.
func (a *app) logSink(setup *daemon.Setup) (io.Writer, func()) {
	if runtime.GOOS != "windows" || service.Interactive() {
		return a.Stderr, func() {}
	}
	dir := a.defaultStateDir()
	if setup != nil {
		dir = setup.Settings.StateDir
	}
	if err := os.MkdirAll(dir, 0o700); err == nil {
		if f, err := os.OpenFile(filepath.Join(dir, "sms-agent.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
			return f, func() { f.Close() }
		}
	}
	return a.Stderr, func() {}
}

// newLogger writes one JSON object per line, or (log_format console, or auto on a
// terminal) zerolog's readable console format.
func newLogger(w io.Writer, format string, stderr io.Writer) zerolog.Logger {
	console := format == "console"
	if format == "auto" {
		if f, ok := stderr.(*os.File); ok && w != nil && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())) {
			console = true
		}
	}
	if console {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339, NoColor: format == "console"}
	}
	return zerolog.New(w).With().Timestamp().Logger()
}

// keyFlags is a flag set whose flags stand for every key of the config file that is a
// flag of an SMS command: the SMS options, the host input and task create's flags.
func keyFlags(name string) (*flag.FlagSet, *smsOptions, *hostInput, *taskFlags) {
	var o smsOptions
	var in hostInput
	var f taskFlags
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.register(fs)
	in.register(fs)
	f.register(fs, &o)
	return fs, &o, &in, &f
}

// daemonLoader returns the daemon's Load: the config file read the way the SMS
// commands read it (every key of task create, plus the daemon's), credentials from the
// environment or the file, and the SMS client when there are credentials.
func daemonLoader(a *app, config string) func() (*daemon.Setup, error) {
	return func() (*daemon.Setup, error) {
		fs, o, in, f := keyFlags("service run")
		if err := fs.Parse(nil); err != nil {
			return nil, err
		}
		// Every problem of the file, each with its line, as config check lists them.
		if config != "" {
			b, err := sms.ReadConfigFile(config, a.Euid)
			if err != nil {
				return nil, err
			}
			if probs, _ := checkConfig(a, b); len(probs) > 0 {
				msgs := make([]string, len(probs))
				for i, p := range probs {
					msgs[i] = p.Error()
				}
				return nil, fmt.Errorf("%s: %s", config, strings.Join(msgs, "; "))
			}
		}
		o.config = config
		if err := o.load(a, fs); err != nil {
			return nil, err
		}
		settings, errs := daemon.ParseSettings(o.cfg.Values, a.defaultStateDir())
		if len(errs) > 0 {
			return nil, fmt.Errorf("config file: %w", errs[0])
		}
		if in.from != "" {
			return nil, errors.New("config file: from: the service reads this host; remove the from key")
		}
		s := &daemon.Setup{Settings: settings}
		var nsNote string
		in.mountTable, nsNote = hostMountTable()
		s.Discover = func(ctx context.Context) (*inventory.Inventory, sms.HostFacts, []string, error) {
			return in.load(ctx, a, true)
		}
		opt, err := f.plan.options(in.exclude)
		if err != nil {
			return nil, fmt.Errorf("config file: %w", err)
		}
		s.Plan = func(inv *inventory.Inventory) (*sms.Plan, error) { return sms.BuildPlan(inv, opt) }
		s.SourceBody = func(p *sms.Plan, facts sms.HostFacts) (*sms.PostSourceServerBody, []string, error) {
			b, w := sms.BuildSourceBody(p, facts, sms.SourceOptions{Name: f.sourceNameOf(p.Inv), AgentVersion: a.Version})
			return b, append(append([]string{}, p.Warnings...), w...), nil
		}
		s.RunChecks = func(ctx context.Context, p *sms.Plan, facts sms.HostFacts) []check.Result {
			// No clock reading: the SMS steps that follow say so when the clock is off.
			return check.Run(check.Input{Plan: p, Facts: facts, Type: opt.Type})
		}
		where := "config " + config
		if config == "" {
			where = "no config file"
		}
		where += nsNote
		creds, credErr := sms.LoadCredentials(o.cfg.Values, a.Getenv)
		switch {
		case credErr != nil && creds.Kind() == "none" && strings.HasPrefix(credErr.Error(), "no credentials"):
			s.Describe = where + "; no SMS credentials: discovery only"
		case credErr != nil:
			return nil, credErr
		case !settings.Register:
			s.Describe = where + "; register = false: discovery only"
			s.Secrets = creds.Secrets()
		default:
			c, creds, err := o.client(a)
			if err != nil {
				return nil, err
			}
			s.SMS, s.Secrets = c, creds.Secrets()
			s.Settle = o.timeout + 2*time.Second
			c.Logf = nil // the daemon logs each failed step itself
			s.Describe = fmt.Sprintf("%s; %s credentials from %s; SMS %s; register on", where, creds.Kind(), creds.Source, c.Endpoint.Redacted())
			if settings.CreateTask {
				if _, _, err := f.check(o); err != nil {
					return nil, fmt.Errorf("create_task: %w", err)
				}
				s.TaskBody = func(p *sms.Plan, sourceID string) (*sms.PostTask, []string, error) {
					body, err := f.buildTask(o, p, sourceID)
					return body, nil, err
				}
				s.Describe += ", create_task on"
			}
		}
		return s, nil
	}
}

// hostMountTable returns /proc/1/mountinfo when this process runs in a mount
// namespace other than init's (systemd's ProtectSystem, ProtectHome, PrivateTmp and
// StateDirectory give the service one, with extra bind mounts), so that discovery
// reports the host's mounts, not the sandbox's; "" (the process's own) otherwise. The
// note says which, for the start line of the log.
func hostMountTable() (string, string) {
	self, err1 := os.Readlink("/proc/self/ns/mnt")
	init, err2 := os.Readlink("/proc/1/ns/mnt")
	if err1 != nil || err2 != nil || self == init {
		return "", ""
	}
	if _, err := os.ReadFile("/proc/1/mountinfo"); err != nil {
		return "", "; own mount namespace, and /proc/1/mountinfo is not readable: the sandbox's mounts are reported"
	}
	return "/proc/1/mountinfo", "; own mount namespace: mounts read from /proc/1/mountinfo"
}

// runServiceControl installs, uninstalls, starts, stops or restarts the service through
// the init system kardianos/service finds.
func runServiceControl(a *app, action string, args []string) int {
	var config string
	fs := newFlagSet(a, "service "+action, "service "+action+" [--config FILE]")
	if action == "install" {
		fs.StringVar(&config, "config", "", "config file the service reads (default "+defaultConfigPath+")")
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	svc, err := newService(&program{}, config, nil)
	if err != nil {
		a.errorf("service %s: %v", action, err)
		return exitUsage
	}
	platform := svc.Platform()
	switch action {
	case "install", "uninstall":
		if pkg := installedPackage(); pkg != "" {
			a.errorf("service %s: sms-agent is installed from the %s package, which manages the service: use the package manager (service start, stop, restart and status work)", action, pkg)
			return exitFailure
		}
	}
	switch action {
	case "install":
		err = svc.Install()
		if err == nil {
			fmt.Fprintf(a.Stderr, "sms-agent: service installed (%s); start it with: sms-agent service start\n", platform)
			if config == "" && a.configPath("") == "" {
				fmt.Fprintf(a.Stderr, "sms-agent: note: %s does not exist: the service will only discover until it does (docs/service.md)\n", defaultConfigPath)
			}
		}
	case "uninstall":
		if st, e := svc.Status(); e == nil && st == service.StatusRunning {
			if err = svc.Stop(); err != nil {
				break
			}
		}
		err = svc.Uninstall()
		if err == nil {
			removeSysVLinks(platform)
			fmt.Fprintf(a.Stderr, "sms-agent: service uninstalled (%s); %s and the config file are kept\n", platform, a.defaultStateDir())
		}
	case "start":
		err = svc.Start()
	case "stop":
		err = svc.Stop()
	case "restart":
		err = svc.Restart()
	}
	if err != nil {
		a.errorf("service %s (%s): %v", action, platform, err)
		return exitFailure
	}
	if action == "start" || action == "stop" || action == "restart" {
		fmt.Fprintf(a.Stderr, "sms-agent: service %s: done (%s)\n", action, platform)
	}
	return exitOK
}

// installedPackage names the package manager that installed sms-agent ("" none):
// `service install` must not replace the files a package owns.
func installedPackage() string {
	if runtime.GOOS != "linux" {
		return ""
	}
	if _, err := os.Stat("/var/lib/dpkg/info/sms-agent.list"); err == nil {
		return "deb"
	}
	if rpm, err := exec.LookPath("rpm"); err == nil {
		if exec.Command(rpm, "-q", "--quiet", "sms-agent").Run() == nil {
			return "rpm"
		}
	}
	return ""
}

// removeSysVLinks removes the /etc/rcN.d links kardianos/service's SysV install made
// and its uninstall leaves behind (only links to /etc/init.d/sms-agent).
func removeSysVLinks(platform string) {
	if platform != "unix-systemv" {
		return
	}
	links, _ := filepath.Glob("/etc/rc[0-6S].d/[SK][0-9][0-9]" + serviceName)
	for _, l := range links {
		if t, err := os.Readlink(l); err == nil && (t == "/etc/init.d/"+serviceName || t == "../init.d/"+serviceName) {
			os.Remove(l)
		}
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// runServiceStatus prints the init system's state of the service and the last cycle
// from the state file. Exit 0 when running, 1 otherwise.
func runServiceStatus(a *app, args []string) int {
	var config string
	fs := newFlagSet(a, "service status", "service status [--config FILE]")
	fs.StringVar(&config, "config", "", "config file (for state_dir; default "+defaultConfigPath+" when it exists)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	stateDir := a.defaultStateDir()
	if p := a.configPath(config); p != "" {
		if cfg, err := sms.LoadConfigFile(p, a.Euid); err == nil {
			if s, errs := daemon.ParseSettings(cfg, stateDir); len(errs) == 0 {
				stateDir = s.StateDir
			}
		}
	}
	code := exitFailure
	state := "unknown"
	platform := "no init system found"
	if svc, err := newService(&program{}, "", nil); err == nil {
		platform = svc.Platform()
		st, err := svc.Status()
		var ee *exec.ExitError
		switch {
		case err == nil && st == service.StatusRunning:
			state, code = "running", exitOK
		case err == nil && st == service.StatusStopped:
			state = "stopped"
		case errors.Is(err, service.ErrNotInstalled):
			state = "not installed"
		case platform == "unix-systemv" && !exists("/etc/init.d/"+serviceName):
			state = "not installed"
		case errors.As(err, &ee) && platform == "unix-systemv" && ee.ExitCode() == 3:
			state = "stopped" // LSB: status exit 3 is "not running"
		case err != nil:
			state = "unknown: " + err.Error()
		}
	}
	w := a.Stdout
	fmt.Fprintf(w, "service:     %s (%s)\n", state, platform)
	st, err := daemon.LoadState(stateDir)
	if err != nil {
		fmt.Fprintf(w, "state:       %v\n", err)
		return code
	}
	fmt.Fprintf(w, "state:       %s\n", filepath.Join(stateDir, daemon.StateFile))
	switch {
	case st.SourceID != "":
		fmt.Fprintf(w, "source:      %s (id %s)\n", st.SourceName, st.SourceID)
	default:
		fmt.Fprintf(w, "source:      not registered\n")
	}
	if st.TaskID != "" {
		fmt.Fprintf(w, "task:        %s\n", st.TaskID)
	}
	c := st.LastCycle
	if c == nil {
		fmt.Fprintf(w, "last cycle:  none yet\n")
		return code
	}
	fmt.Fprintf(w, "last cycle:  %s, %s, %d disks, %d warnings, took %v (cycle %d)\n", c.Finished.Local().Format(time.RFC3339),
		c.Result, c.Disks, c.Warnings, c.Finished.Sub(c.Started).Round(time.Millisecond), st.Cycles)
	if c.Error != "" {
		fmt.Fprintf(w, "error:       %s\n", c.Error)
	}
	for _, ch := range c.Changes {
		fmt.Fprintf(w, "changed:     %s\n", ch)
	}
	if !c.Next.IsZero() {
		fmt.Fprintf(w, "next cycle:  %s\n", c.Next.Local().Format(time.RFC3339))
	}
	fmt.Fprintf(w, "inventory:   %s\n", filepath.Join(stateDir, daemon.InventoryFile))
	return code
}
