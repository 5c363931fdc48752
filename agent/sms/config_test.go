package sms

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseConfig(t *testing.T) {
	got, err := ParseConfig(strings.NewReader("\ufeff# comment\n\nregion = ap-southeast-3\n  sk=\"a = b # c\"  \nproxy=http://p:3128\nempty =\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"region": "ap-southeast-3", "sk": "a = b # c", "proxy": "http://p:3128", "empty": ""}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for in, wantErr := range map[string]string{
		"region\n":                  "config line 1: want key = value",
		"Region = x\n":              "config line 1: bad key (want lower-case letters, digits, _)",
		"a = 1\na = 2\n":            "config line 2: a: set twice (first on line 1)",
		"sk = \"SECRETVALUE\n":      "config line 1: sk: unterminated quote",
		"# x\n\nk-ey = SECRETVALUE": "config line 3: bad key (want lower-case letters, digits, _)",
	} {
		_, err := ParseConfig(strings.NewReader(in))
		if err == nil || err.Error() != wantErr {
			t.Errorf("%q: err %v; want %s", in, err, wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "SECRETVALUE") {
			t.Errorf("%q: value in error", in)
		}
	}
}

func TestParseConfigEntriesListsEveryProblem(t *testing.T) {
	in := "region = ap-southeast-3\nbroken line\nak = \"SECRETVALUE\nregion = x\nBad = 1\nretries = 3\n"
	entries, probs := ParseConfigEntries(strings.NewReader(in))
	var got []string
	for _, p := range probs {
		got = append(got, p.Error())
	}
	want := []string{
		"config line 2: want key = value",
		"config line 3: ak: unterminated quote",
		"config line 4: region: set twice (first on line 1)",
		"config line 5: bad key (want lower-case letters, digits, _)",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(entries) != 2 || entries[0] != (ConfigEntry{Key: "region", Value: "ap-southeast-3", Line: 1}) ||
		entries[1] != (ConfigEntry{Key: "retries", Value: "3", Line: 6}) {
		t.Errorf("entries %+v", entries)
	}
}

func TestRedact(t *testing.T) {
	got := Redact("ak AKVALUE1 sk SKVALUE2 abc", []string{"AKVALUE1", "SKVALUE2", "abc"})
	if got != "ak *** sk *** abc" {
		t.Errorf("got %q", got)
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{"a = b\n", "# c\nk=\"v\"\n", "x", "a=1\na=2", "\ufeffk = v"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseConfig(strings.NewReader(s))
		if err != nil {
			if strings.Contains(s, "=") {
				_, v, _ := strings.Cut(s, "=")
				if v = strings.TrimSpace(v); len(v) > 8 && strings.Contains(err.Error(), v) {
					t.Errorf("error %q repeats a value", err)
				}
			}
			return
		}
		for k := range m {
			if k == "" || strings.ContainsAny(k, " =#\n") {
				t.Errorf("bad key %q", k)
			}
		}
	})
}

// Every error of a config file names the file, and the line when there is one.
// Every error of a config file names the file, and the line and key when there is
// one; half a credential pair is found with its line.
func TestLoadConfigErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sms.conf")
	for content, want := range map[string]string{
		"# c\nregion = x\nregion = y\n":  p + ":3: region: set twice (first on line 2)",
		"region = x\nak = SECRETVALUE\n": p + ":2: ak: set without sk (both or neither)",
		"iam_password = SECRETVALUE\n":   p + ":1: iam_password: set without iam_user (both or neither)",
		"region = x\n\nwhat\n":           p + ":3: want key = value",
	} {
		os.WriteFile(p, []byte(content), 0o600)
		_, err := LoadConfig(p, os.Geteuid())
		var ce *ConfigError
		if !errors.As(err, &ce) || err.Error() != want {
			t.Errorf("%q: err %v; want %s", content, err, want)
		}
	}
	if _, err := LoadConfig(dir, os.Geteuid()); err == nil || err.Error() != dir+": not a config file: it is a directory" {
		t.Errorf("directory: %v", err)
	}
	if _, err := LoadConfig(filepath.Join(dir, "missing"), os.Geteuid()); !errors.Is(err, os.ErrNotExist) || strings.Count(err.Error(), filepath.Join(dir, "missing")) != 1 {
		t.Errorf("missing: %v", err)
	}
	c := &ConfigFile{Path: p, Lines: map[string]int{"priority": 7}}
	if err := c.Errorf("priority", "want an integer from %d to %d", 0, 65535); err.Error() != p+":7: priority: want an integer from 0 to 65535" {
		t.Errorf("Errorf: %v", err)
	}
}

func TestLoadConfigFilePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("modes are not checked on Windows")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "sms.conf")
	os.WriteFile(p, []byte("ak = x\nsk = y\n"), 0o600)
	if _, err := LoadConfigFile(p, os.Geteuid()); err != nil {
		t.Errorf("0600: %v", err)
	}
	os.Chmod(p, 0o640)
	if _, err := LoadConfigFile(p, os.Geteuid()); !errors.Is(err, ErrConfigPermissions) {
		t.Errorf("0640: err %v", err)
	}
	os.Chmod(p, 0o400)
	if _, err := LoadConfigFile(p, os.Geteuid()+1); !errors.Is(err, ErrConfigPermissions) || !strings.Contains(err.Error(), "owned by uid") {
		t.Errorf("other owner: err %v", err)
	}
}

