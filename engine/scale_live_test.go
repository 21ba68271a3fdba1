package engine

import (
	"context"
	"fmt"
	"testing"
)

// replan returns the plan for d with every node of cur pinned to its current port, as
// Scale requires (nodes keep their ids and ports).
func replan(t *testing.T, cur *Plan, mutate func(*Deployment)) *Plan {
	t.Helper()
	p, err := Replan(cur, mutate)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Scaling out adds shards AND moves slots (with their keys) to them; scaling in gives the
// slots back before the nodes leave (bitnami/charts#2573).
func TestScaleClusterLive(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeCluster, 2, 1)
	d.Name = "rk-scale"
	e := Up(t, d)
	cc := clusterClient(e)
	defer cc.Close()
	var keys []string
	for i := 0; i < 500; i++ {
		k := fmt.Sprintf("sc:%d", i)
		if err := cc.Set(ctx, k, k, 0).Err(); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	checkKeys := func(what string) {
		t.Helper()
		c := clusterClient(e)
		defer c.Close()
		for _, k := range keys {
			if v, err := c.Get(ctx, k).Result(); err != nil || v != k {
				t.Fatalf("%s: %s = %q, %v", what, k, v, err)
			}
		}
	}

	old := e.Plan
	e.Plan = replan(t, old, func(d *Deployment) { d.Shards = 3 })
	if err := e.Scale(ctx, old); err != nil {
		t.Fatalf("scale out to 3 shards: %v", err)
	}
	assertClusterHealthy(t, e)
	checkKeys("after scaling out")
	newPrim := e.Plan.ShardNodes(2)[0]
	na := NodeInfo(t, e, newPrim, "keyspace")
	if keyCount(na) == 0 {
		t.Fatalf("the new shard's primary %s holds no keys: slots were not moved", newPrim.ID)
	}
	if st := e.Status(ctx); !st.Ready || st.SlotsCovered != TotalSlots || len(st.Nodes) != 6 {
		t.Fatalf("status after scaling out: %+v", st)
	}

	old = e.Plan
	e.Plan = replan(t, old, func(d *Deployment) { d.Shards = 2 })
	if err := e.Scale(ctx, old); err != nil {
		t.Fatalf("scale in to 2 shards: %v", err)
	}
	assertClusterHealthy(t, e)
	checkKeys("after scaling in")
	if e.Runner.Running(newPrim.ID) {
		t.Fatalf("%s still runs after its shard was removed", newPrim.ID)
	}
}

func TestScaleReplicationLive(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeReplication, 1, 1)
	d.Name = "rk-rscale"
	e := Up(t, d)
	c := failoverClient(e)
	defer c.Close()
	keys := writeAckedKeys(t, c, 50)

	old := e.Plan
	e.Plan = replan(t, old, func(d *Deployment) { d.ReplicasPerShard = 2 })
	if err := e.Scale(ctx, old); err != nil {
		t.Fatalf("adding a replica: %v", err)
	}
	assertOnePrimary(t, e)
	added := e.Plan.Nodes[2]
	if info := NodeInfo(t, e, added, "keyspace"); keyCount(info) != int64(len(keys)) {
		t.Fatalf("new replica %s holds %d keys, want %d", added.ID, keyCount(info), len(keys))
	}
	if n, err := c.Do(ctx, "wait", 2, 2000).Int(); err != nil || n != 2 {
		t.Fatalf("WAIT 2 = %d, %v: the new replica is not replicating", n, err)
	}
}
