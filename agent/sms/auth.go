package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Authenticator adds credentials to a request whose body is body.
type Authenticator interface {
	Authorize(ctx context.Context, req *http.Request, body []byte) error
	// Invalidate drops a cached token after a 401, so that the next call fetches a new
	// one; it reports whether there is a new one to fetch (worth one more try).
	Invalidate() (renewable bool)
}

// AKSK signs requests with an access key (SDK-HMAC-SHA256), sending X-Project-Id and,
// for temporary credentials, X-Security-Token.
type AKSK struct {
	AK, SK, SecurityToken, ProjectID string
	Now                              func() time.Time
}

// Authorize signs req.
func (a *AKSK) Authorize(_ context.Context, req *http.Request, body []byte) error {
	if a.ProjectID != "" {
		req.Header.Set(HeaderProject, a.ProjectID)
	}
	if a.SecurityToken != "" {
		req.Header.Set(HeaderSecToken, a.SecurityToken)
	}
	req.Header.Del(HeaderSdkDate)
	Sign(req, body, a.AK, a.SK, a.Now())
	return nil
}

// Invalidate does nothing: keys do not expire.
func (a *AKSK) Invalidate() bool { return false }

// StaticToken sends an IAM token given by the user.
type StaticToken struct{ Token string }

// Authorize sets X-Auth-Token.
func (s *StaticToken) Authorize(_ context.Context, req *http.Request, _ []byte) error {
	req.Header.Set("X-Auth-Token", s.Token)
	return nil
}

// Invalidate does nothing: the token cannot be renewed.
func (s *StaticToken) Invalidate() bool { return false }

// PasswordToken gets a project-scoped IAM token by password authentication and keeps
// it until RenewBefore its expiry.
type PasswordToken struct {
	IAM                    *url.URL // IAM endpoint
	User, Password, Domain string
	ProjectID              string
	HTTP                   *http.Client
	Now                    func() time.Time
	RenewBefore            time.Duration // default 10 minutes
	Timeout                time.Duration // per request; default 30 s

	mu      sync.Mutex
	token   string
	expires time.Time
}

// Authorize sets X-Auth-Token, fetching a token first when none is valid.
func (p *PasswordToken) Authorize(ctx context.Context, req *http.Request, _ []byte) error {
	tok, err := p.Token(ctx)
	if err != nil {
		return err
	}
	req.Header.Set("X-Auth-Token", tok)
	return nil
}

// Invalidate drops the cached token.
func (p *PasswordToken) Invalidate() bool {
	p.mu.Lock()
	p.token = ""
	p.mu.Unlock()
	return true
}

// Token returns a valid token, from the cache or from IAM.
func (p *PasswordToken) Token(ctx context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	renew := p.RenewBefore
	if renew == 0 {
		renew = 10 * time.Minute
	}
	if p.token != "" && p.Now().Add(renew).Before(p.expires) {
		return p.token, nil
	}
	tok, exp, err := p.fetch(ctx)
	if err != nil {
		return "", err
	}
	p.token, p.expires = tok, exp
	return tok, nil
}

type passwordAuth struct {
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

func (p *PasswordToken) fetch(ctx context.Context) (string, time.Time, error) {
	var body passwordAuth
	body.Auth.Identity.Methods = []string{"password"}
	body.Auth.Identity.Password.User.Name = p.User
	body.Auth.Identity.Password.User.Password = p.Password
	body.Auth.Identity.Password.User.Domain.Name = p.Domain
	if p.Domain == "" {
		body.Auth.Identity.Password.User.Domain.Name = p.User
	}
	body.Auth.Scope.Project.ID = p.ProjectID
	b, err := json.Marshal(body)
	if err != nil {
		return "", time.Time{}, err
	}
	timeout := p.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u := p.IAM.JoinPath("/v3/auth/tokens")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(b))
	if err != nil {
		return "", time.Time{}, err
	}
	req.Header.Set("Content-Type", "application/json;charset=utf8")
	resp, err := p.HTTP.Do(req)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("IAM token: %w", scrubURLError(err))
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		e := ParseErrorBody(resp.StatusCode, resp.Header, rb)
		return "", time.Time{}, &AuthError{Err: e}
	}
	tok := resp.Header.Get("X-Subject-Token")
	if tok == "" {
		return "", time.Time{}, errors.New("IAM token: the answer has no X-Subject-Token header")
	}
	var out struct {
		Token struct {
			ExpiresAt time.Time `json:"expires_at"`
		} `json:"token"`
	}
	exp := p.Now().Add(24 * time.Hour)
	if json.Unmarshal(rb, &out) == nil && !out.Token.ExpiresAt.IsZero() {
		exp = out.Token.ExpiresAt
	}
	return tok, exp, nil
}

// AuthError is a failure to obtain an IAM token.
type AuthError struct{ Err *APIError }

func (e *AuthError) Error() string { return "IAM password authentication failed: " + e.Err.Error() }

func (e *AuthError) Unwrap() error { return e.Err }

// scrubURLError removes the URL from a *url.Error (it never holds secrets here, but
// keeps messages short) and keeps the cause.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
