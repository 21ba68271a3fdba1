package engine

import (
	"context"
	"strconv"
	"testing"
)

// A new node size and AOF switched on reach the running nodes without a restart; the data
// stays and the AOF exists once the call returns. Switching it off again works the same way.
func TestApplyMemoryAndPersistence(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeReplication, 1, 1)
	e := Up(t, d)
	prim := e.Plan.Nodes[0]
	c := adminClient(e, prim)
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	runIDs := map[string]string{}
	for _, n := range e.Plan.Nodes {
		info, err := NodeInfoE(e, n, "server")
		if err != nil {
			t.Fatal(err)
		}
		runIDs[n.ID] = info["run_id"]
	}

	d.NodeMemory, d.Persistence.AOF = 512<<20, true
	np, err := PlanFor(d)
	if err != nil {
		t.Fatal(err)
	}
	e.Plan = np
	if err := e.ApplyMemoryAndPersistence(ctx); err != nil {
		t.Fatal(err)
	}
	for _, n := range e.Plan.Nodes {
		nc := adminClient(e, n)
		mm, err := nc.ConfigGet(ctx, "maxmemory").Result()
		nc.Close()
		if err != nil || mm["maxmemory"] != strconv.FormatInt(n.MaxMemory, 10) {
			t.Errorf("%s: maxmemory %v (%v), want %d", n.ID, mm, err, n.MaxMemory)
		}
		if n.MaxMemory != (512<<20)*75/100 {
			t.Errorf("%s: planned maxmemory %d, want 75%% of 512 MiB", n.ID, n.MaxMemory)
		}
		info, err := NodeInfoE(e, n, "persistence")
		if err != nil || info["aof_enabled"] != "1" || info["aof_rewrite_in_progress"] != "0" {
			t.Errorf("%s: AOF not on and seeded: %v (%v)", n.ID, info, err)
		}
		server, err := NodeInfoE(e, n, "server")
		if err != nil || server["run_id"] != runIDs[n.ID] {
			t.Errorf("%s restarted (run_id %s -> %s)", n.ID, runIDs[n.ID], server["run_id"])
		}
	}
	if v := c.Get(ctx, "k").Val(); v != "v" {
		t.Errorf("data lost: %q", v)
	}

	d.Persistence.AOF = false
	if e.Plan, err = PlanFor(d); err != nil {
		t.Fatal(err)
	}
	if err := e.ApplyMemoryAndPersistence(ctx); err != nil {
		t.Fatal(err)
	}
	for _, n := range e.Plan.Nodes {
		if info, err := NodeInfoE(e, n, "persistence"); err != nil || info["aof_enabled"] != "0" {
			t.Errorf("%s: AOF still on after switching it off: %v (%v)", n.ID, info["aof_enabled"], err)
		}
	}
}
