package daemon

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sms-agent/sms-agent/agent/sms"
	"github.com/sms-agent/sms-agent/agent/smsfake"
)

// TestFleet runs 500 daemons, started in the same instant, against one fake SMS on loopback that answers 429
// past 200 requests a second, each daemon with its own state directory, SMS client
// (AK/SK-signed HTTP) and a 2 s interval. Every daemon must register its source and
// create its task exactly once; then, the layouts unchanged, the fleet must go quiet.
// It logs the peak request rate, the 429s and how long the fleet took (README.md,
// "Fleets"). `go test -short` skips it.
func TestFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("the fleet test takes about 20 s")
	}
	if runtime.GOOS == "windows" {
		// It tests SMS's side (500 daemons' requests against a rate limit), the same
		// code on every OS; under Wine it does not finish in its 2 minutes.
		t.Skip("the fleet test runs on Linux only (it tests the SMS side; under Wine it takes over 2 minutes)")
	}
	// The limit is low enough that the fleet hits it however slow the machine (the
	// race detector halves the daemons' pace).
	const n, limit = 500, 100
	fake := smsfake.New(smsfake.Config{AK: testAK, SK: testSK, ProjectID: testProject, RateLimit: limit})
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	base := loadInventory(t)
	root := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	dirs := make([]string, n)
	t0 := time.Now()
	for i := 0; i < n; i++ {
		dirs[i] = filepath.Join(root, fmt.Sprintf("host%03d", i))
		inv := *base
		inv.Host.Hostname = fmt.Sprintf("fleet-%03d", i)
		h := &host{inv: &inv}
		c := newClient(t, srv.URL)
		c.Timeout = 10 * time.Second
		c.Retry = sms.RetryPolicy{Attempts: 5, Base: 200 * time.Millisecond, MaxWait: 5 * time.Second, Budget: 30 * time.Second}
		setup := &Setup{
			Settings: Settings{Interval: 2 * time.Second, Register: true, CreateTask: true, LogLevel: zerolog.WarnLevel,
				StateDir: dirs[i], BackoffMin: time.Second, BackoffMax: 8 * time.Second},
			Discover: h.discover, Plan: plan, SourceBody: sourceBody("fleet"),
			TaskBody: taskBody, SMS: c, Settle: 12 * time.Second,
		}
		d := New(func() (*Setup, error) { return setup, nil }, zerolog.Nop(), time.Now, rng(uint64(i)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := d.Run(ctx); err != nil {
				t.Errorf("daemon %d: %v", i, err)
			}
		}()
	}
	done := func() int {
		k := 0
		for _, dir := range dirs {
			if st, err := LoadState(dir); err == nil && st.TaskID != "" {
				k++
			}
		}
		return k
	}
	deadline := time.Now().Add(2 * time.Minute)
	for done() < n {
		if time.Now().After(deadline) {
			cancel()
			wg.Wait()
			t.Fatalf("after 2 min only %d of %d daemons have their task; fake: %+v", done(), n, fake.Stats())
		}
		time.Sleep(200 * time.Millisecond)
	}
	settled := time.Since(t0)
	busy := fake.Stats()
	// Three more intervals: nothing changed, so nothing is sent.
	time.Sleep(6 * time.Second)
	cancel()
	wg.Wait()
	st := fake.Stats()
	t.Logf("fleet: %d daemons, rate limit %d/s: all registered with a task after %v; %d requests, peak %d/s, %d answered 429; %d requests in the 6 s after",
		n, limit, settled.Round(100*time.Millisecond), busy.Requests, busy.PeakPerSec, busy.Limited, st.Requests-busy.Requests)

	names := map[string]int{}
	for _, s := range fake.Sources() {
		names[s.Name]++
	}
	perSource := map[string]int{}
	for _, tk := range fake.Tasks() {
		perSource[tk.SourceID]++
	}
	if len(fake.Sources()) != n || len(names) != n || len(fake.Tasks()) != n || len(perSource) != n {
		t.Errorf("%d sources (%d names), %d tasks (%d sources with one); want %d of each", len(fake.Sources()), len(names), len(fake.Tasks()), len(perSource), n)
	}
	for name, k := range names {
		if k != 1 {
			t.Errorf("%s registered %d times", name, k)
		}
	}
	if busy.Limited == 0 {
		t.Errorf("no 429: the rate limit was never reached, the test shows nothing")
	}
	// Each daemon needs 4 requests (look up and register the source, look up and
	// create the task); 429s cost more, but a fleet that hammers the limit in a tight
	// loop would send thousands a second, far more than 6 times that in all, or 4 times
	// the limit on average.
	if st.Requests > 6*4*n {
		t.Errorf("%d requests for %d daemons: the daemons do not back off", st.Requests, n)
	}
	if rate := float64(busy.Requests) / settled.Seconds(); rate > 4*limit {
		t.Errorf("%.0f requests a second on average against a limit of %d: the daemons do not back off", rate, limit)
	}
	if quiet := st.Requests - busy.Requests; quiet > n/10 {
		t.Errorf("%d requests in the 6 s after every daemon was done; want (almost) none", quiet)
	}
}

// rng is a deterministic jitter source per daemon.
func rng(seed uint64) func() float64 {
	var mu sync.Mutex
	x := seed*2654435761 + 1
	return func() float64 {
		mu.Lock()
		defer mu.Unlock()
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return float64(x%1000000) / 1000000
	}
}
