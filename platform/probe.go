package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"sort"
	"sync"
	"syscall"
	"time"
)

// A Probe is one kind of question discovery asks the host other than a file read: a
// command, a statfs, an ioctl, a Windows API call. Q is the question and A the answer;
// both travel through encoding/json, which is how a capture holds them.
//
// A probe is asked through a Prober (Ask, AskAll), which answers live (NewLive), records
// what another Prober answered for `capture` (NewRecorder), or answers from a capture
// (NewReplay), without the caller knowing which. A new source of host data is therefore
// one Probe value and its Live function; Host, Manifest, Capture.Host and `capture` need
// no change.
type Probe[Q, A any] struct {
	// Name identifies the probe in a capture ("command", "statfs", "windows.drive_layout").
	Name string
	// Key is what identifies a question in a capture; it is stored as JSON and compared in
	// canonical form (object keys sorted, no spaces). It must hold everything that changes
	// the answer and nothing that does not (a command's argv, not its timeout).
	// nil: the question itself.
	Key func(Q) any
	// Live asks this machine: one answer per question, in order. Questions come in a batch
	// so that a probe can answer them together (one statfs child for every mount) and
	// within one deadline. nil: the probe cannot be asked on this operating system.
	Live func(ctx context.Context, env LiveEnv, qs []Q) []Answer[A]
}

// Answer is a probe's answer to one question: a value, an error, or both (what a command
// printed before it timed out).
type Answer[A any] struct {
	Value A
	Err   error
}

// LiveEnv is what live probes need to know about this machine and the run; cmd/ fills it.
type LiveEnv struct {
	// SearchPath and Env are where commands are looked up and their base environment.
	SearchPath []string
	Env        []string
	// StatfsHelper is the statfs helper child's argv ({exe, "__statfs"}; "" for exe:
	// this program's executable, see HelperStatfs.Argv). StatPath is coreutils' stat,
	// which answers for local kernel filesystems not statfs'ed in process; "" (what the
	// agent passes; tests name one): looked up along SearchPath in each batch that
	// needs it (a host whose filesystems are all statfs'ed in process never looks);
	// absent, the helper answers.
	StatfsHelper []string
	StatPath     string
	// StatfsTimeout bounds the questions a stuck filesystem could leave unanswered:
	// statfs, and on Windows the volume queries.
	StatfsTimeout time.Duration
	// CommandTimeout bounds a slow answer (Windows' WMI, the in-process identification
	// of a device, fsid's NativeProbe), as it does commands.
	CommandTimeout time.Duration
	// Recording is set while a capture is taken: commands then wait for their exit
	// (Command.Complete is ignored), so that the real exit code and all of stderr are kept.
	Recording bool
	// Spawned, when set, is called with the argv of every child process a live probe is
	// about to start (a command, coreutils' stat, the statfs helper), before it starts:
	// the lite front catches SIGINT and SIGTERM then, and tests count children with
	// it. It may be called from several goroutines at once.
	Spawned func(argv []string)
}

// A Prober answers probes: live, recording, or from a capture.
type Prober interface {
	answer(ctx context.Context, c probeCall)
}

// probeCall is one batch of questions to one probe, typed inside, opaque to Probers.
type probeCall interface {
	probeName() string
	size() int
	key(i int) (string, error) // the canonical JSON key of question i
	runLive(ctx context.Context, env LiveEnv)
	encode(i int) (key string, rec ProbeRecord, err error)
	decode(i int, rec *ProbeRecord) // nil: not recorded
}

// AskAll asks every question of qs through p and returns the answers in order.
func AskAll[Q, A any](ctx context.Context, p Prober, probe Probe[Q, A], qs []Q) []Answer[A] {
	c := &call[Q, A]{p: probe, qs: qs, as: make([]Answer[A], len(qs))}
	if len(qs) == 0 {
		return c.as
	}
	if p == nil {
		for i := range c.as {
			c.as[i].Err = fmt.Errorf("%s: no prober: %w", probe.Name, errors.ErrUnsupported)
		}
		return c.as
	}
	p.answer(ctx, c)
	return c.as
}

// Ask asks one question through p.
func Ask[Q, A any](ctx context.Context, p Prober, probe Probe[Q, A], q Q) (A, error) {
	a := AskAll(ctx, p, probe, []Q{q})[0]
	return a.Value, a.Err
}

type call[Q, A any] struct {
	p  Probe[Q, A]
	qs []Q
	as []Answer[A]
}

func (c *call[Q, A]) probeName() string { return c.p.Name }
func (c *call[Q, A]) size() int         { return len(c.qs) }

