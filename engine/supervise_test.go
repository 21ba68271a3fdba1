package engine

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestSuperviseRestartsCrashedNodes: a crashed primary of a replication group is brought back
// by the supervisor without anyone calling Up, as a replica of the primary the sentinels
// elected, and a single node comes back with its data.
func TestSuperviseRestartsCrashedNodes(t *testing.T) {
	requireRedis(t)
	t.Run("replication", func(t *testing.T) {
		d := newDeployment(t, ModeReplication, 1, 1)
		d.Name = "rk-supervise"
		e := Up(t, d)
		prim := assertOnePrimary(t, e)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go e.Supervise(ctx, 200*time.Millisecond)
		if err := e.KillNode(prim.ID); err != nil {
			t.Fatal(err)
		}
		waitBackAsReplica(t, e, prim)
		if p := assertOnePrimary(t, e); p.ID == prim.ID {
			t.Errorf("the crashed primary %s must not lead again", prim.ID)
		}
	})
	// A crashed cluster primary is failed over first (the start guard, on the supervisor's
	// path too), long before the cluster's own detection (a 15 s node timeout here): its
	// replica leads, the node returns as its replica, and no acknowledged write is lost.
	t.Run("cluster", func(t *testing.T) {
		d := newDeployment(t, ModeCluster, 3, 1)
		d.Name = "rk-supervise-cluster"
		d.Timing.ClusterNodeTimeout = 15 * time.Second
		e := Up(t, d)
		cc := clusterClient(e)
		defer cc.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		prim := e.Plan.Nodes[0]
		var keys []string
		for i := 0; len(keys) < 50; i++ {
			k := fmt.Sprintf("sv%d", i)
			node, err := cc.MasterForKey(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			if node.Options().Addr != prim.Addr() {
				continue // only the shard that loses its primary
			}
			if ok, err := writeAcked(ctx, node, k, k); err != nil || !ok {
				t.Fatalf("write %s: acked=%v %v", k, ok, err)
			}
			keys = append(keys, k)
		}
		go e.Supervise(ctx, 200*time.Millisecond)
		killed := time.Now()
		if err := e.KillNode(prim.ID); err != nil {
			t.Fatal(err)
		}
		WaitFor(t, "a write to the shard acknowledged", 60*time.Second, func() error {
			return cc.Set(ctx, keys[0], "after", 0).Err()
		})
		t.Logf("supervised cluster failover: kill -9 of %s to the first write acknowledged on its shard: %s (cluster-node-timeout %s)",
			prim.ID, time.Since(killed).Round(10*time.Millisecond), d.Timing.ClusterNodeTimeout)
		waitBackAsReplica(t, e, prim)
		assertClusterHealthy(t, e)
		for _, k := range keys[1:] {
			if v, err := cc.Get(ctx, k).Result(); err != nil || v != k {
				t.Fatalf("acknowledged write %s after the failover: %q %v", k, v, err)
			}
		}
	})
	t.Run("single node", func(t *testing.T) {
		d := newDeployment(t, ModeSingle, 1, 0)
		d.Name = "rk-supervise-single"
		d.Persistence = Persistence{AOF: true}
		d.Parameters = map[string]string{"appendfsync": "always"}
		e := Up(t, d)
		n := e.Plan.Nodes[0]
		c := appClient(e, n)
		defer c.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := c.Set(ctx, "kept", "yes", 0).Err(); err != nil {
			t.Fatal(err)
		}
		go e.Supervise(ctx, 200*time.Millisecond)
		if err := e.KillNode(n.ID); err != nil {
			t.Fatal(err)
		}
		WaitFor(t, n.ID+" back with its data", 30*time.Second, func() error {
			v, err := c.Get(ctx, "kept").Result()
			if err != nil {
				return err
			}
			if v != "yes" {
				return fmt.Errorf("kept = %q", v)
			}
			return nil
		})
	})
}

// waitBackAsReplica waits until node n runs again as a replica with its link up.
func waitBackAsReplica(t *testing.T, e *Engine, n *Node) {
	t.Helper()
	WaitFor(t, n.ID+" back as a replica", 60*time.Second, func() error {
		if !e.Runner.Running(n.ID) {
			return fmt.Errorf("%s not running yet", n.ID)
		}
		info, err := NodeInfoE(e, n, "replication")
		if err != nil {
			return err
		}
		if info["role"] != "slave" || info["master_link_status"] != "up" {
			return fmt.Errorf("%s: role %s link %s", n.ID, info["role"], info["master_link_status"])
		}
		return nil
	})
}
