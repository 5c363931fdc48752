// Package daemon is what `sms-agent service run` does: discover the host on a jittered
// interval, keep the inventory in the state directory, register the source and create
// its task once, and send SMS the new disk layout when it changes, with every step
// logged and every SMS failure backed off. docs/service.md describes it for operators.
package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/sms-agent/sms-agent/agent/check"
	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/agent/sms"
	"github.com/sms-agent/sms-agent/platform"
)

// SMS is the part of the SMS API the daemon uses (*sms.Client).
type SMS interface {
	EnsureSource(ctx context.Context, body *sms.PostSourceServerBody) (id string, how sms.Ensured, err error)
	EnsureTask(ctx context.Context, body *sms.PostTask) (id string, how sms.Ensured, err error)
	Source(ctx context.Context, id string) (*sms.SourceServer, error)
	UpdateDiskInfo(ctx context.Context, id string, body *sms.DiskInfo) error
}

// Setup is what one reading of the configuration gives the daemon. Daemon.Load
// builds it at start and on every reload.
type Setup struct {
	Settings Settings
	// Discover reads the host: the inventory, the host facts a registration needs, and
	// every warning (the inventory's and those of the host facts).
	Discover func(ctx context.Context) (*inventory.Inventory, sms.HostFacts, []string, error)
	// Plan builds the migration's layout from the inventory (the config file's
	// exclude, shrink, headroom and type, as task create reads them).
	Plan func(inv *inventory.Inventory) (*sms.Plan, error)
	// SourceBody builds the registration body of the plan (not yet validated).
	SourceBody func(p *sms.Plan, facts sms.HostFacts) (*sms.PostSourceServerBody, []string, error)
	// TaskBody builds the task of the registered source; nil unless create_task.
	TaskBody func(p *sms.Plan, sourceID string) (*sms.PostTask, []string, error)
	// SMS is nil when no credentials are configured (or register is off): the daemon
	// then only discovers.
	SMS SMS
	// RunChecks runs the checks of `sms-agent check` (agent/check) on the plan; nil:
	// the step is skipped with a logged line. A check that says ERROR stops the SMS
	// steps of the cycle, as it stops source register and task create, unless
	// Settings.Force.
	RunChecks func(ctx context.Context, p *sms.Plan, facts sms.HostFacts) []check.Result
	// Secrets are hidden from the log (RedactWriter).
	Secrets []string
	// Settle is how long a create sent by a run that died may still be working in SMS
	// (the per-attempt HTTP timeout and a margin): a restarted daemon waits that long
	// after it before it looks for what was created, so that it neither misses it nor
	// creates a second one. 0: no wait.
	Settle time.Duration
	// Describe is logged at start and after a reload: where the configuration came
	// from and what it enables (no secret).
	Describe string
}

// Daemon runs the cycles. Create it with New.
type Daemon struct {
	// Load reads the configuration; called at start and on Reload.
	Load func() (*Setup, error)
	// Log is the base logger (its level is set from Settings.LogLevel).
	Log zerolog.Logger
	// Redact, when set, gets the secrets of each Setup.
	Redact *RedactWriter
	Now    func() time.Time
	// Rand returns a float in [0, 1) for the jitter.
	Rand func() float64

	reload chan struct{}
	log    zerolog.Logger
}

// New returns a daemon.
func New(load func() (*Setup, error), log zerolog.Logger, now func() time.Time, rnd func() float64) *Daemon {
	return &Daemon{Load: load, Log: log, Now: now, Rand: rnd, reload: make(chan struct{}, 1), log: log}
}

// Reload asks the running daemon to read its configuration again (SIGHUP); a bad
// configuration is logged and the old one kept.
func (d *Daemon) Reload() {
	select {
	case d.reload <- struct{}{}:
	default:
	}
}

func (d *Daemon) apply(s *Setup) {
	d.log = d.Log.Level(s.Settings.LogLevel)
	if d.Redact != nil {
		d.Redact.SetSecrets(s.Secrets)
	}
}

