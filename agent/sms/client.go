package sms

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sms-agent/sms-agent/platform"
)

// RetryPolicy bounds retries in count and time.
type RetryPolicy struct {
	Attempts int           // total attempts, ≥ 1 (default 5)
	Base     time.Duration // first backoff (default 1 s), doubled each time, ±50 % jitter
	MaxWait  time.Duration // longest single wait, Retry-After included (default 30 s)
	Budget   time.Duration // all attempts and waits of one operation (default 2 min)
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts < 1 {
		p.Attempts = 5
	}
	if p.Base <= 0 {
		p.Base = time.Second
	}
	if p.MaxWait <= 0 {
		p.MaxWait = 30 * time.Second
	}
	if p.Budget <= 0 {
		p.Budget = 2 * time.Minute
	}
	return p
}

// Client calls SMS.
type Client struct {
	Endpoint  *url.URL
	HTTP      *http.Client
	Auth      Authenticator
	Retry     RetryPolicy
	Timeout   time.Duration // per attempt (default 30 s)
	UserAgent string
	Now       func() time.Time
	// Logf reports retries (one line each, no secrets); nil is silent.
	Logf func(format string, args ...any)
}

// HTTPOptions configure the transport.
type HTTPOptions struct {
	CAFile  string // extra PEM CA certificates, added to the system's
	Proxy   string // proxy URL ("" none); HTTPS_PROXY/https_proxy when not configured
	NoProxy string
}

// NewHTTPClient builds the transport: TLS verification on (≥ TLS 1.2), the proxy
// chosen by ProxyFunc, no redirects followed (an API never redirects; a proxy portal
// might).
func NewHTTPClient(o HTTPOptions) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CAFile != "" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		pem, err := platform.ReadRegularFile(o.CAFile, 16<<20)
		if err != nil {
			return nil, fmt.Errorf("CA file %s: %w", platform.Quote(o.CAFile), err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate in it", o.CAFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	pf, err := ProxyFunc(o.Proxy, o.NoProxy)
	if err != nil {
		return nil, err
	}
	tr.Proxy = func(r *http.Request) (*url.URL, error) { return pf(r.URL.Host) }
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// Call is one API request.
type Call struct {
	Method string
	Path   string // below the endpoint: /v3/tasks
	Query  url.Values
	Body   any // JSON-encoded; nil for none
}

// ErrGaveUp wraps the last error when retries are exhausted.
var ErrGaveUp = errors.New("gave up")

// Do performs the call once (no retry), decoding a 2xx answer into out.
func (c *Client) Do(ctx context.Context, call Call, out any) error {
	return c.do(ctx, call, out, true)
}

func (c *Client) do(ctx context.Context, call Call, out any, renewAuth bool) error {
	var body []byte
	if call.Body != nil {
		var err error
		if body, err = EncodeBody(call.Body); err != nil {
			return err
		}
	}
	u := c.Endpoint.JoinPath(call.Path)
	if len(call.Query) > 0 {
		u.RawQuery = strings.ReplaceAll(call.Query.Encode(), "+", "%20")
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, call.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	if err := c.Auth.Authorize(actx, req, body); err != nil {
		return err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctx.Err() == nil && actx.Err() != nil {
			return &NetError{Op: call.Method + " " + call.Path, Err: fmt.Errorf("no answer within %v", timeout)}
		}
		return &NetError{Op: call.Method + " " + call.Path, Err: scrubURLError(err)}
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return &NetError{Op: call.Method + " " + call.Path, Err: scrubURLError(err)}
	}
	if resp.StatusCode >= 300 {
		e := ParseErrorBody(resp.StatusCode, resp.Header, rb)
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			e.Hint = clockHint(resp.Header.Get("Date"), c.Now())
			// An expired or revoked token: get a new one, once.
			if resp.StatusCode == http.StatusUnauthorized && renewAuth && c.Auth.Invalidate() {
				return c.do(ctx, call, out, false)
			}
		}
		if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), c.Now()); ok {
			e.RetryAfter = d
		}
		return e
	}
	if out != nil && len(bytes.TrimSpace(rb)) > 0 {
		if err := json.Unmarshal(rb, out); err != nil {
			return fmt.Errorf("%s %s: unexpected answer: %w", call.Method, call.Path, err)
		}
	}
	return nil
}

