package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/internal/writeload"
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
// slots back before the nodes leave (bitnami/charts#2573). Slots move in batches, several
// source/destination pairs at once, while a cluster client keeps writing new keys: no write
// may fail and every key, loaded or written, must be readable afterwards.
func TestScaleClusterLive(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeCluster, 3, 1)
	d.Name = "rk-scale"
	e := Up(t, d)
	cc := clusterClient(e)
	defer cc.Close()
	const loaded = 20000
	var keys []string
	for i := 0; i < loaded; i += 1000 {
		_, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
			for k := i; k < i+1000; k++ {
				p.Set(ctx, fmt.Sprintf("sc:%d", k), fmt.Sprintf("sc:%d", k), 0)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("loading keys: %v", err)
		}
	}
	for k := 0; k < loaded; k++ {
		keys = append(keys, fmt.Sprintf("sc:%d", k))
	}
	// The writer is an application: go-redis' cluster client following ASK and MOVED.
	scale := func(what string, shards int) {
		t.Helper()
		wc := clusterClient(e)
		defer wc.Close()
		w := writeload.Start(ctx, wc, writeload.Options{Prefix: fmt.Sprintf("w%d:", shards), Every: time.Millisecond, Record: true})
		old := e.Plan
		e.Plan = replan(t, old, func(d *Deployment) { d.Shards = shards })
		start := time.Now()
		err := e.Scale(ctx, old)
		took := time.Since(start)
		r := w.Stop()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		t.Logf("%s took %s; writer: %d writes, %d failed, longest gap %s", what, took.Round(time.Millisecond), r.Ops, r.Failed, r.MaxGap.Round(time.Millisecond))
		if r.Failed != 0 || r.Ops == 0 {
			t.Fatalf("%s: %d of %d writes failed during the slot moves (first: %s)", what, r.Failed, r.Ops, r.FirstError)
		}
		keys = append(keys, r.Acked...)
		assertClusterHealthy(t, e)
		c := clusterClient(e)
		defer c.Close()
		for i := 0; i < len(keys); i += 1000 {
			batch := keys[i:min(i+1000, len(keys))]
			cmds, _ := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, k := range batch {
					p.Get(ctx, k)
				}
				return nil
			})
			for j, cmd := range cmds {
				if v, err := cmd.(*redis.StringCmd).Result(); err != nil || v != batch[j] {
					t.Fatalf("%s: %s = %q, %v", what, batch[j], v, err)
				}
			}
		}
		// Every primary ends with an even share of the slots and of the keys, and the
		// sync delay dropped for a new shard's replica is back.
		var total int64
		for s := 0; s < shards; s++ {
			n := e.Plan.ShardNodes(s)[0]
			if got := KeyCount(NodeInfo(t, e, n, "keyspace")); got < int64(len(keys)/shards/2) {
				t.Errorf("%s: %s holds %d of %d keys: slots were not moved with their keys", what, n.ID, got, len(keys))
			}
			total += KeyCount(NodeInfo(t, e, n, "keyspace"))
			a := adminClient(e, n)
			dl, err := a.ConfigGet(ctx, syncDelayParam).Result()
			a.Close()
			if err != nil || dl[syncDelayParam] != "5" {
				t.Errorf("%s: %s has %s %q (%v), want the default 5 back", what, n.ID, syncDelayParam, dl[syncDelayParam], err)
			}
		}
		if total != int64(len(keys)) {
			t.Errorf("%s: the primaries hold %d keys, %d were written", what, total, len(keys))
		}
		if st := e.Status(ctx); !st.Ready || st.SlotsCovered != TotalSlots || len(st.Nodes) != 2*shards {
			t.Fatalf("status %s: %+v", what, st)
		}
	}

	scale("scaling out to 4 shards", 4)
	newPrim := e.Plan.ShardNodes(3)[0]
	scale("scaling in to 3 shards", 3)
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
	if info := NodeInfo(t, e, added, "keyspace"); KeyCount(info) != int64(len(keys)) {
		t.Fatalf("new replica %s holds %d keys, want %d", added.ID, KeyCount(info), len(keys))
	}
	if n, err := c.Do(ctx, "wait", 2, 2000).Int(); err != nil || n != 2 {
		t.Fatalf("WAIT 2 = %d, %v: the new replica is not replicating", n, err)
	}
}
