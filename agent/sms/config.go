package sms

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strings"

	"github.com/sms-agent/sms-agent/platform"
)

// ConfigEntry is one `key = value` line of the config file.
type ConfigEntry struct {
	Key, Value string
	Line       int
}

// ConfigProblem is what is wrong with one line (Line 0: the file as a whole). Its
// message names the key, never the value (values may be secrets).
type ConfigProblem struct {
	Line int
	Key  string
	Msg  string
}

func (p ConfigProblem) Error() string {
	if p.Line == 0 {
		return p.Msg
	}
	if p.Key != "" {
		return fmt.Sprintf("config line %d: %s: %s", p.Line, p.Key, p.Msg)
	}
	return fmt.Sprintf("config line %d: %s", p.Line, p.Msg)
}

// ParseConfigEntries reads the agent's config file: one `key = value` per line, `#`
// starts a comment line, blank lines are ignored, a value may be wrapped in double
// quotes. Keys are lower-case [a-z0-9_]; a repeated key is a problem. Every bad line is
// reported (config check lists them all); the entries are the good lines, in order.
func ParseConfigEntries(r io.Reader) ([]ConfigEntry, []ConfigProblem) {
	keyRE := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	var out []ConfigEntry
	var probs []ConfigProblem
	seen := map[string]int{}
	sc := bufio.NewScanner(io.LimitReader(r, 1<<20))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			probs = append(probs, ConfigProblem{Line: n, Msg: "want key = value"})
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !keyRE.MatchString(k) {
			probs = append(probs, ConfigProblem{Line: n, Msg: "bad key (want lower-case letters, digits, _)"})
			continue
		}
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		} else if strings.HasPrefix(v, `"`) {
			probs = append(probs, ConfigProblem{Line: n, Key: k, Msg: "unterminated quote"})
			continue
		}
		if first, dup := seen[k]; dup {
			probs = append(probs, ConfigProblem{Line: n, Key: k, Msg: fmt.Sprintf("set twice (first on line %d)", first)})
			continue
		}
		seen[k] = n
		out = append(out, ConfigEntry{Key: k, Value: v, Line: n})
	}
	if err := sc.Err(); err != nil {
		probs = append(probs, ConfigProblem{Line: n + 1, Msg: err.Error()})
	}
	return out, probs
}

// ParseConfig is ParseConfigEntries as a map; the first problem is the error.
func ParseConfig(r io.Reader) (map[string]string, error) {
	entries, probs := ParseConfigEntries(r)
	if len(probs) > 0 {
		return nil, probs[0]
	}
	out := make(map[string]string, len(entries))
	for _, e := range entries {
		out[e.Key] = e.Value
	}
	return out, nil
}

// ErrConfigPermissions: the config file may hold secrets and is readable by others.
var ErrConfigPermissions = errors.New("config file must be private")

// ConfigFile is a parsed config file: the value of each key and the line it is on.
type ConfigFile struct {
	Path   string
	Values map[string]string
	Lines  map[string]int
}

// ConfigError is a mistake in a config file: the file, the line (0: the file as a
// whole), the key when known, and what is wrong. It never holds a value (values may
// be secrets).
type ConfigError struct {
	Path string
	Line int
	Key  string
	Err  error
}

// Error reads "/etc/sms-agent/sms.conf:3: priority: want an integer from 0 to 65535",
// like the lines of `config check`.
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Errorf returns a ConfigError at the line of key (which need not be set).
func (c *ConfigFile) Errorf(key, format string, args ...any) error {
	return &ConfigError{Path: c.Path, Line: c.Lines[key], Key: key, Err: fmt.Errorf(format, args...)}
}

// LoadConfig reads and parses the config file at path (see ReadConfigFile). Every
// error is a *ConfigError naming the file and, when it is about a line, the line and
// the key: the first problem of ParseConfigEntries, or half a credential pair (ak
// without sk, iam_user without iam_password), found here rather than when the
// credentials are used, where the line is no longer known.
func LoadConfig(path string, euid int) (*ConfigFile, error) {
	b, err := ReadConfigFile(path, euid)
	if err != nil {
		return nil, err
	}
	entries, probs := ParseConfigEntries(bytes.NewReader(b))
	if len(probs) > 0 {
		p := probs[0]
		return nil, &ConfigError{Path: path, Line: p.Line, Key: p.Key, Err: errors.New(p.Msg)}
	}
	c := &ConfigFile{Path: path, Values: map[string]string{}, Lines: map[string]int{}}
	for _, e := range entries {
		c.Values[e.Key], c.Lines[e.Key] = e.Value, e.Line
	}
	if set, missing := halfPair(c.Values); set != "" {
		return nil, c.Errorf(set, "set without %s (both or neither)", missing)
	}
	return c, nil
}

// LoadConfigFile is LoadConfig returning only the values.
func LoadConfigFile(path string, euid int) (map[string]string, error) {
	c, err := LoadConfig(path, euid)
	if err != nil {
		return nil, err
	}
	return c.Values, nil
}

