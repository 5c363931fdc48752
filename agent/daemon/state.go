package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/sms-agent/sms-agent/platform"
)

// File names in the state directory.
const (
	StateFile     = "state.json"
	InventoryFile = "inventory.json"
)

// StateVersion is the state file's format; a newer one is refused, not overwritten.
const StateVersion = 1

// State is what the daemon remembers across restarts (state.json): what it created in
// SMS, so that a restart never registers or creates twice, the last layout, and how
// the last cycle went (`sms-agent service status` prints it).
type State struct {
	Version    int    `json:"version"`
	SourceID   string `json:"source_id,omitempty"`
	SourceName string `json:"source_name,omitempty"`
	TaskID     string `json:"task_id,omitempty"`
	// Layout is the disk layout of the last discovery; LayoutDigest its digest.
	Layout       *Layout `json:"layout,omitempty"`
	LayoutDigest string  `json:"layout_digest,omitempty"`
	// ReportedDigest is the digest of the layout SMS holds ("" unknown: the source was
	// found, not registered by this daemon).
	ReportedDigest string `json:"reported_digest,omitempty"`
	// NotSentDigest is the layout last logged as "not sent" (the source was not
	// waiting), so that the line is not repeated every cycle.
	NotSentDigest string `json:"not_sent_digest,omitempty"`
	Cycles        int    `json:"cycles"`
	LastCycle     *Cycle `json:"last_cycle,omitempty"`
	// Pending is a create (source or task) sent and not yet answered. When the
	// daemon died meanwhile, its request may still be working in SMS: the next run
	// waits for it to settle before it looks for what it made (see Setup.Settle).
	Pending *Pending `json:"pending,omitempty"`
}

// Pending is an SMS create in flight.
type Pending struct {
	Op    string    `json:"op"` // "register source" or "create task"
	Since time.Time `json:"since"`
}

// Cycle is the outcome of one discovery cycle.
type Cycle struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Result: ok, warnings (discovery could not read something), sms-failed (SMS could
	// not be reached or refused; retried with backoff) or failed (discovery failed).
	Result   string `json:"result"`
	Error    string `json:"error,omitempty"`
	Warnings int    `json:"warnings"`
	// CheckErrors counts the checks that said ERROR (nothing is sent then, unless force).
	CheckErrors int       `json:"check_errors,omitempty"`
	Disks       int       `json:"disks"`
	Changes     []string  `json:"changes,omitempty"`
	Next        time.Time `json:"next"`
}

// Cycle results.
const (
	ResultOK        = "ok"
	ResultWarnings  = "warnings"
	ResultSMSFailed = "sms-failed"
	ResultFailed    = "failed"
)

// LoadState reads dir/state.json; a missing file is a fresh state.
func LoadState(dir string) (*State, error) {
	path := filepath.Join(dir, StateFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &State{Version: StateVersion}, nil
	}
	if err != nil {
		return nil, err
	}
	st := new(State)
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("%s: not a state file: %w", path, err)
	}
	if st.Version > StateVersion {
		return nil, fmt.Errorf("%s: format %d is newer than this agent's (%d)", path, st.Version, StateVersion)
	}
	st.Version = StateVersion
	return st, nil
}

// SaveState writes dir/state.json by platform.WriteFile's rule (atomically, mode
// 0600). It is not cancelled with the daemon: the state of a stop is kept too.
func SaveState(dir string, st *State) error {
	return platform.WriteFile(context.Background(), filepath.Join(dir, StateFile), 0o600, nil, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	})
}
