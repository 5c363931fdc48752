package main

import "context"

// Placeholders until the SMS client lands (issue 4); they fail loudly.
func runSource(_ context.Context, a *app, _ []string) int {
	a.errorf("source: not implemented yet")
	return exitFailure
}

func runTask(_ context.Context, a *app, _ []string) int {
	a.errorf("task: not implemented yet")
	return exitFailure
}
