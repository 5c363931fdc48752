//go:build e2e

package discover

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sms-agent/sms-agent/collectors/mounts"
)

// selfMounts reads this process's mount table and parses it: its bytes and its entries,
// one per line in order.
func selfMounts(t *testing.T) ([]byte, []mounts.MountInfo) {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := mounts.ParseMountInfo(b)
	if err != nil {
		t.Fatal(err)
	}
	return b, ms
}

// sh runs a command and returns its trimmed stdout; a failure fails the test.
func sh(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := shErr(name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

func shErr(name string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// loopDevice attaches a new sparse file of size MiB and detaches it (with its
// partitions) when the test ends, whatever happened.
func loopDevice(t *testing.T, dir string, mib int) (dev, file string) {
	t.Helper()
	file = filepath.Join(dir, fmt.Sprintf("disk%d.img", len(mustGlob(t, filepath.Join(dir, "disk*.img")))))
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(int64(mib) << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	dev = sh(t, "losetup", "--find", "--show", file)
	t.Cleanup(func() {
		_, _ = shErr("partx", "-d", dev)
		if _, err := shErr("losetup", "-d", dev); err != nil {
			t.Errorf("cleanup: losetup -d %s: %v", dev, err)
		}
	})
	return dev, file
}

func mustGlob(t *testing.T, pattern string) []string {
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// gptLayoutA is the sfdisk script of the GPT disk several tests build on a 640 MiB loop
// device: an ESP, a named Linux partition, a Linux partition and Linux swap.
const gptLayoutA = `label: gpt
size=64MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI System"
size=128MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root fs"
size=320MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
size=32MiB, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F
`

// partition writes an sfdisk script to dev and makes the kernel add the partitions
// (this kernel does not scan loop devices itself).
func partition(t *testing.T, dev, script string) {
	t.Helper()
	cmd := exec.Command("sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", dev)
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk %s: %v: %s", dev, err, out)
	}
	sh(t, "partx", "-a", dev)
}

// mount mounts dev at dir (created) and unmounts it when the test ends.
func mount(t *testing.T, dev, dir string, opts ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sh(t, "mount", append(opts, dev, dir)...)
	t.Cleanup(func() {
		if _, err := shErr("umount", dir); err != nil {
			if _, err2 := shErr("umount", "-l", dir); err2 != nil {
				t.Errorf("cleanup: umount %s: %v", dir, err)
			}
		}
	})
}

// treeDigest hashes every regular file below root (path and content).
func treeDigest(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		out[p] = fileDigest(p)
		return nil
	})
	return out
}

func fileDigest(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unreadable: " + err.Error()
	}
	return hex.EncodeToString(h.Sum(nil))
}

func diffDigests(before, after map[string]string) []string {
	var out []string
	for p, d := range before {
		if a, ok := after[p]; !ok {
			out = append(out, "removed "+p)
		} else if a != d {
			out = append(out, "changed "+p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			out = append(out, "created "+p)
		}
	}
	sort.Strings(out)
	return out
}

// blkidProbe probes one device independently of the agent.
func blkidProbe(t *testing.T, dev string) map[string]string {
	t.Helper()
	out, err := shErr("blkid", "-c", "/dev/null", "-p", "-o", "export", dev)
	if err != nil && !strings.Contains(err.Error(), "exit status 2") {
		t.Fatalf("blkid %s: %v", dev, err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = strings.ReplaceAll(v, `\ `, " ")
		}
	}
	return m
}

var recordHosts = flag.Bool("record-hosts", false, "also capture each layout into testdata/hosts (then run the inventory golden tests with -update)")

// recordHost captures the current layout as testdata/hosts/NAME.tar.gz, with the
// devices it was taken with in NAME.devices, when -record-hosts is given.
func recordHost(t *testing.T, name string, devices ...string) {
	t.Helper()
	if !*recordHosts {
		return
	}
	base := filepath.Join("..", "..", "testdata", "hosts", name)
	_, stderr, code := agentRun(t, "capture", "--out", base+".tar.gz", "--devices", strings.Join(devices, ","))
	if code != 0 && code != 3 {
		t.Fatalf("capture %s: exit %d: %s", name, code, stderr)
	}
	if err := os.WriteFile(base+".devices", []byte(strings.Join(devices, ",")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base+".tar.gz", 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s.tar.gz", base)
}
