// Package smsfake is a loopback fake of the SMS v3 and IAM endpoints the agent uses,
// for tests and rehearsals (cmd/sms-fake). It validates request bodies strictly
// against the documented schemas (an unknown field is an error), verifies AK/SK
// signatures and IAM tokens, stores sources and tasks, and injects faults on demand:
// error statuses, 429 with Retry-After, slow answers and dropped connections. A rate
// limit answers 429 past a number of requests per second, as the API gateway does, and
// Stats reports the request rate seen.
package smsfake

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sms-agent/sms-agent/agent/sms"
)

// Config is what the fake accepts.
type Config struct {
	AK, SK        string // the accepted access key pair
	SecurityToken string // when set, AK/SK requests must carry it (temporary credentials)
	ProjectID     string // the project every call must be scoped to
	IAMUser       string // password authentication
	IAMPassword   string
	IAMDomain     string        // default: IAMUser
	Tokens        []string      // tokens accepted as given (besides issued ones)
	TokenTTL      time.Duration // issued tokens' lifetime (default 24 h)
	ClockOffset   time.Duration // the fake's clock is the real one plus this
	MaxSkew       time.Duration // X-Sdk-Date tolerance (default 15 min)
	Admin         bool          // serve /_fake/ (fault injection and state over HTTP)
	// SourceState is the state of a newly registered source (default "waiting"; SMS
	// takes disk info and tasks only then). SetSourceState changes it.
	SourceState string
	// RateLimit answers 429 (APIGW.0308, Retry-After: 1) to the SMS requests past this
	// many in one second; 0 is no limit. IAM and /_fake/ are not limited.
	RateLimit int
}

// Fault is an injected failure for the next Times requests matching Method and Path
// (a prefix; "" matches any).
type Fault struct {
	Method     string        `json:"method,omitempty"`
	Path       string        `json:"path,omitempty"`
	Times      int           `json:"times"`                 // default 1
	Status     int           `json:"status,omitempty"`      // answer this status with an SMS error body
	RetryAfter string        `json:"retry_after,omitempty"` // with Status 429/503
	Delay      time.Duration `json:"delay,omitempty"`       // wait this long first
	Drop       bool          `json:"drop,omitempty"`        // close the connection without an answer
	DropAfter  bool          `json:"drop_after,omitempty"`  // handle the request, then drop the answer
}

// Source and Task are what the fake stores.
type Source struct {
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	State string          `json:"state"`
	Body  json.RawMessage `json:"body"`
	// DiskInfo is the last PUT /v3/sources/{id}/diskinfo body (nil: none); DiskInfoPuts
	// counts them.
	DiskInfo     json.RawMessage `json:"diskinfo,omitempty"`
	DiskInfoPuts int             `json:"diskinfo_puts"`
}

// Task is a created task.
type Task struct {
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	SourceID string          `json:"source_id"`
	Body     json.RawMessage `json:"body"`
}

// Request is a request the fake received (without credentials).
type Request struct {
	Method, Path, Query string
	Auth                string // "aksk", "token" or ""
}

// Server is the fake. Create it with New; it is safe for concurrent use.
type Server struct {
	cfg     Config
	mu      sync.Mutex
	sources []Source
	tasks   []Task
	tokens  map[string]time.Time
	faults  []Fault
	reqs    []Request
	n       int
	// rate limiting and statistics: requests in the current second, the peak, 429s
	second    int64
	inSecond  int
	peak      int
	total     int
	limited   int
	perSecond map[int64]int
}

// Stats is what the fake saw of the SMS requests (IAM and /_fake/ not counted).
type Stats struct {
	Requests    int `json:"requests"`      // every SMS request, 429s included
	Limited     int `json:"limited"`       // answered 429 by the rate limit
	PeakPerSec  int `json:"peak_per_sec"`  // most requests within one wall-clock second
	BusySeconds int `json:"busy_seconds"`  // seconds with at least one request
	Sources     int `json:"sources"`       // registered
	Tasks       int `json:"tasks"`         // created
	DiskInfo    int `json:"diskinfo_puts"` // PUT /v3/sources/{id}/diskinfo accepted
}

