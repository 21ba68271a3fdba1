package engine

import "time"

// Timeouts bound how long the engine waits. They are named here, with their defaults, so a
// caller (a test on a loaded machine, the provider with Pulumi's customTimeouts) overrides
// one in one place instead of a literal at a call site.
type Timeouts struct {
	// Start bounds each wait for a process to answer and for a topology to settle
	// (replicas in sync, sentinels agreeing, a cluster healthy, a failover done).
	Start time.Duration
	// Persist bounds a BGSAVE or the first AOF rewrite, which grow with the data set.
	Persist time.Duration
	// WritePause is how long a coordinated replication failover may hold writes on the old
	// primary while the replicas catch up; they normally need milliseconds.
	WritePause time.Duration
}

// DefaultTimeouts are the engine's waits when the caller sets none.
var DefaultTimeouts = Timeouts{Start: 60 * time.Second, Persist: 10 * time.Minute, WritePause: 30 * time.Second}

func (t Timeouts) withDefaults() Timeouts {
	if t.Start == 0 {
		t.Start = DefaultTimeouts.Start
	}
	if t.Persist == 0 {
		t.Persist = DefaultTimeouts.Persist
	}
	if t.WritePause == 0 {
		t.WritePause = DefaultTimeouts.WritePause
	}
	return t
}
