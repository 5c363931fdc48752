package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// squareQ is a test question with two fields, so that key order matters.
type squareQ struct {
	N    int    `json:"n"`
	Note string `json:"note"`
}

func squareProbe(calls *atomic.Int32) Probe[squareQ, int] {
	return Probe[squareQ, int]{
		Name: "test.square",
		Key:  func(q squareQ) any { return map[string]any{"n": q.N} }, // the note does not change the answer
		Live: func(_ context.Context, _ LiveEnv, qs []squareQ) []Answer[int] {
			calls.Add(1)
			out := make([]Answer[int], len(qs))
			for i, q := range qs {
				switch {
				case q.N < 0:
					out[i].Err = fmt.Errorf("square %d: %w", q.N, errors.ErrUnsupported)
				case q.N == 13:
					out[i] = Answer[int]{Value: 169, Err: fmt.Errorf("square 13: %w after 1s", ErrTimeout)}
				default:
					out[i].Value = q.N * q.N
				}
			}
			return out
		},
	}
}

// TestProbeRecordReplay: what a live probe answered, recorded and encoded as a capture
// holds it, replays to the same values and to errors that match the same sentinels.
func TestProbeRecordReplay(t *testing.T) {
	var calls atomic.Int32
	p := squareProbe(&calls)
	ctx := context.Background()
	rec := NewRecorder(NewLive(LiveEnv{}))
	qs := []squareQ{{N: 3, Note: "a"}, {N: -1}, {N: 13}, {N: 0}, {N: 3, Note: "again"}}
	live := AskAll(ctx, rec, p, qs)
	if calls.Load() != 1 {
		t.Errorf("Live called %d times for one batch", calls.Load())
	}
	recs, errs := rec.Records()
	if len(errs) != 0 || len(recs[p.Name]) != 4 {
		t.Fatalf("records %+v, errors %v; want 4 (the repeated question once)", recs, errs)
	}
	b, err := json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string][]ProbeRecord
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	replayed := AskAll(ctx, NewReplay(back), p, qs)
	for i := range qs {
		l, r := live[i], replayed[i]
		if l.Value != r.Value || (l.Err == nil) != (r.Err == nil) {
			t.Errorf("question %+v: live %v %v, replayed %v %v", qs[i], l.Value, l.Err, r.Value, r.Err)
			continue
		}
		if l.Err != nil && l.Err.Error() != r.Err.Error() {
			t.Errorf("question %+v: replayed error %q; want %q", qs[i], r.Err, l.Err)
		}
	}
	if !errors.Is(replayed[1].Err, errors.ErrUnsupported) || !errors.Is(replayed[2].Err, ErrTimeout) {
		t.Errorf("replayed errors lost their kind: %v, %v", replayed[1].Err, replayed[2].Err)
	}
	if _, err := Ask(ctx, NewReplay(back), p, squareQ{N: 4}); !errors.Is(err, ErrNotRecorded) {
		t.Errorf("unrecorded question: %v; want ErrNotRecorded", err)
	}
	if calls.Load() != 1 {
		t.Errorf("a replay called Live")
	}
}

// TestProbeKeyCanonical: a hand-written capture may order keys and space JSON its own way,
// and a uint64 key must not lose digits on the way.
func TestProbeKeyCanonical(t *testing.T) {
	type q struct {
		A uint64 `json:"a"`
		B string `json:"b"`
	}
	p := Probe[q, string]{Name: "test.keys"}
	recs := map[string][]ProbeRecord{p.Name: {
		{Key: json.RawMessage(` { "b" : "x",  "a": 18446744073709551615 }`), Answer: json.RawMessage(`"max"`)},
		{Key: json.RawMessage(`{"a":18446744073709551614,"b":"x"}`), Answer: json.RawMessage(`"max-1"`)},
	}}
	r := NewReplay(recs)
	for _, tt := range []struct {
		q    q
		want string
	}{{q{A: 1<<64 - 1, B: "x"}, "max"}, {q{A: 1<<64 - 2, B: "x"}, "max-1"}} {
		if got, err := Ask(context.Background(), r, p, tt.q); err != nil || got != tt.want {
			t.Errorf("%+v: %q, %v; want %q", tt.q, got, err, tt.want)
		}
	}
}

func TestProbeWithoutLive(t *testing.T) {
	p := Probe[string, string]{Name: "test.none"}
	if _, err := Ask(context.Background(), NewLive(LiveEnv{}), p, "x"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("probe without Live: %v; want ErrUnsupported", err)
	}
	if _, err := Ask(context.Background(), nil, p, "x"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("nil prober: %v; want ErrUnsupported", err)
	}
}

