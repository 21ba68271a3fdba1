package engine

import (
	"context"
	"time"
)

// Supervise brings back, every interval, the processes of the deployment that died, until ctx
// ends: what ElastiCache does when it replaces a failed node. It goes through Start, so a
// returning primary that lost its role comes back as a replica and an empty node never leads.
// `rediskit-engine up` runs it; the provider does the same on each refresh and update instead.
func (e *Engine) Supervise(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		down := e.downProcesses()
		if len(down) == 0 {
			continue
		}
		e.logf("supervisor: %v not running; starting them again", down)
		if err := e.Start(ctx); err != nil && ctx.Err() == nil {
			e.logf("supervisor: %v (retrying in %s)", err, every)
		}
	}
}

// downProcesses lists the planned nodes and sentinels that are not running.
func (e *Engine) downProcesses() []string {
	var down []string
	for _, n := range e.Plan.Nodes {
		if !e.Runner.Running(n.ID) {
			down = append(down, n.ID)
		}
	}
	for _, s := range e.Plan.Sentinels {
		if !e.Runner.Running(s.ID) {
			down = append(down, s.ID)
		}
	}
	return down
}