func (c *call[Q, A]) key(i int) (string, error) {
	var k any = c.qs[i]
	if c.p.Key != nil {
		k = c.p.Key(c.qs[i])
	}
	b, err := json.Marshal(k)
	if err != nil {
		return "", fmt.Errorf("%s: encode key: %w", c.p.Name, err)
	}
	return canonicalJSON(b)
}

func (c *call[Q, A]) runLive(ctx context.Context, env LiveEnv) {
	if c.p.Live == nil {
		for i := range c.as {
			c.as[i].Err = fmt.Errorf("%s: %w on this operating system", c.p.Name, errors.ErrUnsupported)
		}
		return
	}
	got := c.p.Live(ctx, env, c.qs)
	for i := range c.as {
		if i < len(got) {
			c.as[i] = got[i]
		} else {
			c.as[i].Err = fmt.Errorf("%s: no answer", c.p.Name)
		}
	}
}

func (c *call[Q, A]) encode(i int) (string, ProbeRecord, error) {
	k, err := c.key(i)
	if err != nil {
		return "", ProbeRecord{}, err
	}
	rec := ProbeRecord{Key: json.RawMessage(k)}
	a := c.as[i]
	if !reflect.ValueOf(&a.Value).Elem().IsZero() || a.Err == nil {
		b, err := json.Marshal(a.Value)
		if err != nil {
			return "", ProbeRecord{}, fmt.Errorf("%s: encode answer: %w", c.p.Name, err)
		}
		rec.Answer = b
	}
	if a.Err != nil {
		rec.Error = NewProbeError(a.Err)
	}
	return k, rec, nil
}

func (c *call[Q, A]) decode(i int, rec *ProbeRecord) {
	if rec == nil {
		k, _ := c.key(i)
		c.as[i] = Answer[A]{Err: fmt.Errorf("%s %s: %w", c.p.Name, k, ErrNotRecorded)}
		return
	}
	var a Answer[A]
	if len(rec.Answer) > 0 {
		if err := json.Unmarshal(rec.Answer, &a.Value); err != nil {
			c.as[i] = Answer[A]{Err: fmt.Errorf("%s %s: recorded answer: %w", c.p.Name, rec.Key, err)}
			return
		}
	}
	if rec.Error != nil {
		e := *rec.Error
		a.Err = &e
	}
	c.as[i] = a
}

// ProbeRecord is one question and its answer as a capture holds them.
type ProbeRecord struct {
	Key    json.RawMessage `json:"key"`
	Answer json.RawMessage `json:"answer,omitempty"` // absent when the probe failed with nothing to show
	Error  *ProbeError     `json:"error,omitempty"`
}

// ProbeError is a probe's failure as recorded: its message, its kind, so that a replay
// fails the same way for errors.Is (ErrTimeout, ErrToolUnavailable, errors.ErrUnsupported,
// fs.ErrPermission, fs.ErrNotExist), and the system's error code when there was one (a
// Windows error number, an errno).
type ProbeError struct {
	Message string `json:"message"`
	Kind    string `json:"kind,omitempty"`
	Code    int64  `json:"code,omitempty"`
}

// Error kinds of a ProbeError.
const (
	KindTimeout     = "timeout"
	KindUnavailable = "unavailable"
	KindUnsupported = "unsupported"
	KindPermission  = "permission"
	KindNotExist    = "not_exist"
)

// kindError is the sentinel error of a kind; nil for an unknown kind.
func kindError(kind string) error {
	switch kind {
	case KindTimeout:
		return ErrTimeout
	case KindUnavailable:
		return ErrToolUnavailable
	case KindUnsupported:
		return errors.ErrUnsupported
	case KindPermission:
		return fs.ErrPermission
	case KindNotExist:
		return fs.ErrNotExist
	}
	return nil
}

func (e *ProbeError) Error() string { return e.Message }

// Is makes a recorded error match the sentinel of its kind.
func (e *ProbeError) Is(target error) bool {
	k := kindError(e.Kind)
	return k != nil && k == target
}

// NewProbeError records err: its message, its kind and its system error code.
func NewProbeError(err error) *ProbeError {
	var pe *ProbeError
	if errors.As(err, &pe) && pe.Error() == err.Error() {
		c := *pe
		return &c
	}
	e := &ProbeError{Message: err.Error()}
	for _, k := range []string{KindTimeout, KindUnavailable, KindUnsupported, KindPermission, KindNotExist} {
		if errors.Is(err, kindError(k)) {
			e.Kind = k
			break
		}
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		e.Code = int64(errno)
	}
	return e
}

// canonicalJSON rewrites a JSON value with object keys sorted and no spaces; numbers keep
// their digits (a uint64 does not go through float64).
func canonicalJSON(b []byte) (string, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return "", fmt.Errorf("canonical JSON: %w", err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("canonical JSON: %w", err)
	}
	return string(out), nil
}

