package platform

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// FSStat is the part of statfs(2) the agent uses.
type FSStat struct {
	Type   int64  `json:"type"`
	Bsize  int64  `json:"bsize"`
	Frsize int64  `json:"frsize"`
	Blocks uint64 `json:"blocks"`
	Bfree  uint64 `json:"bfree"`
	Bavail uint64 `json:"bavail"`
	Files  uint64 `json:"files"`
	Ffree  uint64 `json:"ffree"`
}

// StatfsOutcome is the answer for one path: a result, an error, or a time-out.
type StatfsOutcome struct {
	Path string  `json:"path"`
	Stat *FSStat `json:"stat,omitempty"`
	Err  string  `json:"error,omitempty"`
}

// Error returns the outcome's failure as an error (nil on success).
func (o StatfsOutcome) Error() error {
	switch {
	case o.Stat != nil:
		return nil
	case strings.HasPrefix(o.Err, errTimedOutText):
		return fmt.Errorf("statfs %w%s", ErrTimeout, strings.TrimPrefix(o.Err, errTimedOutText))
	case o.Err == errNotRecordedText:
		return ErrNotRecorded
	}
	return errors.New("statfs: " + o.Err)
}

const (
	errTimedOutText    = "timed out"
	errNotRecordedText = "not recorded"
)

// ErrNotRecorded: a replayed capture holds no answer for this question.
var ErrNotRecorded = errors.New("not recorded in the capture")

// Statfser answers statfs for many mount points at once. It never blocks longer than
// its own deadline, whatever state the mounts are in.
type Statfser interface {
	Statfs(ctx context.Context, paths []string) map[string]StatfsOutcome
}

// HelperStatfs runs statfs(2) in a child process (the agent's own binary started with a
// hidden subcommand, see ServeStatfs). A statfs on a dead NFS or FUSE mount sleeps
// uninterruptibly; a thread of ours stuck that way would keep the agent from ever
// exiting, so the child is abandoned instead when Timeout passes.
type HelperStatfs struct {
	// Argv is the helper's command line, e.g. {"/usr/bin/sms-agent", "__statfs"}; an
	// empty first element is this program's executable (os.Executable), found each
	// time a helper is started: most hosts never start one.
	Argv    []string
	Timeout time.Duration
	Spawned func(argv []string) // see LiveEnv.Spawned; nil: nothing
}

// Statfs asks the helper about every path and waits at most Timeout for the answers.
func (h HelperStatfs) Statfs(ctx context.Context, paths []string) map[string]StatfsOutcome {
	out := make(map[string]StatfsOutcome, len(paths))
	if len(paths) == 0 {
		return out
	}
	fail := func(msg string) map[string]StatfsOutcome {
		for _, p := range paths {
			if _, ok := out[p]; !ok {
				out[p] = StatfsOutcome{Path: p, Err: msg}
			}
		}
		return out
	}
	bin := h.Argv[0]
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return fail("statfs helper: find this program's executable: " + err.Error())
		}
		bin = exe
	}
	cmd := exec.Command(bin, h.Argv[1:]...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fail("statfs helper: " + err.Error())
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fail("statfs helper: " + err.Error())
	}
	if err := startChild(cmd, h.Spawned); err != nil {
		return fail("statfs helper: " + err.Error())
	}
	req, _ := json.Marshal(paths)
	go func() {
		_, _ = stdin.Write(req)
		_ = stdin.Close()
	}()
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	parse := func(line []byte) (o StatfsOutcome, ok bool) { return o, json.Unmarshal(line, &o) == nil }
	readAnswers(ctx, stdout, parse, len(paths), timeout, out)
	reapOrAbandon(cmd, len(out) == len(paths))
	for _, p := range paths {
		if _, ok := out[p]; !ok {
			out[p] = StatfsOutcome{Path: p, Err: errTimedOutText + " after " + timeout.String()}
		}
	}
	return out
}

