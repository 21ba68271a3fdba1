package engine

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/rediskit/rediskit/window"
)

// DefaultSnapshotWindow is the daily window automatic snapshots use when a retention
// period is set without one. Like ElastiCache, which picks a 60-minute window in an
// 8-hour block of the region's night, it is a 60-minute window starting on the hour
// between 00:00 and 07:00 UTC, chosen from the deployment name so it stays the same
// across restarts and deployments spread over the block.
func DefaultSnapshotWindow(name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	start := int(h.Sum32() % 8)
	return fmt.Sprintf("%02d:00-%02d:00", start, start+1)
}

// snapshotWindow is the window automatic snapshots are taken in ("" when they are off).
func (d *Deployment) snapshotWindow() string {
	switch {
	case d.Snapshot.RetentionDays == 0:
		return ""
	case d.Snapshot.Window != "":
		return d.Snapshot.Window
	default:
		return DefaultSnapshotWindow(d.Name)
	}
}

// RunSnapshotSchedule takes one automatic snapshot per day inside the deployment's window
// (the default window when retention is set without one) and prunes by retention, until
// ctx ends. Without a retention period, automatic snapshots are off, as on ElastiCache.
// Failures are logged and retried at the next tick.
func (e *Engine) RunSnapshotSchedule(ctx context.Context, tick time.Duration) {
	if e.Plan.Deployment.snapshotWindow() == "" {
		return
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	// The clock is read once at the start too: a schedule started inside the window (the
	// controller of a new deployment) takes the day's snapshot now, not a tick later.
	ticks := make(chan time.Time)
	go func() {
		now := time.Now()
		for {
			select {
			case ticks <- now:
			case <-ctx.Done():
				return
			}
			select {
			case now = <-t.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	e.runSnapshotSchedule(ctx, ticks)
}

// runSnapshotSchedule is RunSnapshotSchedule driven by the given clock ticks.
func (e *Engine) runSnapshotSchedule(ctx context.Context, ticks <-chan time.Time) {
	raw := e.Plan.Deployment.snapshotWindow()
	if raw == "" {
		return
	}
	w, err := window.ParseDaily(raw)
	if err != nil { // Validate refused it already; a deployment built by hand gets told
		e.logf("automatic snapshots off: snapshot window %q: %v", raw, err)
		return
	}
	if e.Plan.Deployment.Snapshot.Window == "" {
		e.logf("automatic snapshots in the default window %s UTC", raw)
	}
	// An automatic snapshot abandoned by a killed schedule is never finished: clear it away.
	if n := e.Snapshots().ClearUnfinishedAutomatic(); n > 0 {
		e.logf("removed %d unfinished automatic snapshot(s)", n)
	}
	// A schedule started again inside the window (a new controller after an update) must
	// not take the day's snapshot twice: the window of the newest one on disk counts as done.
	var lastDay string
	if last, err := e.Snapshots().LastAutomatic(); err != nil {
		e.logf("automatic snapshots: %v", err)
	} else if last != nil {
		lastDay = w.Opened(last.Created)
		// Said once at start, so that whoever restarted the schedule can tell it has looked.
		e.logf("automatic snapshots: the window opened %s already has %s", lastDay, last.Name)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-ticks:
			day := w.Opened(now)
			if !w.Contains(now) || day == lastDay {
				continue
			}
			dir, err := e.AutomaticSnapshot(ctx, now)
			if dir != "" {
				// Taken: even if pruning then failed, the day's snapshot exists.
				lastDay = day
				e.logf("automatic snapshot %s", dir)
			}
			if err != nil {
				e.logf("automatic snapshot: %v", err)
			}
		}
	}
}

// SnapshotWindow is the daily UTC window automatic snapshots are taken in, "" when the
// deployment keeps none.
func (e *Engine) SnapshotWindow() string { return e.Plan.Deployment.snapshotWindow() }
