// Package lvm reads LVM2 physical volumes, volume groups, logical volumes and their
// segments from one `lvm fullreport` run. Read runs the command; ParseFullReport is the
// pure parser of its JSON output; the Report methods answer the questions inventory
// asks (the LVs of a VG, duplicate VG names, PVs stacked on LVs). See README.md.
package lvm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sms-agent/sms-agent/platform"
)

// FullReportArgv is the one command Read runs. -a includes hidden sub-LVs (raid images,
// pool data/metadata); --config turns off metadata backups and archives, which lvm
// would otherwise write even for reporting commands that update metadata. Replayed
// captures are keyed by exactly this argv.
func FullReportArgv() []string {
	return []string{
		"lvm", "fullreport", "-a",
		"--reportformat", "json",
		"--units", "b", "--nosuffix",
		"--config", "backup{backup=0 archive=0}",
	}
}

// FullReportEnv is the environment Read adds: without it lvm complains on stderr
// about every file descriptor it inherits.
func FullReportEnv() []string { return []string{"LVM_SUPPRESS_FD_WARNINGS=1"} }

// ErrParse: lvm's output is not the JSON fullreport this package understands.
var ErrParse = errors.New("malformed lvm fullreport")

// Read runs `lvm fullreport` (FullReportArgv) with the given timeout and parses it.
// The Result is returned in every case, so the caller can keep lvm's stderr (device
// mapper and locking diagnostics it prints while still exiting 0).
//
// Errors name the cause and wrap platform.ErrToolUnavailable (lvm not installed),
// platform.ErrTimeout (lvm did not answer, typically waiting for a VG lock),
// *platform.ExitError (lvm failed) or ErrParse. When lvm exits non-zero but still
// printed a report that parses, both the Report and the error are returned.
func Read(ctx context.Context, run platform.Runner, timeout time.Duration) (*Report, platform.Result, error) {
	res, err := run.Run(ctx, platform.Command{Argv: FullReportArgv(), Env: FullReportEnv(), Timeout: timeout, Complete: NewReportWatcher()})
	if err != nil {
		var ee *platform.ExitError
		switch {
		case errors.Is(err, platform.ErrToolUnavailable):
			return nil, res, fmt.Errorf("run lvm fullreport: lvm is not installed: %w", err)
		case errors.Is(err, platform.ErrTimeout):
			return nil, res, fmt.Errorf("run lvm fullreport: lvm did not answer in %s (waiting for an LVM lock or a hung device?): %w", timeout, err)
		case errors.As(err, &ee) && len(bytes.TrimSpace(res.Stdout)) > 0:
			if rep, perr := ParseFullReport(res.Stdout); perr == nil {
				return rep, res, fmt.Errorf("run lvm fullreport: %w (its report was parsed anyway)", err)
			}
		}
		return nil, res, fmt.Errorf("run lvm fullreport: %w", err)
	}
	rep, err := ParseFullReport(res.Stdout)
	if err != nil {
		return nil, res, fmt.Errorf("run lvm fullreport: %w", err)
	}
	return rep, res, nil
}

// ReportComplete says whether out is a whole JSON report: lvm prints its report (and
// its diagnostics, on stderr, while it reads the devices) 20–40 ms before it exits,
// the kernel tearing down its AIO context in between, so Read takes the report as
// soon as it is whole instead of waiting for the exit. A report that is not valid
// JSON is never complete, and Read then waits for lvm to exit as before.
func ReportComplete(out []byte) bool {
	t := bytes.TrimRight(out, " \t\r\n")
	return len(t) > 0 && t[len(t)-1] == '}' && json.Valid(t)
}

// NewReportWatcher returns a Command.Complete for lvm's output that answers as
// ReportComplete does, in time linear in the output however it arrives: it follows the
// JSON's nesting over the bytes it has not seen yet (strings and escapes included), and
// asks ReportComplete only when the outermost object has just closed. lvm writes its
// report a line at a time, and a report of many LVs runs to megabytes.
func NewReportWatcher() func([]byte) bool {
	seen, depth := 0, 0
	inString, escaped, closed := false, false, false // closed: the outermost object just ended
	return func(out []byte) bool {
		if len(out) < seen { // not the same output growing: start over
			seen, depth, inString, escaped, closed = 0, 0, false, false, false
		}
		i := seen
		for i < len(out) {
			switch {
			case escaped:
				escaped = false
				i++
			case inString: // jump to the next quote or backslash
				j := bytes.IndexAny(out[i:], `"\`)
				if j < 0 {
					i = len(out)
					break
				}
				i += j
				if out[i] == '\\' {
					escaped = true
				} else {
					inString = false
				}
				i++
			case depth > 0: // jump to the next string or bracket
				j := bytes.IndexAny(out[i:], `"{}[]`)
				if j < 0 {
					i = len(out)
					break
				}
				i += j
				switch out[i] {
				case '"':
					inString = true
				case '{', '[':
					depth++
				default:
					depth--
					closed = depth == 0 && out[i] == '}'
				}
				i++
			default: // outside the outermost value: a byte at a time
				switch c := out[i]; c {
				case '"':
					inString, closed = true, false
				case '{', '[':
					depth, closed = depth+1, false
				case ' ', '\t', '\r', '\n':
				default:
					closed = false
				}
				i++
			}
		}
		seen = len(out)
		return closed && ReportComplete(out)
	}
}

// Diagnostics returns lvm's stderr as trimmed, non-empty lines, for a report's warnings.
func Diagnostics(stderr []byte) []string {
	var out []string
	for _, l := range strings.Split(string(stderr), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
