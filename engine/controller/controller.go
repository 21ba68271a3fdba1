// Package controller is what runs beside a self-hosted deployment's processes between two
// changes of it, as ElastiCache's control plane does between API calls: the metrics and
// readiness endpoints, the supervisor that starts crashed processes again, and the daily
// automatic snapshot in its window with pruning by retention. `rediskit-engine up` and the
// provider's resident controller both run it; it has no Pulumi in it, so the engine binary
// (which runs in the node image) can.
package controller

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/rediskit/rediskit/engine"
)

const (
	// DefaultSuperviseEvery is how often the supervisor starts crashed processes again
	// (sentinels, replicas). Primaries are watched more often, by the failure detector
	// (engine.Timing.Detect / 8): a primary whose process is gone or that a majority of
	// vantage points cannot hear is failed over first (see engine/detect.go).
	DefaultSuperviseEvery = time.Second
	// DefaultSnapshotTick is how often the snapshot schedule looks at the clock.
	DefaultSnapshotTick = time.Minute
	// ReadHeaderTimeout bounds how long a client of the endpoints may take to send its
	// request headers, so a stalled one does not hold a connection for ever.
	ReadHeaderTimeout = 5 * time.Second
)

// Options say which parts run.
type Options struct {
	// Metrics serves /metrics, /status and /healthz (engine.HTTPHandler); nil serves none. The
	// caller listens, so that a port in use is its error before anything runs.
	Metrics net.Listener
	// Supervise starts crashed nodes and sentinels again, every SuperviseEvery
	// (0: DefaultSuperviseEvery).
	Supervise      bool
	SuperviseEvery time.Duration
	// SnapshotTick is how often the snapshot schedule looks at the clock (0:
	// DefaultSnapshotTick). Without a retention period there are no automatic snapshots.
	SnapshotTick time.Duration
	// Logf reports an endpoint that stopped serving (nil: not reported).
	Logf func(string, ...any)
}

// Run runs what opts ask for around e until ctx ends, then closes the endpoints.
func Run(ctx context.Context, e *engine.Engine, opts Options) {
	if opts.Metrics != nil {
		srv := &http.Server{Handler: e.HTTPHandler(), ReadHeaderTimeout: ReadHeaderTimeout}
		go func() {
			if err := srv.Serve(opts.Metrics); err != nil && !errors.Is(err, http.ErrServerClosed) && opts.Logf != nil {
				opts.Logf("metrics endpoint: %v", err)
			}
		}()
		defer srv.Close()
	}
	if opts.Supervise {
		go e.Supervise(ctx, orDefault(opts.SuperviseEvery, DefaultSuperviseEvery))
	}
	// Returns at once when the deployment takes no automatic snapshots.
	e.RunSnapshotSchedule(ctx, orDefault(opts.SnapshotTick, DefaultSnapshotTick))
	<-ctx.Done()
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
