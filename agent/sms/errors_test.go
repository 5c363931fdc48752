package sms

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseErrorBody(t *testing.T) {
	h := http.Header{}
	h.Set("X-Request-Id", "req-123")
	for _, tc := range []struct {
		name   string
		status int
		header http.Header
		body   string
		want   string
	}{
		{"sms", 400, h, `{"error_code":"SMS.9004","error_msg":"The current source server is not connected to SMS."}`, "SMS.9004 The current source server is not connected to SMS. (HTTP 400, request id req-123)"},
		{"gateway nested", 401, h, `{"error":{"code":"APIGW.0301","message":"Incorrect IAM authentication information: verify aksk signature fail"}}`, "APIGW.0301 Incorrect IAM authentication information: verify aksk signature fail (HTTP 401, request id req-123)"},
		{"gateway nested error_code", 403, nil, `{"error":{"error_code":"APIGW.0302","error_msg":"denied"},"request_id":"body-id"}`, "APIGW.0302 denied (HTTP 403, request id body-id)"},
		{"code message", 429, nil, `{"code":"APIGW.0308","message":"The throttling threshold has been reached"}`, "APIGW.0308 The throttling threshold has been reached (HTTP 429)"},
		{"iam", 401, nil, `{"error":{"code":401,"message":"The username or password is wrong.","title":"Unauthorized"}}`, "401 The username or password is wrong. (HTTP 401)"},
		{"iam title only", 401, nil, `{"error":{"code":401,"title":"Unauthorized"}}`, "401 Unauthorized (HTTP 401)"},
		{"text", 502, nil, "Bad gateway\nupstream reset", "Bad gateway upstream reset (HTTP 502)"},
		{"html", 503, nil, "<html><body>503</body></html>", "Service Unavailable (HTTP 503)"},
		{"empty", 500, nil, "", "Internal Server Error (HTTP 500)"},
		{"error string", 400, nil, `{"error":"bad thing"}`, "bad thing (HTTP 400)"},
	} {
		hd := tc.header
		if hd == nil {
			hd = http.Header{}
		}
		if got := ParseErrorBody(tc.status, hd, []byte(tc.body)).Error(); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
	long := ParseErrorBody(500, http.Header{}, []byte(`{"error_msg":"`+strings.Repeat("x", 1000)+`"}`))
	if n := len([]rune(long.Message)); n != maxMessage+1 {
		t.Errorf("long message kept %d runes", n)
	}
}

func FuzzParseErrorBody(f *testing.F) {
	for _, s := range []string{`{"error_code":"SMS.1","error_msg":"m"}`, `{"error":{"code":401}}`, `{"code":1}`, "text", `{"error":[1]}`, "null", `{"request_id":"\u0000"}`} {
		f.Add(400, s)
	}
	f.Fuzz(func(t *testing.T, status int, body string) {
		e := ParseErrorBody(status, http.Header{}, []byte(body))
		s := e.Error()
		if strings.ContainsAny(s, "\n\r") {
			t.Errorf("multi-line error %q", s)
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{" 0 ", 0, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"999999999999", 24 * time.Hour, true},
		{"Mon, 01 Jan 2024 00:00:30 GMT", 30 * time.Second, true},
		{"Sun, 31 Dec 2023 23:00:00 GMT", 0, true},
		{"tomorrow", 0, false},
	} {
		got, ok := ParseRetryAfter(tc.v, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"3", "Mon, 01 Jan 2024 00:00:30 GMT", "-1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if d, ok := ParseRetryAfter(v, time.Unix(0, 0)); d < 0 || (!ok && d != 0) {
			t.Errorf("ParseRetryAfter(%q) = %v, %v", v, d, ok)
		}
	})
}

func TestClockHint(t *testing.T) {
	now := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	if got := clockHint(now.Add(-20*time.Minute).Format(http.TimeFormat), now); got != "the source clock is 20 min off (ahead of the service's 2024-01-01T11:40:00Z); fix the time (NTP) and retry" {
		t.Errorf("ahead: %s", got)
	}
	if got := clockHint(now.Add(20*time.Minute).Format(http.TimeFormat), now); !strings.Contains(got, "20 min off (behind") {
		t.Errorf("behind: %s", got)
	}
	if got := clockHint(now.Add(time.Minute).Format(http.TimeFormat), now); got != "" {
		t.Errorf("1 min: %s", got)
	}
	if got := clockHint("garbage", now); got != "" {
		t.Errorf("garbage: %s", got)
	}
}
