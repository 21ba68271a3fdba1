package operator

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/kubernetes/render"
)

// mark applies set to the facts of the nodes named.
func mark(fs []nodeFacts, set func(*nodeFacts), ids ...string) []nodeFacts {
	for i := range fs {
		for _, id := range ids {
			if fs[i].Node.ID == id {
				set(&fs[i])
			}
		}
	}
	return fs
}

func outdated(fs []nodeFacts, ids ...string) []nodeFacts {
	return mark(fs, func(f *nodeFacts) { f.Outdated = true }, ids...)
}

// A rolling restart in cluster mode: replicas first, then each primary hands its role to its
// current replica before it restarts; never two nodes at once, never from an unhealthy cache.
func TestRollCluster(t *testing.T) {
	p := clusterPlan(t)
	all := []string{"c-0001-001", "c-0001-002", "c-0002-001", "c-0002-002"}

	top := decideCluster(p, outdated(formedFacts(p), all...), 2)
	if got := fmt.Sprint(top.Steps); got != "[c-0001-002 restarts with its shard's current configuration]" || !top.Updating || top.Healthy {
		t.Errorf("all outdated: steps %s updating %v healthy %v", got, top.Updating, top.Healthy)
	}

	top = decideCluster(p, outdated(formedFacts(p), "c-0001-001", "c-0002-001"), 2)
	if got := fmt.Sprint(top.Steps); got != "[c-0001-002 takes the primary role over from c-0001-001, which then restarts or goes]" {
		t.Errorf("replicas done: steps %s", got)
	}

	// The primary handed over: it is a replica now, and restarts.
	fs := formedFacts(p)
	fs[0].Role, fs[0].Primary, fs[0].Slots, fs[0].LinkUp = "slave", fs[1].ID, 0, true
	fs[1].Role, fs[1].Primary, fs[1].Slots = "master", "", fs[0].Slots
	fs[1].Slots = 8192
	top = decideCluster(p, outdated(fs, "c-0001-001", "c-0002-001"), 2)
	if got := stepsOf(top, stepRestart); fmt.Sprint(got) != "[c-0001-001 restarts with its shard's current configuration]" {
		t.Errorf("after the handover: steps %v (waiting %q)", top.Steps, top.Waiting)
	}

	fs = outdated(formedFacts(p), "c-0001-001")
	fs[1].LinkUp = false
	if top := decideCluster(p, fs, 2); len(stepsOf(top, stepRestart))+len(stepsOf(top, stepHandover)) != 0 {
		t.Errorf("a replica out of sync: steps %v", top.Steps)
	}

	fs = outdated(formedFacts(p), "c-0001-002")
	fs[3].Err = "connection refused"
	if top := decideCluster(p, fs, 2); len(stepsOf(top, stepRestart)) != 0 {
		t.Errorf("a node down: steps %v", top.Steps)
	}

	if top := decideCluster(p, formedFacts(p), 2); len(top.Steps) != 0 || !top.Healthy {
		t.Errorf("nothing outdated: steps %v healthy %v", top.Steps, top.Healthy)
	}
}

// A shard of one node restarts as it is: nothing can take over.
func TestRollSingleNodeShards(t *testing.T) {
	p, err := engine.PlanFor(engine.Deployment{Name: "c", Mode: engine.ModeCluster, Shards: 2, Engine: "valkey",
		EngineVersion: "8.0", Auth: engine.Auth{AppToken: "app-token-0123456789abcdef", AdminPassword: "admin-password-0123456789"},
		BasePort: 6379, DataDir: "/data", NodeMemory: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	top := decideCluster(p, outdated(formedFacts(p), "c-0002-001"), 2)
	if got := fmt.Sprint(top.Steps); got != "[c-0002-001 restarts with its shard's current configuration]" {
		t.Errorf("steps %s", got)
	}
}

// In a replication group the primary runs FAILOVER itself once its replicas are current.
func TestRollReplication(t *testing.T) {
	p := replicationPlan(t, 1)
	group := func() []nodeFacts {
		return []nodeFacts{
			{target: target{Node: render.Node{ID: "r-001", Host: "r-001.r-nodes"}, IP: "10.0.0.1", Port: 6379}, Role: "master", Replicas: 1, Keys: 3},
			{target: target{Node: render.Node{ID: "r-002", Host: "r-002.r-nodes"}, IP: "10.0.0.2", Port: 6379}, Role: "slave", Primary: "r-001.r-nodes", PrimaryPort: 6379, LinkUp: true},
		}
	}
	top := decideReplication(p, outdated(group(), "r-001", "r-002"))
	if got := fmt.Sprint(top.Steps); got != "[r-002 restarts with its shard's current configuration]" {
		t.Errorf("both outdated: %s", got)
	}
	top = decideReplication(p, outdated(group(), "r-001"))
	if got := fmt.Sprint(top.Steps); !strings.HasPrefix(got, "[r-001 hands the primary role to its most up-to-date replica") || !top.Updating {
		t.Errorf("primary outdated: %s updating %v", got, top.Updating)
	}
}

func leaving(fs []nodeFacts, ids ...string) []nodeFacts {
	return mark(fs, func(f *nodeFacts) { f.Leaving = true }, ids...)
}

// Replicas removed: a leaving node that is its shard's primary hands over to a replica that
// stays first; then the leaving nodes go, all at once.
func TestDropReplicas(t *testing.T) {
	p := clusterPlanWith(t, 2, 2) // c-000s-003 go
	top := decideCluster(p, leaving(formedFacts(p), "c-0001-003", "c-0002-003"), 2)
	if len(top.Steps) != 0 || !top.DropReplicas || !top.Updating {
		t.Errorf("replicas leaving: steps %v drop %v updating %v", top.Steps, top.DropReplicas, top.Updating)
	}

	// The planned primary of shard 1 is the one going (nodes are ordered by ordinal here as
	// the plan's; mark the primary leaving instead).
	top = decideCluster(p, leaving(formedFacts(p), "c-0001-001"), 2)
	if got := fmt.Sprint(top.Steps); got != "[c-0001-002 takes the primary role over from c-0001-001, which then restarts or goes]" || top.DropReplicas {
		t.Errorf("a leaving primary: steps %s drop %v", got, top.DropReplicas)
	}

	fs := leaving(formedFacts(p), "c-0001-001")
	fs[1].LinkUp, fs[2].LinkUp = false, false
	if top := decideCluster(p, fs, 2); top.DropReplicas || len(stepsOf(top, stepHandover)) != 0 {
		t.Errorf("no replica in sync: steps %v drop %v", top.Steps, top.DropReplicas)
	}

	if top := decideCluster(p, formedFacts(p), 2); top.DropReplicas || !top.Healthy {
		t.Errorf("nothing leaving: drop %v healthy %v", top.DropReplicas, top.Healthy)
	}

	r := replicationPlan(t, 1)
	group := []nodeFacts{
		{target: target{Node: render.Node{ID: "r-001", Host: "r-001.r-nodes"}, IP: "10.0.0.1", Port: 6379, Leaving: true}, Role: "master", Replicas: 1, Keys: 3},
		{target: target{Node: render.Node{ID: "r-002", Host: "r-002.r-nodes"}, IP: "10.0.0.2", Port: 6379}, Role: "slave", Primary: "r-001.r-nodes", PrimaryPort: 6379, LinkUp: true},
	}
	top = decideReplication(r, group)
	if len(top.Steps) != 1 || top.Steps[0].Kind != stepHandover || top.Steps[0].Host != "r-002.r-nodes" || top.Steps[0].On != "r-001" {
		t.Errorf("replication group, leaving primary: %v", top.Steps)
	}
}