// EncodeBody is the JSON of a request body exactly as it is sent (and signed): compact,
// with <, > and & as they are (not \u003c: SMS's SDK encodes the same way), ending in
// one newline. `--dry-run` prints these very bytes.
func EncodeBody(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ServerClock reads the endpoint's clock: the Date header of its answer to one
// unauthenticated GET of its root (whatever the status), for the clock check.
func (c *Client) ServerClock(ctx context.Context) (time.Time, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, c.Endpoint.String(), nil)
	if err != nil {
		return time.Time{}, err
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctx.Err() == nil && actx.Err() != nil {
			return time.Time{}, fmt.Errorf("no answer within %v", timeout)
		}
		return time.Time{}, scrubURLError(err)
	}
	resp.Body.Close()
	d := resp.Header.Get("Date")
	if d == "" {
		return time.Time{}, errors.New("its answer has no Date header")
	}
	t, err := http.ParseTime(d)
	if err != nil {
		return time.Time{}, fmt.Errorf("its Date header %q: %w", d, err)
	}
	return t, nil
}

// NetError is a call that got no HTTP answer.
type NetError struct {
	Op  string
	Err error
}

func (e *NetError) Error() string { return e.Op + ": " + e.Err.Error() }

func (e *NetError) Unwrap() error { return e.Err }

// retryable reports whether err may pass on a new attempt, and the server's wait.
func retryable(err error) (bool, time.Duration) {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Retryable(), ae.RetryAfter
	}
	var ne *NetError
	return errors.As(err, &ne), 0
}