// Run runs cycles until ctx is cancelled, then returns nil. It returns an error only
// when it cannot start: the configuration or the state directory is unusable.
func (d *Daemon) Run(ctx context.Context) error {
	setup, err := d.Load()
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	d.apply(setup)
	st, err := d.openState(setup.Settings.StateDir)
	if err != nil {
		return err
	}
	d.log.Info().Str("state_dir", setup.Settings.StateDir).Dur("interval", setup.Settings.Interval).
		Int("cycles_before", st.Cycles).Str("source_id", st.SourceID).Str("task_id", st.TaskID).
		Msgf("daemon started: %s", setup.Describe)
	failures := 0
	for {
		smsFailed := d.cycle(ctx, setup, st)
		if ctx.Err() != nil {
			d.saveState(setup, st)
			d.log.Info().Msg("stopped")
			return nil
		}
		wait := d.jitter(setup.Settings.Interval, 0.10)
		if smsFailed {
			failures++
			if b := d.backoff(setup.Settings, failures); b < wait {
				wait = b
			}
		} else {
			failures = 0
		}
		st.LastCycle.Next = d.Now().Add(wait).UTC()
		d.saveState(setup, st)
		ev := d.log.Info()
		if smsFailed {
			ev = d.log.Warn().Int("sms_failures", failures)
		}
		ev.Dur("wait", wait.Round(time.Millisecond)).Time("next", st.LastCycle.Next).Msgf("next cycle in %v", wait.Round(time.Second))
		timer := time.NewTimer(wait)
	wait:
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				d.log.Info().Msg("stopped")
				return nil
			case <-d.reload:
				s, err := d.Load()
				if err != nil {
					d.log.Error().Err(err).Msg("reload: the configuration is not usable; keeping the previous one")
					continue
				}
				if s.Settings.StateDir != setup.Settings.StateDir {
					nst, err := d.openState(s.Settings.StateDir)
					if err != nil {
						d.log.Error().Err(err).Msg("reload: the new state directory is not usable; keeping the previous configuration")
						continue
					}
					st = nst
				}
				setup = s
				d.apply(setup)
				d.log.Info().Msgf("configuration reloaded: %s", setup.Describe)
				timer.Stop()
				failures = 0
				break wait
			case <-timer.C:
				break wait
			}
		}
	}
}