// New returns a fake with cfg.
func New(cfg Config) *Server {
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = 24 * time.Hour
	}
	if cfg.MaxSkew == 0 {
		cfg.MaxSkew = 15 * time.Minute
	}
	if cfg.IAMDomain == "" {
		cfg.IAMDomain = cfg.IAMUser
	}
	if cfg.SourceState == "" {
		cfg.SourceState = sms.SourceWaiting
	}
	return &Server{cfg: cfg, tokens: map[string]time.Time{}, perSecond: map[int64]int{}}
}

// SetSourceState sets the state of the source id; false when there is no such source.
func (s *Server) SetSourceState(id, state string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.sources {
		if s.sources[i].ID == id {
			s.sources[i].State = state
			return true
		}
	}
	return false
}

// Stats returns the request statistics and what is stored.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Requests: s.total, Limited: s.limited, PeakPerSec: s.peak, BusySeconds: len(s.perSecond),
		Sources: len(s.sources), Tasks: len(s.tasks)}
	for _, src := range s.sources {
		st.DiskInfo += src.DiskInfoPuts
	}
	return st
}

// count records an SMS request and reports whether the rate limit lets it through.
func (s *Server) count() bool {
	now := time.Now().Unix()
	s.mu.Lock()
	defer s.mu.Unlock()
	if now != s.second {
		s.second, s.inSecond = now, 0
	}
	s.inSecond++
	s.total++
	s.perSecond[now]++
	if s.inSecond > s.peak {
		s.peak = s.inSecond
	}
	if s.cfg.RateLimit > 0 && s.inSecond > s.cfg.RateLimit {
		s.limited++
		return false
	}
	return true
}

func (s *Server) now() time.Time { return time.Now().Add(s.cfg.ClockOffset) }

// Inject queues a fault.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, f)
	s.mu.Unlock()
}

// Sources returns the stored sources.
func (s *Server) Sources() []Source {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Source(nil), s.sources...)
}

// Tasks returns the stored tasks.
func (s *Server) Tasks() []Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Task(nil), s.tasks...)
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Handler serves SMS (/v3/sources, /v3/tasks), IAM (/v3/auth/tokens) and, with
// Config.Admin, /_fake/faults (POST a Fault) and /_fake/state (GET).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/auth/tokens", s.issueToken)
	mux.HandleFunc("GET /v3/sources", s.authed(s.listSources))
	mux.HandleFunc("POST /v3/sources", s.authed(s.createSource))
	mux.HandleFunc("GET /v3/sources/{id}", s.authed(s.getSource))
	mux.HandleFunc("PUT /v3/sources/{id}/diskinfo", s.authed(s.putDiskInfo))
	mux.HandleFunc("GET /v3/tasks", s.authed(s.listTasks))
	mux.HandleFunc("POST /v3/tasks", s.authed(s.createTask))
	mux.HandleFunc("GET /v3/tasks/{id}", s.authed(s.getTask))
	if s.cfg.Admin {
		mux.HandleFunc("POST /_fake/faults", func(w http.ResponseWriter, r *http.Request) {
			var f Fault
			if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			s.Inject(f)
			w.WriteHeader(http.StatusNoContent)
		})
		mux.HandleFunc("GET /_fake/state", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, 200, map[string]any{"sources": s.Sources(), "tasks": s.Tasks(), "stats": s.Stats()})
		})
		mux.HandleFunc("POST /_fake/sources/{id}/state", func(w http.ResponseWriter, r *http.Request) {
			var v struct {
				State string `json:"state"`
			}
			if err := json.NewDecoder(r.Body).Decode(&v); err != nil || v.State == "" {
				http.Error(w, `want {"state":"..."}`, http.StatusBadRequest)
				return
			}
			if !s.SetSourceState(r.PathValue("id"), v.State) {
				http.Error(w, "no such source", http.StatusNotFound)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
		w.Header().Set("X-Request-Id", s.newID("req"))
		if strings.HasPrefix(r.URL.Path, "/_fake/") {
			mux.ServeHTTP(w, r)
			return
		}
		if r.URL.Path != "/v3/auth/tokens" && !s.count() {
			w.Header().Set("Retry-After", "1")
			gatewayError(w, http.StatusTooManyRequests, "APIGW.0308", "The throttling threshold has been reached")
			return
		}
		if f, ok := s.takeFault(r); ok {
			if f.Delay > 0 {
				select {
				case <-time.After(f.Delay):
				case <-r.Context().Done():
					return
				}
			}
			switch {
			case f.Drop:
				drop(w)
				return
			case f.DropAfter:
				mux.ServeHTTP(discard{h: http.Header{}}, r)
				drop(w)
				return
			case f.Status != 0:
				if f.RetryAfter != "" {
					w.Header().Set("Retry-After", f.RetryAfter)
				}
				smsError(w, f.Status, "SMS.0201", "injected fault: the network is busy")
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}

func (s *Server) takeFault(r *http.Request) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if (f.Method == "" || f.Method == r.Method) && strings.HasPrefix(r.URL.Path, f.Path) {
			s.faults[i].Times--
			if s.faults[i].Times <= 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			return f, true
		}
	}
	return Fault{}, false
}

func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

// discard is a ResponseWriter that throws the answer away (DropAfter).
type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}

func (s *Server) newID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	if prefix == "req" {
		return h
	}
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func smsError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"error_code": code, "error_msg": msg})
}

