package smsfake

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sms-agent/sms-agent/agent/sms"
)

const (
	testAK      = "AKFAKE0123456789"
	testSK      = "SKFAKEsecret0123456789abcdef"
	testProject = "0123456789abcdef0123456789abcdef"
)

func newClient(t *testing.T, srv *httptest.Server, auth sms.Authenticator) *sms.Client {
	t.Helper()
	u, _ := url.Parse(srv.URL)
	hc, err := sms.NewHTTPClient(sms.HTTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pt, ok := auth.(*sms.PasswordToken); ok {
		pt.IAM, pt.HTTP = u, hc
	}
	return &sms.Client{Endpoint: u, HTTP: hc, Auth: auth, Now: time.Now, Timeout: 2 * time.Second,
		Retry: sms.RetryPolicy{Attempts: 4, Base: 10 * time.Millisecond, MaxWait: 2 * time.Second, Budget: 5 * time.Second}}
}

func aksk() *sms.AKSK {
	return &sms.AKSK{AK: testAK, SK: testSK, ProjectID: testProject, Now: time.Now}
}

func source(name string) *sms.PostSourceServerBody {
	mtu := int64(1500)
	return &sms.PostSourceServerBody{
		Name: name, IP: "192.168.0.10", OSType: sms.OSLinux, OSVersion: "UBUNTU_22_04_64BIT", AgentVersion: "test",
		Disks:        []sms.ServerDisk{{Name: "/dev/vda", DeviceUse: "BOOT", Size: 1 << 30, PhysicalVolumes: []sms.PhysicalVolume{}}},
		VolumeGroups: []sms.VolumeGroups{}, BtrfsList: []sms.BtrfsFileSystem{},
		Networks: []sms.NetWork{{Name: "eth0", IP: "192.168.0.10", Netmask: "255.255.255.0", Gateway: "192.168.0.1", MAC: "fa:16:3e:00:00:01", MTU: &mtu}},
	}
}

func start(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	f := New(cfg)
	srv := httptest.NewServer(f.Handler())
	t.Cleanup(srv.Close)
	return f, srv
}

func TestRegisterIdempotentThroughFaults(t *testing.T) {
	f, srv := start(t, Config{AK: testAK, SK: testSK, ProjectID: testProject})
	c := newClient(t, srv, aksk())
	ctx := context.Background()
	f.Inject(Fault{Method: "GET", Path: "/v3/sources", Status: 503})
	f.Inject(Fault{Method: "POST", Path: "/v3/sources", DropAfter: true}) // stored, answer lost
	id, how, err := c.EnsureSource(ctx, source("web-1"))
	if err != nil {
		t.Fatal(err)
	}
	if how != sms.CreatedAnswerLost {
		t.Errorf("how = %v; the source stored by the dropped POST must be found and reported as created", how)
	}
	if n := len(f.Sources()); n != 1 || f.Sources()[0].ID != id {
		t.Fatalf("sources = %+v; want exactly one with id %s", f.Sources(), id)
	}
	id2, how, err := c.EnsureSource(ctx, source("web-1"))
	if err != nil || how != sms.Found || id2 != id || len(f.Sources()) != 1 {
		t.Errorf("second run: %s %v %v, %d sources", id2, how, err, len(f.Sources()))
	}
	// "web-10" contains "web-1": the exact name is required.
	if _, how, _ := c.EnsureSource(ctx, source("web-10")); how != sms.Created {
		t.Errorf("web-10 must be a new source")
	}

	task := &sms.PostTask{Name: "t", Type: sms.TypeFile, OSType: sms.OSLinux, SourceServer: sms.SourceServerByTask{ID: id},
		RegionName: "r", RegionID: "r", ProjectName: "r", ProjectID: testProject,
		TargetServer: sms.TargetServerByTask{Disks: []sms.TargetDisks{}, VolumeGroups: []sms.VolumeGroups{}, BtrfsList: []sms.BtrfsFileSystem{}}}
	// Refused (429) and dropped before it was handled: nothing stored, so the third
	// POST creates it and says so plainly.
	f.Inject(Fault{Method: "POST", Path: "/v3/tasks", Status: 429, RetryAfter: "0"})
	f.Inject(Fault{Method: "POST", Path: "/v3/tasks", Drop: true})
	tid, how, err := c.EnsureTask(ctx, task)
	if err != nil || how != sms.Created || len(f.Tasks()) != 1 {
		t.Fatalf("task: %s %v %v, %d tasks", tid, how, err, len(f.Tasks()))
	}
	tid2, how, err := c.EnsureTask(ctx, task)
	if err != nil || how != sms.Found || tid2 != tid {
		t.Errorf("second task run: %s %v %v", tid2, how, err)
	}
	// A task whose POST was handled but its answer dropped: found on retry, and said so.
	other, _, err := c.EnsureSource(ctx, source("web-2"))
	if err != nil {
		t.Fatal(err)
	}
	task2 := *task
	task2.SourceServer.ID = other
	f.Inject(Fault{Method: "POST", Path: "/v3/tasks", DropAfter: true})
	if _, how, err := c.EnsureTask(ctx, &task2); err != nil || how != sms.CreatedAnswerLost || len(f.Tasks()) != 2 {
		t.Errorf("task with its answer lost: %v %v, %d tasks", how, err, len(f.Tasks()))
	}
}

func TestRetryBounds(t *testing.T) {
	f, srv := start(t, Config{AK: testAK, SK: testSK, ProjectID: testProject})
	c := newClient(t, srv, aksk())
	f.Inject(Fault{Path: "/v3/sources", Status: 503, Times: 100})
	startT := time.Now()
	_, err := c.ListSources(context.Background(), "x")
	if !errors.Is(err, sms.ErrGaveUp) || !strings.Contains(err.Error(), "after 4 attempts") || !strings.Contains(err.Error(), "SMS.0201") {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(startT); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	if n := len(f.Requests()); n != 0 { // faults are answered before authentication
		t.Errorf("%d requests reached handlers; want none (all answered by the fault)", n)
	}

	// A Retry-After beyond MaxWait ends the retries at once.
	f2, srv2 := start(t, Config{AK: testAK, SK: testSK, ProjectID: testProject})
	c2 := newClient(t, srv2, aksk())
	f2.Inject(Fault{Path: "/v3/tasks", Status: 429, RetryAfter: "120"})
	_, err = c2.ListTasks(context.Background(), "")
	if err == nil || !strings.Contains(err.Error(), "asks to wait 2m0s (Retry-After)") {
		t.Errorf("err = %v", err)
	}

	// A slow answer hits the per-attempt timeout, then the retry passes.
	f3, srv3 := start(t, Config{AK: testAK, SK: testSK, ProjectID: testProject})
	c3 := newClient(t, srv3, aksk())
	c3.Timeout = 200 * time.Millisecond
	f3.Inject(Fault{Path: "/v3/tasks", Delay: time.Second})
	if _, err := c3.ListTasks(context.Background(), ""); err != nil {
		t.Errorf("slow then ok: %v", err)
	}

	// 4xx is not retried.
	c4 := newClient(t, srv3, &sms.AKSK{AK: testAK, SK: "wrong", ProjectID: testProject, Now: time.Now})
	before := len(f3.Requests())
	_, err = c4.ListSources(context.Background(), "")
	var ae *sms.APIError
	if !errors.As(err, &ae) || ae.Code != "SMS.0202" || ae.Status != 401 || ae.RequestID == "" {
		t.Errorf("bad SK: %v", err)
	}
	if len(f3.Requests()) != before {
		t.Errorf("a rejected request was recorded")
	}
}

func TestClockSkew(t *testing.T) {
	_, srv := start(t, Config{AK: testAK, SK: testSK, ProjectID: testProject, ClockOffset: -20 * time.Minute})
	c := newClient(t, srv, aksk())
	_, err := c.ListSources(context.Background(), "")
	if err == nil || !strings.HasPrefix(err.Error(), "SMS.0205 AK/SK authentication failed: the source clock is 20 min off (ahead of") || !strings.Contains(err.Error(), "request id ") {
		t.Errorf("err = %v", err)
	}
}

func TestPasswordToken(t *testing.T) {
	f, srv := start(t, Config{IAMUser: "alice", IAMPassword: "pw-secret", IAMDomain: "acct", ProjectID: testProject})
	pt := &sms.PasswordToken{User: "alice", Password: "pw-secret", Domain: "acct", ProjectID: testProject, Now: time.Now}
	c := newClient(t, srv, pt)
	if _, err := c.ListSources(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	tok1, _ := pt.Token(context.Background())
	if _, err := c.ListSources(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if tok2, _ := pt.Token(context.Background()); tok2 != tok1 {
		t.Errorf("token not cached")
	}
	f.mu.Lock()
	f.tokens = map[string]time.Time{} // revoked server-side: the client renews once
	f.mu.Unlock()
	if _, err := c.ListSources(context.Background(), ""); err != nil {
		t.Errorf("after revocation: %v", err)
	}
	bad := &sms.PasswordToken{User: "alice", Password: "nope", Domain: "acct", ProjectID: testProject, Now: time.Now}
	_, err := newClient(t, srv, bad).ListSources(context.Background(), "")
	if err == nil || err.Error() != "IAM password authentication failed: 401 The username or password is wrong. (HTTP 401, request id "+requestID(err)+")" {
		t.Errorf("bad password: %v", err)
	}
	if strings.Contains(err.Error(), "nope") {
		t.Errorf("password in error")
	}
}

func requestID(err error) string {
	var ae *sms.APIError
	if errors.As(err, &ae) {
		return ae.RequestID
	}
	return ""
}

func TestStrictSchema(t *testing.T) {
	_, srv := start(t, Config{AK: testAK, SK: testSK, ProjectID: testProject})
	c := newClient(t, srv, aksk())
	for _, tc := range []struct{ body, want string }{
		{`{"name":"x","bogus":1}`, "bogus: unknown field"},
		{`{"name":"x","type":"MIGRATE_FILE","os_type":"LINUX","source_server":{"id":"s"},"region_name":"r","region_id":"r","project_name":"p","project_id":"p","target_server":{"name":"t","vm_id":"","disks":[{"name":"d","size":1,"used_size":0,"physical_volumes":[{"mount_point":"` + strings.Repeat("m", 256) + `"}]}]}}`,
			"target_server.disks[0].physical_volumes[0].mount_point: length 256 not in 0..255"},
		{`{"name":"x","type":"MIGRATE_FILE","os_type":"LINUX","source_server":{"id":"s"},"region_name":"r","region_id":"r","project_name":"p","project_id":"p","target_server":{"name":"t","vm_id":"","disks":[],"volume_groups":[{"logical_volumes":[{"name":"l","file_system":"xfs","inode_size":1,"mount_point":"","size":1,"used_size":1,"free_size":0,"block_size":1048577}]}]}}`,
			"block_size: 1048577 not in 0..1048576"},
		{`{"name":"x","type":"MIGRATE_FILE","os_type":"LINUX","source_server":{"id":"s"},"region_name":"r","region_id":"r","project_name":"p","project_id":"p"}`, "target_server: required"},
	} {
		err := c.Do(context.Background(), sms.Call{Method: "POST", Path: "/v3/tasks", Body: rawJSON(tc.body)}, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("body %.60s…: err %v; want %q", tc.body, err, tc.want)
		}
	}
}

type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func TestAdminFaults(t *testing.T) {
	f, srv := start(t, Config{AK: testAK, SK: testSK, Admin: true})
	resp, err := http.Post(srv.URL+"/_fake/faults", "application/json", bytes.NewReader([]byte(`{"path":"/v3/tasks","status":503,"times":2}`)))
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("inject: %v %v", err, resp)
	}
	if len(f.faults) != 1 || f.faults[0].Times != 2 || f.faults[0].Status != 503 {
		t.Errorf("faults = %+v", f.faults)
	}
}

func TestDiskInfoOnlyWhileWaiting(t *testing.T) {
	f, srv := start(t, Config{AK: testAK, SK: testSK, ProjectID: testProject})
	c := newClient(t, srv, aksk())
	ctx := context.Background()
	body := source("web-9")
	id, _, err := c.EnsureSource(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Source(ctx, id)
	if err != nil || got.State != sms.SourceWaiting || got.Name != "web-9" {
		t.Fatalf("source %+v, %v; want web-9 waiting", got, err)
	}
	info := sms.DiskInfoOf(body)
	info.Disks = append(info.Disks, sms.ServerDisk{Name: "/dev/vdb", DeviceUse: "NORMAL", Size: 2 << 30, PhysicalVolumes: []sms.PhysicalVolume{}})
	if err := c.UpdateDiskInfo(ctx, id, info); err != nil {
		t.Fatal(err)
	}
	src := f.Sources()[0]
	if src.DiskInfoPuts != 1 || !strings.Contains(string(src.DiskInfo), `"volumegroups":[]`) || !strings.Contains(string(src.DiskInfo), `/dev/vdb`) {
		t.Errorf("stored diskinfo %s (%d puts)", src.DiskInfo, src.DiskInfoPuts)
	}
	f.SetSourceState(id, "replicate")
	err = c.UpdateDiskInfo(ctx, id, info)
	var ae *sms.APIError
	if !errors.As(err, &ae) || ae.Status != 400 || !strings.Contains(ae.Message, "not waiting") {
		t.Errorf("PUT while replicating: %v; want a 400 saying not waiting", err)
	}
	// The body is checked against PutDiskInfoReq: volume_groups (with _) is unknown there.
	rawErr := c.Do(ctx, sms.Call{Method: http.MethodPut, Path: "/v3/sources/" + id + "/diskinfo",
		Body: map[string]any{"disks": []any{}, "volume_groups": []any{}}}, nil)
	if rawErr == nil || !strings.Contains(rawErr.Error(), "volume_groups: unknown field") {
		t.Errorf("volume_groups accepted: %v", rawErr)
	}
}

func TestRateLimit(t *testing.T) {
	f, srv := start(t, Config{AK: testAK, SK: testSK, ProjectID: testProject, RateLimit: 3})
	c := newClient(t, srv, aksk())
	c.Retry.Attempts = 1
	ctx := context.Background()
	var limited int
	for i := 0; i < 6; i++ {
		_, err := c.ListSources(ctx, "")
		var ae *sms.APIError
		if errors.As(err, &ae) && ae.Status == 429 {
			limited++
			if ae.RetryAfter != time.Second {
				t.Errorf("Retry-After %v; want 1s", ae.RetryAfter)
			}
		}
	}
	st := f.Stats()
	// Six requests within (at most) two wall-clock seconds with a limit of 3 per second:
	// at least 0 and at most 3 are refused, and the counts must agree.
	if st.Requests != 6 || st.Limited != limited || st.PeakPerSec > 6 || st.PeakPerSec < 3 {
		t.Errorf("stats %+v, client saw %d 429s", st, limited)
	}
	if st.BusySeconds == 1 && limited != 3 {
		t.Errorf("6 requests in one second, limit 3: %d refused; want 3", limited)
	}
}
