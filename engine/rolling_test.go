package engine

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/internal/writeload"
)

// startWriter writes keys in the background and records those acknowledged (by a replica,
// WAIT 1, when ackByReplica) so a test can check none is lost.
func startWriter(c redis.Cmdable, ackByReplica bool) *writeload.Writer {
	o := writeload.Options{Prefix: "roll:", RetryPause: 20 * time.Millisecond, Record: true}
	if ackByReplica {
		o.Write = func(ctx context.Context, c redis.Cmdable, k string) (bool, error) { return writeAcked(ctx, c, k, k) }
	}
	return writeload.Start(context.Background(), c, o)
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
func assertRollingCost(t *testing.T, r writeload.Result) {
	t.Helper()
	if len(r.Acked) == 0 {
		t.Errorf("no write was acknowledged during the rolling restart")
	}
	if r.MaxGap > rollingMaxGap {
		t.Errorf("longest gap between acknowledged writes %s, want at most %s", r.MaxGap, rollingMaxGap)
	}
	if r.Failed > rollingMaxFailed {
		t.Errorf("%d writes failed during the rolling restart, want at most %d", r.Failed, rollingMaxFailed)
	}
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
			w.Stop()
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		r := w.Stop()
		acked := r.Acked
		t.Logf("rolling restart took %s; %d writes acknowledged, %d failed, longest gap %s", time.Since(start).Round(time.Millisecond), len(acked), r.Failed, r.MaxGap)
		assertRollingCost(t, r)
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
			w.Stop()
			t.Fatal(err)
		}
		r := w.Stop()
		acked := r.Acked
		t.Logf("cluster rolling restart: %d writes acknowledged, %d failed, longest gap %s", len(acked), r.Failed, r.MaxGap)
		assertRollingCost(t, r)
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