// ReadConfigFile returns the bytes of the config file at path (at most 1 MiB),
// refusing it unless it is a regular file only its owner (euid) can read or write
// (mode 0600 or stricter; on Windows the mode is not checked). A directory or a named
// pipe is refused without being opened. Errors are *ConfigError naming the file.
func ReadConfigFile(path string, euid int) ([]byte, error) {
	fail := func(err error) ([]byte, error) { return nil, &ConfigError{Path: path, Err: err} }
	f, err := platform.OpenRegular(path)
	if errors.Is(err, platform.ErrNotRegular) {
		return fail(fmt.Errorf("not a config file: %w", err))
	}
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if err := checkPrivate(fi, euid); err != nil {
		return fail(err)
	}
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return fail(err)
	}
	return b, nil
}

// halfPair returns a credential key set without its partner, and the partner.
func halfPair(cfg map[string]string) (set, missing string) {
	for _, p := range [][2]string{{KeyAK, KeySK}, {KeyIAMUser, KeyIAMPassword}} {
		switch a, b := cfg[p[0]] != "", cfg[p[1]] != ""; {
		case a && !b:
			return p[0], p[1]
		case b && !a:
			return p[1], p[0]
		}
	}
	return "", ""
}

// Redact replaces every secret (of 4 characters or more) in s with ***: a last guard
// for messages and log lines, which are built without secrets in the first place.
func Redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return s
}

// Secret config keys: never printed.
const (
	KeyAK            = "ak"
	KeySK            = "sk"
	KeySecurityToken = "security_token"
	KeyAuthToken     = "auth_token"
	KeyIAMUser       = "iam_user"
	KeyIAMPassword   = "iam_password"
	KeyIAMDomain     = "iam_domain"
)

// CredentialKeys are the config keys that hold credentials (not flags).
func CredentialKeys() []string {
	return []string{KeyAK, KeySK, KeySecurityToken, KeyAuthToken, KeyIAMUser, KeyIAMPassword, KeyIAMDomain}
}

// Credentials are what the agent authenticates with. String never shows a secret.
type Credentials struct {
	AK, SK, SecurityToken string // AK/SK signing; SecurityToken for temporary keys
	AuthToken             string // an IAM token given directly
	IAMUser, IAMPassword  string // IAM password authentication
	IAMDomain             string // the account (domain) name; default the user
	Source                string // where they came from, for messages
}

func (c Credentials) String() string {
	return fmt.Sprintf("credentials(%s from %s)", c.Kind(), c.Source)
}

// GoString keeps %#v from printing secrets.
func (c Credentials) GoString() string { return c.String() }

// Kind is "AK/SK", "temporary AK/SK", "token", "password" or "none".
func (c Credentials) Kind() string {
	switch {
	case c.AK != "" && c.SK != "" && c.SecurityToken != "":
		return "temporary AK/SK"
	case c.AK != "" && c.SK != "":
		return "AK/SK"
	case c.AuthToken != "":
		return "token"
	case c.IAMUser != "" && c.IAMPassword != "":
		return "password"
	}
	return "none"
}

