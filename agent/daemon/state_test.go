package daemon

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteFileAtomicReplacesAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	for _, content := range []string{"first\n", "second\n"} {
		if err := WriteFileAtomic(p, func(w io.Writer) error { _, err := io.WriteString(w, content); return err }); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != content {
			t.Errorf("content %q; want %q", b, content)
		}
	}
	// A failed write leaves the old file and no temporary file.
	boom := errors.New("boom")
	if err := WriteFileAtomic(p, func(w io.Writer) error { _, _ = io.WriteString(w, "partial"); return boom }); !errors.Is(err, boom) {
		t.Errorf("err %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "second\n" {
		t.Errorf("after a failed write: %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d entries in the directory; want 1 (no temporary file left)", len(ents))
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
