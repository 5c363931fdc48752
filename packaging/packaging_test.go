package packaging

import (
	"strings"
	"testing"
)

func TestTemplatesReplaceOnlyTheBinaryLines(t *testing.T) {
	unit, err := SystemdTemplate()
	if err != nil {
		t.Fatal(err)
	}
	if want := "ExecStart={{Path | cmdEscape}}{{range Arguments}} {{. | cmd}}{{end}}\n"; !strings.Contains(unit, want) ||
		strings.Replace(unit, want, unitExecStart, 1) != SystemdUnit() {
		t.Errorf("systemd template differs from the unit by more than its ExecStart line:\n%s", unit)
	}
	for _, want := range []string{"After=network-online.target", "Restart=on-failure", "RestartSec=", "ProtectHome=read-only",
		"NoNewPrivileges=yes", "PrivateTmp=yes", "ExecReload=/bin/kill -HUP $MAINPID"} {
		if !strings.Contains(SystemdUnit(), want+"\n") && !strings.Contains(SystemdUnit(), want) {
			t.Errorf("the unit lacks %s", want)
		}
	}
	sysv, err := SysVTemplate()
	if err != nil {
		t.Fatal(err)
	}
	back := strings.Replace(strings.Replace(sysv, "DAEMON={{Path}}\n", sysvDaemon, 1),
		"DAEMON_ARGS=\"{{range Arguments}}{{.}} {{end}}\"\n", sysvArgs, 1)
	if back != SysVScript() {
		t.Errorf("SysV template differs from the script by more than its two binary lines")
	}
	// kardianos/service reads `service NAME status`: its first word must be Running
	// or Stopped.
	for _, want := range []string{`echo "Running (pid $pid)"`, `echo "Stopped"`, "exit 3"} {
		if !strings.Contains(SysVScript(), want) {
			t.Errorf("the SysV script lacks %s", want)
		}
	}
}
