package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// writer writes keys in the background and records those acknowledged (by a replica, WAIT
// 1, when ackByReplica) so a test can check none is lost.
type writer struct {
	mu      sync.Mutex
	acked   []string
	errs    int
	maxGap  time.Duration
	stop    chan struct{}
	stopped chan struct{}
}

func startWriter(c redis.Cmdable, ackByReplica bool) *writer {
	w := &writer{stop: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(w.stopped)
		ctx := context.Background()
		last := time.Now()
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				return
			default:
			}
			k := fmt.Sprintf("roll:%d", i)
			var ok bool
			var err error
			if ackByReplica {
				ok, err = writeAcked(ctx, c, k, k)
			} else {
				err = c.Set(ctx, k, k, 0).Err()
				ok = err == nil
			}
			w.mu.Lock()
			if ok {
				w.acked = append(w.acked, k)
				if gap := time.Since(last); gap > w.maxGap {
					w.maxGap = gap
				}
				last = time.Now()
			} else {
				w.errs++
				time.Sleep(20 * time.Millisecond)
			}
			w.mu.Unlock()
		}
	}()
	return w
}

// What a rolling restart may cost a writer: a planned failover per shard pauses writes for
// about 1.5 s here (replication) or less (cluster), with a few failed writes while clients
// move; the bounds leave room for a loaded 2-core machine while still failing a restart that
// drops the group for good or takes a primary down without a failover first.
const (
	rollingMaxGap    = 10 * time.Second
	rollingMaxFailed = 100 // each failed write is followed by a 20 ms pause: about 2 s failing
)

// assertRollingCost fails the test when the writer saw a longer pause or more failed writes
// than a rolling restart may cause.
func assertRollingCost(t *testing.T, acked []string, errs int, gap time.Duration) {
	t.Helper()
	if len(acked) == 0 {
		t.Errorf("no write was acknowledged during the rolling restart")
	}
	if gap > rollingMaxGap {
		t.Errorf("longest gap between acknowledged writes %s, want at most %s", gap, rollingMaxGap)
	}
	if errs > rollingMaxFailed {
		t.Errorf("%d writes failed during the rolling restart, want at most %d", errs, rollingMaxFailed)
	}
}

func (w *writer) finish() ([]string, int, time.Duration) {
	close(w.stop)
	<-w.stopped
	return w.acked, w.errs, w.maxGap
}

func runIDs(t *testing.T, e *Engine) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range e.Plan.Nodes {
		out[n.ID] = NodeInfo(t, e, n, "server")["run_id"]
	}
	return out
}

// A rolling restart under write load: every node restarts (pending parameters applied), the
// group keeps serving, and no acknowledged write is lost.
func TestRollingRestart(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()

	t.Run("replication group", func(t *testing.T) {
		d := newDeployment(t, ModeReplication, 1, 2)
		d.Name = "rk-roll"
		e := Up(t, d)
		pending, err := e.ApplyParameters(ctx, map[string]string{"activerehashing": "no"})
		if err != nil || len(pending) != 1 {
			t.Fatalf("pending %v, %v", pending, err)
		}
		before := runIDs(t, e)
		c := failoverClient(e)
		defer c.Close()
		w := startWriter(c, true)
		time.Sleep(300 * time.Millisecond)
		start := time.Now()
		if err := e.RollingRestart(ctx); err != nil {
			w.finish()
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		acked, errs, gap := w.finish()
		t.Logf("rolling restart took %s; %d writes acknowledged, %d failed, longest gap %s", time.Since(start).Round(time.Millisecond), len(acked), errs, gap)
		assertRollingCost(t, acked, errs, gap)
		assertOnePrimary(t, e)
		after := runIDs(t, e)
		for _, n := range e.Plan.Nodes {
			if after[n.ID] == before[n.ID] {
				t.Errorf("%s was not restarted", n.ID)
			}
			if v := NodeInfo(t, e, n, "server"); v["run_id"] == "" {
				t.Errorf("%s unreachable", n.ID)
			}
		}
		adm := adminClient(e, e.Plan.Nodes[0])
		defer adm.Close()
		if v, _ := adm.ConfigGet(ctx, "activerehashing").Result(); v["activerehashing"] != "no" {
			t.Errorf("pending parameter not applied: %v", v)
		}
		if n, err := c.Exists(ctx, acked...).Result(); err != nil || n != int64(len(acked)) {
			t.Fatalf("%d of %d acknowledged writes survived: %v", n, len(acked), err)
		}
	})

	t.Run("cluster", func(t *testing.T) {
		d := newDeployment(t, ModeCluster, 2, 1)
		d.Name = "rk-croll"
		e := Up(t, d)
		before := runIDs(t, e)
		cc := clusterClient(e)
		defer cc.Close()
		w := startWriter(cc, false)
		time.Sleep(300 * time.Millisecond)
		if err := e.RollingRestart(ctx); err != nil {
			w.finish()
			t.Fatal(err)
		}
		acked, errs, gap := w.finish()
		t.Logf("cluster rolling restart: %d writes acknowledged, %d failed, longest gap %s", len(acked), errs, gap)
		assertRollingCost(t, acked, errs, gap)
		assertClusterHealthy(t, e)
		after := runIDs(t, e)
		for _, n := range e.Plan.Nodes {
			if after[n.ID] == before[n.ID] {
				t.Errorf("%s was not restarted", n.ID)
			}
		}
		cc.ReloadState(ctx)
		for _, k := range acked {
			if v, err := cc.Get(ctx, k).Result(); err != nil || v != k {
				t.Fatalf("acknowledged %s lost: %q %v", k, v, err)
			}
		}
	})
}