// openState creates the state directory (0700) when missing and reads its state.
// A state file that cannot be parsed is kept aside (state.json.bad) and the daemon
// starts afresh: SMS is asked before anything is created, so nothing is duplicated.
func (d *Daemon) openState(dir string) (*State, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	st, err := LoadState(dir)
	if err == nil {
		return st, nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if !errors.As(err, &se) && !errors.As(err, &te) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	bad := filepath.Join(dir, StateFile+".bad")
	if rerr := platform.Rename(filepath.Join(dir, StateFile), bad); rerr != nil {
		return nil, fmt.Errorf("%w (and cannot move it aside: %v)", err, rerr)
	}
	d.log.Error().Err(err).Str("kept_as", bad).Msg("state file unreadable; starting afresh (SMS is searched before anything is created)")
	return &State{Version: StateVersion}, nil
}

func (d *Daemon) saveState(s *Setup, st *State) {
	if err := SaveState(s.Settings.StateDir, st); err != nil {
		d.log.Error().Err(err).Msg("state file not written")
	}
}

// jitter returns d ± frac·d.
func (d *Daemon) jitter(base time.Duration, frac float64) time.Duration {
	return time.Duration(float64(base) * (1 - frac + 2*frac*d.Rand()))
}

// backoff is the wait after the n-th SMS failure in a row: BackoffMin doubled each
// time, capped at BackoffMax, ±20 %.
func (d *Daemon) backoff(s Settings, n int) time.Duration {
	b := s.BackoffMin
	for i := 1; i < n && b < s.BackoffMax; i++ {
		b *= 2
	}
	if b > s.BackoffMax {
		b = s.BackoffMax
	}
	return d.jitter(b, 0.20)
}

// cycle runs one discovery cycle and the SMS steps due; it reports whether SMS failed
// (then the next cycle comes after a backoff).
func (d *Daemon) cycle(ctx context.Context, s *Setup, st *State) (smsFailed bool) {
	c := &Cycle{Started: d.Now().UTC(), Result: ResultOK}
	st.Cycles++
	log := d.log.With().Int("cycle", st.Cycles).Logger()
	defer func() {
		c.Finished = d.Now().UTC()
		if ctx.Err() != nil { // stopped midway: the last cycle stays the last whole one
			st.Cycles--
			log.Info().Msg("cycle interrupted by the stop")
			return
		}
		st.LastCycle = c
		ev := log.Info()
		if c.Result != ResultOK {
			ev = log.Warn()
		}
		ev.Str("result", c.Result).Dur("took", c.Finished.Sub(c.Started).Round(time.Millisecond)).Msg("cycle done")
	}()

	// 1. discover, write the inventory, run the checks
	t0 := d.Now()
	inv, facts, warns, err := s.Discover(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		c.Result, c.Error = ResultFailed, "discover: "+err.Error()
		log.Error().Err(err).Msg("discovery failed")
		return false
	}
	c.Warnings, c.Disks = len(warns), len(inv.Disks)
	for _, w := range warns {
		log.Warn().Str("warning", w).Msg("discovery warning")
	}
	if len(warns) > 0 {
		c.Result = ResultWarnings
	}
	path := filepath.Join(s.Settings.StateDir, InventoryFile)
	// By platform.WriteFile's rule; a discovery that completed is written even if the
	// daemon is stopping.
	if err := platform.WriteFile(context.Background(), path, 0o600, nil, func(w io.Writer) error { return writeInventory(w, inv) }); err != nil {
		c.Result, c.Error = ResultFailed, "write inventory: "+err.Error()
		log.Error().Err(err).Msg("inventory not written")
		return false
	}
	log.Info().Int("disks", len(inv.Disks)).Int("volume_groups", len(inv.VolumeGroups)).Int("btrfs", len(inv.BtrfsList)).
		Int("warnings", len(warns)).Dur("took", d.Now().Sub(t0).Round(time.Millisecond)).Str("path", path).Msg("discovered; inventory written")
	plan, err := s.Plan(inv)
	if err != nil {
		c.Result, c.Error = ResultFailed, "plan: "+err.Error()
		log.Error().Err(err).Msg("cannot plan the migration (exclude, shrink or type in the config file)")
		return false
	}
	checkErrors := d.runChecks(ctx, log, s, plan, facts, c)

	// The layout, and what changed since the last cycle.
	body, bw, err := s.SourceBody(plan, facts)
	if err != nil {
		c.Result, c.Error = ResultFailed, "source body: "+err.Error()
		log.Error().Err(err).Msg("cannot describe the layout for SMS")
		return false
	}
	layout := LayoutOf(body)
	digest := layout.Digest()
	if st.Layout != nil && digest != st.LayoutDigest {
		c.Changes = Diff(st.Layout, layout)
		for _, ch := range c.Changes {
			log.Info().Str("change", ch).Msg("layout changed: " + ch)
		}
	}
	st.Layout, st.LayoutDigest = layout, digest
	d.saveState(s, st)
	if s.SMS == nil {
		log.Debug().Msg("SMS steps skipped: no credentials or register = false")
		return false
	}
	if checkErrors > 0 && !s.Settings.Force {
		log.Error().Int("errors", checkErrors).Msg("nothing sent to SMS: a check said ERROR (see above; fix it, or set force = true)")
		return false
	}
	for _, w := range bw {
		log.Warn().Str("warning", w).Msg("registration body")
	}
	if err := sms.ValidateSourceBody(body); err != nil {
		c.Result, c.Error = ResultFailed, "source body: "+err.Error()
		log.Error().Err(err).Msg("the registration body is not valid; not sent")
		return false
	}

	if !d.settle(ctx, log, s, st) {
		return false
	}

	// 2. register (or find) the source, once
	if st.SourceID == "" {
		d.pending(s, st, "register source")
		id, how, err := s.SMS.EnsureSource(ctx, body)
		st.Pending = nil
		if err != nil {
			return d.smsFailure(ctx, log, c, "register source", err)
		}
		st.SourceID, st.SourceName, st.NotSentDigest = id, body.Name, ""
		st.ReportedDigest = ""
		switch how {
		case sms.Created:
			st.ReportedDigest = digest
			log.Info().Str("source_id", id).Str("name", body.Name).Msg("source registered")
		case sms.CreatedAnswerLost: // registered with this body: its answer was lost
			st.ReportedDigest = digest
			log.Info().Str("source_id", id).Str("name", body.Name).Msg("source registered; the answer was lost, found it on retry")
		default:
			log.Info().Str("source_id", id).Str("name", body.Name).Msg("source already registered; nothing sent")
		}
		d.saveState(s, st)
	}

	// 3. (on later cycles) a changed layout goes to SMS while the source waits
	if st.ReportedDigest != digest {
		src, err := s.SMS.Source(ctx, st.SourceID)
		var ae *sms.APIError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			log.Warn().Str("source_id", st.SourceID).Msg("the source no longer exists in SMS; it will be registered again")
			st.SourceID, st.SourceName, st.TaskID, st.ReportedDigest = "", "", "", ""
			d.saveState(s, st)
			return d.smsFailure(ctx, log, c, "get source", err)
		}
		if err != nil {
			return d.smsFailure(ctx, log, c, "get source", err)
		}
		if src.State == sms.SourceWaiting {
			if err := s.SMS.UpdateDiskInfo(ctx, st.SourceID, sms.DiskInfoOf(body)); err != nil {
				return d.smsFailure(ctx, log, c, "update disk info", err)
			}
			st.ReportedDigest, st.NotSentDigest = digest, ""
			log.Info().Str("source_id", st.SourceID).Int("disks", len(body.Disks)).Msg("disk info sent to SMS (PUT diskinfo)")
		} else if st.NotSentDigest != digest {
			st.NotSentDigest = digest
			log.Info().Str("source_id", st.SourceID).Str("state", src.State).
				Msgf("layout differs from what SMS holds, but the source is %q: SMS takes disk info only while waiting; not sent", src.State)
		}
		d.saveState(s, st)
	}

	// 4. create the task, once
	if s.TaskBody != nil && st.TaskID == "" {
		tb, tw, err := s.TaskBody(plan, st.SourceID)
		for _, w := range tw {
			log.Warn().Str("warning", w).Msg("task body")
		}
		if err == nil {
			err = sms.ValidatePostTask(tb)
		}
		if err != nil {
			c.Result, c.Error = ResultFailed, "task body: "+err.Error()
			log.Error().Err(err).Msg("the task body is not valid; not sent")
			return false
		}
		d.pending(s, st, "create task")
		id, how, err := s.SMS.EnsureTask(ctx, tb)
		st.Pending = nil
		if err != nil {
			return d.smsFailure(ctx, log, c, "create task", err)
		}
		st.TaskID = id
		switch how {
		case sms.Created:
			log.Info().Str("task_id", id).Str("name", tb.Name).Msg("task created")
		case sms.CreatedAnswerLost:
			log.Info().Str("task_id", id).Str("name", tb.Name).Msg("task created; the answer was lost, found it on retry")
		default:
			log.Info().Str("task_id", id).Msg("the source already has a task; nothing created")
		}
		d.saveState(s, st)
	}
	return false
}

