// Package runnertest has test doubles for platform.Runner.
package runnertest

import (
	"context"
	"sync"

	"github.com/sms-agent/sms-agent/platform"
)

// Counting runs commands through Inner and keeps every argv it was asked, in order.
type Counting struct {
	Inner platform.Runner
	mu    sync.Mutex
	argvs [][]string
}

// Run notes cmd's argv and runs it through Inner.
func (c *Counting) Run(ctx context.Context, cmd platform.Command) (platform.Result, error) {
	c.mu.Lock()
	c.argvs = append(c.argvs, cmd.Argv)
	c.mu.Unlock()
	return c.Inner.Run(ctx, cmd)
}

// Argvs is every argv asked so far.
func (c *Counting) Argvs() [][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]string{}, c.argvs...)
}

// Named is the argvs whose program is name.
func (c *Counting) Named(name string) [][]string {
	var out [][]string
	for _, a := range c.Argvs() {
		if len(a) > 0 && a[0] == name {
			out = append(out, a)
		}
	}
	return out
}
