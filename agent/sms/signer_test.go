package sms

import (
	"bytes"
	"net/http"
	"testing"
	"time"
)

// The test vector of sms-api.md §5, checked against the official SDK's signer.
func TestSignTestVector(t *testing.T) {
	body := []byte("{\"name\":\"MigrationTask\",\"type\":\"MIGRATE_FILE\"}\n")
	req, err := http.NewRequest("POST", "https://sms.ap-southeast-3.myhuaweicloud.com/v3/tasks?limit=10&name=a%20b%2Fc", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "huaweicloud-usdk-go/3.0")
	req.Header.Set("X-Project-Id", "0123456789abcdef0123456789abcdef")
	req.Header.Set("X-Sdk-Date", "20240101T000000Z")
	Sign(req, body, "MYAK", "MYSK", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	want := "SDK-HMAC-SHA256 Access=MYAK, SignedHeaders=user-agent;x-project-id;x-sdk-date, Signature=531cd292c304eae5e00a466741701eb72ea0f7d124a4481c777d9bcc5a143bf9"
	if got := req.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization:\n got %s\nwant %s", got, want)
	}
	if got := req.Header.Get("X-Sdk-Date"); got != "20240101T000000Z" {
		t.Errorf("X-Sdk-Date overwritten: %s", got)
	}
	ak, signed, sig, ok := ParseAuthorization(want)
	if !ok || ak != "MYAK" || len(signed) != 3 || sig != "531cd292c304eae5e00a466741701eb72ea0f7d124a4481c777d9bcc5a143bf9" {
		t.Errorf("ParseAuthorization = %q %q %q %v", ak, signed, sig, ok)
	}
}

func TestSignSetsDate(t *testing.T) {
	req, _ := http.NewRequest("GET", "https://x/v3/sources", nil)
	Sign(req, nil, "A", "S", time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("x", 3600)))
	if got := req.Header.Get("X-Sdk-Date"); got != "20240506T060809Z" {
		t.Errorf("X-Sdk-Date = %s", got)
	}
}

func TestCanonicalParts(t *testing.T) {
	for _, tc := range []struct{ url, uri, query string }{
		{"https://h/v3/tasks", "/v3/tasks/", ""},
		{"https://h/v3/tasks/", "/v3/tasks/", ""},
		{"https://h/v3/sources?name=web%201&limit=2&a=z&a=b", "/v3/sources/", "a=b&a=z&limit=2&name=web%201"},
		{"https://h/v3/a%20b/c", "/v3/a%20b/c/", ""},
		{"https://h/v3/sources?name=a~b.c_d-e", "/v3/sources/", "name=a~b.c_d-e"},
	} {
		req, _ := http.NewRequest("GET", tc.url, nil)
		if got := canonicalURI(req.URL); got != tc.uri {
			t.Errorf("%s: uri %q; want %q", tc.url, got, tc.uri)
		}
		if got := canonicalQuery(req.URL); got != tc.query {
			t.Errorf("%s: query %q; want %q", tc.url, got, tc.query)
		}
	}
	h := http.Header{}
	h.Set("Content-Type", "x")
	h["X_Under"] = []string{"y"}
	h.Set("X-Sdk-Date", "d")
	h.Set("Host", "h")
	if got := signedHeaders(h); len(got) != 2 || got[0] != "host" || got[1] != "x-sdk-date" {
		t.Errorf("signedHeaders = %v", got)
	}
}
