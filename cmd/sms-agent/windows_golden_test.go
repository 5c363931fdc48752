//go:build !lite

package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var updateBodies = flag.Bool("update", false, "rewrite the golden request bodies of testdata/hosts")

// TestGoldenWindowsBodies: the registration and task bodies `source register --dry-run`
// and `task create --dry-run` print for each recorded Windows host (testdata/hosts/win*/,
// see testdata/windows/README.md) are NAME.source.json and NAME.task.json; the warnings
// they print are NAME.warnings. Rewrite with go test ./cmd/sms-agent -run Golden -update.
func TestGoldenWindowsBodies(t *testing.T) {
	hosts, err := filepath.Glob("../../testdata/hosts/win*/sms-capture.json")
	if err != nil || len(hosts) == 0 {
		t.Fatalf("no Windows recordings (%v)", err)
	}
	cfg := filepath.Join(t.TempDir(), "sms.conf")
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, m := range hosts {
		dir := filepath.Dir(m)
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			var warnings bytes.Buffer
			for _, tc := range []struct {
				suffix string
				args   []string
			}{
				// --force: several recordings hold what check stops (BitLocker, a pool's
				// disks, a volume spanning disks); the goldens show what is sent anyway.
				{".source.json", []string{"source", "register", "--dry-run", "--force"}},
				{".task.json", []string{"task", "create", "--dry-run", "--force", "--source-id", "0a1b2c3d-0000-4000-8000-000000000001",
					"--target-name", name + "-migrated"}},
			} {
				args := append(tc.args, "--config", cfg, "--from", dir, "--region", "ap-southeast-3",
					"--project-id", "0123456789abcdef0123456789abcdef")
				var stdout, stderr bytes.Buffer
				a := &app{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Version: "v1.0.0-test",
					Euid: os.Geteuid(), TempDir: t.TempDir()}
				code := run(context.Background(), a, args)
				if code != exitOK && code != exitPartial {
					t.Fatalf("%s: exit %d: %s", strings.Join(tc.args, " "), code, stderr.String())
				}
				warnings.WriteString(fmt.Sprintf("$ sms-agent %s (exit %d)\n%s", strings.Join(tc.args[:2], " "), code, stderr.String()))
				golden(t, dir+tc.suffix, stdout.String())
			}
			golden(t, dir+".warnings", warnings.String())
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *updateBodies {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/sms-agent -run Golden -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}
