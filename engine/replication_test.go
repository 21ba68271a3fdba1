package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// failoverClient is how applications reach a replication group: through the sentinels, as
// the app user, so the current primary is always found.
func failoverClient(e *Engine) *redis.Client {
	o := e.AppFailoverOptions()
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRetries, o.DialerRetries = time.Second, 2*time.Second, 2*time.Second, -1, 1
	return redis.NewFailoverClient(o)
}

// rolesE returns node id -> role ("master"/"slave"/"down") as each node reports it.
func rolesE(e *Engine) map[string]string {
	out := map[string]string{}
	for _, n := range e.Plan.Nodes {
		info, err := NodeInfoE(e, n, "replication")
		if err != nil {
			out[n.ID] = "down"
			continue
		}
		out[n.ID] = info["role"]
	}
	return out
}

// assertRoles checks that every planned node answers and exactly one is a master, the
// others replicas.
func assertRoles(t *testing.T, e *Engine) {
	t.Helper()
	roles := rolesE(e)
	masters, replicas := 0, 0
	for id, r := range roles {
		switch r {
		case "master":
			masters++
		case "slave":
			replicas++
		default:
			t.Errorf("%s: role %q", id, r)
		}
	}
	if masters != 1 || replicas != len(e.Plan.Nodes)-1 {
		t.Fatalf("roles %v: want exactly one master and %d replicas", roles, len(e.Plan.Nodes)-1)
	}
}

// assertOnePrimary checks that exactly one node is master, it is the one the sentinels
// name, and every other node is its replica with the link up.
func assertOnePrimary(t *testing.T, e *Engine) *Node {
	t.Helper()
	var prim *Node
	WaitFor(t, "one primary and replicas in sync", 30*time.Second, func() error {
		p, err := e.CurrentPrimary(context.Background())
		if err != nil {
			return err
		}
		for _, n := range e.Plan.Nodes {
			info, err := NodeInfoE(e, n, "replication")
			if err != nil {
				return fmt.Errorf("%s: %w", n.ID, err)
			}
			switch {
			case n.ID == p.ID && info["role"] != "master":
				return fmt.Errorf("sentinels name %s but it is %s", n.ID, info["role"])
			case n.ID != p.ID && (info["role"] != "slave" || info["master_link_status"] != "up" ||
				fmt.Sprintf("%s:%s", info["master_host"], info["master_port"]) != p.Addr()):
				return fmt.Errorf("%s: role %s, link %s, master %s:%s", n.ID, info["role"], info["master_link_status"], info["master_host"], info["master_port"])
			}
		}
		prim = p
		return nil
	})
	return prim
}

