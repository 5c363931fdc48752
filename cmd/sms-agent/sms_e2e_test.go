//go:build !lite

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sms-agent/sms-agent/agent/smsfake"
	"github.com/sms-agent/sms-agent/internal/agentbuild"
)

const (
	e2eAK       = "E2EAKVALUE12345"
	e2eSK       = "E2ESKsecretVALUE987654321"
	e2eProject  = "0123456789abcdef0123456789abcdef"
	e2eUser     = "migrator"
	e2ePassword = "E2EPassw0rd!secret"
	e2eToken    = "E2ESTATICTOKENsecret"
)

var buildOnce struct {
	sync.Once
	path string
	err  error
}

// agentBinary builds sms-agent once per test run, as it is installed: on Linux the
// lite front (-tags lite) with the complete agent beside it as sms-agent-full, so that
// every test of the binary goes through the front (discover run by it, every other
// command handed on by exec); elsewhere the complete agent alone.
func agentBinary(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("no go toolchain to build the agent with (a Windows test binary under Wine): %v", err)
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sms-agent-e2e")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.path, buildOnce.err = agentbuild.Installed(dir, ".")
	})
	if buildOnce.err != nil {
		t.Fatal(buildOnce.err)
	}
	return buildOnce.path
}

const e2eInventory = `{"schema_version":1,"host":{"hostname":"web-1","os_type":"LINUX","os":{"id":"ubuntu","version_id":"22.04","name":"Ubuntu","pretty_name":"Ubuntu 22.04.4 LTS"},"kernel_version":"5.15.0-105-generic","arch":"x86_64","firmware":"UEFI","cpu_quantity":2,"memory_bytes":4294967296},
"disks":[{"name":"/dev/vda","kname":"vda","maj_min":"252:0","size":42949672960,"used_size":5346484224,"device_use":"BOOT","partition_style":"GPT","os_disk":true,
 "physical_volumes":[{"name":"/dev/vda1","kname":"vda1","index":0,"number":1,"size":42947575808,"used_size":5346484224,"device_use":"OS","mount_point":"/","file_system":"ext4","uuid":"0b0b","inode_size":2621440,"inode_nums":2621440,"usage":{"used_size":5346484224,"inode_nums":2621440}}]},
 {"name":"/dev/vdb","kname":"vdb","size":10737418240,"used_size":0,"device_use":"NORMAL","physical_volumes":[{"name":"/dev/vdb1","kname":"vdb1","index":0,"number":1,"size":10736369664,"device_use":"VOLUME_GROUP","file_system":"LVM2_member","mount_point":""}]}],
"volume_groups":[{"name":"vg0","size":10733223936,"free_size":2147483648,"components":["/dev/vdb1"],"logical_volumes":[{"name":"data","path":"/dev/vg0/data","migrate":true,"device":"/dev/dm-0","device_use":"NORMAL","size":8585740288,"mount_point":"/data","file_system":"xfs","usage":{"used_size":1073741824,"free_size":7511998464,"inode_nums":4194304,"block_size":4096,"block_count":2096128}}]}],
"btrfs_list":[],"mounts":[{"mount_point":"/","source":"/dev/vda1","device":"/dev/vda1","file_system":"ext4","root":"/","options":"rw,relatime","kind":"block","usage":{"used_size":5346484224,"free_size":35433271296}},
 {"mount_point":"/data","source":"/dev/mapper/vg0-data","device":"/dev/dm-0","file_system":"xfs","root":"/","options":"rw,relatime","kind":"block","usage":{"used_size":1073741824,"free_size":7511998464}},
 {"mount_point":"/mnt/nfs","source":"nas:/export","maj_min":"0:50","file_system":"nfs4","root":"/","options":"rw","kind":"network"}],"warnings":[]}`

const e2eFacts = `{"networks":[{"name":"eth0","ip":"192.168.0.10","netmask":"255.255.255.0","gateway":"192.168.0.1","mtu":1500,"mac":"fa:16:3e:00:00:01"}],"has_rsync":true,"has_tc":true,"paravirtualization":true,"boot_loader":"GRUB","raw_devices":"",
"boot":{"images":["initrd.img-5.15.0-105-generic"],"grub_i386_pc":true,"virtio":{"kernel":"5.15.0-105-generic","builtin":[],"image":"initrd.img-5.15.0-105-generic","in_initramfs":["virtio_blk","virtio_pci"]},"xen_pv":false,"selinux":"disabled"}}`

