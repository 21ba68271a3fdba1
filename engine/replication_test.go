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
	var addrs []string
	for _, s := range e.Plan.Sentinels {
		addrs = append(addrs, s.Addr())
	}
	user := e.Plan.Deployment.AppUserName()
	return redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: e.Plan.Deployment.Name, SentinelAddrs: addrs,
		SentinelUsername: user, SentinelPassword: appToken,
		Username: user, Password: appToken, TLSConfig: e.ClientTLS(),
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second, MaxRetries: -1,
		DialerRetries: 1,
	})
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
		if roles := rolesE(e); len(roles) != 3 {
			t.Fatalf("roles %v", roles)
		}
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
