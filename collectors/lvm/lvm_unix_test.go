//go:build unix

// Tests that run a stand-in lvm script: they need a Unix shell.

package lvm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sms-agent/sms-agent/platform"
)

// TestReadExecTimeout runs a real process through platform.ExecRunner: an "lvm" that
// sleeps as lvm does while it waits for a VG lock.
func TestReadExecTimeout(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "lvm"), []byte("#!/bin/sh\necho '  Waiting for lock on VG vg0' >&2\nexec sleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := platform.ExecRunner{SearchPath: []string{dir}, Env: []string{"PATH=/usr/bin:/bin"}}
	start := time.Now()
	_, res, err := Read(context.Background(), r, 300*time.Millisecond)
	if !errors.Is(err, platform.ErrTimeout) {
		t.Fatalf("error %v; want ErrTimeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Read took %s", d)
	}
	if !strings.Contains(string(res.Stderr), "Waiting for lock") {
		t.Errorf("stderr %q not kept", res.Stderr)
	}
}

// TestReadExecEarly: a real process that prints a whole report and then lingers, as
// lvm does while the kernel tears down its AIO context, is answered without waiting
// for its exit; one that prints half a report is waited for (and here times out).
func TestReadExecEarly(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	dir := t.TempDir()
	rec := loadCase(t, "basic")
	full := filepath.Join(dir, "full.json")
	half := filepath.Join(dir, "half.json")
	if err := os.WriteFile(full, []byte(rec.Stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(half, []byte(rec.Stdout[:len(rec.Stdout)/2]), 0o644); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\necho '  dm diagnostics' >&2\ncat \"$SMS_TEST_REPORT\"\nexec sleep 30\n"
	if err := os.WriteFile(filepath.Join(dir, "lvm"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		report string
		early  bool
	}{{full, true}, {half, false}} {
		r := platform.ExecRunner{SearchPath: []string{dir}, Env: []string{"PATH=/usr/bin:/bin", "SMS_TEST_REPORT=" + tc.report}}
		timeout := 5 * time.Second // never reached when the report is taken early
		if !tc.early {
			timeout = 300 * time.Millisecond
		}
		rep, res, err := Read(context.Background(), r, timeout)
		if !tc.early {
			if !errors.Is(err, platform.ErrTimeout) || res.Early {
				t.Errorf("half report: error %v, early %v; want a timeout", err, res.Early)
			}
			continue
		}
		if err != nil {
			t.Fatalf("whole report: %v", err)
		}
		if !res.Early || len(rep.VGs) != 1 || rep.VGs[0].Name != "smsatest_2c3b541d" {
			t.Errorf("whole report: early %v, VGs %+v", res.Early, rep.VGs)
		}
		if !strings.Contains(string(res.Stderr), "dm diagnostics") {
			t.Errorf("stderr printed before the report was lost: %q", res.Stderr)
		}
	}
}
