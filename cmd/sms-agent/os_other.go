//go:build !windows

package main

import (
	"os"

	"github.com/sms-agent/sms-agent/platform"
)

func hostOS() string { return platform.OSLinux }

// privileged: root, which reading devices needs.
func privileged() bool { return os.Geteuid() == 0 }

func setupProcess() {}