func TestReplicationGroup(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeReplication, 1, 2)
	e := Up(t, d)
	parent := t
	prim := assertOnePrimary(t, e)
	if prim.ID != "rk-replication-001" {
		t.Fatalf("initial primary %s", prim.ID)
	}

	c := failoverClient(e)
	defer c.Close()
	if err := c.Set(ctx, "before", "1", 0).Err(); err != nil {
		t.Fatalf("SET through sentinel discovery: %v", err)
	}
	t.Run("restricted commands denied to the app user", func(t *testing.T) {
		adm := adminClient(e, prim)
		defer adm.Close()
		assertRestrictedDenied(t, c, adm)
	})

	var acked []string
	t.Run("kill the primary: a replica takes over, no acknowledged write lost", func(t *testing.T) {
		for i := 0; i < 200; i++ {
			k := fmt.Sprintf("k%d", i)
			ok, err := writeAcked(ctx, c, k, k)
			if err != nil || !ok {
				t.Fatalf("write %s before failover: acked=%v err=%v", k, ok, err)
			}
			acked = append(acked, k)
		}
		killed := time.Now()
		if err := e.KillNode(prim.ID); err != nil {
			t.Fatal(err)
		}
		var recovered time.Duration
		WaitFor(t, "writes to resume", 60*time.Second, func() error {
			ok, err := writeAcked(ctx, c, "after", "1")
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("write not acknowledged by a replica")
			}
			recovered = time.Since(killed)
			return nil
		})
		t.Logf("failover time (kill -9 of the primary to first acknowledged write): %s (down-after %s)", recovered, d.Timing.DownAfter)
		for _, k := range append(acked, "before", "after") {
			if v, err := c.Get(ctx, k).Result(); err != nil {
				t.Fatalf("acknowledged key %s lost after failover: %q %v", k, v, err)
			}
		}
		newPrim, err := e.CurrentPrimary(ctx)
		if err != nil || newPrim.ID == prim.ID {
			t.Fatalf("primary after failover: %v, %v", newPrim, err)
		}
	})

	t.Run("the old primary comes back as a replica", func(t *testing.T) {
		if err := e.StartNode(ctx, prim.ID); err != nil {
			t.Fatal(err)
		}
		p := assertOnePrimary(t, e)
		if p.ID == prim.ID {
			t.Fatalf("old primary %s leads again", prim.ID)
		}
	})

	t.Run("a primary restarted before detection does not lead", func(t *testing.T) {
		cur := assertOnePrimary(t, e)
		// Stop and start at once: the sentinels never saw it down. The engine must hand the
		// role to a replica before the node returns (it might have come back empty).
		if err := e.StopNode(ctx, cur.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.StartNode(ctx, cur.ID); err != nil {
			t.Fatal(err)
		}
		if p := assertOnePrimary(t, e); p.ID == cur.ID {
			t.Fatalf("%s restarted as primary", cur.ID)
		}
		if n, err := c.Exists(ctx, acked...).Result(); err != nil || n != int64(len(acked)) {
			t.Fatalf("%d of %d keys after restart: %v", n, len(acked), err)
		}
	})

	t.Run("every process restarted at once re-forms the group with its data", func(t *testing.T) {
		before := assertOnePrimary(t, e)
		if _, err := c.Do(ctx, "wait", 2, 2000).Result(); err != nil {
			t.Fatal(err)
		}
		if err := e.Kill(); err != nil {
			t.Fatal(err)
		}
		e2, err := New(d, NewLocalRunner())
		if err != nil {
			t.Fatal(err)
		}
		e2.Logf = parent.Logf
		parent.Cleanup(func() { _ = e2.Stop(context.Background()) })
		if err := e2.Up(ctx); err != nil {
			t.Fatalf("restart: %v", err)
		}
		e = e2
		after := assertOnePrimary(t, e)
		t.Logf("primary before %s, after %s", before.ID, after.ID)
		// RDB persistence is on, so data survives even a kill -9 of everything, as of the last
		// save or full sync; the replicas received every key by full sync or stream.
		c2 := failoverClient(e)
		defer c2.Close()
		if n, err := c2.Exists(ctx, acked...).Result(); err != nil || n != int64(len(acked)) {
			t.Fatalf("%d of %d keys after full restart: %v", n, len(acked), err)
		}
		assertRoles(t, e)
	})

	t.Run("a replica moved to another port rejoins", func(t *testing.T) {
		cur := assertOnePrimary(t, e)
		var rep *Node
		for _, n := range e.Plan.Nodes {
			if n.ID != cur.ID {
				rep = n
				break
			}
		}
		newPort := freeBasePort(t, 1)
		if err := e.MoveNode(ctx, rep.ID, newPort); err != nil {
			t.Fatal(err)
		}
		if e.Plan.Node(rep.ID).Port() != newPort {
			t.Fatal("plan not updated")
		}
		assertOnePrimary(t, e)
		// MoveNode reset the sentinels: none lists the replica at its old address any more.
		assertSentinelsSee(t, e, 2, 2)
		WaitFor(t, "the primary to list the moved replica", 20*time.Second, func() error {
			info, err := NodeInfoE(e, cur, "replication")
			if err != nil {
				return err
			}
			for k, v := range info {
				if strings.HasPrefix(k, "slave") && strings.Contains(v, fmt.Sprintf("port=%d,", newPort)) && strings.Contains(v, "state=online") {
					return nil
				}
			}
			return fmt.Errorf("replicas: %v", info)
		})
	})
}

