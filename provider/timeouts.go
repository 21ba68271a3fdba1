package provider

import (
	"time"

	"github.com/rediskit/rediskit/engine/controller"
)

// Timeouts are how long the provider and its resident controller wait for the controller
// process, and how often they look (the node processes' own waits are the engine's:
// engine.DefaultStopGrace and the DaemonRunner's).
type Timeouts struct {
	// ControllerReady is how long a started controller has to write its ready file (its
	// metrics port bound), so that a port in use is the run's error, not a silent exit.
	ControllerReady time.Duration
	// ControllerGone is how long a controller that had to be killed may take to disappear
	// before stopping it counts as failed.
	ControllerGone time.Duration
	// Poll is how often the waits look.
	Poll time.Duration
	// Supervise is how often a controller with autoRecover looks for crashed processes.
	Supervise time.Duration
	// SnapshotTick is how often a controller looks at the clock for the snapshot window.
	SnapshotTick time.Duration
	// OwnerCheck is how often a controller checks that its pid file still names it.
	OwnerCheck time.Duration
}

// DefaultTimeouts are the timeouts in use, in one place; a test may shorten them.
var DefaultTimeouts = Timeouts{
	ControllerReady: 20 * time.Second,
	ControllerGone:  5 * time.Second,
	Poll:            50 * time.Millisecond,
	Supervise:       controller.DefaultSuperviseEvery,
	SnapshotTick:    controller.DefaultSnapshotTick,
	OwnerCheck:      5 * time.Second,
}