type e2e struct {
	t      *testing.T
	bin    string
	dir    string
	fake   *smsfake.Server
	url    string
	mu     sync.Mutex
	output bytes.Buffer // every stdout and stderr, for the secrets check
}

func newE2E(t *testing.T, cfg smsfake.Config) *e2e {
	t.Helper()
	e := &e2e{t: t, bin: agentBinary(t), dir: t.TempDir()}
	e.fake = smsfake.New(cfg)
	srv := httptest.NewServer(e.fake.Handler()) // 127.0.0.1
	t.Cleanup(srv.Close)
	e.url = srv.URL
	e.write("inv.json", e2eInventory, 0o644)
	e.write("empty.conf", "", 0o600) // SMS_AGENT_CONFIG: never the machine's /etc/sms-agent/sms.conf
	e.write("facts.json", e2eFacts, 0o644)
	return e
}

func (e *e2e) write(name, content string, mode os.FileMode) string {
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		e.t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// run runs the agent with env (nothing inherited but PATH and HOME) and returns its
// exit code, stdout and stderr.
func (e *e2e) run(env []string, args ...string) (int, string, string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + e.dir, "SMS_AGENT_CONFIG=" + filepath.Join(e.dir, "empty.conf")}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("run: %v", err)
	}
	e.mu.Lock()
	e.output.WriteString(strings.Join(args, " ") + "\n" + out.String() + errb.String())
	e.mu.Unlock()
	return code, out.String(), errb.String()
}

func (e *e2e) assertNoSecrets() {
	e.t.Helper()
	all := e.output.String()
	for _, s := range []string{e2eAK, e2eSK, e2ePassword, e2eToken, "MII"} {
		if strings.Contains(all, s) {
			e.t.Errorf("a secret (%.3s…) appears in the agent's output", s)
		}
	}
}

func (e *e2e) common() []string {
	return []string{"--endpoint", e.url, "--region", "ap-southeast-3", "--from", filepath.Join(e.dir, "inv.json"),
		"--facts", filepath.Join(e.dir, "facts.json"), "--retry-base", "10ms", "--retry-max-wait", "2s", "--retry-budget", "10s", "--timeout", "3s"}
}

var akEnv = []string{"CLOUD_SDK_AK=" + e2eAK, "CLOUD_SDK_SK=" + e2eSK, "HUAWEICLOUD_SDK_PROJECT_ID=" + e2eProject}