func TestLoadCredentials(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cfg := map[string]string{KeyAK: "cfgak", KeySK: "cfgsk"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		cfg  map[string]string
		kind string
		from string
		err  string
	}{
		{"cloud sdk env", map[string]string{"CLOUD_SDK_AK": "a", "CLOUD_SDK_SK": "s"}, cfg, "AK/SK", "environment CLOUD_SDK_AK", ""},
		{"huaweicloud env temporary", map[string]string{"HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": "s", "HUAWEICLOUD_SDK_SECURITY_TOKEN": "t"}, nil, "temporary AK/SK", "environment HUAWEICLOUD_SDK_AK", ""},
		{"half env pair", map[string]string{"CLOUD_SDK_AK": "a"}, cfg, "", "", "environment: CLOUD_SDK_AK and CLOUD_SDK_SK must both be set"},
		{"config", nil, cfg, "AK/SK", "config file", ""},
		{"config token", nil, map[string]string{KeyAuthToken: "t"}, "token", "config file", ""},
		{"env password", map[string]string{"SMS_AGENT_IAM_USER": "u", "SMS_AGENT_IAM_PASSWORD": "p"}, cfg, "password", "environment SMS_AGENT_IAM_USER", ""},
		{"config half password", nil, map[string]string{KeyIAMUser: "u"}, "", "", "config file: iam_user and iam_password must both be set"},
		{"none", nil, nil, "", "", "no credentials"},
	} {
		c, err := LoadCredentials(tc.cfg, env(tc.env))
		if tc.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("%s: err %v; want %s", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || c.Kind() != tc.kind || c.Source != tc.from {
			t.Errorf("%s: %v %s %s", tc.name, err, c.Kind(), c.Source)
		}
	}
	c := Credentials{AK: "AKSECRET", SK: "SKSECRET", Source: "x"}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c)} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("formatting shows a secret: %s", s)
		}
	}
}

func TestEndpoint(t *testing.T) {
	for _, tc := range []struct{ region, override, want, err string }{
		{"ap-southeast-3", "", "https://sms.ap-southeast-3.myhuaweicloud.com", ""},
		{"cn-north-4", "https://sms.example.com/", "https://sms.example.com", ""},
		{"", "http://127.0.0.1:8089", "http://127.0.0.1:8089", ""},
		{"", "http://[::1]:80", "http://[::1]:80", ""},
		{"", "http://localhost:1", "http://localhost:1", ""},
		{"", "http://10.0.0.1", "", "plain http is allowed only for loopback addresses"},
		{"evil.com/x?", "", "", `region "evil.com/x?": not a region name like ap-southeast-3 (or give the sms endpoint)`},
		{"", "ftp://x", "", "scheme must be https"},
		{"", "https://user:pw@x", "", "want scheme://host"},
	} {
		u, err := Endpoint("sms", tc.region, tc.override)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q %q: err %v; want %s", tc.region, tc.override, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "pw") {
				t.Errorf("password in error %v", err)
			}
			continue
		}
		if err != nil || u.String() != tc.want {
			t.Errorf("%q %q: %v %v; want %s", tc.region, tc.override, u, err, tc.want)
		}
	}
}

func TestProxyFunc(t *testing.T) {
	pf, err := ProxyFunc("proxy.corp:3128", "internal.corp, .svc.local,10.0.0.0/8,192.168.1.5,sms.example.com:8443")
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{
		"sms.ap-southeast-3.myhuaweicloud.com:443": true,
		"internal.corp:443":                        false,
		"a.internal.corp":                          false,
		"notinternal.corp":                         true,
		"x.svc.local":                              false,
		"svc.local":                                false,
		"10.1.2.3:443":                             false,
		"192.168.1.5":                              false,
		"192.168.1.6":                              true,
		"sms.example.com:8443":                     false,
		"sms.example.com:443":                      true,
		"127.0.0.1:8089":                           false,
		"[::1]:80":                                 false,
		"localhost:1":                              false,
	} {
		u, err := pf(host)
		if err != nil || (u != nil) != want {
			t.Errorf("%s: proxy %v, %v; want proxied %v", host, u, err, want)
		}
		if u != nil && u.String() != "http://proxy.corp:3128" {
			t.Errorf("proxy URL %s", u)
		}
	}
	all, _ := ProxyFunc("http://p:1", "*")
	if u, _ := all("x.com"); u != nil {
		t.Errorf("* must disable the proxy")
	}
	none, _ := ProxyFunc("", "")
	if u, _ := none("x.com"); u != nil {
		t.Errorf("no proxy configured")
	}
	if _, err := ProxyFunc("ftp://u:secretpw@p", ""); err == nil || strings.Contains(err.Error(), "secretpw") {
		t.Errorf("bad scheme: %v", err)
	}
}