// sentinelMasterE returns SENTINEL MASTER of the group as one sentinel reports it.
func sentinelMasterE(e *Engine, s *Sentinel) (map[string]string, error) {
	c := redis.NewSentinelClient(&redis.Options{Addr: s.Addr(), Username: AdminUser, Password: adminPass,
		TLSConfig: e.ClientTLS(), DialTimeout: time.Second, ReadTimeout: 2 * time.Second, MaxRetries: -1})
	defer c.Close()
	return c.Master(context.Background(), e.Plan.Deployment.Name).Result()
}

// assertSentinelsSee checks that every sentinel knows exactly the given numbers of other
// sentinels and replicas (no entry left at an old address) and names the current primary.
func assertSentinelsSee(t *testing.T, e *Engine, otherSentinels, replicas int) {
	t.Helper()
	prim, err := e.CurrentPrimary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	WaitFor(t, "every sentinel to see the group exactly", 30*time.Second, func() error {
		for _, s := range e.Plan.Sentinels {
			m, err := sentinelMasterE(e, s)
			if err != nil {
				return fmt.Errorf("%s: %w", s.ID, err)
			}
			if got := m["ip"] + ":" + m["port"]; got != prim.Addr() {
				return fmt.Errorf("%s names %s, want %s", s.ID, got, prim.Addr())
			}
			if m["num-other-sentinels"] != fmt.Sprint(otherSentinels) || m["num-slaves"] != fmt.Sprint(replicas) {
				return fmt.Errorf("%s sees %s other sentinels and %s replicas, want %d and %d",
					s.ID, m["num-other-sentinels"], m["num-slaves"], otherSentinels, replicas)
			}
		}
		return nil
	})
}

// Complaint 1 in replication mode: the primary and a sentinel get new ports while every
// process is down (a reboot that reassigns addresses). Sentinel's own files still name the
// old addresses; the engine carries their state over to the new ones, so the group comes
// back with one primary, its data, and sentinels that know each other where they are now.
func TestReplicationAddressesChangeWhileDown(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeReplication, 1, 2)
	d.Name = "rk-readdr"
	// Every acknowledged write is on disk before the kill -9.
	d.Persistence = Persistence{AOF: true}
	d.Parameters = map[string]string{"appendfsync": "always"}
	e := Up(t, d)
	prim := assertOnePrimary(t, e)
	c := failoverClient(e)
	keys := writeAckedKeys(t, c, 100)
	c.Close()
	moved := e.Plan.Sentinels[1]
	movedID := sentinelID(t, moved.Addr())
	// Ports free while the deployment runs, so none of its own.
	base := freeBasePort(t, 2)
	if err := e.Kill(); err != nil {
		t.Fatal(err)
	}
	for _, n := range e.Plan.Nodes {
		if e.Runner.Running(n.ID) {
			t.Fatalf("%s still running", n.ID)
		}
	}

	d2 := d
	d2.NodePorts = map[string]int{prim.ID: base, moved.ID: base + 1}
	e2 := Up(t, d2)
	if got := e2.Plan.Node(prim.ID).Port(); got != base {
		t.Fatalf("primary planned on %d, want %d", got, base)
	}
	if got := e2.Plan.Sentinels[1].Port(); got != base+1 {
		t.Fatalf("sentinel planned on %d, want %d", got, base+1)
	}
	assertOnePrimary(t, e2)
	assertRoles(t, e2)
	assertSentinelsSee(t, e2, 2, 2)
	if got := sentinelID(t, e2.Plan.Sentinels[1].Addr()); got != movedID {
		t.Fatalf("moved sentinel's id %q, want %q kept", got, movedID)
	}
	c2 := failoverClient(e2)
	defer c2.Close()
	if n, err := c2.Exists(ctx, keys...).Result(); err != nil || n != int64(len(keys)) {
		t.Fatalf("%d of %d keys after the restart at new addresses: %v", n, len(keys), err)
	}
}

