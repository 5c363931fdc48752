package platform

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	Argv    []string // e.g. {"/proc/self/exe", "__statfs"}
	Timeout time.Duration
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
	cmd := exec.Command(h.Argv[0], h.Argv[1:]...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fail("statfs helper: " + err.Error())
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fail("statfs helper: " + err.Error())
	}
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
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

// ReplayStatfs answers from recorded outcomes; an unrecorded path is ErrNotRecorded.
type ReplayStatfs struct {
	byPath map[string]StatfsOutcome
}

// NewReplayStatfs indexes recorded outcomes.
func NewReplayStatfs(rec []StatfsOutcome) *ReplayStatfs {
	r := &ReplayStatfs{byPath: map[string]StatfsOutcome{}}
	for _, o := range rec {
		r.byPath[o.Path] = o
	}
	return r
}

// Statfs returns the recorded outcome for each path.
func (r *ReplayStatfs) Statfs(_ context.Context, paths []string) map[string]StatfsOutcome {
	out := make(map[string]StatfsOutcome, len(paths))
	for _, p := range paths {
		o, ok := r.byPath[p]
		if !ok {
			o = StatfsOutcome{Path: p, Err: errNotRecordedText}
		}
		out[p] = o
	}
	return out
}

// RecordStatfs wraps another Statfser and keeps every outcome, for `capture`.
type RecordStatfs struct {
	Inner Statfser
	mu    sync.Mutex
	rec   []StatfsOutcome
}

// Statfs asks the inner Statfser and records the answers.
func (r *RecordStatfs) Statfs(ctx context.Context, paths []string) map[string]StatfsOutcome {
	out := r.Inner.Statfs(ctx, paths)
	r.mu.Lock()
	for _, p := range paths {
		r.rec = append(r.rec, out[p])
	}
	r.mu.Unlock()
	return out
}

// Recorded returns the outcomes recorded so far.
func (r *RecordStatfs) Recorded() []StatfsOutcome {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]StatfsOutcome(nil), r.rec...)
}
