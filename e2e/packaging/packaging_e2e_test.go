//go:build e2e

// Package packaging tests the .deb and .rpm that `make package` builds: their metadata
// and file lists, the systemd unit (systemd-analyze verify), and the .deb installed for
// real on this machine through its SysV path (no systemd here) — install, start,
// status, inventory, upgrade, stop, purge — then `sms-agent service install` (the
// kardianos/service path) and the Ansible role against localhost.
//
// This installs into the real /usr/bin, /etc and /var/lib of the machine. It refuses
// to run when anything of sms-agent is already there, and removes all it installed,
// also when it fails.
package packaging

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sms-agent/sms-agent/agent/daemon"
	"github.com/sms-agent/sms-agent/agent/smsfake"
)

const (
	testAK      = "E2EPKGAKVALUE1234"
	testSK      = "E2EPKGSKsecretVALUE9876"
	testProject = "0123456789abcdef0123456789abcdef"
)

// Everything of sms-agent on a host; none may exist before the test, none after.
var footprint = []string{
	"/usr/bin/sms-agent", "/usr/bin/sms-agent-full", "/etc/sms-agent", "/etc/init.d/sms-agent", "/etc/logrotate.d/sms-agent",
	"/lib/systemd/system/sms-agent.service", "/etc/systemd/system/sms-agent.service",
	"/etc/systemd/system/multi-user.target.wants/sms-agent.service",
	"/var/lib/sms-agent", "/var/log/sms-agent.log", "/var/run/sms-agent.pid", "/usr/share/doc/sms-agent",
}

func rcLinks() []string {
	l, _ := filepath.Glob("/etc/rc[0-6S].d/[SK][0-9][0-9]sms-agent")
	return l
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := runErr(name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func runErr(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "DEBIAN_FRONTEND=noninteractive")
	cmd.Stdin = nil
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	return b.String(), err
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// refuseIfPresent fails when sms-agent is on this machine already: the test must not
// touch what it did not install.
func refuseIfPresent(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the packaging e2e test installs packages: run `sudo make e2e`")
	}
	if out, err := runErr("dpkg-query", "-W", "-f=${Status}", "sms-agent"); err == nil && strings.Contains(out, "installed") {
		t.Fatalf("sms-agent is installed on this machine (%s): refusing to install over it", out)
	}
	for _, p := range append(footprint, rcLinks()...) {
		if exists(p) {
			t.Fatalf("%s exists: sms-agent (or part of it) is on this machine already; refusing to run", p)
		}
	}
}

// cleanup removes everything an sms-agent install leaves, whatever state the test
// stopped in; it runs only after refuseIfPresent found nothing, so all of it is ours.
func cleanup(t *testing.T) {
	if out, err := runErr("/etc/init.d/sms-agent", "stop"); err != nil && exists("/etc/init.d/sms-agent") {
		t.Logf("cleanup: stop: %v %s", err, out)
	}
	if b, err := os.ReadFile("/var/run/sms-agent.pid"); err == nil {
		_, _ = runErr("kill", "-KILL", strings.TrimSpace(string(b)))
	}
	if out, err := runErr("dpkg-query", "-W", "-f=${Status}", "sms-agent"); err == nil && out != "" && !strings.Contains(out, "not-installed") {
		if out, err := runErr("dpkg", "--purge", "sms-agent"); err != nil {
			t.Errorf("cleanup: dpkg --purge: %v\n%s", err, out)
		}
	}
	_, _ = runErr("update-rc.d", "sms-agent", "remove")
	for _, l := range rcLinks() {
		os.Remove(l)
	}
	for _, p := range footprint {
		os.RemoveAll(p)
	}
	for _, p := range []string{"/var/log/sms-agent.log.1", "/var/log/sms-agent.log.2.gz"} {
		os.Remove(p)
	}
}

func assertNothingLeft(t *testing.T, when string) {
	t.Helper()
	for _, p := range append(footprint, rcLinks()...) {
		if exists(p) {
			t.Errorf("%s: %s is left behind", when, p)
		}
	}
	if out, _ := runErr("pgrep", "-f", "sms-agent(-full)? service run"); strings.TrimSpace(out) != "" {
		t.Errorf("%s: a daemon still runs: pid %s", when, out)
	}
}

// build makes the packages with `make package` (version v) and returns dist/.
func build(t *testing.T, root, version string) string {
	t.Helper()
	cmd := exec.Command("make", "-C", root, "package", "PKG_VERSION="+version)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make package: %v\n%s", err, out)
	}
	return filepath.Join(root, "dist")
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		t.Fatal(err)
	}
	return dst
}

