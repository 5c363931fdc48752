package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sms-agent/sms-agent/agent/check"
	"github.com/sms-agent/sms-agent/agent/inventory"
	"github.com/sms-agent/sms-agent/agent/sms"
	"github.com/sms-agent/sms-agent/agent/smsfake"
	"github.com/sms-agent/sms-agent/collectors/hostfacts"
)

const (
	testAK      = "AKDAEMON0123456789"
	testSK      = "SKDAEMONsecret0123456789abcdef"
	testProject = "0123456789abcdef0123456789abcdef"
)

// syncBuffer is a log sink safe for the daemon goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lines returns the JSON log lines whose message contains substr.
func (s *syncBuffer) lines(t *testing.T, substr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		if msg, _ := m["message"].(string); strings.Contains(msg, substr) {
			out = append(out, m)
		}
	}
	return out
}

func loadInventory(t *testing.T) *inventory.Inventory {
	t.Helper()
	b, err := os.ReadFile("../../testdata/hosts/vm-lvm-active.json")
	if err != nil {
		t.Fatal(err)
	}
	inv := new(inventory.Inventory)
	if err := json.Unmarshal(b, inv); err != nil {
		t.Fatal(err)
	}
	inv.Warnings = nil
	return inv
}

func testFacts() sms.HostFacts {
	mtu := int64(1500)
	return sms.HostFacts{Networks: []hostfacts.Network{{Name: "eth0", IP: "192.168.0.10", Netmask: "255.255.255.0", Gateway: "192.168.0.1", MTU: &mtu, MAC: "fa:16:3e:00:00:01"}}}
}

// host is a discoverable fake host whose inventory the test changes between cycles.
type host struct {
	mu    sync.Mutex
	inv   *inventory.Inventory
	calls int
}

func (h *host) discover(context.Context) (*inventory.Inventory, sms.HostFacts, []string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	b, _ := json.Marshal(h.inv)
	inv := new(inventory.Inventory)
	_ = json.Unmarshal(b, inv)
	return inv, testFacts(), nil, nil
}

func (h *host) change(f func(inv *inventory.Inventory)) {
	h.mu.Lock()
	f(h.inv)
	h.mu.Unlock()
}

func (h *host) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls
}

func newClient(t *testing.T, endpoint string) *sms.Client {
	t.Helper()
	u, _ := url.Parse(endpoint)
	hc, err := sms.NewHTTPClient(sms.HTTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return &sms.Client{Endpoint: u, HTTP: hc, Now: time.Now, Timeout: 2 * time.Second,
		Auth:  &sms.AKSK{AK: testAK, SK: testSK, ProjectID: testProject, Now: time.Now},
		Retry: sms.RetryPolicy{Attempts: 3, Base: 5 * time.Millisecond, MaxWait: 50 * time.Millisecond, Budget: 500 * time.Millisecond}}
}

func taskBody(p *sms.Plan, sourceID string) (*sms.PostTask, []string, error) {
	inv := p.Inv
	ts, err := sms.BuildTargetServer(p, sms.TargetOptions{Name: inv.Host.Hostname})
	if err != nil {
		return nil, nil, err
	}
	return &sms.PostTask{Name: "task-" + inv.Host.Hostname, Type: sms.TypeFile, OSType: sms.OSLinux,
		SourceServer: sms.SourceServerByTask{ID: sourceID}, TargetServer: ts, RegionName: "ap-southeast-3",
		RegionID: "ap-southeast-3", ProjectName: "ap-southeast-3", ProjectID: testProject}, p.Warnings, nil
}

func plan(inv *inventory.Inventory) (*sms.Plan, error) { return sms.BuildPlan(inv, sms.PlanOptions{}) }

func sourceBody(version string) func(p *sms.Plan, f sms.HostFacts) (*sms.PostSourceServerBody, []string, error) {
	return func(p *sms.Plan, f sms.HostFacts) (*sms.PostSourceServerBody, []string, error) {
		b, w := sms.BuildSourceBody(p, f, sms.SourceOptions{AgentVersion: version})
		return b, w, nil
	}
}

type rig struct {
	t     *testing.T
	fake  *smsfake.Server
	url   string
	dir   string
	host  *host
	log   *syncBuffer
	setup func() *Setup
}

func newRig(t *testing.T, cfg smsfake.Config) *rig {
	r := &rig{t: t, dir: t.TempDir(), host: &host{inv: loadInventory(t)}, log: &syncBuffer{}}
	cfg.AK, cfg.SK, cfg.ProjectID = testAK, testSK, testProject
	r.fake = smsfake.New(cfg)
	srv := httptest.NewServer(r.fake.Handler())
	t.Cleanup(srv.Close)
	r.url = srv.URL
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon log:\n%s", r.log)
		}
	})
	r.setup = func() *Setup {
		return &Setup{
			Settings: Settings{Interval: time.Hour, Register: true, CreateTask: true, LogLevel: zerolog.DebugLevel,
				StateDir: r.dir, BackoffMin: 20 * time.Millisecond, BackoffMax: 80 * time.Millisecond},
			Discover:   r.host.discover,
			Plan:       plan,
			SourceBody: sourceBody("test"),
			TaskBody:   taskBody,
			SMS:        newClient(t, r.url),
			Secrets:    []string{testAK, testSK},
			Describe:   "test",
		}
	}
	return r
}

