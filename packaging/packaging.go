// Package packaging holds the service files the packages ship and `sms-agent service
// install` writes: one systemd unit and one SysV script, embedded so that both paths
// install the same text. README.md beside this file describes every file here.
package packaging

import (
	_ "embed"
	"fmt"
	"strings"
)

//go:embed systemd/sms-agent.service
var systemdUnit string

//go:embed sysv/sms-agent
var sysvScript string

// The lines that name the binary; the templates replace them.
const (
	unitExecStart = "ExecStart=/usr/bin/sms-agent-full service run\n"
	sysvDaemon    = "DAEMON=/usr/bin/sms-agent-full\n"
	sysvArgs      = "DAEMON_ARGS=\"service run\"\n"
)

// SystemdUnit is the unit the packages ship.
func SystemdUnit() string { return systemdUnit }

// SysVScript is the init script the packages ship.
func SysVScript() string { return sysvScript }

// SystemdTemplate is the unit as a kardianos/service SystemdScript template: the
// ExecStart line runs the installing binary ({{Path}}) with the service's Arguments.
func SystemdTemplate() (string, error) {
	return replaceOnce("systemd unit", systemdUnit, unitExecStart,
		"ExecStart={{Path | cmdEscape}}{{range Arguments}} {{. | cmd}}{{end}}\n")
}

// SysVTemplate is the init script as a kardianos/service SysvScript template.
// Arguments must not contain white space or quotes (cmd/ refuses them).
func SysVTemplate() (string, error) {
	if strings.Count(sysvScript, sysvDaemon) != 1 {
		return "", fmt.Errorf("packaging: the SysV script has no single line %q", strings.TrimSpace(sysvDaemon))
	}
	s, err := replaceOnce("SysV script", sysvScript, sysvArgs, "DAEMON_ARGS=\"{{range Arguments}}{{.}} {{end}}\"\n")
	if err != nil {
		return "", err
	}
	return strings.Replace(s, sysvDaemon, "DAEMON={{Path}}\n", 1), nil
}

func replaceOnce(what, s, old, new string) (string, error) {
	if strings.Count(s, old) != 1 {
		return "", fmt.Errorf("packaging: the %s has no single line %q", what, strings.TrimSpace(old))
	}
	if strings.Contains(s, "{{") {
		return "", fmt.Errorf("packaging: the %s contains {{, which the template would read", what)
	}
	return strings.Replace(s, old, new, 1), nil
}