func TestE2ERegisterAndCreateAKSK(t *testing.T) {
	e := newE2E(t, smsfake.Config{AK: e2eAK, SK: e2eSK, ProjectID: e2eProject})
	defer e.assertNoSecrets()

	code, out, errs := e.run(akEnv, append([]string{"source", "register", "--name", "web-1"}, e.common()...)...)
	if code != 0 {
		t.Fatalf("register: exit %d\n%s", code, errs)
	}
	srcID := strings.TrimSpace(out)
	if len(e.fake.Sources()) != 1 || e.fake.Sources()[0].ID != srcID {
		t.Fatalf("sources = %+v; stdout %q", e.fake.Sources(), out)
	}
	body := string(e.fake.Sources()[0].Body)
	for _, want := range []string{`"os_version":"UBUNTU_22_04_64BIT"`, `"memory":4096`, `"volume_groups":[{"components":"/dev/vdb1"`, `"btrfs_list":[]`, `"has_rsync":true`, `"mac":"fa:16:3e:00:00:01"`} {
		if !strings.Contains(body, want) {
			t.Errorf("registration body lacks %s:\n%s", want, body)
		}
	}
	// Again: the existing source is reported, nothing is created.
	code, out, errs = e.run(akEnv, append([]string{"source", "register", "--name", "web-1"}, e.common()...)...)
	if code != 0 || strings.TrimSpace(out) != srcID || !strings.Contains(errs, "already registered") || len(e.fake.Sources()) != 1 {
		t.Fatalf("re-register: exit %d out %q err %s, %d sources", code, out, errs, len(e.fake.Sources()))
	}

	// task create registers-or-finds the source, then creates the task; config file drives flags.
	cfg := e.write("sms.conf", "# test\nname = web-1\npriority = 3\nsyncing = true\nexclude = /dev/vdb\n", 0o600)
	args := append([]string{"task", "create", "--config", cfg, "--name", "mig-web-1"}, e.common()...)
	code, out, errs = e.run(akEnv, args...)
	if code != 0 {
		t.Fatalf("task create: exit %d\n%s", code, errs)
	}
	taskID := strings.TrimSpace(out)
	tasks := e.fake.Tasks()
	if len(tasks) != 1 || tasks[0].ID != taskID || tasks[0].SourceID != srcID || len(e.fake.Sources()) != 1 {
		t.Fatalf("tasks = %+v, %d sources", tasks, len(e.fake.Sources()))
	}
	tb := string(tasks[0].Body)
	for _, want := range []string{`"name":"mig-web-1"`, `"priority":3`, `"syncing":true`, `"project_id":"` + e2eProject + `"`, `"volume_groups":[]`} {
		if !strings.Contains(tb, want) {
			t.Errorf("task body lacks %s:\n%s", want, tb)
		}
	}
	if strings.Contains(tb, "/dev/vdb") {
		t.Errorf("excluded disk /dev/vdb in the task body: %s", tb)
	}
	code, out, _ = e.run(akEnv, args...)
	if code != 0 || strings.TrimSpace(out) != taskID || len(e.fake.Tasks()) != 1 {
		t.Errorf("re-create: exit %d out %q, %d tasks", code, out, len(e.fake.Tasks()))
	}

	// show and list
	code, out, _ = e.run(akEnv, "task", "show", taskID, "--endpoint", e.url)
	if code != 0 || !strings.Contains(out, `"id": "`+taskID+`"`) {
		t.Errorf("task show: %d %s", code, out)
	}
	code, out, _ = e.run(akEnv, "task", "show", "--endpoint", e.url, taskID) // the id after the flags
	if code != 0 || !strings.Contains(out, `"id": "`+taskID+`"`) {
		t.Errorf("task show, id last: %d %s", code, out)
	}
	code, out, _ = e.run(akEnv, "task", "list", "--endpoint", e.url, "--source-id", srcID)
	if code != 0 || !strings.Contains(out, `"count": 1`) {
		t.Errorf("task list: %d %s", code, out)
	}
	code, out, _ = e.run(akEnv, "source", "show", "--endpoint", e.url, "--name", "web-1")
	if code != 0 || !strings.Contains(out, `"id": "`+srcID+`"`) {
		t.Errorf("source show: %d %s", code, out)
	}
}

// TestE2ECreateWarnsOnce: task create builds both the source body and the target
// layout from the same volumes; what they cannot know (an LV that is not mounted) is
// said once, not once per body.
func TestE2ECreateWarnsOnce(t *testing.T) {
	e := newE2E(t, smsfake.Config{AK: e2eAK, SK: e2eSK, ProjectID: e2eProject})
	defer e.assertNoSecrets()
	unmounted := `{"name":"scratch","path":"/dev/vg0/scratch","migrate":true,"device_use":"NORMAL","size":1073741824,"mount_point":"","file_system":"ext4"},`
	inv := strings.Replace(e2eInventory, `"logical_volumes":[`, `"logical_volumes":[`+unmounted, 1)
	if inv == e2eInventory {
		t.Fatal("test inventory has no logical_volumes to extend")
	}
	e.write("inv.json", inv, 0o644)
	code, _, errs := e.run(akEnv, append([]string{"task", "create", "--name", "mig-web-1", "--source-name", "web-1"}, e.common()...)...)
	if code != 3 || len(e.fake.Tasks()) != 1 {
		t.Fatalf("task create: exit %d (want 3: warnings), %d tasks\n%s", code, len(e.fake.Tasks()), errs)
	}
	if n := strings.Count(errs, "logical volume vg0/scratch is not mounted"); n != 1 {
		t.Errorf("the unmounted LV is warned about %d times; want once:\n%s", n, errs)
	}
}

