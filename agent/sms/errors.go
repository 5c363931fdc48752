package sms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// APIError is a failed SMS or IAM call, in one line an operator can act on.
type APIError struct {
	Status    int
	Code      string // SMS.0205, APIGW.0301, IAM's numeric code as text
	Message   string
	RequestID string
	Hint      string // what the agent knows about the cause (e.g. clock skew)
	// RetryAfter is the wait the service asked for (Retry-After); 0 when none.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	if e.Code != "" {
		b.WriteString(e.Code + " ")
	}
	if e.Message != "" {
		b.WriteString(e.Message)
	} else {
		b.WriteString(http.StatusText(e.Status))
	}
	if e.Hint != "" {
		b.WriteString(": " + e.Hint)
	}
	fmt.Fprintf(&b, " (HTTP %d", e.Status)
	if e.RequestID != "" {
		b.WriteString(", request id " + e.RequestID)
	}
	b.WriteString(")")
	return b.String()
}

// Retryable reports whether the call may succeed when repeated: 429 and 5xx.
func (e *APIError) Retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// maxMessage bounds a message taken from a response.
const maxMessage = 300

// ParseErrorBody reads an error response: {"error_code","error_msg"} (SMS), the API
// gateway's {"error_code","error_msg"} or {"error":{"code","message"}} or
// {"code","message"}, IAM's {"error":{"code":401,"message","title"}}, and anything else
// as text. The request id comes from X-Request-Id, else the body's request_id.
func ParseErrorBody(status int, h http.Header, body []byte) *APIError {
	e := &APIError{Status: status, RequestID: clean(h.Get("X-Request-Id"), 100)}
	var top map[string]json.RawMessage
	if json.Unmarshal(bytes.TrimSpace(body), &top) == nil && top != nil {
		e.Code, e.Message = codeAndMessage(top)
		if e.Code == "" && e.Message == "" {
			if inner, ok := top["error"]; ok {
				var m map[string]json.RawMessage
				if json.Unmarshal(inner, &m) == nil {
					e.Code, e.Message = codeAndMessage(m)
					if e.Message == "" {
						e.Message = text(m["title"])
					}
				} else {
					e.Message = text(inner)
				}
			}
		}
		if e.RequestID == "" {
			e.RequestID = clean(text(top["request_id"]), 100)
		}
	} else if s := strings.TrimSpace(string(body)); s != "" && !strings.HasPrefix(s, "<") {
		e.Message = s
	}
	e.Code, e.Message = clean(e.Code, 60), clean(e.Message, maxMessage)
	return e
}

func codeAndMessage(m map[string]json.RawMessage) (code, msg string) {
	for _, k := range []string{"error_code", "errorCode", "code"} {
		if c := text(m[k]); c != "" {
			code = c
			break
		}
	}
	for _, k := range []string{"error_msg", "errorMsg", "message", "error_description"} {
		if s := text(m[k]); s != "" {
			msg = s
			break
		}
	}
	return code, msg
}

// text renders a JSON string or number as text; anything else is "".
func text(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// clean makes s one printable line of at most n runes.
func clean(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return s
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP-date (RFC 9110
// §10.2.3). ok is false when absent or malformed; a date in the past is 0.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(24*time.Hour/time.Second) {
			n = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d = t.Sub(now); d < 0 {
		d = 0
	}
	return d, true
}

// clockHint explains an authentication failure by the source's clock when the
// server's Date is 5 minutes or more away from it (SMS allows 15).
func clockHint(serverDate string, now time.Time) string {
	t, err := http.ParseTime(serverDate)
	if err != nil {
		return ""
	}
	skew := now.Sub(t)
	abs := skew
	if abs < 0 {
		abs = -abs
	}
	if abs < 5*time.Minute {
		return ""
	}
	dir := "ahead of"
	if skew < 0 {
		dir = "behind"
	}
	return fmt.Sprintf("the source clock is %d min off (%s the service's %s); fix the time (NTP) and retry",
		int(abs.Round(time.Minute)/time.Minute), dir, t.UTC().Format(time.RFC3339))
}
