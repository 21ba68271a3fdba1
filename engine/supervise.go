package engine

import (
	"context"
	"time"
)

// Supervise is the deployment's controller loop until ctx ends: what ElastiCache's control
// plane does between API calls. Every probe interval (Timing.Detect / 8) the failure
// detector looks at each shard's primary from several vantage points, fails over a primary
// that is gone or silent for Detect, and keeps the write fence (detect.go, fence.go); every
// `every` it brings back the processes that died. Restarts go through Start, so a returning
// primary that lost its role comes back as a replica and an empty node never leads. When
// it ends it lifts the fences it set: nobody would lift them after a replica's crash.
// `rediskit-engine up` and the provider's resident controller run it.
func (e *Engine) Supervise(ctx context.Context, every time.Duration) {
	probeEvery := min(e.Plan.Timing.probeTimeout(), every)
	t := time.NewTicker(probeEvery)
	defer t.Stop()
	d := newDetector()
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		e.unfenceAll(ctx)
	}()
	lastRestart := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		e.look(ctx, d)
		if time.Since(lastRestart) < every {
			continue
		}
		lastRestart = time.Now()
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