// readAnswers reads a statfs child's answers, one a line (parse turns a line into an
// outcome; ok false skips it), into out until want paths have answered (want < 0: no
// count), the child's output ends, the timeout passes or ctx is done. It reports
// whether the output ended.
func readAnswers(ctx context.Context, r io.Reader, parse func([]byte) (StatfsOutcome, bool), want int, timeout time.Duration, out map[string]StatfsOutcome) (ended bool) {
	lines := make(chan StatfsOutcome, max(want, 16))
	stop := make(chan struct{}) // once we stop listening, the reader must not block on lines
	defer close(stop)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if o, ok := parse(sc.Bytes()); ok {
				select {
				case lines <- o:
				case <-stop:
					return
				}
			}
		}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for answered := 0; want < 0 || answered < want; {
		select {
		case o, ok := <-lines:
			if !ok {
				return true
			}
			if _, dup := out[o.Path]; !dup {
				out[o.Path] = o
				answered++
			}
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
	return false
}

// reapOrAbandon reaps a statfs child in the background once all its answers are in (it
// exits right after the last), and otherwise kills it and leaves it: a child in
// uninterruptible sleep on a dead mount cannot be reaped until the mount answers, and
// waiting for it is exactly the hang this design avoids.
func reapOrAbandon(cmd *exec.Cmd, answeredAll bool) {
	if !answeredAll {
		killProcessGroup(cmd)
	}
	go func() { _ = cmd.Wait() }()
}

// ServeStatfs is the helper's side: it reads a JSON array of paths from r, statfs'es
// them concurrently, and writes one JSON StatfsOutcome per line to w as each answers.
func ServeStatfs(r io.Reader, w io.Writer) error {
	var paths []string
	if err := json.NewDecoder(r).Decode(&paths); err != nil {
		return fmt.Errorf("statfs helper: read request: %w", err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	enc := json.NewEncoder(w)
	for _, p := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := StatfsOutcome{Path: p}
			st, err := StatfsDirect(p)
			if err != nil {
				o.Err = err.Error()
			} else {
				o.Stat = &st
			}
			mu.Lock()
			_ = enc.Encode(o)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return nil
}

// StatfsQuery asks statfs of one mount point. Only Path identifies it in a capture:
// how it is asked live does not change the answer.
type StatfsQuery struct {
	Path string
	// Local: a local kernel filesystem on a block device, whose statfs reads in-memory
	// counters; coreutils' stat may answer it (cheaper than the helper child).
	Local bool
	// InProcess: the statfs does no I/O and takes no lock that I/O can hold, for the
	// mount and for every mount its path crosses (mounts.InProcessStatfs,
	// docs/statfs.md), so the agent may call statfs(2) itself, with no child.
	InProcess bool
}

// StatfsProbe is statfs(2) of a mount point, keyed by the path. Live, all the paths of
// a batch are asked at once: the InProcess ones by statfs(2) in this process (Linux;
// elsewhere InProcess is ignored), the others in child processes abandoned after
// LiveEnv.StatfsTimeout (CoreutilsStatfs for the Local ones, HelperStatfs for the rest),
// so that no mount that could block can hang the agent. A failure's message is what
// StatfsOutcome.Err holds ("timed out after 2s").
var StatfsProbe = Probe[StatfsQuery, FSStat]{
	Name: "statfs",
	Key:  func(q StatfsQuery) any { return q.Path },
	Live: liveStatfs,
}

func liveStatfs(ctx context.Context, env LiveEnv, qs []StatfsQuery) []Answer[FSStat] {
	var inProcess, local, other []string
	stat, looked := env.StatPath, env.StatPath != ""
	for _, q := range qs {
		if q.InProcess && statfsInProcess {
			inProcess = append(inProcess, q.Path)
			continue
		}
		if q.Local && !looked { // looked up once a batch, and only when it needs it
			stat, _ = ExecRunner{SearchPath: env.SearchPath}.LookPath("stat")
			looked = true
		}
		if q.Local && stat != "" && !strings.Contains(q.Path, "\n") {
			local = append(local, q.Path)
		} else {
			other = append(other, q.Path)
		}
	}
	var localOut, otherOut map[string]StatfsOutcome
	var wg sync.WaitGroup
	if len(local) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			localOut = CoreutilsStatfs{Path: stat, Timeout: env.StatfsTimeout, Spawned: env.Spawned}.Statfs(ctx, local)
		}()
	}
	if len(other) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if len(env.StatfsHelper) == 0 {
				otherOut = map[string]StatfsOutcome{}
				for _, p := range other {
					otherOut[p] = StatfsOutcome{Path: p, Err: "no statfs helper"}
				}
				return
			}
			otherOut = HelperStatfs{Argv: env.StatfsHelper, Timeout: env.StatfsTimeout, Spawned: env.Spawned}.Statfs(ctx, other)
		}()
	}
	// While the children start: these do no I/O and take no lock I/O can hold.
	inOut := make(map[string]StatfsOutcome, len(inProcess))
	for _, p := range inProcess {
		o := StatfsOutcome{Path: p}
		if st, err := StatfsDirect(p); err != nil {
			o.Err = err.Error()
		} else {
			o.Stat = &st
		}
		inOut[p] = o
	}
	wg.Wait()
	out := make([]Answer[FSStat], len(qs))
	for i, q := range qs {
		o, ok := inOut[q.Path]
		if !ok {
			o, ok = localOut[q.Path]
		}
		if !ok {
			o = otherOut[q.Path]
		}
		switch {
		case o.Stat != nil:
			out[i].Value = *o.Stat
		case o.Err != "":
			out[i].Err = statfsError(o.Err)
		default:
			out[i].Err = statfsError("no answer")
		}
	}
	return out
}

// startChild starts every child a live probe runs (a command, coreutils' stat, the
// statfs helper): in a process group of its own, so that it can be stopped with its
// children, and after hook (LiveEnv.Spawned), if set, has been told its argv.
func startChild(cmd *exec.Cmd, hook func(argv []string)) error {
	setProcessGroup(cmd)
	if hook != nil {
		hook(append([]string(nil), cmd.Args...))
	}
	return cmd.Start()
}

// statfsError is a statfs failure whose message is the outcome's text.
func statfsError(msg string) error {
	e := &ProbeError{Message: msg}
	if strings.HasPrefix(msg, errTimedOutText) {
		e.Kind = KindTimeout
	}
	return e
}

// StatfsAll asks StatfsProbe through p and returns the outcomes by path; a path the
// capture holds no answer for comes back as ErrNotRecorded (see StatfsOutcome.Error).
func StatfsAll(ctx context.Context, p Prober, qs []StatfsQuery) map[string]StatfsOutcome {
	out := make(map[string]StatfsOutcome, len(qs))
	for i, a := range AskAll(ctx, p, StatfsProbe, qs) {
		path := qs[i].Path
		switch {
		case a.Err == nil:
			st := a.Value
			out[path] = StatfsOutcome{Path: path, Stat: &st}
		case errors.Is(a.Err, ErrNotRecorded):
			out[path] = StatfsOutcome{Path: path, Err: errNotRecordedText}
		default:
			out[path] = StatfsOutcome{Path: path, Err: a.Err.Error()}
		}
	}
	return out
}

// record converts a version 1 statfs answer into a StatfsProbe record.
func (o StatfsOutcome) record() (ProbeRecord, error) {
	var st FSStat
	var err error
	if o.Stat != nil {
		st = *o.Stat
	} else {
		err = statfsError(o.Err)
	}
	return ProbeRecordOf(StatfsProbe, StatfsQuery{Path: o.Path}, st, err)
}