// The nodes go down while the sentinels keep running, and the primary comes back on a new
// port (a rescheduled container). Alone, with no replica to hand over to, it leads and the
// sentinels are pointed at its new address; with its replica back first, the replica takes
// over and the old primary rejoins as its replica. Either way: one primary, every key, and
// sentinels that list nothing at an old address.
func TestReplicationPrimaryReaddressedWhileSentinelsRun(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeReplication, 1, 1)
	d.Name = "rk-readdr2"
	d.Persistence = Persistence{AOF: true}
	d.Parameters = map[string]string{"appendfsync": "always"}
	e := Up(t, d)
	prim := assertOnePrimary(t, e)
	c := failoverClient(e)
	keys := writeAckedKeys(t, c, 50)
	c.Close()
	base := freeBasePort(t, 2) // free while the deployment runs, so none of its ports
	killNodesAndMove := func(t *testing.T, id string, port int) {
		t.Helper()
		for _, n := range e.Plan.Nodes {
			if err := e.KillNode(n.ID); err != nil {
				t.Fatal(err)
			}
		}
		np, err := e.Plan.WithNodePort(id, port)
		if err != nil {
			t.Fatal(err)
		}
		e.Plan = np
	}
	assertGroup := func(t *testing.T) *Node {
		t.Helper()
		p := assertOnePrimary(t, e)
		assertRoles(t, e)
		assertSentinelsSee(t, e, 2, 1)
		c := failoverClient(e)
		defer c.Close()
		if n, err := c.Exists(ctx, keys...).Result(); err != nil || n != int64(len(keys)) {
			t.Fatalf("%d of %d keys: %v", n, len(keys), err)
		}
		return p
	}

	t.Run("alone: the sentinels are pointed at its new address", func(t *testing.T) {
		killNodesAndMove(t, prim.ID, base)
		if err := e.StartNode(ctx, prim.ID); err != nil {
			t.Fatal(err)
		}
		if p, err := e.CurrentPrimary(ctx); err != nil || p.ID != prim.ID || p.Port() != base {
			t.Fatalf("sentinels name %v (%v), want %s on %d", p, err, prim.ID, base)
		}
		for _, n := range e.Plan.Nodes {
			if err := e.StartNode(ctx, n.ID); err != nil {
				t.Fatal(err)
			}
		}
		if p := assertGroup(t); p.ID != prim.ID {
			t.Fatalf("primary %s, want %s", p.ID, prim.ID)
		}
	})

	t.Run("with its replica back first: it rejoins as a replica", func(t *testing.T) {
		cur := assertOnePrimary(t, e)
		killNodesAndMove(t, cur.ID, base+1)
		if err := e.Up(ctx); err != nil {
			t.Fatal(err)
		}
		if p := assertGroup(t); p.ID == cur.ID {
			t.Fatalf("%s came back at a new address as primary over its running replica", cur.ID)
		}
		if got := e.Plan.Node(cur.ID).Port(); got != base+1 {
			t.Fatalf("%s planned on %d", cur.ID, got)
		}
	})
}

// sentinelID returns the run id (SENTINEL MYID) of the sentinel at addr.
func sentinelID(t *testing.T, addr string) string {
	t.Helper()
	sc := redis.NewSentinelClient(&redis.Options{Addr: addr, Username: AdminUser, Password: adminPass})
	defer sc.Close()
	cmd := redis.NewStringCmd(context.Background(), "sentinel", "myid")
	if err := sc.Process(context.Background(), cmd); err != nil {
		t.Fatalf("SENTINEL MYID at %s: %v", addr, err)
	}
	return cmd.Val()
}
