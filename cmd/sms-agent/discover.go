package main

import (
	"context"
	"os"

	"github.com/sms-agent/sms-agent/platform"
)

func runDiscover(_ context.Context, a *app, _ []string) int {
	a.errorf("discover: not implemented yet")
	return exitFailure
}

func runCapture(_ context.Context, a *app, _ []string) int {
	a.errorf("capture: not implemented yet")
	return exitFailure
}

// runStatfsHelper is the hidden child that does statfs(2) for the parent (see
// platform.HelperStatfs): the parent can abandon it if a mount never answers.
func runStatfsHelper(_ context.Context, a *app, _ []string) int {
	if err := platform.ServeStatfs(a.Stdin, a.Stdout); err != nil {
		a.errorf("%v", err)
		return exitFailure
	}
	_ = os.Stdout.Sync()
	return exitOK
}
