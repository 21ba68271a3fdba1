package engine

import (
	"context"
	"fmt"
	"time"
)

// InWindow reports whether t (UTC) falls in a daily "hh:mm-hh:mm" window; windows may
// wrap past midnight (23:30-00:30).
func InWindow(window string, t time.Time) (bool, error) {
	if !windowRe.MatchString(window) {
		return false, fmt.Errorf("snapshot window %q is not hh:mm-hh:mm", window)
	}
	var h1, m1, h2, m2 int
	if _, err := fmt.Sscanf(window, "%d:%d-%d:%d", &h1, &m1, &h2, &m2); err != nil {
		return false, fmt.Errorf("snapshot window %q: %w", window, err)
	}
	t = t.UTC()
	now, start, end := t.Hour()*60+t.Minute(), h1*60+m1, h2*60+m2
	if start <= end {
		return now >= start && now < end, nil
	}
	return now >= start || now < end, nil
}

// RunSnapshotSchedule takes one automatic snapshot per day inside the deployment's window
// (and prunes by retention) until ctx ends. Without a retention period, automatic
// snapshots are off, as on ElastiCache. Failures are logged and retried at the next tick.
func (e *Engine) RunSnapshotSchedule(ctx context.Context, tick time.Duration) {
	s := e.Plan.Deployment.Snapshot
	if s.RetentionDays == 0 || s.Window == "" {
		return
	}
	var lastDay string
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			in, err := InWindow(s.Window, now)
			day := now.UTC().Format("2006-01-02")
			if err != nil || !in || day == lastDay {
				continue
			}
			if dir, err := e.AutomaticSnapshot(ctx, now); err != nil {
				e.logf("automatic snapshot failed: %v", err)
			} else {
				lastDay = day
				e.logf("automatic snapshot %s", dir)
			}
		}
	}
}