func gatewayError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// authed checks the request's credentials before h.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			smsError(w, 400, "SMS.0001", "cannot read the body")
			return
		}
		kind, ok := s.checkAuth(w, r, body)
		if !ok {
			return
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: kind})
		s.mu.Unlock()
		h(w, r, body)
	}
}

func (s *Server) checkAuth(w http.ResponseWriter, r *http.Request, body []byte) (string, bool) {
	if tok := r.Header.Get("X-Auth-Token"); tok != "" {
		s.mu.Lock()
		exp, issued := s.tokens[tok]
		s.mu.Unlock()
		for _, t := range s.cfg.Tokens {
			if tok == t {
				return "token", true
			}
		}
		if issued && s.now().Before(exp) {
			return "token", true
		}
		gatewayError(w, 401, "APIGW.0301", "Incorrect IAM authentication information: the token is invalid or expired")
		return "", false
	}
	authz := r.Header.Get("Authorization")
	if authz == "" {
		gatewayError(w, 401, "APIGW.0101", "The API does not exist or has not been published in the environment")
		return "", false
	}
	ak, signed, sig, ok := sms.ParseAuthorization(authz)
	if !ok || s.cfg.AK == "" || ak != s.cfg.AK {
		smsError(w, 401, "SMS.0202", "AK/SK authentication failed")
		return "", false
	}
	date, err := time.Parse(sms.SdkDateFormat, r.Header.Get(sms.HeaderSdkDate))
	if err != nil {
		smsError(w, 401, "SMS.0202", "AK/SK authentication failed: no valid X-Sdk-Date")
		return "", false
	}
	if d := s.now().Sub(date); d > s.cfg.MaxSkew || d < -s.cfg.MaxSkew {
		smsError(w, 401, "SMS.0205", "AK/SK authentication failed")
		return "", false
	}
	has := map[string]bool{}
	for _, h := range signed {
		has[h] = true
	}
	if !has["x-sdk-date"] || (s.cfg.ProjectID != "" && !has["x-project-id"]) {
		smsError(w, 401, "SMS.0202", "AK/SK authentication failed: x-sdk-date and x-project-id must be signed")
		return "", false
	}
	if s.cfg.ProjectID != "" && r.Header.Get(sms.HeaderProject) != s.cfg.ProjectID {
		smsError(w, 403, "SMS.0204", "insufficient permissions for this project")
		return "", false
	}
	if s.cfg.SecurityToken != "" && (r.Header.Get(sms.HeaderSecToken) != s.cfg.SecurityToken || !has["x-security-token"]) {
		smsError(w, 401, "SMS.0202", "AK/SK authentication failed: security token")
		return "", false
	}
	h := r.Header.Clone()
	if _, ok := h["Host"]; !ok && has["host"] {
		h.Set("Host", r.Host)
	}
	rr := &http.Request{Method: r.Method, URL: r.URL, Header: h}
	want := sms.Signature(sms.CanonicalRequest(rr, body, signed), r.Header.Get(sms.HeaderSdkDate), s.cfg.SK)
	if want != sig {
		smsError(w, 401, "SMS.0202", "AK/SK authentication failed: signature mismatch")
		return "", false
	}
	return "aksk", true
}

