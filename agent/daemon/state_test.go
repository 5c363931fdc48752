package daemon

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// SaveState replaces state.json atomically (platform.WriteFile), mode 0600, and leaves
// no temporary file.
func TestSaveStateReplacesAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	for _, id := range []string{"src-1", "src-2"} {
		if err := SaveState(dir, &State{Version: StateVersion, SourceID: id}); err != nil {
			t.Fatal(err)
		}
		st, err := LoadState(dir)
		if err != nil || st.SourceID != id {
			t.Errorf("state %+v, %v; want source %s", st, err, id)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("%d entries in the directory; want 1 (no temporary file left)", len(ents))
	}
	if fi, err := os.Stat(filepath.Join(dir, StateFile)); runtime.GOOS != "windows" && (err != nil || fi.Mode().Perm() != 0o600) {
		t.Errorf("state file mode %v, %v; want 0600", fi.Mode(), err)
	}
}

func TestStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	st, err := LoadState(dir)
	if err != nil || st.Version != StateVersion || st.SourceID != "" {
		t.Fatalf("fresh state %+v, %v", st, err)
	}
	now := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)
	st.SourceID, st.TaskID, st.Cycles = "s1", "t1", 3
	st.Pending = &Pending{Op: "create task", Since: now}
	st.LastCycle = &Cycle{Started: now, Finished: now.Add(time.Second), Result: ResultOK, Disks: 2}
	if err := SaveState(dir, st); err != nil {
		t.Fatal(err)
	}
	got, err := LoadState(dir)
	if err != nil || got.SourceID != "s1" || got.TaskID != "t1" || got.Cycles != 3 || got.Pending.Op != "create task" ||
		!got.LastCycle.Finished.Equal(now.Add(time.Second)) {
		t.Errorf("reloaded %+v, %v", got, err)
	}
	if err := os.WriteFile(filepath.Join(dir, StateFile), []byte(`{"version":99}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadState(dir); err == nil {
		t.Errorf("a newer state format was accepted")
	}
}