type fakeSMS struct {
	*smsfake.Server
	url string
}

func startFake(t *testing.T) *fakeSMS {
	f := smsfake.New(smsfake.Config{AK: testAK, SK: testSK, ProjectID: testProject})
	srv := httptest.NewServer(f.Handler())
	t.Cleanup(srv.Close)
	return &fakeSMS{Server: f, url: srv.URL}
}

// conf is a service config against the fake. force: the test machine is no migration
// source (no GRUB, no initramfs), so its checks say ERROR and the service would send
// nothing without it.
func (f *fakeSMS) conf(extra string) string {
	return "endpoint = " + f.url + "\nregion = ap-southeast-3\nproject_id = " + testProject + "\nak = " + testAK +
		"\nsk = " + testSK + "\ninterval = 2s\nname = e2e-pkg\nforce = true\n" + extra
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile("/var/log/sms-agent.log")
			t.Fatalf("timed out after %v waiting for %s; /var/log/sms-agent.log:\n%s", timeout, what, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// policyDenies reports whether this host's policy-rc.d forbids invoke-rc.d to restart
// services (exit 101).
func policyDenies() bool {
	if _, err := os.Stat("/usr/sbin/policy-rc.d"); err != nil {
		return false
	}
	err := exec.Command("/usr/sbin/policy-rc.d", "sms-agent", "restart").Run()
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() == 101
}

func daemonPID(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/var/run/sms-agent.pid")
	if err != nil {
		t.Fatalf("no pid file: %v", err)
	}
	return strings.TrimSpace(string(b))
}

func TestPackages(t *testing.T) {
	refuseIfPresent(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dist := build(t, root, "1.0.0~e2e1")
	deb1 := copyFile(t, filepath.Join(dist, "sms-agent_1.0.0~e2e1_amd64.deb"), filepath.Join(dir, "v1.deb"), 0o644)
	for _, f := range []string{"sms-agent_1.0.0~e2e1_arm64.deb", "sms-agent-1.0.0~e2e1-1.x86_64.rpm", "sms-agent-1.0.0~e2e1-1.aarch64.rpm", "sms-agent_1.0.0~e2e1_windows_amd64.zip"} {
		copyFile(t, filepath.Join(dist, f), filepath.Join(dir, f), 0o644)
	}
	dist = build(t, root, "1.0.0~e2e2")
	deb2 := copyFile(t, filepath.Join(dist, "sms-agent_1.0.0~e2e2_amd64.deb"), filepath.Join(dir, "v2.deb"), 0o644)

	t.Run("metadata", func(t *testing.T) { checkMetadata(t, dir, deb1) })
	t.Cleanup(func() { cleanup(t); assertNothingLeft(t, "after the test") })
	t.Run("deb-sysv", func(t *testing.T) { installUpgradePurge(t, deb1, deb2) })
	t.Run("service-install", func(t *testing.T) {
		serviceInstall(t, filepath.Join(root, "bin", "sms-agent-linux-amd64"), filepath.Join(root, "bin", "sms-agent-full-linux-amd64"), dir)
	})
	t.Run("ansible", func(t *testing.T) { ansibleRole(t, root, deb1, dir) })
}

func checkMetadata(t *testing.T, dir, deb string) {
	info := run(t, "dpkg-deb", "-I", deb)
	for _, re := range []string{`Package: sms-agent\n`, `Version: 1\.0\.0~e2e1\n`, `Architecture: amd64\n`, `Recommends: lvm2, btrfs-progs\n`,
		`(?s)conffiles.*postinst.*postrm.*prerm`} {
		if !regexp.MustCompile(re).MatchString(info) {
			t.Errorf("dpkg-deb -I lacks %s:\n%s", re, info)
		}
	}
	conffiles := run(t, "dpkg-deb", "-f", deb, "Package") // the control field works
	if strings.TrimSpace(conffiles) != "sms-agent" {
		t.Errorf("dpkg-deb -f Package: %q", conffiles)
	}
	ctl := t.TempDir()
	run(t, "dpkg-deb", "-e", deb, ctl)
	cf, _ := os.ReadFile(filepath.Join(ctl, "conffiles"))
	for _, want := range []string{"/etc/sms-agent/sms.conf", "/etc/init.d/sms-agent", "/etc/logrotate.d/sms-agent"} {
		if !strings.Contains(string(cf), want+"\n") {
			t.Errorf("conffiles lacks %s:\n%s", want, cf)
		}
	}
	list := run(t, "dpkg-deb", "-c", deb)
	for _, re := range []string{
		`-rwxr-xr-x root/root +\d+ \S+ \S+ \./usr/bin/sms-agent\n`,
		`-rwxr-xr-x root/root +\d+ \S+ \S+ \./usr/bin/sms-agent-full\n`,
		`-rw-r--r-- root/root +\d+ \S+ \S+ \./lib/systemd/system/sms-agent\.service\n`,
		`-rwxr-xr-x root/root +\d+ \S+ \S+ \./etc/init\.d/sms-agent\n`,
		`-rw-r--r-- root/root +\d+ \S+ \S+ \./etc/logrotate\.d/sms-agent\n`,
		`-rw------- root/root +\d+ \S+ \S+ \./etc/sms-agent/sms\.conf\n`,
		`drwx------ root/root +0 \S+ \S+ \./var/lib/sms-agent/\n`,
	} {
		if !regexp.MustCompile(re).MatchString(list) {
			t.Errorf("dpkg-deb -c lacks %s:\n%s", re, list)
		}
	}
	if arm := run(t, "dpkg-deb", "-f", filepath.Join(dir, "sms-agent_1.0.0~e2e1_arm64.deb"), "Architecture"); strings.TrimSpace(arm) != "arm64" {
		t.Errorf("arm64 deb: Architecture %q", arm)
	}
	for arch, file := range map[string]string{"x86_64": "sms-agent-1.0.0~e2e1-1.x86_64.rpm", "aarch64": "sms-agent-1.0.0~e2e1-1.aarch64.rpm"} {
		rpm := filepath.Join(dir, file)
		info := run(t, "rpm", "-qip", rpm)
		for _, re := range []string{`Name +: sms-agent\n`, `Version +: 1\.0\.0~e2e1\n`, `Architecture: ` + arch + `\n`} {
			if !regexp.MustCompile(re).MatchString(info) {
				t.Errorf("rpm -qip %s lacks %s:\n%s", file, re, info)
			}
		}
		files := run(t, "rpm", "-qlp", rpm)
		for _, want := range []string{"/usr/bin/sms-agent", "/usr/bin/sms-agent-full", "/usr/lib/systemd/system/sms-agent.service", "/etc/init.d/sms-agent",
			"/etc/logrotate.d/sms-agent", "/etc/sms-agent/sms.conf", "/var/lib/sms-agent"} {
			if !strings.Contains(files, want+"\n") {
				t.Errorf("rpm -qlp %s lacks %s:\n%s", file, want, files)
			}
		}
		if cfg := run(t, "rpm", "-qcp", rpm); !strings.Contains(cfg, "/etc/sms-agent/sms.conf\n") {
			t.Errorf("rpm -qcp: sms.conf is not a config file:\n%s", cfg)
		}
		if sc := run(t, "rpm", "-qp", "--scripts", rpm); !strings.Contains(sc, "postinstall scriptlet") || !strings.Contains(sc, "preuninstall scriptlet") {
			t.Errorf("rpm --scripts:\n%s", sc)
		}
		if dump := run(t, "rpm", "-qp", "--dump", rpm); !regexp.MustCompile(`/etc/sms-agent/sms\.conf \d+ \d+ \S+ 0100600 root root 1 `).MatchString(dump) {
			t.Errorf("rpm: sms.conf is not a 0600 config file:\n%s", dump)
		}
	}
	zip := run(t, "unzip", "-l", filepath.Join(dir, "sms-agent_1.0.0~e2e1_windows_amd64.zip"))
	for _, want := range []string{"sms-agent.exe", "README.txt", "sms.conf.example"} {
		if !strings.Contains(zip, want) {
			t.Errorf("windows zip lacks %s:\n%s", want, zip)
		}
	}
}

func installUpgradePurge(t *testing.T, deb1, deb2 string) {
	fake := startFake(t)
	run(t, "dpkg", "-i", deb1)
	if links := rcLinks(); len(links) == 0 {
		t.Errorf("install: no /etc/rc?.d links (update-rc.d defaults)")
	}
	if exists("/var/run/sms-agent.pid") {
		t.Errorf("install started the service; it must wait for its configuration")
	}
	// The unit, verified where the binary it names now exists.
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Errorf("systemd-analyze is not installed (.ci/run installs systemd)")
	} else if out, err := runErr("systemd-analyze", "verify", "/lib/systemd/system/sms-agent.service"); err != nil {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	conf := fake.conf("")
	if err := os.WriteFile("/etc/sms-agent/sms.conf", []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := run(t, "sms-agent", "config", "check"); !strings.Contains(out, "ok;") {
		t.Errorf("config check: %s", out)
	}
	run(t, "service", "sms-agent", "start")
	st := run(t, "sms-agent", "service", "status")
	if !strings.HasPrefix(st, "service:     running (unix-systemv)\n") {
		t.Errorf("service status after start:\n%s", st)
	}
	waitFor(t, "inventory and registration", 30*time.Second, func() bool {
		s, err := daemon.LoadState("/var/lib/sms-agent")
		return err == nil && s.SourceID != "" && exists("/var/lib/sms-agent/inventory.json")
	})
	var inv map[string]any
	if b, err := os.ReadFile("/var/lib/sms-agent/inventory.json"); err != nil || json.Unmarshal(b, &inv) != nil || inv["schema_version"] == nil {
		t.Errorf("inventory.json: %v", err)
	}
	if fi, err := os.Stat("/var/lib/sms-agent"); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("/var/lib/sms-agent: %v %v", fi.Mode(), err)
	}
	log, _ := os.ReadFile("/var/log/sms-agent.log")
	first, _, _ := strings.Cut(string(log), "\n")
	var line map[string]any
	if json.Unmarshal([]byte(first), &line) != nil || !strings.HasPrefix(fmt.Sprint(line["message"]), "daemon started") {
		t.Errorf("the SysV log's first line is not the daemon's JSON start line: %q", first)
	}
	if bytes.Contains(log, []byte(testSK)) || bytes.Contains(log, []byte(testAK)) {
		t.Errorf("a secret is in /var/log/sms-agent.log")
	}

	// A version before the lite front ran its one binary as /usr/bin/sms-agent: stop
	// ours and start the complete agent there, as that version's script did. The upgrade
	// must still see it running (its /proc/PID/exe then reads "/usr/bin/sms-agent
	// (deleted)") and restart it on /usr/bin/sms-agent-full.
	run(t, "service", "sms-agent", "stop")
	oldInit := filepath.Join(t.TempDir(), "sms-agent.init-before-front")
	script, err := os.ReadFile("/etc/init.d/sms-agent")
	if err != nil {
		t.Fatal(err)
	}
	oldScript := strings.Replace(string(script), "DAEMON=/usr/bin/sms-agent-full\n", "DAEMON=/usr/bin/sms-agent\n", 1)
	if oldScript == string(script) {
		t.Fatalf("/etc/init.d/sms-agent has no line DAEMON=/usr/bin/sms-agent-full")
	}
	if err := os.WriteFile(oldInit, []byte(oldScript), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, "/usr/bin/sms-agent-full", "/usr/bin/sms-agent.tmp", 0o755)
	if err := os.Rename("/usr/bin/sms-agent.tmp", "/usr/bin/sms-agent"); err != nil {
		t.Fatal(err)
	}
	run(t, oldInit, "start")
	if exe, _ := os.Readlink("/proc/" + daemonPID(t) + "/exe"); exe != "/usr/bin/sms-agent" {
		t.Fatalf("the daemon as a version before the front ran it: %q", exe)
	}

	// Upgrade: the config is kept, the running service restarts on the new binary.
	pid1 := daemonPID(t)
	out := run(t, "dpkg", "-i", deb2)
	if b, _ := os.ReadFile("/etc/sms-agent/sms.conf"); string(b) != conf {
		t.Errorf("upgrade changed sms.conf:\n%s", b)
	}
	if policyDenies() {
		// This host's policy-rc.d forbids maintainer scripts to start services (as
		// Docker images do): postinst must say so and leave the old daemon running;
		// the restart is then the operator's.
		if !strings.Contains(out, "policy-rc.d forbids restarting services") {
			t.Errorf("upgrade under a denying policy-rc.d: no notice in dpkg's output:\n%s", out)
		}
		if daemonPID(t) != pid1 {
			t.Errorf("the daemon was restarted although policy-rc.d forbids it")
		}
		// Then the same upgrade as on a host whose policy allows it: reinstalling
		// re-runs postinst as an upgrade, with an invoke-rc.d first in PATH that
		// runs the init script as invoke-rc.d does when policy-rc.d allows.
		stub := t.TempDir()
		if err := os.WriteFile(filepath.Join(stub, "invoke-rc.d"), []byte("#!/bin/sh\n# policy allows: run the action\n[ \"$1\" = --disclose-deny ] && shift\nexec /etc/init.d/\"$1\" \"$2\"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("dpkg", "-i", deb2)
		cmd.Env = append(os.Environ(), "PATH="+stub+":"+os.Getenv("PATH"), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("dpkg -i (reinstall, policy allowing): %v\n%s", err, out)
		}
	}
	pid2 := daemonPID(t)
	if pid2 == pid1 {
		t.Errorf("upgrade did not restart the service (pid %s)", pid1)
	}
	if exe, _ := os.Readlink("/proc/" + pid2 + "/exe"); exe != "/usr/bin/sms-agent-full" {
		t.Errorf("after the upgrade pid %s runs %q", pid2, exe)
	}
	if v := run(t, "dpkg-query", "-W", "-f=${Version}", "sms-agent"); v != "1.0.0~e2e2" {
		t.Errorf("installed version %q", v)
	}
	if !strings.HasPrefix(run(t, "sms-agent", "service", "status"), "service:     running") {
		t.Errorf("not running after the upgrade")
	}
	waitFor(t, "a cycle of the upgraded daemon", 20*time.Second, func() bool {
		s, err := daemon.LoadState("/var/lib/sms-agent")
		return err == nil && s.LastCycle != nil && s.LastCycle.Finished.After(time.Now().Add(-3*time.Second))
	})
	if n := len(fake.Sources()); n != 1 {
		t.Errorf("%d sources after the upgrade; want 1 (the state was kept)", n)
	}

	// Stop: within 5 s, then status says stopped.
	t0 := time.Now()
	run(t, "service", "sms-agent", "stop")
	if took := time.Since(t0); took > 5*time.Second {
		t.Errorf("stop took %v", took)
	}
	if out, err := runErr("sms-agent", "service", "status"); err == nil || !strings.HasPrefix(out, "service:     stopped (unix-systemv)") {
		t.Errorf("status after stop (%v):\n%s", err, out)
	}
	if strings.Contains(string(log), `"level":"error"`) {
		t.Errorf("errors in the log:\n%s", log)
	}

	// Purge: nothing is left.
	run(t, "dpkg", "--purge", "sms-agent")
	assertNothingLeft(t, "after purge")
}

// serviceInstall: `sms-agent service install` on this SysV machine writes the same
// script (kardianos/service), starts and stops it, and uninstall removes it all. The
// lite sms-agent hands the service commands to sms-agent-full beside it, so the script
// runs sms-agent-full.
func serviceInstall(t *testing.T, bin, fullBin, dir string) {
	fake := startFake(t)
	exe, full := filepath.Join(dir, "sms-agent"), filepath.Join(dir, "sms-agent-full")
	copyFile(t, bin, exe, 0o755)
	copyFile(t, fullBin, full, 0o755)
	conf := filepath.Join(dir, "sms.conf")
	if err := os.WriteFile(conf, []byte(fake.conf("state_dir = "+filepath.Join(dir, "state")+"\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_, _ = runErr("/etc/init.d/sms-agent", "stop")
		_, _ = runErr(exe, "service", "uninstall")
	}()
	run(t, exe, "service", "install", "--config", conf)
	script, err := os.ReadFile("/etc/init.d/sms-agent")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), "DAEMON="+full+"\n") || !strings.Contains(string(script), `DAEMON_ARGS="service run --config `+conf+` "`) {
		t.Errorf("installed script does not run %s --config %s:\n%s", full, conf, script)
	}
	run(t, exe, "service", "start")
	if st := run(t, exe, "service", "status", "--config", conf); !strings.HasPrefix(st, "service:     running (unix-systemv)") {
		t.Errorf("status: %s", st)
	}
	waitFor(t, "a cycle", 30*time.Second, func() bool {
		s, err := daemon.LoadState(filepath.Join(dir, "state"))
		return err == nil && s.LastCycle != nil && s.SourceID != ""
	})
	run(t, exe, "service", "stop")
	run(t, exe, "service", "uninstall")
	os.Remove("/var/log/sms-agent.log")
	assertNothingLeft(t, "after service uninstall")
}

// ansibleRole runs the example role against localhost with Debian's ansible-core.
func ansibleRole(t *testing.T, root, deb, dir string) {
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		t.Fatal("ansible-playbook is not installed (.ci/run installs ansible-core)")
	}
	fake := startFake(t)
	fetch := filepath.Join(dir, "inventories")
	vars := map[string]any{
		"sms_agent_package_file": deb,
		"sms_agent_fetch_dir":    fetch,
		"sms_agent_config": map[string]any{
			"endpoint": fake.url, "region": "ap-southeast-3", "project_id": testProject,
			"ak": testAK, "sk": testSK, "interval": "2s", "name": "e2e-ansible", "create_task": true,
			// The test machine is no migration source (no GRUB, no initramfs): its
			// checks say ERROR, so the service needs force to register.
			"force": true,
		},
	}
	vb, _ := json.Marshal(vars)
	varsFile := filepath.Join(dir, "vars.json")
	if err := os.WriteFile(varsFile, vb, 0o600); err != nil {
		t.Fatal(err)
	}
	play := filepath.Join(dir, "play.yml")
	if err := os.WriteFile(play, []byte("- hosts: localhost\n  connection: local\n  gather_facts: false\n  roles:\n    - sms_agent\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	playbook := func() string {
		cmd := exec.Command("ansible-playbook", "-i", "localhost,", "-e", "@"+varsFile, play)
		// Ansible's own files (~/.ansible) go to the test's directory too.
		cmd.Env = append(os.Environ(), "ANSIBLE_ROLES_PATH="+filepath.Join(root, "packaging", "ansible", "roles"),
			"ANSIBLE_HOME="+filepath.Join(dir, "ansible-home"), "ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, "ansible-local"),
			"ANSIBLE_REMOTE_TEMP="+filepath.Join(dir, "ansible-remote"),
			"ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCALHOST_WARNING=false", "ANSIBLE_INVENTORY_UNPARSED_WARNING=false")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ansible-playbook: %v\n%s", err, out)
		}
		return string(out)
	}
	out := playbook()
	if strings.Contains(out, testSK) {
		t.Errorf("the secret is in ansible's output")
	}
	fi, err := os.Stat("/etc/sms-agent/sms.conf")
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("sms.conf: %v %v", fi, err)
	}
	if !strings.HasPrefix(run(t, "sms-agent", "service", "status"), "service:     running") {
		t.Errorf("not running after the play")
	}
	var inv map[string]any
	b, err := os.ReadFile(filepath.Join(fetch, "localhost.json"))
	if err != nil || json.Unmarshal(b, &inv) != nil || inv["host"] == nil {
		t.Errorf("fetched inventory: %v\n%s", err, b)
	}
	var checks struct {
		Results []struct{ Check, Level string }
	}
	b, err = os.ReadFile(filepath.Join(fetch, "localhost.checks.json"))
	if err != nil || json.Unmarshal(b, &checks) != nil || len(checks.Results) == 0 {
		t.Errorf("fetched check results: %v\n%s", err, b)
	}
	waitFor(t, "the task", 30*time.Second, func() bool { return len(fake.Tasks()) == 1 })
	// Again: nothing changes (idempotent), still one source and one task.
	// Again: nothing is installed or written again (the fetched inventory may differ:
	// usage changes between cycles).
	out = playbook()
	for _, task := range []string{"Install the .deb file", "Write sms.conf", "Start and enable the service"} {
		if !regexp.MustCompile(`TASK \[sms_agent : ` + regexp.QuoteMeta(task) + `[^\n]*\n(ok|skipping): `).MatchString(out) {
			t.Errorf("second run: %q is not ok:\n%s", task, out)
		}
	}
	if len(fake.Sources()) != 1 || len(fake.Tasks()) != 1 {
		t.Errorf("%d sources, %d tasks after two plays", len(fake.Sources()), len(fake.Tasks()))
	}
	run(t, "service", "sms-agent", "stop")
	run(t, "dpkg", "--purge", "sms-agent")
	assertNothingLeft(t, "after the ansible test's purge")
}