func TestE2EPasswordTokenAndStaticToken(t *testing.T) {
	e := newE2E(t, smsfake.Config{IAMUser: e2eUser, IAMPassword: e2ePassword, IAMDomain: "acct", ProjectID: e2eProject, Tokens: []string{e2eToken}})
	defer e.assertNoSecrets()
	env := []string{"SMS_AGENT_IAM_USER=" + e2eUser, "SMS_AGENT_IAM_PASSWORD=" + e2ePassword, "SMS_AGENT_IAM_DOMAIN=acct"}
	args := append([]string{"task", "create", "--project-id", e2eProject, "--iam-endpoint", e.url}, e.common()...)
	code, out, errs := e.run(env, args...)
	if code != 0 || len(e.fake.Tasks()) != 1 || len(e.fake.Sources()) != 1 || strings.TrimSpace(out) != e.fake.Tasks()[0].ID {
		t.Fatalf("password: exit %d out %q\n%s", code, out, errs)
	}
	for _, r := range e.fake.Requests() {
		if r.Auth != "token" {
			t.Errorf("%s %s authenticated by %q", r.Method, r.Path, r.Auth)
		}
	}
	// A token in the config file.
	e.write("tok.conf", "auth_token = "+e2eToken+"\n", 0o600)
	code, _, errs = e.run(nil, "task", "list", "--config", filepath.Join(e.dir, "tok.conf"), "--endpoint", e.url)
	if code != 0 {
		t.Errorf("static token: exit %d %s", code, errs)
	}
	// A wrong password: one line, no password.
	code, _, errs = e.run([]string{"SMS_AGENT_IAM_USER=" + e2eUser, "SMS_AGENT_IAM_PASSWORD=wrong-" + e2ePassword}, args...)
	if code != 1 || !strings.Contains(errs, "IAM password authentication failed: 401 The username or password is wrong. (HTTP 401, request id ") {
		t.Errorf("bad password: exit %d %s", code, errs)
	}
}