// Secrets lists the secret values, for redaction.
func (c Credentials) Secrets() []string {
	var out []string
	for _, s := range []string{c.AK, c.SK, c.SecurityToken, c.AuthToken, c.IAMPassword} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// LoadCredentials picks credentials from the environment, else the config file. The
// environment wins as a whole set: AK/SK from CLOUD_SDK_AK/CLOUD_SDK_SK, else
// HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK (with HUAWEICLOUD_SDK_SECURITY_TOKEN), else a
// token from SMS_AGENT_AUTH_TOKEN, else SMS_AGENT_IAM_USER/SMS_AGENT_IAM_PASSWORD
// (SMS_AGENT_IAM_DOMAIN). A half pair (an AK without SK) is an error, not a fallback.
func LoadCredentials(cfg map[string]string, getenv func(string) string) (Credentials, error) {
	env := func(k string) string { return strings.TrimSpace(getenv(k)) }
	tok := env("HUAWEICLOUD_SDK_SECURITY_TOKEN")
	for _, p := range [][2]string{{"CLOUD_SDK_AK", "CLOUD_SDK_SK"}, {"HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK"}} {
		ak, sk := env(p[0]), env(p[1])
		if ak != "" && sk != "" {
			return Credentials{AK: ak, SK: sk, SecurityToken: tok, Source: "environment " + p[0]}, nil
		}
		if ak != "" || sk != "" {
			return Credentials{}, fmt.Errorf("environment: %s and %s must both be set", p[0], p[1])
		}
	}
	if t := env("SMS_AGENT_AUTH_TOKEN"); t != "" {
		return Credentials{AuthToken: t, Source: "environment SMS_AGENT_AUTH_TOKEN"}, nil
	}
	if u, p := env("SMS_AGENT_IAM_USER"), getenv("SMS_AGENT_IAM_PASSWORD"); u != "" || p != "" {
		if u == "" || p == "" {
			return Credentials{}, errors.New("environment: SMS_AGENT_IAM_USER and SMS_AGENT_IAM_PASSWORD must both be set")
		}
		return Credentials{IAMUser: u, IAMPassword: p, IAMDomain: env("SMS_AGENT_IAM_DOMAIN"), Source: "environment SMS_AGENT_IAM_USER"}, nil
	}
	c := Credentials{
		AK: cfg[KeyAK], SK: cfg[KeySK], SecurityToken: cfg[KeySecurityToken], AuthToken: cfg[KeyAuthToken],
		IAMUser: cfg[KeyIAMUser], IAMPassword: cfg[KeyIAMPassword], IAMDomain: cfg[KeyIAMDomain], Source: "config file",
	}
	if set, missing := halfPair(cfg); set != "" {
		return Credentials{}, fmt.Errorf("config file: %s and %s must both be set", set, missing)
	}
	if c.Kind() == "none" {
		return Credentials{}, errors.New("no credentials: set CLOUD_SDK_AK and CLOUD_SDK_SK (or HUAWEICLOUD_SDK_AK/SK), or ak/sk, auth_token or iam_user/iam_password in the config file (see docs/sms.md)")
	}
	return c, nil
}

// checkRegion fails unless region looks like a region name (ap-southeast-3).
func checkRegion(region string) error {
	if !regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`).MatchString(region) {
		return errors.New("not a region name like ap-southeast-3")
	}
	return nil
}

// Endpoint returns the base URL of service ("sms" or "iam"): override when given,
// else https://<service>.<region>.myhuaweicloud.com. Plain http:// is accepted only
// for a loopback host (the fake, tests).
func Endpoint(service, region, override string) (*url.URL, error) {
	if override == "" {
		if err := checkRegion(region); err != nil {
			return nil, fmt.Errorf("region %s: %w (or give the %s endpoint)", platform.QuoteValue(region), err, service)
		}
		override = "https://" + service + "." + region + ".myhuaweicloud.com"
	}
	u, err := url.Parse(override)
	if err != nil {
		return nil, fmt.Errorf("%s endpoint: %w", service, err)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Host == "" {
		return nil, fmt.Errorf("%s endpoint %s: want scheme://host[:port][/path] only", service, u.Redacted())
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopbackHost(u.Hostname()) {
			return nil, fmt.Errorf("%s endpoint %s: plain http is allowed only for loopback addresses; use https", service, u)
		}
	default:
		return nil, fmt.Errorf("%s endpoint %s: scheme must be https", service, u)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// IsLoopbackHost reports whether host is localhost or a loopback IP.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// ProxyFunc chooses the proxy of a request: proxyURL (config or HTTPS_PROXY) unless
// the host matches noProxy (NO_PROXY syntax: comma-separated hosts, .domain or domain
// suffixes, IPs, CIDRs, host:port, "*"). Loopback hosts are never proxied.
func ProxyFunc(proxyURL, noProxy string) (func(host string) (*url.URL, error), error) {
	if proxyURL == "" {
		return func(string) (*url.URL, error) { return nil, nil }, nil
	}
	if !strings.Contains(proxyURL, "://") {
		proxyURL = "http://" + proxyURL
	}
	pu, err := url.Parse(proxyURL)
	if err != nil || pu.Host == "" {
		return nil, errors.New("proxy: not a URL like http://proxy.example:3128")
	}
	if pu.Scheme != "http" && pu.Scheme != "https" && pu.Scheme != "socks5" {
		return nil, fmt.Errorf("proxy %s: scheme must be http, https or socks5", pu.Redacted())
	}
	var rules []string
	for _, r := range strings.Split(noProxy, ",") {
		if r = strings.ToLower(strings.TrimSpace(r)); r != "" {
			rules = append(rules, r)
		}
	}
	return func(hostport string) (*url.URL, error) {
		host, port, err := net.SplitHostPort(hostport)
		if err != nil {
			host = hostport
		}
		host = strings.ToLower(strings.Trim(host, "[]"))
		if IsLoopbackHost(host) || noProxyMatch(rules, host, port) {
			return nil, nil
		}
		return pu, nil
	}, nil
}

func noProxyMatch(rules []string, host, port string) bool {
	ip, ipErr := netip.ParseAddr(host)
	for _, r := range rules {
		if r == "*" {
			return true
		}
		if pfx, err := netip.ParsePrefix(r); err == nil {
			if ipErr == nil && pfx.Contains(ip) {
				return true
			}
			continue
		}
		rh, rp, err := net.SplitHostPort(r)
		if err != nil {
			rh, rp = r, ""
		}
		if rp != "" && rp != port {
			continue
		}
		rh = strings.Trim(rh, "[]")
		if a, err := netip.ParseAddr(rh); err == nil {
			if ipErr == nil && a == ip {
				return true
			}
			continue
		}
		rh = strings.TrimPrefix(rh, "*")
		if strings.HasPrefix(rh, ".") {
			if strings.HasSuffix(host, rh) || host == rh[1:] {
				return true
			}
		} else if host == rh || strings.HasSuffix(host, "."+rh) {
			return true
		}
	}
	return false
}