// WithRetry runs op until it succeeds, fails for good, or the policy's attempts or budget
// run out. Waits grow exponentially with jitter; a Retry-After is honoured (but a
// wait that would overrun the budget ends the retries).
func (c *Client) WithRetry(ctx context.Context, what string, op func(ctx context.Context) error) error {
	p := c.Retry.withDefaults()
	deadline := c.Now().Add(p.Budget)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var err error
	for attempt := 1; ; attempt++ {
		err = op(ctx)
		if err == nil {
			return nil
		}
		ok, after := retryable(err)
		if !ok || ctx.Err() != nil {
			return err
		}
		if attempt >= p.Attempts {
			return fmt.Errorf("%s: %w after %d attempts: %w", what, ErrGaveUp, attempt, err)
		}
		wait := p.Base << (attempt - 1)
		if wait > p.MaxWait || wait <= 0 {
			wait = p.MaxWait
		}
		wait = time.Duration(float64(wait) * (0.5 + rand.Float64())) // ±50 % jitter
		if after > 0 {
			if after > p.MaxWait {
				return fmt.Errorf("%s: %w: the service asks to wait %v (Retry-After), more than the %v allowed: %w", what, ErrGaveUp, after, p.MaxWait, err)
			}
			// At least what the service asks, plus up to half of it again: clients
			// told the same Retry-After (a rate limit's) do not all come back at once.
			wait = after + time.Duration(float64(after)*0.5*rand.Float64())
			if wait > p.MaxWait {
				wait = p.MaxWait
			}
		}
		if c.Now().Add(wait).After(deadline) {
			return fmt.Errorf("%s: %w after %d attempts (retry budget %v spent): %w", what, ErrGaveUp, attempt, p.Budget, err)
		}
		if c.Logf != nil {
			c.Logf("%s: attempt %d failed (%v); retrying in %v", what, attempt, err, wait.Round(time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// get runs a GET with retries.
func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	return c.WithRetry(ctx, "GET "+path, func(ctx context.Context) error {
		return c.Do(ctx, Call{Method: http.MethodGet, Path: path, Query: q}, out)
	})
}

// ListSources is GET /v3/sources?name=.
func (c *Client) ListSources(ctx context.Context, name string) (*ListSourcesResponse, error) {
	q := url.Values{}
	if name != "" {
		q.Set("name", name)
	}
	var out ListSourcesResponse
	return &out, c.get(ctx, "/v3/sources", q, &out)
}

// GetSource is GET /v3/sources/{id}; the raw JSON is returned for display.
func (c *Client) GetSource(ctx context.Context, id string) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.get(ctx, "/v3/sources/"+url.PathEscape(id), nil, &out)
}

// ListTasks is GET /v3/tasks, optionally for one source server.
func (c *Client) ListTasks(ctx context.Context, sourceID string) (json.RawMessage, error) {
	q := url.Values{}
	if sourceID != "" {
		q.Set("source_server_id", sourceID)
	}
	var raw json.RawMessage
	return raw, c.get(ctx, "/v3/tasks", q, &raw)
}

// GetTask is GET /v3/tasks/{id}.
func (c *Client) GetTask(ctx context.Context, id string) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.get(ctx, "/v3/tasks/"+url.PathEscape(id), nil, &out)
}

// FindSource returns the source registered under exactly name, or nil.
func (c *Client) FindSource(ctx context.Context, name string) (s *SourceServer, err error) {
	err = c.WithRetry(ctx, "GET /v3/sources", func(ctx context.Context) error {
		s, err = c.findSourceOnce(ctx, name)
		return err
	})
	return s, err
}

func (c *Client) findSourceOnce(ctx context.Context, name string) (*SourceServer, error) {
	var l ListSourcesResponse
	if err := c.Do(ctx, Call{Method: http.MethodGet, Path: "/v3/sources", Query: url.Values{"name": {name}}}, &l); err != nil {
		return nil, err
	}
	for i := range l.SourceServers {
		if l.SourceServers[i].Name == name {
			return &l.SourceServers[i], nil
		}
	}
	return nil, nil
}

// findTaskOnce returns a task of the source (the one named name, if any, else the
// first), without retries; EnsureTask calls it inside its own.
func (c *Client) findTaskOnce(ctx context.Context, sourceID, name string) (*Task, error) {
	var l ListTasksResponse
	if err := c.Do(ctx, Call{Method: http.MethodGet, Path: "/v3/tasks", Query: url.Values{"source_server_id": {sourceID}}}, &l); err != nil {
		return nil, err
	}
	var first *Task
	for i := range l.Tasks {
		t := &l.Tasks[i]
		if t.SourceServer != nil && t.SourceServer.ID != "" && t.SourceServer.ID != sourceID {
			continue
		}
		if t.Name == name {
			return t, nil
		}
		if first == nil {
			first = t
		}
	}
	return first, nil
}

// Ensured says how EnsureSource or EnsureTask came by the id.
type Ensured int

const (
	// Found: the object existed before anything was sent; nothing was created.
	Found Ensured = iota
	// Created: the POST answered with the new id.
	Created
	// CreatedAnswerLost: a POST was sent but its answer was lost (no answer, or a 5xx
	// that may come after the write), and the lookup before the retry found the object.
	CreatedAnswerLost
)

// mayHaveWritten reports whether a failed POST may still have created its object:
// no answer came, or a 5xx (a 429 is refused before any work).
func mayHaveWritten(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status >= 500
	}
	var ne *NetError
	return errors.As(err, &ne)
}

// ensure runs find, then post when find found nothing, until one gives an id. It
// looks up before every POST attempt, so that a POST that reached SMS but whose answer
// was lost (a crash, a dropped connection, a 5xx after the write) is found instead of
// repeated, and then says so (CreatedAnswerLost).
func (c *Client) ensure(ctx context.Context, what string, find func(context.Context) (string, error), post func(context.Context) (string, error)) (id string, how Ensured, err error) {
	posted := false
	err = c.WithRetry(ctx, what, func(ctx context.Context) error {
		found, err := find(ctx)
		if err != nil {
			return err
		}
		if found != "" {
			id, how = found, Found
			if posted {
				how = CreatedAnswerLost
			}
			return nil
		}
		created, err := post(ctx)
		if err != nil {
			posted = posted || mayHaveWritten(err)
			return err
		}
		id, how = created, Created
		return nil
	})
	return id, how, err
}

// EnsureSource registers the source unless one of the same name exists (see ensure).
func (c *Client) EnsureSource(ctx context.Context, body *PostSourceServerBody) (string, Ensured, error) {
	return c.ensure(ctx, "register source", func(ctx context.Context) (string, error) {
		s, err := c.findSourceOnce(ctx, body.Name)
		if s == nil || err != nil {
			return "", err
		}
		return s.ID, nil
	}, func(ctx context.Context) (string, error) {
		return c.post(ctx, "/v3/sources", body)
	})
}

// EnsureTask creates the task unless the source already has one (see ensure).
func (c *Client) EnsureTask(ctx context.Context, body *PostTask) (string, Ensured, error) {
	return c.ensure(ctx, "create task", func(ctx context.Context) (string, error) {
		t, err := c.findTaskOnce(ctx, body.SourceServer.ID, body.Name)
		if t == nil || err != nil {
			return "", err
		}
		return t.ID, nil
	}, func(ctx context.Context) (string, error) {
		return c.post(ctx, "/v3/tasks", body)
	})
}

// post sends one POST and returns the id of its answer.
func (c *Client) post(ctx context.Context, path string, body any) (string, error) {
	var out IDResponse
	if err := c.Do(ctx, Call{Method: http.MethodPost, Path: path, Body: body}, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", fmt.Errorf("POST %s: the answer has no id", path)
	}
	return out.ID, nil
}

// Source is GET /v3/sources/{id}, typed (state, connected, checks).
func (c *Client) Source(ctx context.Context, id string) (*SourceServer, error) {
	var out SourceServer
	return &out, c.get(ctx, "/v3/sources/"+url.PathEscape(id), nil, &out)
}

// UpdateDiskInfo is PUT /v3/sources/{id}/diskinfo, retried like a GET: it replaces the
// layout as a whole, so repeating it is harmless.
func (c *Client) UpdateDiskInfo(ctx context.Context, id string, body *DiskInfo) error {
	path := "/v3/sources/" + url.PathEscape(id) + "/diskinfo"
	return c.WithRetry(ctx, "PUT "+path, func(ctx context.Context) error {
		return c.Do(ctx, Call{Method: http.MethodPut, Path: path, Body: body}, nil)
	})
}
