package platform

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// CoreutilsStatfs answers statfs with one `stat -f` process (GNU coreutils) for all
// paths: about 1 ms, where a Go helper child costs 2–3 ms of runtime start-up. It is
// abandoned like HelperStatfs when it does not answer in time. stat asks the paths one
// after the other, so one stuck mount would hold back those after it: it is meant for
// local kernel filesystems on block devices, whose statfs reads in-memory counters and
// does not wait on the device, while FUSE and anything unknown go to HelperStatfs.
// Paths with a newline cannot be asked (stat's output is line-based): callers send them
// to HelperStatfs (agent/inventory does, before asking); given here anyway, they come
// back "not asked".
type CoreutilsStatfs struct {
	Path    string // the stat binary, e.g. /usr/bin/stat
	Timeout time.Duration
	Spawned func(argv []string) // see LiveEnv.Spawned; nil: nothing
}

// StatFormat is the --printf format: frsize, bsize, blocks, bfree, bavail, files,
// ffree, type (hex), name.
const StatFormat = `%S %s %b %f %a %c %d %t %n\n`

// errNotAskedText: the path was not given to stat (it has a newline).
const errNotAskedText = "not asked"

// Statfs runs stat -f on the paths and waits at most Timeout.
func (c CoreutilsStatfs) Statfs(ctx context.Context, paths []string) map[string]StatfsOutcome {
	out := make(map[string]StatfsOutcome, len(paths))
	var ask []string
	for _, p := range paths {
		if strings.ContainsAny(p, "\n") {
			out[p] = StatfsOutcome{Path: p, Err: errNotAskedText}
			continue
		}
		ask = append(ask, p)
	}
	if len(ask) == 0 {
		return out
	}
	cmd := exec.Command(c.Path, append([]string{"-f", "--printf", StatFormat, "--"}, ask...)...)
	cmd.Env = []string{"LC_ALL=C"}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err == nil {
		err = startChild(cmd, c.Spawned)
	}
	if err != nil {
		for _, p := range ask {
			out[p] = StatfsOutcome{Path: p, Err: "stat -f: " + err.Error()}
		}
		return out
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	parse := func(line []byte) (StatfsOutcome, bool) {
		o, err := ParseStatLine(string(line))
		return o, err == nil
	}
	// stat prints nothing on stdout for a path it cannot stat, so the answers are
	// complete only when its output ends; its stderr then says why.
	exited := readAnswers(ctx, stdout, parse, -1, timeout, out)
	if exited {
		_ = cmd.Wait() // stdout closed: it has exited or is about to
	} else {
		reapOrAbandon(cmd, false)
	}
	failed := ParseStatErrors(stderr.Bytes())
	for _, p := range ask {
		if _, ok := out[p]; ok {
			continue
		}
		if msg, ok := failed[p]; ok {
			out[p] = StatfsOutcome{Path: p, Err: msg}
		} else if exited {
			out[p] = StatfsOutcome{Path: p, Err: "stat -f gave no answer: " + firstLine(string(stderr.Bytes()))}
		} else {
			out[p] = StatfsOutcome{Path: p, Err: errTimedOutText + " after " + timeout.String()}
		}
	}
	return out
}

// ParseStatLine parses one line of `stat -f --printf StatFormat`.
func ParseStatLine(line string) (StatfsOutcome, error) {
	f := strings.SplitN(line, " ", 9)
	if len(f) != 9 || f[8] == "" {
		return StatfsOutcome{}, fmt.Errorf("stat line %q: want 9 fields", line)
	}
	var n [7]uint64
	for i := 0; i < 7; i++ {
		v, err := strconv.ParseUint(f[i], 10, 64)
		if err != nil {
			return StatfsOutcome{}, fmt.Errorf("stat line %q: field %d: %w", line, i+1, err)
		}
		n[i] = v
	}
	typ, err := strconv.ParseUint(f[7], 16, 64)
	if err != nil {
		return StatfsOutcome{}, fmt.Errorf("stat line %q: type: %w", line, err)
	}
	return StatfsOutcome{Path: f[8], Stat: &FSStat{
		Frsize: int64(n[0]), Bsize: int64(n[1]), Blocks: n[2], Bfree: n[3], Bavail: n[4], Files: n[5], Ffree: n[6],
		Type: int64(typ),
	}}, nil
}

// ParseStatErrors maps the paths stat could not read to its reason, from lines like
// "stat: cannot read file system information for '/x': Permission denied". (stat
// quotes names with shell quoting; names that needed escaping are left out and come
// back as time-outs only if stat never answered them.)
func ParseStatErrors(b []byte) map[string]string {
	out := map[string]string{}
	const prefix = "stat: cannot read file system information for '"
	for _, line := range bytes.Split(b, []byte("\n")) {
		s, ok := strings.CutPrefix(string(line), prefix)
		if !ok {
			continue
		}
		i := strings.LastIndex(s, "': ")
		if i < 0 {
			continue
		}
		out[s[:i]] = s[i+3:]
	}
	return out
}