// start runs a daemon until the test ends (or stop is called); it returns the daemon
// and a stop function that waits for Run to return and reports how long that took.
func (r *rig) start(load func() (*Setup, error)) (*Daemon, func() time.Duration) {
	rw := &RedactWriter{W: r.log}
	d := New(load, zerolog.New(rw).With().Timestamp().Logger(), time.Now, func() float64 { return 0.5 })
	d.Redact = rw
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	var took time.Duration
	stop := func() time.Duration {
		once.Do(func() {
			t0 := time.Now()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					r.t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				r.t.Fatal("Run did not return 10 s after cancel")
			}
			took = time.Since(t0)
		})
		return took
	}
	r.t.Cleanup(func() { stop() })
	return d, stop
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *rig) state() *State {
	// On Windows a read that meets the daemon's rename of state.json fails with a
	// sharing violation: read again (the daemon's own reads do not race its writes).
	deadline := time.Now().Add(2 * time.Second)
	for {
		st, err := LoadState(r.dir)
		if err == nil {
			return st
		}
		if runtime.GOOS != "windows" || time.Now().After(deadline) {
			r.t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func countRequests(f *smsfake.Server, method, path string) int {
	n := 0
	for _, q := range f.Requests() {
		if q.Method == method && q.Path == path {
			n++
		}
	}
	return n
}

func TestDaemonRegistersOnceCreatesTaskAndSendsLayoutChanges(t *testing.T) {
	r := newRig(t, smsfake.Config{})
	d, stop := r.start(func() (*Setup, error) { return r.setup(), nil })
	waitFor(t, "task created", func() bool { st := r.state(); return st.TaskID != "" && st.LastCycle != nil })

	st := r.state()
	src := r.fake.Sources()
	if len(src) != 1 || st.SourceID != src[0].ID || st.SourceName != "smsvm" || st.TaskID != r.fake.Tasks()[0].ID {
		t.Fatalf("state %+v; fake sources %+v", st, src)
	}
	if st.LastCycle == nil || st.Cycles != 1 {
		t.Fatalf("last cycle %+v after %d cycles", st.LastCycle, st.Cycles)
	}
	b, err := os.ReadFile(filepath.Join(r.dir, InventoryFile))
	if err != nil {
		t.Fatal(err)
	}
	var inv inventory.Inventory
	if err := json.Unmarshal(b, &inv); err != nil || len(inv.Disks) != 4 || inv.Host.Hostname != "smsvm" {
		t.Fatalf("inventory.json: %v, %d disks", err, len(inv.Disks))
	}
	if fi, _ := os.Stat(filepath.Join(r.dir, StateFile)); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 { // Windows has no modes
		t.Errorf("state.json mode %v", fi.Mode())
	}

	// A new disk and a grown LV: logged, and sent as disk info (the source waits).
	r.host.change(func(inv *inventory.Inventory) {
		inv.Disks = append(inv.Disks, inventory.Disk{Name: "/dev/vde", KName: "vde", Size: 10 << 30, DeviceUse: "NORMAL", PhysicalVolumes: []inventory.Partition{}})
		for i := range inv.VolumeGroups {
			if inv.VolumeGroups[i].Name == "smsvg0" {
				inv.VolumeGroups[i].Size += 12 << 30
			}
			for j := range inv.VolumeGroups[i].LogicalVolumes {
				if lv := &inv.VolumeGroups[i].LogicalVolumes[j]; lv.MountPoint == "/mnt/span" {
					lv.Size += 12 << 30
				}
			}
		}
	})
	d.Reload() // a reload runs a cycle at once
	waitFor(t, "disk info sent", func() bool { return r.fake.Stats().DiskInfo == 1 })
	for _, want := range []string{"layout changed: disk /dev/vde added (10 GiB)", "layout changed: volume group smsvg0 grew 12 GiB", "layout changed: /mnt/span grew 12 GiB"} {
		if len(r.log.lines(t, want)) != 1 {
			t.Errorf("log has no line %q:\n%s", want, r.log)
		}
	}
	info := string(r.fake.Sources()[0].DiskInfo)
	if !strings.Contains(info, `"/dev/vde"`) || !strings.Contains(info, `"volumegroups":[{`) {
		t.Errorf("diskinfo sent: %s", info)
	}

	// The source is now migrating: a further change is logged, not sent, and the
	// "not sent" line is not repeated on the next cycle.
	r.fake.SetSourceState(st.SourceID, "replicate")
	r.host.change(func(inv *inventory.Inventory) { inv.Disks = inv.Disks[:len(inv.Disks)-1] })
	d.Reload()
	waitFor(t, "not-sent line", func() bool { return len(r.log.lines(t, "not sent")) == 1 })
	d.Reload()
	waitFor(t, "cycle 4", func() bool { return len(r.log.lines(t, "cycle done")) >= 4 })
	stop()
	if n := len(r.log.lines(t, "not sent")); n != 1 {
		t.Errorf("%d not-sent lines; want 1", n)
	}
	if n := len(r.log.lines(t, "disk /dev/vde removed")); n != 1 {
		t.Errorf("removal logged %d times", n)
	}
	if got := r.fake.Stats(); got.Sources != 1 || got.Tasks != 1 || got.DiskInfo != 1 {
		t.Errorf("fake stats %+v; want 1 source, 1 task, 1 diskinfo", got)
	}
	if strings.Contains(r.log.String(), testSK) || strings.Contains(r.log.String(), testAK) {
		t.Errorf("a secret is in the log")
	}
}

func TestDaemonRestartResumesWithoutDuplicates(t *testing.T) {
	r := newRig(t, smsfake.Config{})
	_, stop := r.start(func() (*Setup, error) { return r.setup(), nil })
	waitFor(t, "task", func() bool { st := r.state(); return st.TaskID != "" && st.LastCycle != nil })
	stop()
	// Restarted with its state: nothing is looked up or created again.
	_, stop = r.start(func() (*Setup, error) { return r.setup(), nil })
	waitFor(t, "second run's cycle", func() bool { return r.state().Cycles == 2 })
	stop()
	if n := countRequests(r.fake, "POST", "/v3/sources") + countRequests(r.fake, "GET", "/v3/sources"); n != 2 {
		t.Errorf("%d source requests; want 2 (one lookup, one POST) over two runs", n)
	}
	// The state file lost (a crash before it was written, a wiped disk): SMS is asked
	// first, and the existing source and task are found, not duplicated.
	if err := os.Remove(filepath.Join(r.dir, StateFile)); err != nil {
		t.Fatal(err)
	}
	_, stop = r.start(func() (*Setup, error) { return r.setup(), nil })
	waitFor(t, "resumed", func() bool { st := r.state(); return st.TaskID != "" && st.LastCycle != nil })
	stop()
	if st := r.fake.Stats(); st.Sources != 1 || st.Tasks != 1 {
		t.Errorf("after losing the state: %d sources, %d tasks; want 1 and 1", st.Sources, st.Tasks)
	}
	if len(r.log.lines(t, "source already registered")) != 1 || len(r.log.lines(t, "already has a task")) != 1 {
		t.Errorf("log:\n%s", r.log)
	}
	// A corrupt state file is kept aside and the daemon starts afresh, again without
	// duplicates.
	if err := os.WriteFile(filepath.Join(r.dir, StateFile), []byte(`{"version":1,"source_id":`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stop = r.start(func() (*Setup, error) { return r.setup(), nil })
	waitFor(t, "resumed after corruption", func() bool {
		st, err := LoadState(r.dir)
		return err == nil && st.TaskID != "" && st.LastCycle != nil
	})
	stop()
	if _, err := os.Stat(filepath.Join(r.dir, StateFile+".bad")); err != nil {
		t.Errorf("corrupt state not kept: %v", err)
	}
	if st := r.fake.Stats(); st.Sources != 1 || st.Tasks != 1 {
		t.Errorf("after a corrupt state: %d sources, %d tasks", st.Sources, st.Tasks)
	}
}

func TestDaemonBacksOffWhileSMSIsUnreachable(t *testing.T) {
	r := newRig(t, smsfake.Config{})
	// Nothing listens there: every call fails at once.
	dead := httptest.NewServer(nil)
	deadURL := dead.URL
	dead.Close()
	_, stop := r.start(func() (*Setup, error) {
		s := r.setup()
		s.SMS = newClient(t, deadURL)
		return s, nil
	})
	time.Sleep(600 * time.Millisecond)
	stop()
	// Waits 20, 40, 80, 80, ... ms (±20 %, here exactly: Rand is 0.5) plus each
	// cycle's own retries: a handful of cycles, not a tight loop, and discovery goes on.
	n := r.host.count()
	if n < 3 || n > 12 {
		t.Errorf("%d cycles in 600 ms with a 20-80 ms backoff", n)
	}
	var waits []string
	for _, l := range r.log.lines(t, "next cycle in") {
		waits = append(waits, fmt.Sprint(l["wait"]))
	}
	if len(waits) < 3 || waits[0] != "20" || waits[1] != "40" || waits[2] != "80" {
		t.Errorf("waits %v; want 20, 40, 80, 80... (ms)", waits)
	}
	st := r.state()
	if st.LastCycle.Result != ResultSMSFailed || !strings.Contains(st.LastCycle.Error, "register source") {
		t.Errorf("last cycle %+v", st.LastCycle)
	}
	if _, err := os.Stat(filepath.Join(r.dir, InventoryFile)); err != nil {
		t.Errorf("no inventory while SMS is down: %v", err)
	}
}

func TestBackoffCappedAndJittered(t *testing.T) {
	s := Settings{BackoffMin: 30 * time.Second, BackoffMax: 15 * time.Minute}
	for _, c := range []struct {
		n    int
		rnd  float64
		want time.Duration
	}{
		{1, 0.5, 30 * time.Second}, {2, 0.5, time.Minute}, {5, 0.5, 8 * time.Minute},
		{6, 0.5, 15 * time.Minute}, {60, 0.5, 15 * time.Minute},
		{1, 0, 24 * time.Second}, {60, 0.999999, 18 * time.Minute},
	} {
		d := &Daemon{Rand: func() float64 { return c.rnd }}
		if got := d.backoff(s, c.n).Round(time.Second); got != c.want {
			t.Errorf("backoff(%d, rand %v) = %v; want %v", c.n, c.rnd, got, c.want)
		}
	}
	d := &Daemon{Rand: func() float64 { return 0 }}
	if got := d.jitter(time.Hour, 0.10); got != 54*time.Minute {
		t.Errorf("interval jitter low end %v", got)
	}
}

func TestDaemonStopsWithinASecondDuringASlowCall(t *testing.T) {
	r := newRig(t, smsfake.Config{})
	r.fake.Inject(smsfake.Fault{Method: "GET", Path: "/v3/sources", Delay: 30 * time.Second})
	_, stop := r.start(func() (*Setup, error) { return r.setup(), nil })
	waitFor(t, "the slow lookup", func() bool { return r.host.count() == 1 && len(r.log.lines(t, "inventory written")) == 1 })
	time.Sleep(50 * time.Millisecond)
	if took := stop(); took > time.Second {
		t.Errorf("stop took %v", took)
	}
	if len(r.log.lines(t, "stopped")) != 1 {
		t.Errorf("no stopped line:\n%s", r.log)
	}
}

func TestDaemonReloadKeepsOldConfigOnError(t *testing.T) {
	r := newRig(t, smsfake.Config{})
	var mu sync.Mutex
	loadErr := error(nil)
	d, stop := r.start(func() (*Setup, error) {
		mu.Lock()
		defer mu.Unlock()
		if loadErr != nil {
			return nil, loadErr
		}
		return r.setup(), nil
	})
	waitFor(t, "first cycle", func() bool { return len(r.log.lines(t, "cycle done")) == 1 })
	mu.Lock()
	loadErr = fmt.Errorf("config line 3: interval: want a duration such as 30s, 15m or 1h (sk %s)", testSK)
	mu.Unlock()
	d.Reload()
	waitFor(t, "reload refused", func() bool { return len(r.log.lines(t, "keeping the previous one")) == 1 })
	mu.Lock()
	loadErr = nil
	mu.Unlock()
	d.Reload()
	waitFor(t, "reloaded", func() bool { return len(r.log.lines(t, "configuration reloaded")) == 1 })
	waitFor(t, "cycle after reload", func() bool { return len(r.log.lines(t, "cycle done")) == 2 })
	stop()
	l := r.log.lines(t, "keeping the previous one")[0]
	if e, _ := l["error"].(string); !strings.Contains(e, "config line 3: interval") || strings.Contains(e, testSK) || !strings.Contains(e, "***") {
		t.Errorf("reload error logged as %q (want the line, the secret redacted)", e)
	}
}

func TestDaemonWithoutCredentialsOnlyDiscovers(t *testing.T) {
	r := newRig(t, smsfake.Config{})
	_, stop := r.start(func() (*Setup, error) {
		s := r.setup()
		s.SMS, s.TaskBody = nil, nil
		return s, nil
	})
	waitFor(t, "a cycle", func() bool { return len(r.log.lines(t, "cycle done")) == 1 })
	stop()
	if n := len(r.fake.Requests()); n != 0 {
		t.Errorf("%d SMS requests without credentials", n)
	}
	if len(r.log.lines(t, "checks skipped")) != 1 {
		t.Errorf("the checks step is not logged as skipped")
	}
	if st := r.state(); st.SourceID != "" || st.LayoutDigest == "" || st.LastCycle.Result != ResultOK {
		t.Errorf("state %+v", st)
	}
}

func TestDaemonStartFailsOnBadConfig(t *testing.T) {
	d := New(func() (*Setup, error) { return nil, errors.New("config line 2: want key = value") }, zerolog.Nop(), time.Now, func() float64 { return 0.5 })
	err := d.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "config line 2") {
		t.Errorf("Run: %v", err)
	}
}

// TestDaemonCheckErrorsStopSMS: a check that says ERROR stops the SMS steps of every
// cycle (the inventory is still written and the errors logged); force = true sends.
func TestDaemonCheckErrorsStopSMS(t *testing.T) {
	for _, force := range []bool{false, true} {
		r := newRig(t, smsfake.Config{})
		load := func() (*Setup, error) {
			s := r.setup()
			s.Settings.Force = force
			s.RunChecks = func(_ context.Context, p *sms.Plan, _ sms.HostFacts) []check.Result {
				return []check.Result{{Check: "arch", Level: check.OK, Found: "architecture x86_64"},
					{Check: "grub", Level: check.Error, Code: "SMS.6562", Found: "no GRUB in /boot/grub"}}
			}
			return s, nil
		}
		_, stop := r.start(load)
		waitFor(t, "a cycle", func() bool { st := r.state(); return st.LastCycle != nil })
		stop()
		st := r.state()
		if force {
			if len(r.fake.Sources()) != 1 || len(r.fake.Tasks()) != 1 || st.LastCycle.CheckErrors != 1 {
				t.Errorf("force: %d sources, %d tasks, %d check errors", len(r.fake.Sources()), len(r.fake.Tasks()), st.LastCycle.CheckErrors)
			}
			if !strings.Contains(r.log.String(), `"level":"warn","cycle":1,"check":"grub","code":"SMS.6562","forced":true`) {
				t.Errorf("the forced ERROR is not logged as a warning:\n%s", r.log)
			}
			continue
		}
		if n := len(r.fake.Requests()); n != 0 || st.SourceID != "" || st.LastCycle.CheckErrors != 1 {
			t.Errorf("%d requests sent, source %q, %d check errors; want nothing sent", n, st.SourceID, st.LastCycle.CheckErrors)
		}
		if _, err := os.Stat(filepath.Join(r.dir, InventoryFile)); err != nil {
			t.Errorf("no inventory written: %v", err)
		}
		for _, want := range []string{`"check":"grub","code":"SMS.6562"`, "ERROR SMS.6562 no GRUB in /boot/grub", "nothing sent to SMS: a check said ERROR"} {
			if !strings.Contains(r.log.String(), want) {
				t.Errorf("log lacks %q:\n%s", want, r.log)
			}
		}
	}
}
