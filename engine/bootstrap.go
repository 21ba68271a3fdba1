package engine

import (
	"context"
	"fmt"
	"time"
)

// syncDelayParam is the server setting that makes a primary wait before the first diskless
// full sync of a replica (5 s by default), so that replicas arriving together share one
// transfer. A primary that holds no data has nothing worth sharing: its RDB is a few bytes.
const syncDelayParam = "repl-diskless-sync-delay"

// bootstrapPoll is how often the waits of a bootstrap or a slot move look again. They wait
// for gossip and replication that settle within a second or two, where the default backoff
// (up to 800 ms between looks) would add most of a second to each wait; the checks are a
// CLUSTER INFO or INFO on a local node.
const bootstrapPoll = 50 * time.Millisecond

// waitSoon is waitFor at the fixed bootstrapPoll interval.
func waitSoon(ctx context.Context, timeout time.Duration, what string, check func(context.Context) error) error {
	return Poll(ctx, timeout, bootstrapPoll, what, check)
}

// syncDelayHold records the sync delay each primary had before the engine set it to 0.
type syncDelayHold struct {
	e     *Engine
	saved map[*Node]string
}

// dropSyncDelay sets repl-diskless-sync-delay to 0 on primaries that hold no data yet (a
// new deployment's, a new shard's), so their replicas' first sync starts as soon as they
// ask instead of after the delay. Restore puts each primary's value back once the replicas
// are in sync; a node that restarts in between reads its configuration file, which never
// carries the 0. A primary that holds keys is left alone: there the delay lets replicas
// share one transfer of real data.
func (e *Engine) dropSyncDelay(ctx context.Context, primaries []*Node) (*syncDelayHold, error) {
	h := &syncDelayHold{e: e, saved: map[*Node]string{}}
	for _, n := range primaries {
		c := e.admin(n.Addr())
		keys, err := c.DBSize(ctx).Result()
		if err == nil && keys > 0 {
			c.Close()
			continue
		}
		var cur map[string]string
		if err == nil {
			cur, err = c.ConfigGet(ctx, syncDelayParam).Result()
		}
		if err == nil && cur[syncDelayParam] != "0" {
			err = c.ConfigSet(ctx, syncDelayParam, "0").Err()
		}
		c.Close()
		if err != nil {
			return h, fmt.Errorf("letting the replicas of empty primary %s sync at once: %w", n.ID, err)
		}
		if v := cur[syncDelayParam]; v != "" && v != "0" {
			h.saved[n] = v
		}
	}
	return h, nil
}

// Restore sets the sync delay of every primary dropSyncDelay changed back to its value.
func (h *syncDelayHold) Restore(ctx context.Context) error {
	if h == nil {
		return nil
	}
	for n, v := range h.saved {
		if !h.e.Runner.Running(n.ID) {
			continue // it restarts from its configuration file, with the configured delay
		}
		c := h.e.admin(n.Addr())
		err := c.ConfigSet(ctx, syncDelayParam, v).Err()
		c.Close()
		if err != nil {
			return fmt.Errorf("restoring %s %s on %s: %w", syncDelayParam, v, n.ID, err)
		}
	}
	h.saved = nil
	return nil
}
