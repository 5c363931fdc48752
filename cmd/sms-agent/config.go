//go:build !lite

package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/sms-agent/sms-agent/agent/daemon"
	"github.com/sms-agent/sms-agent/agent/sms"
	"github.com/sms-agent/sms-agent/platform"
)

func runConfig(_ context.Context, a *app, args []string) int {
	if len(args) == 0 || args[0] != "check" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(a.Stdout, "Usage: sms-agent config check [--config FILE]")
			return exitOK
		}
		if len(args) > 0 {
			a.errorf("config: unknown subcommand %s (want check); see 'sms-agent config --help'", platform.QuoteValue(args[0]))
			return exitUsage
		}
		a.errorf("config: want a subcommand: check; see 'sms-agent config --help'")
		return exitUsage
	}
	var path string
	fs := newFlagSet(a, "config check", "config check [--config FILE]")
	fs.StringVar(&path, "config", "", "the config file to check (default $SMS_AGENT_CONFIG, else "+defaultConfigPath+")")
	if code, ok := parseFlags(fs, args[1:]); !ok {
		return code
	}
	if path = a.configPath(path); path == "" {
		path = defaultConfigPath
	}
	b, err := sms.ReadConfigFile(path, a.Euid)
	if err != nil {
		a.errorf("config check: %v", err)
		return exitUsage
	}
	probs, summary := checkConfig(a, b)
	for _, p := range probs {
		if p.Line == 0 {
			fmt.Fprintf(a.Stdout, "%s: %s\n", path, p.Msg)
		} else if p.Key != "" {
			fmt.Fprintf(a.Stdout, "%s:%d: %s: %s\n", path, p.Line, p.Key, p.Msg)
		} else {
			fmt.Fprintf(a.Stdout, "%s:%d: %s\n", path, p.Line, p.Msg)
		}
	}
	if len(probs) > 0 {
		a.errorf("config check: %s: %d problem(s)", path, len(probs))
		return exitUsage
	}
	fmt.Fprintf(a.Stdout, "%s: ok; %s\n", path, summary)
	return exitOK
}

// checkConfig returns every problem of the config file b, each with its line, and a
// one-line summary of what the file configures. Values are never printed.
func checkConfig(a *app, b []byte) ([]sms.ConfigProblem, string) {
	entries, probs := sms.ParseConfigEntries(bytes.NewReader(b))
	line := map[string]int{}
	cfg := map[string]string{}
	for _, e := range entries {
		line[e.Key], cfg[e.Key] = e.Line, e.Value
	}
	add := func(key, format string, args ...any) {
		probs = append(probs, sms.ConfigProblem{Line: line[key], Key: key, Msg: fmt.Sprintf(format, args...)})
	}

	// Every key the commands and the service read, each value parsed by the flag it
	// stands for (the same flags `task create` and `service run` use).
	fs, o, _, _ := keyFlags("config check")
	flagOf := map[string]string{}
	fs.VisitAll(func(fl *flag.Flag) {
		k := strings.ReplaceAll(fl.Name, "-", "_")
		if kk, ok := o.keyOf[fl.Name]; ok {
			k = kk
		}
		flagOf[k] = fl.Name
	})
	flagOf["name"] = "source-name"
	known := configKeys()
	daemonKeys := map[string]bool{}
	for _, k := range daemon.Keys() {
		daemonKeys[k] = true
	}
	for _, e := range entries {
		switch {
		case !known[e.Key]:
			add(e.Key, "unknown key (docs/sms.md and docs/service.md list the keys)")
		case daemonKeys[e.Key]:
		case flagOf[e.Key] != "":
			if err := fs.Set(flagOf[e.Key], e.Value); err != nil {
				add(e.Key, "%s", wantOf(fs.Lookup(flagOf[e.Key]), err))
			}
		}
	}
	settings, errs := daemon.ParseSettings(cfg, a.defaultStateDir())
	for _, e := range errs {
		add(e.Key, "%s", e.Msg)
	}

	// Values that parse but cannot work.
	if o.endpoint != "" {
		if _, err := sms.Endpoint("sms", o.region, o.endpoint); err != nil {
			add("endpoint", "%v", err)
		}
	} else if o.region != "" {
		if _, err := sms.Endpoint("sms", o.region, ""); err != nil {
			add("region", "not a region name like ap-southeast-3")
		}
	}
	if o.iamEndpoint != "" {
		if _, err := sms.Endpoint("iam", o.region, o.iamEndpoint); err != nil {
			add("iam_endpoint", "%v", err)
		}
	}
	if o.proxy != "" {
		if _, err := sms.ProxyFunc(o.proxy, o.noProxy); err != nil {
			add("proxy", "%v", err)
		}
	}
	for _, k := range []string{"ca_file", "facts"} {
		if v := cfg[k]; v != "" {
			if _, err := os.Stat(v); err != nil {
				add(k, "the file cannot be read: %v", errWithoutPath(err))
			}
		}
	}
	if cfg["from"] != "" {
		add("from", "the service reads this host: leave from to the command line")
	}

	// Credentials: complete pairs, and what a daemon with them needs.
	creds, err := sms.LoadCredentials(cfg, func(string) string { return "" })
	credKind := creds.Kind()
	if err != nil && credKind == "none" && !strings.HasPrefix(err.Error(), "no credentials") {
		for _, pair := range [][2]string{{sms.KeyAK, sms.KeySK}, {sms.KeyIAMUser, sms.KeyIAMPassword}} {
			if (cfg[pair[0]] == "") != (cfg[pair[1]] == "") {
				k := pair[0]
				if cfg[k] == "" {
					k = pair[1]
				}
				add(k, "%s and %s must both be set", pair[0], pair[1])
			}
		}
	}
	if (credKind == "AK/SK" || credKind == "temporary AK/SK" || credKind == "password") && cfg["project_id"] == "" && a.Getenv("HUAWEICLOUD_SDK_PROJECT_ID") == "" {
		probs = append(probs, sms.ConfigProblem{Msg: credKind + " credentials need project_id (or HUAWEICLOUD_SDK_PROJECT_ID in the environment)"})
	}
	if credKind != "none" && o.region == "" && o.endpoint == "" {
		probs = append(probs, sms.ConfigProblem{Msg: "credentials are set but neither region nor endpoint: the agent cannot tell where SMS is"})
	}
	if settings.CreateTask {
		if o.region == "" {
			add("create_task", "needs region (region_name and region_id of the task)")
		}
		if cfg["project_id"] == "" && a.Getenv("HUAWEICLOUD_SDK_PROJECT_ID") == "" {
			add("create_task", "needs project_id")
		}
	}
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })

	where := "credentials: " + credKind
	if credKind == "none" {
		where = "credentials: none in the file (the environment may give them; without any the service only discovers)"
	}
	onOff := map[bool]string{true: "on", false: "off"}
	summary := fmt.Sprintf("%d keys; %s; service: interval %v, register %s, create_task %s, log_level %s, state_dir %s",
		len(entries), where, settings.Interval, onOff[settings.Register], onOff[settings.CreateTask], settings.LogLevel, settings.StateDir)
	return probs, summary
}

// wantOf says what a flag's value must look like, for a value it refused.
func wantOf(fl *flag.Flag, err error) string {
	if g, ok := fl.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case time.Duration:
			return "want a duration such as 30s, 15m or 1h"
		case int, int64:
			return "want an integer"
		case bool:
			return "want true or false"
		}
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// errWithoutPath is err's reason alone (os.PathError repeats the path, which may be
// under a directory the operator would rather not see echoed; the key says which).
func errWithoutPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