func TestNewProbeError(t *testing.T) {
	for _, tt := range []struct {
		err  error
		kind string
		code int64
		is   error
	}{
		{fmt.Errorf("open x: %w", fs.ErrNotExist), KindNotExist, 0, fs.ErrNotExist},
		{fmt.Errorf("open x: %w", syscall.Errno(13)), "", 13, nil},
		{fmt.Errorf("lvm: %w", ErrToolUnavailable), KindUnavailable, 0, ErrToolUnavailable},
		{errors.New("plain"), "", 0, nil},
	} {
		e := NewProbeError(tt.err)
		if e.Message != tt.err.Error() || e.Code != tt.code || (tt.kind != "" && e.Kind != tt.kind) {
			t.Errorf("%v: %+v", tt.err, e)
		}
		if tt.is != nil && !errors.Is(e, tt.is) {
			t.Errorf("%v: recorded error is not %v", tt.err, tt.is)
		}
	}
}

// TestManifestV1: the three lists of a version 1 manifest replay through the probes as
// they did through their own replayers.
func TestManifestV1(t *testing.T) {
	m, err := ParseManifest([]byte(`{"format":"sms-agent-capture","version":1,"privileged":true,
	 "commands":[{"argv":["blkid","-p"],"stdout":"TYPE=ext4\n","exit_code":0},
	  {"argv":["lvm","fullreport"],"exit_code":-1,"error":"unavailable"},
	  {"argv":["btrfs","x"],"stdout":"half","exit_code":-1,"error":"timeout"},
	  {"argv":["false"],"stderr":"no\n","exit_code":1}],
	 "statfs":[{"path":"/","stat":{"type":61267,"bsize":4096,"frsize":4096,"blocks":10,"bfree":5,"bavail":4,"files":3,"ffree":2}},
	  {"path":"/mnt/dead","error":"timed out after 2s"}],
	 "btrfs_searches":[{"mount":"/srv","key":{"tree_id":1,"max_offset":18446744073709551615,"nr_items":16},"result":{"nr_items":0,"buf":""}},
	  {"mount":"/x","key":{"tree_id":1},"error":"btrfs tree search on /x: permission denied"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if m.OS != OSLinux {
		t.Errorf("os %q", m.OS)
	}
	ctx := context.Background()
	h := NewHost(NewFS(t.TempDir()), NewReplay(m.Probes), nil)
	if res, err := h.Run.Run(ctx, Command{Argv: []string{"blkid", "-p"}}); err != nil || string(res.Stdout) != "TYPE=ext4\n" {
		t.Errorf("blkid: %+v %v", res, err)
	}
	if _, err := h.Run.Run(ctx, Command{Argv: []string{"lvm", "fullreport"}}); !errors.Is(err, ErrToolUnavailable) {
		t.Errorf("lvm: %v", err)
	}
	if res, err := h.Run.Run(ctx, Command{Argv: []string{"btrfs", "x"}}); !errors.Is(err, ErrTimeout) || string(res.Stdout) != "half" {
		t.Errorf("btrfs: %+v %v", res, err)
	}
	var ee *ExitError
	if _, err := h.Run.Run(ctx, Command{Argv: []string{"false"}}); !errors.As(err, &ee) || ee.Code != 1 {
		t.Errorf("false: %v", err)
	}
	out := StatfsAll(ctx, h.Probes, []StatfsQuery{{Path: "/"}, {Path: "/mnt/dead"}, {Path: "/other"}})
	if o := out["/"]; o.Stat == nil || o.Stat.Blocks != 10 {
		t.Errorf("statfs /: %+v", o)
	}
	if err := out["/mnt/dead"].Error(); !errors.Is(err, ErrTimeout) || err.Error() != "statfs timed out after 2s" {
		t.Errorf("statfs /mnt/dead: %v", err)
	}
	if err := out["/other"].Error(); !errors.Is(err, ErrNotRecorded) {
		t.Errorf("statfs /other: %v", err)
	}
	if _, err := h.BtrfsSearch.BtrfsTreeSearch("/srv", BtrfsSearchKey{TreeID: 1, MaxOffset: 1<<64 - 1, NrItems: 16}); err != nil {
		t.Errorf("search /srv: %v", err)
	}
	if _, err := h.BtrfsSearch.BtrfsTreeSearch("/x", BtrfsSearchKey{TreeID: 1}); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("search /x: %v", err)
	}
	for _, bad := range []string{
		`{"format":"sms-agent-capture","version":3}`,
		`{"format":"sms-agent-capture","version":2,"os":"plan9"}`,
	} {
		if _, err := ParseManifest([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
