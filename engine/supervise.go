package engine

import (
	"context"
	"sync"
	"time"
)

// Supervise is the deployment's controller loop until ctx ends: what ElastiCache's control
// plane does between API calls. Every probe interval (Timing.Detect / 8) the failure
// detector looks at each shard's primary from several vantage points, fails over a primary
// that is gone or silent for Detect, and keeps the write fence (detect.go, fence.go); beside
// it, every `every`, the processes that died are started again. Restarts go through Start, so a returning
// primary that lost its role comes back as a replica and an empty node never leads. When
// it ends it lifts the fences it set: nobody would lift them after a replica's crash.
// `rediskit-engine up` and the provider's resident controller run it.
func (e *Engine) Supervise(ctx context.Context, every time.Duration) {
	var restarts sync.WaitGroup
	restarts.Add(1)
	go func() {
		defer restarts.Done()
		e.restartLoop(ctx, every)
	}()
	defer func() {
		restarts.Wait()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		e.unfenceAll(ctx)
	}()
	t := time.NewTicker(min(e.Plan.Timing.probeTimeout(), every))
	defer t.Stop()
	d := newDetector()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		e.look(ctx, d)
	}
}

// restartLoop starts the processes that died again, every `every`. It runs beside the
// detector because a restart waits for the deployment's health, which a second failure
// meanwhile would hold up for as long as the start timeout.
func (e *Engine) restartLoop(ctx context.Context, every time.Duration) {
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