// pending records, before a create is sent, that it is in flight.
func (d *Daemon) pending(s *Setup, st *State, op string) {
	st.Pending = &Pending{Op: op, Since: d.Now().UTC()}
	d.saveState(s, st)
}

// settle waits, when a previous run died with a create in flight less than Settle ago,
// until that request can no longer be working in SMS. It returns false when stopped.
func (d *Daemon) settle(ctx context.Context, log zerolog.Logger, s *Setup, st *State) bool {
	if st.Pending == nil {
		return true
	}
	wait := st.Pending.Since.Add(s.Settle).Sub(d.Now())
	if wait > 0 {
		log.Warn().Str("op", st.Pending.Op).Dur("wait", wait.Round(time.Millisecond)).
			Msgf("the previous run stopped while its %s request was in flight; waiting %v for it to settle before looking for what it made", st.Pending.Op, wait.Round(time.Second))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
	st.Pending = nil
	return true
}

func (d *Daemon) smsFailure(ctx context.Context, log zerolog.Logger, c *Cycle, step string, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	c.Result, c.Error = ResultSMSFailed, step+": "+err.Error()
	log.Warn().Err(err).Str("step", step).Msg("SMS step failed; retrying after a backoff")
	return true
}

func writeInventory(w io.Writer, inv *inventory.Inventory) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(inv)
}

// runChecks runs the checks and logs each line that is not OK (WARN as a warning,
// ERROR as an error); it returns the number of ERRORs and puts it in the cycle.
func (d *Daemon) runChecks(ctx context.Context, log zerolog.Logger, s *Setup, p *sms.Plan, facts sms.HostFacts, c *Cycle) int {
	if s.RunChecks == nil {
		log.Info().Msg("checks skipped: no checker in this build (sms-agent check)")
		return 0
	}
	rs := s.RunChecks(ctx, p, facts)
	for _, r := range rs {
		switch {
		case r.Level == check.Error && !s.Settings.Force:
			log.Error().Str("check", r.Check).Str("code", r.Code).Msg(r.String())
		case r.Level == check.Error: // force = true: sent anyway, said as a warning
			log.Warn().Str("check", r.Check).Str("code", r.Code).Bool("forced", true).Msg(r.String())
		case r.Level == check.Warn:
			log.Warn().Str("check", r.Check).Str("code", r.Code).Msg(r.String())
		}
	}
	n := check.Errors(rs)
	c.CheckErrors = n
	if n == 0 {
		log.Info().Int("checks", len(rs)).Msg("checks passed")
	}
	return n
}
