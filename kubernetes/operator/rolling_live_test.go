package operator

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
)

// A rolling restart on real servers: every node marked outdated restarts once, replicas
// first, each primary only after handing its role to a current replica (CLUSTER FAILOVER
// in cluster mode, FAILOVER in a replication group), and the keys written before are all
// there after.
func TestTopologyRollsEveryNode(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode engine.Mode
	}{{"cluster", engine.ModeCluster}, {"replication group", engine.ModeReplication}} {
		t.Run(tc.name, func(t *testing.T) {
			l := startLive(t, tc.mode, 2, 1)
			for _, n := range l.plan.Nodes {
				l.start(t, n.ID)
			}
			l.converge(t, 90*time.Second)
			ctx := context.Background()
			primaries := map[string]bool{}
			for _, f := range gather(ctx, l.dialer, tc.mode == engine.ModeCluster, l.targets) {
				if f.Role == "master" {
					primaries[f.Node.ID] = true
				}
			}
			keysOn := func() int64 {
				var n int64
				for id := range primaries {
					c := l.admin(id)
					ks, err := engine.Info(ctx, c, "keyspace")
					c.Close()
					if err != nil {
						t.Fatal(err)
					}
					n += engine.KeyCount(ks)
				}
				return n
			}
			var w redis.Cmdable
			if tc.mode == engine.ModeCluster {
				cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{l.plan.Nodes[0].Addr()}, Username: engine.AdminUser,
					Password: liveAdminPass, Protocol: 2, DisableIdentity: true})
				defer cc.Close()
				w = cc
			} else {
				for id := range primaries {
					c := l.admin(id)
					defer c.Close()
					w = c
				}
			}
			for i := 0; i < 500; i++ {
				if err := w.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err(); err != nil {
					t.Fatal(err)
				}
			}
			written := keysOn()
			if written == 0 {
				t.Fatal("no key written")
			}

			for i := range l.targets {
				l.targets[i].Outdated = true
			}
			deadline := time.Now().Add(4 * time.Minute)
			for {
				topo := l.pass(t)
				if topo.Healthy {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("not rolled after 4 minutes: %s", topo.Waiting)
				}
				time.Sleep(RequeueForming)
			}
			if len(l.restarts) != len(l.plan.Nodes) {
				t.Fatalf("restarted %v, want each of the %d nodes once", l.restarts, len(l.plan.Nodes))
			}
			seen := map[string]bool{}
			for i, id := range l.restarts {
				if seen[id] {
					t.Errorf("%s restarted twice: %v", id, l.restarts)
				}
				seen[id] = true
				if primaries[id] && i < len(l.restarts)/2 && tc.mode == engine.ModeCluster {
					t.Errorf("primary %s restarted before the replicas: %v", id, l.restarts)
				}
			}
			// Each restarted primary handed over first: it comes back a replica.
			now := map[string]bool{}
			for _, f := range gather(ctx, l.dialer, tc.mode == engine.ModeCluster, l.targets) {
				if f.Role == "master" {
					now[f.Node.ID] = true
				}
			}
			for id := range primaries {
				if now[id] {
					t.Errorf("%s is primary again after its restart: it restarted without handing over", id)
				}
			}
			primaries = now
			if got := keysOn(); got != written {
				t.Errorf("%d keys on the primaries after the rolling restart, %d before", got, written)
			}
			t.Logf("restart order %v", l.restarts)
		})
	}
}

// Replicas removed from a replication group whose primary is the node going: it hands the
// role to a replica that stays (FAILOVER TO, on real servers), then the passes say the
// leaving node can go; the group that stays holds every key.
func TestTopologyDropsALeavingPrimary(t *testing.T) {
	l := startLive(t, engine.ModeReplication, 1, 2)
	for _, n := range l.plan.Nodes {
		l.start(t, n.ID)
	}
	l.converge(t, 90*time.Second)
	ctx := context.Background()
	first, last := l.plan.Nodes[0], l.plan.Nodes[2]
	c := l.admin(first.ID)
	for i := 0; i < 300; i++ {
		if err := c.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// The node with the highest ordinal leads when the replicas are cut to one.
	if err := c.Do(ctx, "failover", "to", last.Host, last.Port(), "timeout", 10000).Err(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	l.converge(t, 60*time.Second)
	l.targets[2].Leaving = true
	var topo topology
	deadline := time.Now().Add(time.Minute)
	for topo = l.pass(t); !topo.DropReplicas; topo = l.pass(t) {
		if time.Now().After(deadline) {
			t.Fatalf("never ready to drop the leaving node: %s", topo.Waiting)
		}
		time.Sleep(RequeueForming)
	}
	for _, f := range gather(ctx, l.dialer, false, l.targets) {
		if f.Node.ID == last.ID && f.Role != "slave" {
			t.Fatalf("%s is still %s when it may go", last.ID, f.Role)
		}
		if f.Role == "master" && f.Keys != 300 {
			t.Errorf("the new primary %s holds %d keys, want 300", f.Node.ID, f.Keys)
		}
	}
}
