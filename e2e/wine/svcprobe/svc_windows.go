package main

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

type handler struct{}

func (handler) Execute(_ []string, r <-chan svc.ChangeRequest, s chan<- svc.Status) (bool, uint32) {
	s <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for c := range r {
		switch c.Cmd {
		case svc.Interrogate:
			s <- c.CurrentStatus
		case svc.Stop, svc.Shutdown:
			return false, 0
		}
	}
	return false, 0
}

func runService(marker string) int {
	in, err := svc.IsWindowsService()
	_ = os.WriteFile(marker, []byte(fmt.Sprintf("IsWindowsService=%v err=%v\n", in, err)), 0o644)
	if err := svc.Run(name, handler{}); err != nil {
		return 3
	}
	return 0
}

func probe() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	m, err := mgr.Connect()
	report("connect", err)
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := m.CreateService(name, exe, mgr.Config{DisplayName: "sms-agent svcprobe", Description: "what Wine's SCM does",
		StartType: mgr.StartManual}, "run")
	report("create (with a description)", err)
	if err != nil {
		return err
	}
	defer func() { report("delete", s.Delete()); s.Close() }()
	report("recovery actions", s.SetRecoveryActions([]mgr.RecoveryAction{{Type: mgr.ServiceRestart, Delay: 5 * time.Second}}, 60))
	_, err = s.Config()
	report("config (QueryServiceConfig2)", err)
	report("start", s.Start())
	query := func() (uint32, error) { st, err := s.Query(); return uint32(st.State), err }
	report("running", waitFor(query, uint32(svc.Running)))
	_, err = s.Control(svc.Stop)
	report("stop", err)
	report("stopped", waitFor(query, uint32(svc.Stopped)))
	b, err := os.ReadFile(exe[:len(exe)-len("svcprobe.exe")] + "svcprobe-ran.txt")
	if err == nil {
		fmt.Printf("service process: %s", b)
	}
	return nil
}
