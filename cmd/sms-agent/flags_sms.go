//go:build !lite

package main

import (
	"errors"
	"flag"
	"net/netip"
	"strings"

	"github.com/sms-agent/sms-agent/agent/sms"
)

// The flags whose values the SMS client checks; the lite build (main_lite.go) has no
// SMS client and no command that takes them.

// typeVar is --type: the migration type, MIGRATE_FILE by default.
func typeVar(fs *flag.FlagSet, p *string, usage string) {
	*p = sms.TypeFile
	fs.Var(enumValue{stringPtr{p}, []string{sms.TypeFile, sms.TypeBlock}}, "type", usage)
}

func endpointVar(fs *flag.FlagSet, p *string, name, service, usage string) {
	fs.Var(checkedValue{stringPtr{p}, "URL", func(s string) error {
		_, err := sms.Endpoint(service, "", s)
		return withoutSubject(err, service+" endpoint")
	}}, name, usage)
}

func proxyVar(fs *flag.FlagSet, p *string, usage string) {
	fs.Var(checkedValue{stringPtr{p}, "URL", func(s string) error {
		_, err := sms.ProxyFunc(s, "")
		return withoutSubject(err, "proxy")
	}}, "proxy", usage)
}

// ipValue is an IP address (IPv4 or IPv6, no zone).
type ipValue struct{ stringPtr }

func (v ipValue) Set(s string) error {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || a.Zone() != "" {
		return errors.New("want an IP address like 192.168.0.10")
	}
	*v.p = a.String()
	return nil
}

func (ipValue) Type() string { return "IP" }
