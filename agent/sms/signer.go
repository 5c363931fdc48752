package sms

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Signing constants of the SDK-HMAC-SHA256 scheme.
const (
	SignAlgorithm  = "SDK-HMAC-SHA256"
	HeaderSdkDate  = "X-Sdk-Date"
	SdkDateFormat  = "20060102T150405Z"
	HeaderProject  = "X-Project-Id"
	HeaderSecToken = "X-Security-Token"
)

// Sign adds X-Sdk-Date (if absent) and Authorization to req, signing body, the exact
// bytes that will be sent. It follows the official SDK's signer (sms-api.md §5).
func Sign(req *http.Request, body []byte, ak, sk string, now time.Time) {
	if req.Header.Get(HeaderSdkDate) == "" {
		req.Header.Set(HeaderSdkDate, now.UTC().Format(SdkDateFormat))
	}
	signed := signedHeaders(req.Header)
	creq := canonicalRequest(req, body, signed)
	sts := stringToSign(creq, req.Header.Get(HeaderSdkDate))
	sig := signature(sts, sk)
	req.Header.Set("Authorization", SignAlgorithm+" Access="+ak+", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)
}

// CanonicalRequest returns the canonical request of req as Sign builds it (exported
// for the fake server, which verifies signatures).
func CanonicalRequest(req *http.Request, body []byte, signed []string) string {
	return canonicalRequest(req, body, signed)
}

// Signature returns the hex signature of a canonical request with date and secret key.
func Signature(canonical, date, sk string) string {
	return signature(stringToSign(canonical, date), sk)
}

func canonicalRequest(req *http.Request, body []byte, signed []string) string {
	h := sha256.Sum256(body)
	return strings.Join([]string{
		req.Method,
		canonicalURI(req.URL),
		canonicalQuery(req.URL),
		canonicalHeaders(req.Header, signed),
		strings.Join(signed, ";"),
		hex.EncodeToString(h[:]),
	}, "\n")
}

func stringToSign(canonical, date string) string {
	h := sha256.Sum256([]byte(canonical))
	return SignAlgorithm + "\n" + date + "\n" + hex.EncodeToString(h[:])
}

func signature(sts, sk string) string {
	m := hmac.New(sha256.New, []byte(sk))
	m.Write([]byte(sts))
	return hex.EncodeToString(m.Sum(nil))
}

// escape percent-encodes everything but the unreserved A-Za-z0-9-_.~ (upper-case hex).
func escape(s string) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	return b.String()
}

func canonicalURI(u *url.URL) string {
	segs := strings.Split(u.Path, "/")
	for i, s := range segs {
		segs[i] = escape(s)
	}
	p := strings.Join(segs, "/")
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

func canonicalQuery(u *url.URL) string {
	q := u.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, escape(k)+"="+escape(v))
		}
	}
	return strings.Join(parts, "&")
}

// signedHeaders lists the header names that are signed: all, lower-cased, except
// content-type* and names containing "_".
func signedHeaders(h http.Header) []string {
	var out []string
	for k := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "content-type") || strings.Contains(lk, "_") {
			continue
		}
		out = append(out, lk)
	}
	sort.Strings(out)
	return out
}

func canonicalHeaders(h http.Header, signed []string) string {
	var b strings.Builder
	for _, k := range signed {
		v := strings.TrimSpace(h.Get(k))
		b.WriteString(k + ":" + v + "\n")
	}
	return b.String()
}

// ParseAuthorization splits an SDK-HMAC-SHA256 Authorization header into the access
// key, the signed header names and the signature. ok is false when it is malformed.
func ParseAuthorization(v string) (ak string, signed []string, sig string, ok bool) {
	rest, found := strings.CutPrefix(v, SignAlgorithm+" ")
	if !found {
		return "", nil, "", false
	}
	for _, part := range strings.Split(rest, ",") {
		k, val, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return "", nil, "", false
		}
		switch k {
		case "Access":
			ak = val
		case "SignedHeaders":
			signed = strings.Split(val, ";")
		case "Signature":
			sig = val
		}
	}
	return ak, signed, sig, ak != "" && sig != "" && len(signed) > 0
}
