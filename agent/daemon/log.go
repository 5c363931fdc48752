package daemon

import (
	"encoding/json"
	"io"
	"strings"
	"sync"

	"github.com/sms-agent/sms-agent/agent/sms"
)

// RedactWriter passes each write (zerolog writes one event per call) through the
// redactor of agent/sms, so that no secret reaches the log even if one slipped into a
// message: the last guard, messages are built without secrets. JSON-escaped forms of
// the secrets are replaced too. SetSecrets changes them (a reload may).
type RedactWriter struct {
	W       io.Writer
	mu      sync.Mutex
	secrets []string
}

// SetSecrets sets the values to hide.
func (r *RedactWriter) SetSecrets(secrets []string) {
	var all []string
	for _, s := range secrets {
		all = append(all, s)
		if b, err := json.Marshal(s); err == nil {
			if e := strings.Trim(string(b), `"`); e != s {
				all = append(all, e)
			}
		}
	}
	r.mu.Lock()
	r.secrets = all
	r.mu.Unlock()
}

func (r *RedactWriter) Write(p []byte) (int, error) {
	r.mu.Lock()
	secrets := r.secrets
	r.mu.Unlock()
	if _, err := io.WriteString(r.W, sms.Redact(string(p), secrets)); err != nil {
		return 0, err
	}
	return len(p), nil
}
