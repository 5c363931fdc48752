//go:build linux

package platform

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// spawnLog collects the argv of every child a live probe starts (LiveEnv.Spawned).
type spawnLog struct {
	mu    sync.Mutex
	argvs [][]string
}

func (s *spawnLog) add(argv []string) {
	s.mu.Lock()
	s.argvs = append(s.argvs, argv)
	s.mu.Unlock()
}

func (s *spawnLog) all() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.argvs)
}

// statfsEnv is a live environment with the test binary as the statfs helper and
// coreutils' stat, counting children in log.
func statfsEnv(t *testing.T, log *spawnLog) LiveEnv {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	env := liveEnv()
	env.StatfsHelper = []string{exe, "__statfs"}
	env.StatfsTimeout = 5 * time.Second
	env.Spawned = log.add
	if stat, err := (ExecRunner{}).LookPath("stat"); err == nil {
		env.StatPath = stat
	}
	return env
}

// In-process queries start no child and answer what statfs(2) answers.
func TestLiveStatfsInProcessSpawnsNothing(t *testing.T) {
	var log spawnLog
	p := NewLive(statfsEnv(t, &log))
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	out := StatfsAll(context.Background(), p, []StatfsQuery{
		{Path: "/", Local: true, InProcess: true},
		{Path: dir, InProcess: true},
		{Path: missing, InProcess: true},
	})
	if got := log.all(); len(got) != 0 {
		t.Errorf("children started for in-process queries: %q", got)
	}
	for _, path := range []string{"/", dir} {
		want, err := StatfsDirect(path)
		if err != nil {
			t.Fatal(err)
		}
		o := out[path]
		if o.Stat == nil || o.Stat.Type != want.Type || o.Stat.Bsize != want.Bsize || o.Stat.Blocks != want.Blocks || o.Stat.Blocks == 0 {
			t.Errorf("%s: %+v; statfs(2) says %+v", path, o, want)
		}
	}
	if o := out[missing]; o.Stat != nil || !strings.Contains(o.Err, "no such file") {
		t.Errorf("%s: %+v; want no such file", missing, o)
	}
}

// The same batch split three ways: in-process, coreutils' stat for the Local one, the
// helper for the rest; each child is started once and answers only its own paths. stat
// is found along the search path, as cmd/ leaves it to be.
func TestLiveStatfsSplit(t *testing.T) {
	var log spawnLog
	env := statfsEnv(t, &log)
	if env.StatPath == "" {
		t.Skip("no stat(1) on this machine")
	}
	statPath := env.StatPath
	env.StatPath = ""
	root, local, helper := t.TempDir(), t.TempDir(), t.TempDir()
	out := StatfsAll(context.Background(), NewLive(env), []StatfsQuery{
		{Path: root, InProcess: true},
		{Path: local, Local: true},
		{Path: helper},
	})
	for _, path := range []string{root, local, helper} {
		if o := out[path]; o.Stat == nil || o.Stat.Blocks == 0 {
			t.Errorf("%s: %+v", path, o)
		}
	}
	got := log.all()
	if len(got) != 2 {
		t.Fatalf("children %q; want stat and the helper", got)
	}
	var stat, help []string
	for _, argv := range got {
		switch argv[0] {
		case statPath:
			stat = argv
		case env.StatfsHelper[0]:
			help = argv
		}
	}
	if want := []string{statPath, "-f", "--printf", StatFormat, "--", local}; !slices.Equal(stat, want) {
		t.Errorf("stat argv %q; want %q", stat, want)
	}
	if !slices.Equal(help, env.StatfsHelper) {
		t.Errorf("helper argv %q; want %q", help, env.StatfsHelper)
	}
}

// Commands report their start too; a tool that is not found starts nothing.
func TestSpawnedCommands(t *testing.T) {
	var log spawnLog
	r := ProbeRunner{P: NewLive(statfsEnv(t, &log))}
	ctx := context.Background()
	if _, err := r.Run(ctx, Command{Argv: []string{"sh", "-c", "exit 0"}}); err != nil {
		t.Fatal(err)
	}
	_, _ = r.Run(ctx, Command{Argv: []string{"no-such-tool-sms"}})
	got := log.all()
	if len(got) != 1 || filepath.Base(got[0][0]) != "sh" || !slices.Equal(got[0][1:], []string{"-c", "exit 0"}) {
		t.Errorf("spawned %q; want one sh -c 'exit 0'", got)
	}
}

// A capture keys a statfs by its path alone: how it was asked live is not recorded, so
// captures made before InProcess existed replay unchanged.
func TestStatfsInProcessKeyIsPath(t *testing.T) {
	var log spawnLog
	rec := NewRecorder(NewLive(statfsEnv(t, &log)))
	dir := t.TempDir()
	_ = StatfsAll(context.Background(), rec, []StatfsQuery{{Path: dir, Local: true, InProcess: true}})
	recs, errs := rec.Records()
	if len(errs) != 0 || len(recs[StatfsProbe.Name]) != 1 {
		t.Fatalf("records %v, errors %v", recs, errs)
	}
	if key, want := string(recs[StatfsProbe.Name][0].Key), `"`+dir+`"`; key != want {
		t.Errorf("key %s; want %s", key, want)
	}
	replayed := StatfsAll(context.Background(), NewReplay(recs), []StatfsQuery{{Path: dir}})
	if o := replayed[dir]; o.Stat == nil || o.Stat.Blocks == 0 {
		t.Errorf("replayed: %+v", o)
	}
}