func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Auth struct {
			Identity struct {
				Methods  []string `json:"methods"`
				Password struct {
					User struct {
						Name     string `json:"name"`
						Password string `json:"password"`
						Domain   struct {
							Name string `json:"name"`
						} `json:"domain"`
					} `json:"user"`
				} `json:"password"`
			} `json:"identity"`
			Scope struct {
				Project struct {
					ID string `json:"id"`
				} `json:"project"`
			} `json:"scope"`
		} `json:"auth"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeJSON(w, 400, map[string]any{"error": map[string]any{"code": 400, "message": "bad request body", "title": "Bad Request"}})
		return
	}
	u := req.Auth.Identity.Password.User
	if s.cfg.IAMUser == "" || u.Name != s.cfg.IAMUser || u.Password != s.cfg.IAMPassword || u.Domain.Name != s.cfg.IAMDomain ||
		len(req.Auth.Identity.Methods) != 1 || req.Auth.Identity.Methods[0] != "password" {
		writeJSON(w, 401, map[string]any{"error": map[string]any{"code": 401, "message": "The username or password is wrong.", "title": "Unauthorized"}})
		return
	}
	if s.cfg.ProjectID != "" && req.Auth.Scope.Project.ID != s.cfg.ProjectID {
		writeJSON(w, 400, map[string]any{"error": map[string]any{"code": 400, "message": "project not found", "title": "Bad Request"}})
		return
	}
	tok := "MII" + s.newID("req") + s.newID("req")
	exp := s.now().Add(s.cfg.TokenTTL)
	s.mu.Lock()
	s.tokens[tok] = exp
	s.mu.Unlock()
	w.Header().Set("X-Subject-Token", tok)
	writeJSON(w, 201, map[string]any{"token": map[string]any{"expires_at": exp.UTC().Format(time.RFC3339Nano), "methods": []string{"password"}}})
}

// decodeStrict decodes body against sc; it answers 400 itself on failure.
func decodeStrict(w http.ResponseWriter, body []byte, sc schema) (map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil || dec.More() {
		smsError(w, 400, "SMS.0009", "the request body is not a JSON object")
		return nil, false
	}
	if errs := validate(sc, m, ""); len(errs) > 0 {
		smsError(w, 400, "SMS.0009", "invalid request body: "+strings.Join(errs, "; "))
		return nil, false
	}
	return m, true
}

func (s *Server) createSource(w http.ResponseWriter, _ *http.Request, body []byte) {
	m, ok := decodeStrict(w, body, postSourceSchema())
	if !ok {
		return
	}
	var problems []string
	if m["ip"] == nil && m["ipv6"] == nil {
		problems = append(problems, "ip or ipv6: required")
	}
	if m["os_type"] == "LINUX" {
		for _, k := range []string{"volume_groups", "btrfs_list"} {
			if _, ok := m[k].([]any); !ok {
				problems = append(problems, k+": required for LINUX ([] when none)")
			}
		}
	}
	if nets, _ := m["networks"].([]any); len(nets) == 0 || fmt.Sprint(nets[0].(map[string]any)["mac"]) == "" {
		problems = append(problems, "networks[0].mac: required")
	}
	if len(problems) > 0 {
		smsError(w, 400, "SMS.0009", "invalid request body: "+strings.Join(problems, "; "))
		return
	}
	src := Source{ID: s.newID(""), Name: m["name"].(string), State: s.cfg.SourceState, Body: body}
	s.mu.Lock()
	s.sources = append(s.sources, src)
	s.mu.Unlock()
	writeJSON(w, 200, map[string]string{"id": src.ID})
}

func (s *Server) listSources(w http.ResponseWriter, r *http.Request, _ []byte) {
	name := r.URL.Query().Get("name")
	out := []map[string]any{}
	for _, src := range s.Sources() {
		if name == "" || strings.Contains(src.Name, name) { // SMS matches names fuzzily
			out = append(out, map[string]any{"id": src.ID, "name": src.Name, "state": src.State, "connected": false})
		}
	}
	writeJSON(w, 200, map[string]any{"count": len(out), "source_servers": out})
}

func (s *Server) getSource(w http.ResponseWriter, r *http.Request, _ []byte) {
	for _, src := range s.Sources() {
		if src.ID == r.PathValue("id") {
			var m map[string]any
			_ = json.Unmarshal(src.Body, &m)
			m["id"], m["state"], m["connected"] = src.ID, src.State, false
			writeJSON(w, 200, m)
			return
		}
	}
	smsError(w, 404, "SMS.1808", "the source server does not exist")
}

// putDiskInfo replaces a source's disk info; SMS takes it only in the waiting state.
func (s *Server) putDiskInfo(w http.ResponseWriter, r *http.Request, body []byte) {
	if _, ok := decodeStrict(w, body, diskInfoSchema()); !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.sources {
		src := &s.sources[i]
		if src.ID != r.PathValue("id") {
			continue
		}
		if src.State != sms.SourceWaiting {
			// The code is the fake's: the documentation names none for this case.
			smsError(w, 400, "SMS.1812", "the source server is "+src.State+", not waiting: its disk info cannot be changed")
			return
		}
		src.DiskInfo, src.DiskInfoPuts = append(json.RawMessage(nil), body...), src.DiskInfoPuts+1
		w.WriteHeader(http.StatusOK)
		return
	}
	smsError(w, 404, "SMS.1808", "the source server does not exist")
}

func (s *Server) createTask(w http.ResponseWriter, _ *http.Request, body []byte) {
	m, ok := decodeStrict(w, body, postTaskSchema())
	if !ok {
		return
	}
	sid := m["source_server"].(map[string]any)["id"].(string)
	found := false
	for _, src := range s.Sources() {
		found = found || src.ID == sid
	}
	if !found {
		smsError(w, 400, "SMS.1808", "the source server does not exist")
		return
	}
	t := Task{ID: s.newID(""), Name: m["name"].(string), SourceID: sid, Body: body}
	s.mu.Lock()
	s.tasks = append(s.tasks, t)
	s.mu.Unlock()
	writeJSON(w, 200, map[string]string{"id": t.ID})
}

func taskView(t Task) map[string]any {
	var m map[string]any
	_ = json.Unmarshal(t.Body, &m)
	return map[string]any{"id": t.ID, "name": t.Name, "type": m["type"], "state": "READY",
		"source_server": map[string]any{"id": t.SourceID}}
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request, _ []byte) {
	sid := r.URL.Query().Get("source_server_id")
	out := []map[string]any{}
	for _, t := range s.Tasks() {
		if sid == "" || t.SourceID == sid {
			out = append(out, taskView(t))
		}
	}
	writeJSON(w, 200, map[string]any{"count": len(out), "tasks": out})
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request, _ []byte) {
	for _, t := range s.Tasks() {
		if t.ID == r.PathValue("id") {
			writeJSON(w, 200, taskView(t))
			return
		}
	}
	smsError(w, 404, "SMS.3802", "the task does not exist")
}