// NewLive returns the Prober that asks this machine.
func NewLive(env LiveEnv) Prober { return &liveProber{env: env} }

type liveProber struct{ env LiveEnv }

func (l *liveProber) answer(ctx context.Context, c probeCall) { c.runLive(ctx, l.env) }

// Recorder passes every question to another Prober and keeps the answers, for `capture`.
// It is safe for concurrent use.
type Recorder struct {
	inner Prober
	mu    sync.Mutex
	recs  map[string]map[string]ProbeRecord // probe → canonical key → the first answer
	errs  []error
}

// NewRecorder records what inner answers. A live inner Prober is told it is being
// recorded (LiveEnv.Recording).
func NewRecorder(inner Prober) *Recorder {
	if l, ok := inner.(*liveProber); ok {
		env := l.env
		env.Recording = true
		inner = &liveProber{env: env}
	}
	return &Recorder{inner: inner, recs: map[string]map[string]ProbeRecord{}}
}

func (r *Recorder) answer(ctx context.Context, c probeCall) {
	r.inner.answer(ctx, c)
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.recs[c.probeName()]
	if m == nil {
		m = map[string]ProbeRecord{}
		r.recs[c.probeName()] = m
	}
	for i := 0; i < c.size(); i++ {
		k, rec, err := c.encode(i)
		if err != nil {
			r.errs = append(r.errs, err)
			continue
		}
		if _, dup := m[k]; !dup {
			m[k] = rec
		}
	}
}

// Records returns what was recorded, by probe, each probe's records sorted by key, and
// the answers that could not be encoded (they replay as not recorded).
func (r *Recorder) Records() (map[string][]ProbeRecord, []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string][]ProbeRecord, len(r.recs))
	for name, m := range r.recs {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out[name] = append(out[name], m[k])
		}
	}
	return out, append([]error(nil), r.errs...)
}

// NewReplay returns a Prober that answers from records (a capture's). A question it holds
// no record for fails with ErrNotRecorded; a record whose key is not JSON is ignored.
func NewReplay(recs map[string][]ProbeRecord) Prober {
	r := &replayProber{recs: map[string]map[string]*ProbeRecord{}}
	for name, list := range recs {
		m := map[string]*ProbeRecord{}
		for i := range list {
			k, err := canonicalJSON(list[i].Key)
			if err != nil {
				continue
			}
			if _, dup := m[k]; !dup {
				m[k] = &list[i]
			}
		}
		r.recs[name] = m
	}
	return r
}

type replayProber struct {
	recs map[string]map[string]*ProbeRecord
}

func (r *replayProber) answer(_ context.Context, c probeCall) {
	m := r.recs[c.probeName()]
	for i := 0; i < c.size(); i++ {
		k, err := c.key(i)
		if err != nil {
			c.decode(i, &ProbeRecord{Error: &ProbeError{Message: err.Error()}})
			continue
		}
		c.decode(i, m[k])
	}
}

// ProbeRecordOf makes the record of question q answered with a and err, as a Recorder
// would: for tests and hand-written captures.
func ProbeRecordOf[Q, A any](probe Probe[Q, A], q Q, a A, err error) (ProbeRecord, error) {
	c := &call[Q, A]{p: probe, qs: []Q{q}, as: []Answer[A]{{Value: a, Err: err}}}
	_, rec, e := c.encode(0)
	return rec, e
}

// AnswerEach answers every question with f, one after the other: a Live function for
// calls that cannot hang.
func AnswerEach[Q, A any](qs []Q, f func(Q) (A, error)) []Answer[A] {
	out := make([]Answer[A], len(qs))
	for i, q := range qs {
		out[i].Value, out[i].Err = f(q)
	}
	return out
}

// AnswerWithin answers every question with f concurrently and gives them together at
// most timeout (0: 2s): a question still unanswered then fails with ErrTimeout, and its
// goroutine is left behind. A call stuck on a dead volume cannot be cancelled, and
// waiting for it is the hang this avoids.
func AnswerWithin[Q, A any](ctx context.Context, timeout time.Duration, qs []Q, f func(Q) (A, error)) []Answer[A] {
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	out := make([]Answer[A], len(qs))
	type result struct {
		i int
		a Answer[A]
	}
	ch := make(chan result, len(qs)) // buffered: a late answer never blocks its goroutine
	for i, q := range qs {
		go func() {
			v, err := f(q)
			ch <- result{i, Answer[A]{Value: v, Err: err}}
		}()
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	done := make([]bool, len(qs))
wait:
	for range qs {
		select {
		case r := <-ch:
			out[r.i], done[r.i] = r.a, true
		case <-timer.C:
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	for i := range out {
		if !done[i] {
			out[i].Err = fmt.Errorf("%w after %s", ErrTimeout, timeout)
		}
	}
	return out
}
