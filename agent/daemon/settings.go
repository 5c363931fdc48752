package daemon

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Settings are the daemon's own config keys (docs/service.md lists them); the keys of
// the SMS commands (region, credentials, task options, devices...) are read by cmd/.
type Settings struct {
	// Interval between discovery cycles, ±10 % jitter (key interval, default 1h).
	Interval time.Duration
	// Register the source with SMS when credentials are configured (key register,
	// default true).
	Register bool
	// CreateTask creates the migration task once (key create_task, default false).
	CreateTask bool
	// Force sends to SMS even when a check says ERROR (key force, default false), as
	// --force does for source register and task create.
	Force bool
	// LogLevel is the least severe level logged (key log_level: debug, info, warn,
	// error; default info).
	LogLevel zerolog.Level
	// LogFormat: auto (console on a terminal, JSON lines otherwise), json or console
	// (key log_format). Read at start only.
	LogFormat string
	// StateDir holds state.json and inventory.json (key state_dir).
	StateDir string
	// BackoffMin and BackoffMax bound the wait between attempts while SMS cannot be
	// reached or refuses (keys backoff_min, default 30s; backoff_max, default 15m):
	// doubled after each failure, ±20 % jitter, never longer than the interval.
	BackoffMin, BackoffMax time.Duration
}

// Keys are the config keys ParseSettings reads.
func Keys() []string {
	return []string{"interval", "register", "create_task", "force", "log_level", "log_format", "state_dir", "backoff_min", "backoff_max"}
}

// KeyError is a bad value of one key; it never holds the value.
type KeyError struct {
	Key, Msg string
}

func (e KeyError) Error() string { return e.Key + ": " + e.Msg }

// MinInterval is the shortest interval and backoff accepted: never a tight loop.
const MinInterval = time.Second

// ParseSettings reads the daemon's keys from the config file's values; every bad key
// is reported.
func ParseSettings(cfg map[string]string, defaultStateDir string) (Settings, []KeyError) {
	s := Settings{Interval: time.Hour, Register: true, LogLevel: zerolog.InfoLevel, LogFormat: "auto",
		StateDir: defaultStateDir, BackoffMin: 30 * time.Second, BackoffMax: 15 * time.Minute}
	var errs []KeyError
	bad := func(k, format string, args ...any) {
		errs = append(errs, KeyError{Key: k, Msg: fmt.Sprintf(format, args...)})
	}
	dur := func(k string, into *time.Duration) {
		v, ok := cfg[k]
		if !ok {
			return
		}
		d, err := time.ParseDuration(strings.TrimSpace(v))
		switch {
		case err != nil:
			bad(k, "want a duration such as 30s, 15m or 1h")
		case d < MinInterval:
			bad(k, "at least %v", MinInterval)
		default:
			*into = d
		}
	}
	boolean := func(k string, into *bool) {
		v, ok := cfg[k]
		if !ok {
			return
		}
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			bad(k, "want true or false")
			return
		}
		*into = b
	}
	dur("interval", &s.Interval)
	dur("backoff_min", &s.BackoffMin)
	dur("backoff_max", &s.BackoffMax)
	boolean("register", &s.Register)
	boolean("create_task", &s.CreateTask)
	boolean("force", &s.Force)
	if v, ok := cfg["log_level"]; ok {
		switch l := strings.ToLower(strings.TrimSpace(v)); l {
		case "debug", "info", "warn", "error":
			s.LogLevel, _ = zerolog.ParseLevel(l)
		default:
			bad("log_level", "want debug, info, warn or error")
		}
	}
	if v, ok := cfg["log_format"]; ok {
		switch f := strings.ToLower(strings.TrimSpace(v)); f {
		case "auto", "json", "console":
			s.LogFormat = f
		default:
			bad("log_format", "want auto, json or console")
		}
	}
	if v, ok := cfg["state_dir"]; ok {
		if v = strings.TrimSpace(v); !filepath.IsAbs(v) {
			bad("state_dir", "want an absolute path")
		} else {
			s.StateDir = filepath.Clean(v)
		}
	}
	if s.BackoffMax < s.BackoffMin {
		bad("backoff_max", "shorter than backoff_min")
	}
	if s.CreateTask && !s.Register {
		bad("create_task", "needs register = true (the task is created for the registered source)")
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Key < errs[j].Key })
	return s, errs
}
