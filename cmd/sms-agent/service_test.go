//go:build !lite

package main

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sms-agent/sms-agent/agent/daemon"
	"github.com/sms-agent/sms-agent/agent/smsfake"
)

// serviceConf writes a daemon config against the fake and returns its path and the
// state directory.
func (e *e2e) serviceConf(extra string) (string, string) {
	state := filepath.Join(e.dir, "state")
	conf := e.write("daemon.conf", "endpoint = "+e.url+"\nregion = ap-southeast-3\nproject_id = "+e2eProject+
		"\nak = "+e2eAK+"\nsk = "+e2eSK+"\nstate_dir = "+state+"\nfacts = "+filepath.Join(e.dir, "facts.json")+
		"\nretry_base = 10ms\nretry_max_wait = 1s\nbackoff_min = 1s\ntimeout = 1s\nname = web-1\n"+extra, 0o600)
	return conf, state
}

// startDaemon starts `service run` and returns the process; its stderr goes to logf.
func (e *e2e) startDaemon(conf string, logf *os.File) *exec.Cmd {
	e.t.Helper()
	cmd := exec.Command(e.bin, "service", "run", "--config", conf)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + e.dir}
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

func readState(t *testing.T, dir string) *daemon.State {
	t.Helper()
	st, err := daemon.LoadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestServiceKill9ResumesWithoutDuplicates kills the daemon with SIGKILL at random
// moments of its first cycle, ten times, then lets it finish: SMS must hold exactly
// one source and one task.
func TestServiceKill9ResumesWithoutDuplicates(t *testing.T) {
	e := newE2E(t, smsfake.Config{AK: e2eAK, SK: e2eSK, ProjectID: e2eProject})
	conf, state := e.serviceConf("create_task = true\ninterval = 1h\n")
	logf, err := os.Create(filepath.Join(e.dir, "daemon.log"))
	if err != nil {
		t.Fatal(err)
	}
	// Slow answers widen the windows between a POST and the state file.
	e.fake.Inject(smsfake.Fault{Method: "POST", Delay: 150 * time.Millisecond, Times: 100})
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 10; i++ {
		cmd := e.startDaemon(conf, logf)
		time.Sleep(time.Duration(50+r.IntN(400)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	}
	cmd := e.startDaemon(conf, logf)
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := daemon.LoadState(state)
		if err == nil && st.TaskID != "" && st.LastCycle != nil {
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("no task after 20 s; log:\n%s", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	if s, tk := e.fake.Sources(), e.fake.Tasks(); len(s) != 1 || len(tk) != 1 {
		t.Fatalf("%d sources, %d tasks after 10 kill -9; want 1 and 1", len(s), len(tk))
	}
	st := readState(t, state)
	if st.SourceID != e.fake.Sources()[0].ID || st.TaskID != e.fake.Tasks()[0].ID {
		t.Errorf("state %+v does not name what SMS holds", st)
	}
	b, _ := os.ReadFile(logf.Name())
	for _, s := range []string{e2eAK, e2eSK} {
		if strings.Contains(string(b), s) {
			t.Errorf("a secret is in the daemon's log")
		}
	}
}

// TestServiceStopsAndReloads: SIGHUP with a broken file keeps the old configuration
// (logged with the line), SIGTERM ends the daemon well within 5 s, and the log is one
// JSON object per line.
func TestServiceStopsAndReloads(t *testing.T) {
	e := newE2E(t, smsfake.Config{AK: e2eAK, SK: e2eSK, ProjectID: e2eProject})
	conf, state := e.serviceConf("")
	logf, err := os.Create(filepath.Join(e.dir, "daemon.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := e.startDaemon(conf, logf)
	waitState := func(cond func(*daemon.State) bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			if st, err := daemon.LoadState(state); err == nil && cond(st) {
				return
			}
			if time.Now().After(deadline) {
				b, _ := os.ReadFile(logf.Name())
				t.Fatalf("timed out; log:\n%s", b)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitState(func(st *daemon.State) bool { return st.LastCycle != nil && st.SourceID != "" })
	// A broken file: kept the old one.
	if err := os.WriteFile(conf, append(must(os.ReadFile(conf)), []byte("interval = soon\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(500 * time.Millisecond)
	// A good one again: reloaded, a cycle runs at once.
	lines := strings.Split(string(must(os.ReadFile(conf))), "\n")
	if err := os.WriteFile(conf, []byte(strings.Join(lines[:len(lines)-2], "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGHUP)
	waitState(func(st *daemon.State) bool { return st.Cycles >= 2 })
	t0 := time.Now()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	if took := time.Since(t0); took > 5*time.Second || err != nil {
		t.Errorf("SIGTERM: exit %v after %v", err, took)
	}
	var msgs []string
	for _, l := range strings.Split(strings.TrimSpace(string(must(os.ReadFile(logf.Name())))), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		msgs = append(msgs, m["message"].(string)+" "+strings.TrimSpace(asString(m["error"])))
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"daemon started", "source registered", "keeping the previous one", "config line 13: interval: want a duration", "configuration reloaded", "stopped"} {
		if !strings.Contains(all, want) {
			t.Errorf("log lacks %q:\n%s", want, all)
		}
	}
	if code, out, _ := e.run(nil, "service", "status", "--config", conf); !strings.Contains(out, "source:      web-1 (id ") ||
		!strings.Contains(out, "last cycle:") || code != exitFailure {
		t.Errorf("service status: exit %d\n%s", code, out)
	}
}

func TestConfigCheck(t *testing.T) {
	e := newE2E(t, smsfake.Config{AK: e2eAK, SK: e2eSK, ProjectID: e2eProject})
	conf := e.write("bad.conf", "# c\nregion = ap-southeast-3\nak = "+e2eAK+"\ninterval = 1 hour\nretries = x\ncreate_task = true\nbogus = 1\nnot a line\ntype = MIGRATE_ALL\n", 0o600)
	code, out, errs := e.run(nil, "config", "check", "--config", conf)
	want := []string{
		conf + ":3: ak: ak and sk must both be set",
		conf + ":4: interval: want a duration such as 30s, 15m or 1h",
		conf + ":5: retries: want an integer from 1 to 100",
		conf + ":6: create_task: needs project_id",
		conf + ":7: bogus: unknown key (docs/sms.md and docs/service.md list the keys)",
		conf + ":8: want key = value",
		conf + ":9: type: want MIGRATE_FILE or MIGRATE_BLOCK",
	}
	if code != exitUsage || strings.TrimSpace(out) != strings.Join(want, "\n") || !strings.Contains(errs, "7 problem(s)") {
		t.Errorf("exit %d\n%s\nwant:\n%s", code, out, strings.Join(want, "\n"))
	}
	good, _ := e.serviceConf("create_task = true\n")
	code, out, _ = e.run(nil, "config", "check", "--config", good)
	if code != 0 || !strings.Contains(out, "ok; 13 keys; credentials: AK/SK; service: interval 1h0m0s, register on, create_task on") {
		t.Errorf("good file: exit %d %s", code, out)
	}
	if err := os.Chmod(good, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs = e.run(nil, "config", "check", "--config", good); code != exitUsage || !strings.Contains(errs, "chmod 600") {
		t.Errorf("readable file: exit %d %s", code, errs)
	}
	e.assertNoSecrets()
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

var _ = context.Background

func TestLoggerFormats(t *testing.T) {
	var jsonOut, consoleOut strings.Builder
	rw := &daemon.RedactWriter{W: &jsonOut}
	rw.SetSecrets([]string{`se"cret`})
	jl := newLogger(rw, "auto", nil) // auto without a terminal: JSON
	jl.Info().Str("k", `a se"cret b`).Msg("hello")
	var m map[string]any
	if err := json.Unmarshal([]byte(jsonOut.String()), &m); err != nil || m["message"] != "hello" || m["k"] != "a *** b" {
		t.Errorf("JSON line %q (%v)", jsonOut.String(), err)
	}
	cl := newLogger(&consoleOut, "console", os.Stderr)
	cl.Warn().Msg("careful")
	if s := consoleOut.String(); !strings.Contains(s, "WRN careful") || strings.HasPrefix(s, "{") {
		t.Errorf("console line %q", s)
	}
}

// TestProgramEndedAlone: a daemon that returns without being stopped (it could not
// start) is reported through endedAlone, with its error; on Windows that exits the
// process, so that the service manager's recovery action restarts it. A daemon that
// was stopped is not reported, even when it returns an error.
func TestProgramEndedAlone(t *testing.T) {
	failing := func() (*daemon.Setup, error) { return nil, errors.New("state_dir unusable") }
	var got error
	ended := make(chan struct{})
	p := &program{d: daemon.New(failing, zerolog.Nop(), time.Now, rand.Float64), endedAlone: func(err error) {
		got = err
		close(ended)
	}}
	if err := p.Start(nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("a daemon that could not start was not reported within 10 s")
	}
	<-p.done
	if got == nil || got.Error() != "configuration: state_dir unusable" || p.err != got {
		t.Errorf("endedAlone got %v, p.err %v; want the daemon's error", got, p.err)
	}

	release := make(chan struct{})
	blocked := func() (*daemon.Setup, error) {
		<-release
		return nil, errors.New("read after the stop")
	}
	called := false
	p = &program{d: daemon.New(blocked, zerolog.Nop(), time.Now, rand.Float64), endedAlone: func(error) { called = true }}
	if err := p.Start(nil); err != nil {
		t.Fatal(err)
	}
	p.cancel() // the stop comes while the daemon still reads its configuration
	close(release)
	<-p.done
	if called || p.err == nil {
		t.Errorf("stopped daemon: endedAlone called %v, error %v; want not called, the daemon's error kept", called, p.err)
	}
}
