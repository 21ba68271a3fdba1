package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Without persistence a restarted primary comes back empty. If it led again, its replicas
// would resync to it and drop everything (bitnami/charts#11083). The engine hands the role
// to a replica first, so the data survives.
func TestEmptyPrimaryNeverLeads(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()

	t.Run("replication group", func(t *testing.T) {
		d := newDeployment(t, ModeReplication, 1, 1)
		d.Name = "rk-empty"
		d.Persistence = Persistence{} // nothing on disk: a restart loses the node's data
		e := Up(t, d)
		c := failoverClient(e)
		defer c.Close()
		keys := writeAckedKeys(t, c, 100)
		prim := assertOnePrimary(t, e)
		if err := e.StopNode(ctx, prim.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.StartNode(ctx, prim.ID); err != nil {
			t.Fatal(err)
		}
		if p := assertOnePrimary(t, e); p.ID == prim.ID {
			t.Fatalf("the emptied node %s leads again", prim.ID)
		}
		if n, err := c.Exists(ctx, keys...).Result(); err != nil || n != int64(len(keys)) {
			t.Fatalf("%d of %d keys left: %v", n, len(keys), err)
		}
	})

	// The guard holds on every way back: StartNode after a stop, and Start (what the
	// supervisor of autoRecover calls) after a crash, which once brought the node back
	// unguarded as the empty primary of its shard.
	for _, way := range []string{"StartNode", "Start"} {
		t.Run("cluster shard via "+way, func(t *testing.T) { clusterShardGuard(t, way) })
	}
}

func clusterShardGuard(t *testing.T, way string) {
	ctx := context.Background()
	d := newDeployment(t, ModeCluster, 1, 1) // one shard: no majority to vote, takeover
	d.Name = "rk-cempty"
	d.Persistence = Persistence{}
	e := Up(t, d)
	cc := clusterClient(e)
	defer cc.Close()
	var keys []string
	for i := 0; i < 100; i++ {
		k := fmt.Sprintf("k%d", i)
		node, err := cc.MasterForKey(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := writeAcked(ctx, node, k, k); err != nil || !ok {
			t.Fatalf("write %s: %v %v", k, ok, err)
		}
		keys = append(keys, k)
	}
	prim := e.Plan.Nodes[0]
	if way == "Start" {
		if err := e.KillNode(prim.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.Start(ctx); err != nil {
			t.Fatal(err)
		}
	} else {
		if err := e.StopNode(ctx, prim.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.StartNode(ctx, prim.ID); err != nil {
			t.Fatal(err)
		}
	}
	assertClusterHealthy(t, e)
	if rep := NodeInfo(t, e, prim, "replication"); rep["role"] != "slave" {
		t.Fatalf("the emptied node %s is %s", prim.ID, rep["role"])
	}
	cc.ReloadState(ctx)
	for _, k := range keys {
		if v, err := cc.Get(ctx, k).Result(); err != nil || v != k {
			t.Fatalf("%s after the primary restarted: %q %v", k, v, err)
		}
	}
}

func writeAckedKeys(t *testing.T, c redis.Cmdable, n int) []string {
	t.Helper()
	var keys []string
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("acked:%d", i)
		if ok, err := writeAcked(context.Background(), c, k, k); err != nil || !ok {
			t.Fatalf("write %s: acked=%v %v", k, ok, err)
		}
		keys = append(keys, k)
	}
	return keys
}
