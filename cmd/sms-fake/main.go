// Command sms-fake runs the loopback fake of SMS and IAM (agent/smsfake) so an
// operator can rehearse `sms-agent source register` and `task create` without a cloud
// account. It listens on 127.0.0.1 only. Credentials it accepts come from the
// environment (never flags, which other users can read in ps):
//
//	SMS_FAKE_AK, SMS_FAKE_SK, SMS_FAKE_SECURITY_TOKEN, SMS_FAKE_IAM_USER,
//	SMS_FAKE_IAM_PASSWORD, SMS_FAKE_IAM_DOMAIN, SMS_FAKE_TOKEN
//
// Faults are injected with POST /_fake/faults, e.g.
//
//	curl -d '{"path":"/v3/tasks","status":503,"times":2}' http://127.0.0.1:8089/_fake/faults
//
// and the stored sources and tasks are listed by GET /_fake/state.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/sms-agent/sms-agent/agent/smsfake"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv))
}

func run(args []string, getenv func(string) string) int {
	fs := flag.NewFlagSet("sms-fake", flag.ContinueOnError)
	port := fs.Int("port", 8089, "TCP port on 127.0.0.1 (0: any free port)")
	project := fs.String("project-id", "0123456789abcdef0123456789abcdef", "the project id calls must be scoped to")
	skew := fs.Duration("clock-offset", 0, "shift the fake's clock (e.g. -20m to rehearse a skewed source clock)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg := smsfake.Config{
		AK: getenv("SMS_FAKE_AK"), SK: getenv("SMS_FAKE_SK"), SecurityToken: getenv("SMS_FAKE_SECURITY_TOKEN"),
		IAMUser: getenv("SMS_FAKE_IAM_USER"), IAMPassword: getenv("SMS_FAKE_IAM_PASSWORD"), IAMDomain: getenv("SMS_FAKE_IAM_DOMAIN"),
		ProjectID: *project, ClockOffset: *skew, Admin: true,
	}
	if t := getenv("SMS_FAKE_TOKEN"); t != "" {
		cfg.Tokens = []string{t}
	}
	if cfg.AK == "" && cfg.IAMUser == "" && len(cfg.Tokens) == 0 {
		fmt.Fprintln(os.Stderr, "sms-fake: set SMS_FAKE_AK and SMS_FAKE_SK, SMS_FAKE_IAM_USER and SMS_FAKE_IAM_PASSWORD, or SMS_FAKE_TOKEN")
		return 2
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "sms-fake: %v\n", err)
		return 1
	}
	srv := &http.Server{Handler: smsfake.New(cfg).Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("sms-fake: listening on http://%s (use --endpoint and --iam-endpoint with this URL)\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "sms-fake: %v\n", err)
		return 1
	}
	return 0
}