func TestE2ERetriesThroughFaults(t *testing.T) {
	e := newE2E(t, smsfake.Config{AK: e2eAK, SK: e2eSK, ProjectID: e2eProject})
	defer e.assertNoSecrets()
	e.fake.Inject(smsfake.Fault{Method: "GET", Path: "/v3/sources", Status: 503, Times: 2})
	e.fake.Inject(smsfake.Fault{Method: "POST", Path: "/v3/sources", DropAfter: true})
	e.fake.Inject(smsfake.Fault{Method: "POST", Path: "/v3/tasks", Status: 429, RetryAfter: "1"})
	e.fake.Inject(smsfake.Fault{Method: "GET", Path: "/v3/tasks", Drop: true})
	e.fake.Inject(smsfake.Fault{Method: "POST", Path: "/v3/tasks", Delay: 5 * time.Second}) // beyond --timeout 3s
	start := time.Now()
	code, out, errs := e.run(akEnv, append([]string{"task", "create"}, e.common()...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if len(e.fake.Sources()) != 1 || len(e.fake.Tasks()) != 1 || strings.TrimSpace(out) != e.fake.Tasks()[0].ID {
		t.Fatalf("%d sources, %d tasks; out %q\n%s", len(e.fake.Sources()), len(e.fake.Tasks()), out, errs)
	}
	// Retry-After: 1 is waited 1 s plus up to half of it again.
	if !regexp.MustCompile(`retrying in 1(\.\d+)?s`).MatchString(errs) || !strings.Contains(errs, "SMS.0201") {
		t.Errorf("retries not reported (or Retry-After not honoured):\n%s", errs)
	}
	// The source's POST was stored but its answer dropped: found on retry, and said so.
	if !strings.Contains(errs, `sms-agent: source "web-1" registered; the answer was lost, found it on retry (id `) {
		t.Errorf("the lost answer is not reported:\n%s", errs)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v", d)
	}
	// Faults without end: bounded.
	e.fake.Inject(smsfake.Fault{Path: "/v3/", Status: 503, Times: 1000})
	code, _, errs = e.run(akEnv, "task", "list", "--endpoint", e.url, "--retries", "3", "--retry-base", "10ms")
	if code != 1 || !strings.Contains(errs, "gave up after 3 attempts") {
		t.Errorf("endless 503: exit %d %s", code, errs)
	}
}

func TestE2EBadCredentialsAndClock(t *testing.T) {
	e := newE2E(t, smsfake.Config{AK: e2eAK, SK: e2eSK, ProjectID: e2eProject})
	defer e.assertNoSecrets()
	bad := []string{"CLOUD_SDK_AK=" + e2eAK, "CLOUD_SDK_SK=" + e2eSK + "x", "HUAWEICLOUD_SDK_PROJECT_ID=" + e2eProject}
	code, _, errs := e.run(bad, append([]string{"source", "register"}, e.common()...)...)
	// One error line; the only other line is the check's warning about the NFS mount.
	if code != 1 || !strings.Contains(errs, "SMS.0202 AK/SK authentication failed: signature mismatch (HTTP 401, request id ") ||
		strings.Count(errs, "sms-agent:") != 1 || strings.Count(strings.TrimSpace(errs), "\n") != 1 || !strings.Contains(errs, "WARN 1 network filesystem is not migrated: /mnt/nfs") {
		t.Errorf("bad SK: exit %d\n%s", code, errs)
	}
	if len(e.fake.Sources()) != 0 {
		t.Errorf("a source was stored")
	}
	code, _, errs = e.run(nil, "task", "list", "--endpoint", e.url)
	if code != 1 || !strings.Contains(errs, "no credentials") {
		t.Errorf("no credentials: exit %d %s", code, errs)
	}
	skewed := newE2E(t, smsfake.Config{AK: e2eAK, SK: e2eSK, ProjectID: e2eProject, ClockOffset: -20 * time.Minute})
	defer skewed.assertNoSecrets()
	// The clock check reads the endpoint's Date before anything is sent, and stops.
	code, _, errs = skewed.run(akEnv, append([]string{"source", "register"}, skewed.common()...)...)
	if code != 4 || !strings.Contains(errs, "ERROR SMS.0205 this host's clock is 20 min off 127.0.0.1:") || len(skewed.fake.Requests()) != 0 {
		t.Errorf("clock: exit %d, %d requests\n%s", code, len(skewed.fake.Requests()), errs)
	}
	// Forced, the request goes and SMS refuses it for the same reason.
	code, _, errs = skewed.run(akEnv, append([]string{"source", "register", "--force"}, skewed.common()...)...)
	if code != 1 || !strings.Contains(errs, "SMS.0205 AK/SK authentication failed: the source clock is 20 min off") || !strings.Contains(errs, "request id ") {
		t.Errorf("clock, forced: exit %d\n%s", code, errs)
	}
}

func TestE2EConfigAndDryRun(t *testing.T) {
	e := newE2E(t, smsfake.Config{AK: e2eAK, SK: e2eSK, ProjectID: e2eProject})
	defer e.assertNoSecrets()
	open := e.write("open.conf", "ak = "+e2eAK+"\nsk = "+e2eSK+"\n", 0o644)
	code, _, errs := e.run(nil, "task", "list", "--config", open, "--endpoint", e.url, "--project-id", e2eProject)
	if code != 2 || !strings.Contains(errs, "config file must be private: mode 0644") {
		t.Errorf("open config: exit %d %s", code, errs)
	}
	private := e.write("private.conf", "ak = "+e2eAK+"\nsk = "+e2eSK+"\nproject_id = "+e2eProject+"\nendpoint = "+e.url+"\n", 0o600)
	if code, _, errs := e.run(nil, "task", "list", "--config", private); code != 0 {
		t.Errorf("private config: exit %d %s", code, errs)
	}
	bad := e.write("bad.conf", "colour = blue\n", 0o600)
	if code, _, errs := e.run(nil, "task", "list", "--config", bad); code != 2 || errs != "sms-agent: task list: "+bad+":1: colour: unknown key (see docs/sms.md)\n" {
		t.Errorf("unknown key: exit %d %s", code, errs)
	}

	before := len(e.fake.Requests())
	code, out, errs := e.run(akEnv, append([]string{"task", "create", "--dry-run"}, e.common()...)...)
	if code != 2 || !strings.Contains(errs, "needs --source-id") {
		t.Errorf("dry-run without source id: %d %s", code, errs)
	}
	code, out, errs = e.run(akEnv, append([]string{"task", "create", "--dry-run", "--source-id", "src-1", "--target-vm-id", "vm-1", "--disk-ids", "/dev/vda=evs-a,vdb=evs-b", "--use-public-ip=false"}, e.common()...)...)
	if code != 0 || !strings.Contains(out, `"exist_server":true`) || !strings.Contains(out, `"disk_id":"evs-b"`) || !strings.Contains(out, `"use_public_ip":false`) || !strings.Contains(out, `"vm_id":"vm-1"`) {
		t.Errorf("dry-run: exit %d\n%s\n%s", code, out, errs)
	}
	dryTask := out
	code, out, _ = e.run(nil, append([]string{"source", "register", "--dry-run"}, e.common()...)...)
	if code != 0 || !strings.Contains(out, `"name":"web-1"`) {
		t.Errorf("register dry-run: %d %s", code, out)
	}
	drySource := out
	if len(e.fake.Requests()) != before {
		t.Errorf("--dry-run made %d requests", len(e.fake.Requests())-before)
	}
	// What --dry-run prints is, byte for byte, what is sent.
	code, out, errs = e.run(akEnv, append([]string{"source", "register"}, e.common()...)...)
	if code != 0 || len(e.fake.Sources()) != 1 {
		t.Fatalf("register: exit %d\n%s", code, errs)
	}
	if got := string(e.fake.Sources()[0].Body); got != drySource {
		t.Errorf("registration sent:\n%s\n--dry-run printed:\n%s", got, drySource)
	}
	srcID := strings.TrimSpace(out)
	taskArgs := append([]string{"task", "create", "--source-id", srcID, "--target-vm-id", "vm-1", "--disk-ids", "/dev/vda=evs-a,vdb=evs-b", "--use-public-ip=false"}, e.common()...)
	_, dryTask, _ = e.run(akEnv, append(taskArgs, "--dry-run")...)
	if code, _, errs := e.run(akEnv, taskArgs...); code != 0 || len(e.fake.Tasks()) != 1 {
		t.Fatalf("task create: exit %d\n%s", code, errs)
	}
	if got := string(e.fake.Tasks()[0].Body); got != dryTask {
		t.Errorf("task sent:\n%s\n--dry-run printed:\n%s", got, dryTask)
	}
	// A plain-http endpoint that is not loopback is refused.
	code, _, errs = e.run(akEnv, "task", "list", "--endpoint", "http://sms.example.com")
	if code != 2 || !strings.Contains(errs, "plain http is allowed only for loopback") {
		t.Errorf("http endpoint: %d %s", code, errs)
	}
}

// TestE2EChecksStopRequests: ghw-8581 has /, /home, /tmp and /var on LVs but no lvm
// output, so the body would lack them: check exits 4 naming each; task create stops
// before sending (exit 4, nothing on stdout); --force sends and says what is lacking.
func TestE2EChecksStopRequests(t *testing.T) {
	e := newE2E(t, smsfake.Config{AK: e2eAK, SK: e2eSK, ProjectID: e2eProject})
	defer e.assertNoSecrets()
	capture := "../../testdata/hosts/ghw-linux-amd64-8581cf3a529e5d8b97ea876eade2f60d.tar.gz"
	code, out, _ := e.run(nil, "check", "--from", capture)
	for _, mp := range []string{"/", "/home", "/tmp", "/var"} {
		if !strings.Contains(out, "ERROR "+mp+" is not migrated (ext4 from /dev/mapper/mainvg-") {
			t.Errorf("check does not name %s:\n%s", mp, out)
		}
	}
	if code != 4 {
		t.Errorf("check: exit %d; want 4", code)
	}
	code, out, _ = e.run(nil, "check", "--from", capture, "--json")
	var res struct {
		Results []struct {
			Check, Level string
			Subjects     []string
		}
		Errors int
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 4 || res.Errors < 4 {
		t.Errorf("check --json: exit %d, %v, %d errors\n%s", code, err, res.Errors, out)
	}

	args := []string{"task", "create", "--dry-run", "--source-id", "src-1", "--region", "ap-southeast-3", "--project-id", e2eProject, "--from", capture, "--facts", filepath.Join(e.dir, "facts.json")}
	code, out, errs := e.run(nil, args...)
	if code != 4 || out != "" || !strings.Contains(errs, "ERROR / is not migrated") || !strings.Contains(errs, "sms-agent: task create: stopped by 4 check error(s) above; nothing was sent") {
		t.Errorf("task create: exit %d\nstdout %q\n%s", code, out, errs)
	}
	code, out, errs = e.run(nil, append(args, "--force")...)
	if code != 3 || !strings.Contains(out, `"target_server":`) || !strings.Contains(errs, "sms-agent: --force: the target will lack /home (ext4 from /dev/mapper/mainvg-home, a device") {
		t.Errorf("task create --force: exit %d\nstdout %q\n%s", code, out, errs)
	}
}
