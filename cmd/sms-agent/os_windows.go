package main

import (
	"golang.org/x/sys/windows"

	"github.com/sms-agent/sms-agent/platform"
)

func hostOS() string { return platform.OSWindows }

// privileged: an elevated administrator's token, which reading disks needs.
func privileged() bool { return windows.GetCurrentProcessToken().IsElevated() }

// setupProcess keeps Windows from asking anything on screen: a volume without media
// ("no disk in drive") fails the call instead of opening a dialog. The Go runtime sets
// these bits at start too; the agent adds them to whatever mode it finds, not relying on it.
func setupProcess() {
	const quiet = windows.SEM_FAILCRITICALERRORS | windows.SEM_NOOPENFILEERRORBOX
	windows.SetErrorMode(windows.SetErrorMode(quiet) | quiet)
}
