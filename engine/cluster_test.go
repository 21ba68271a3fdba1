package engine

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func clusterClient(e *Engine) *redis.ClusterClient {
	o := e.AppClusterOptions()
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRedirects, o.DialerRetries = time.Second, 2*time.Second, 2*time.Second, 8, 1
	return redis.NewClusterClient(o)
}

// clusterIDsE maps plan node id -> cluster node id (CLUSTER MYID).
func clusterIDsE(e *Engine) (map[string]string, error) {
	out := map[string]string{}
	for _, n := range e.Plan.Nodes {
		c := adminClient(e, n)
		id, err := c.ClusterMyID(context.Background()).Result()
		c.Close()
		if err != nil {
			return nil, fmt.Errorf("CLUSTER MYID of %s: %w", n.ID, err)
		}
		out[n.ID] = id
	}
	return out, nil
}

// redisCliCheckE runs `redis-cli --cluster check` against a node, as the admin.
func redisCliCheckE(e *Engine, n *Node) (string, error) {
	args := []string{"--user", AdminUser, "--pass", adminPass, "--no-auth-warning"}
	if tlsf := e.Plan.TLS; tlsf != nil {
		args = append(args, "--tls", "--cacert", tlsf.CAFile)
	}
	args = append(args, "--cluster", "check", n.Addr())
	out, err := exec.Command("redis-cli", args...).CombinedOutput()
	if err == nil && (!strings.Contains(string(out), "[OK] All 16384 slots covered.") || strings.Contains(string(out), "[ERR]")) {
		err = fmt.Errorf("cluster check failed")
	}
	return string(out), err
}

// assertClusterHealthy checks with redis-cli and CLUSTER INFO on every node that all slots
// are served, every shard has one primary and the expected replicas.
func assertClusterHealthy(t *testing.T, e *Engine) {
	t.Helper()
	WaitFor(t, "a healthy cluster", 60*time.Second, func() error {
		if out, err := redisCliCheckE(e, e.Plan.Nodes[0]); err != nil {
			return fmt.Errorf("%w:\n%s", err, out)
		}
		masters := 0
		for _, n := range e.Plan.Nodes {
			c := adminClient(e, n)
			ci, err := c.ClusterInfo(context.Background()).Result()
			c.Close()
			if err != nil {
				return err
			}
			if info := ParseInfo(ci); info["cluster_state"] != "ok" || info["cluster_known_nodes"] != strconv.Itoa(len(e.Plan.Nodes)) {
				return fmt.Errorf("%s: state %s, %s nodes", n.ID, info["cluster_state"], info["cluster_known_nodes"])
			}
			rep, err := NodeInfoE(e, n, "replication")
			if err != nil {
				return err
			}
			if rep["role"] == "master" {
				masters++
			} else if rep["master_link_status"] != "up" {
				return fmt.Errorf("%s: replica link %s", n.ID, rep["master_link_status"])
			}
		}
		if masters != len(e.Plan.Primaries()) {
			return fmt.Errorf("%d primaries, want %d", masters, len(e.Plan.Primaries()))
		}
		return nil
	})
}

func TestClusterMode(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	parent := t
	d := newDeployment(t, ModeCluster, 3, 1)
	d.TLS = TLS{Enabled: true} // TLS for clients, replication and the cluster bus
	// AOF (fsync every second) so that even kill -9 of every node keeps acknowledged data.
	d.Persistence = Persistence{RDB: true, AOF: true}
	e := Up(t, d)
	assertClusterHealthy(t, e)
	if st := e.Status(ctx); !st.Ready || st.SlotsCovered != TotalSlots || len(st.Nodes) != 6 {
		t.Fatalf("status of a healthy cluster: %+v", st)
	}
	ids, err := clusterIDsE(e)
	if err != nil {
		t.Fatal(err)
	}

	cc := clusterClient(e)
	defer cc.Close()
	var keys []string
	for i := 0; i < 300; i++ {
		k := fmt.Sprintf("user:%d", i)
		if err := cc.Set(ctx, k, k, 0).Err(); err != nil {
			t.Fatalf("SET %s through the cluster client: %v", k, err)
		}
		keys = append(keys, k)
	}
	perShard := map[string]int{}
	err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		n, err := c.DBSize(ctx).Result()
		perShard[c.Options().Addr] = int(n)
		return err
	})
	if err != nil || len(perShard) != 3 {
		t.Fatalf("keys per shard %v: %v", perShard, err)
	}
	for addr, n := range perShard {
		if n == 0 {
			t.Fatalf("shard %s holds no keys: slots not spread (%v)", addr, perShard)
		}
	}

	t.Run("restricted commands denied to the app user", func(t *testing.T) {
		c := appClient(e, e.Plan.Nodes[0])
		defer c.Close()
		adm := adminClient(e, e.Plan.Nodes[0])
		defer adm.Close()
		assertRestrictedDenied(t, c, adm)
		for _, args := range [][]any{{"cluster", "forget", "x"}, {"cluster", "reset"}, {"cluster", "failover"}} {
			if err := c.Do(ctx, args...).Err(); err == nil || !strings.Contains(err.Error(), "NOPERM") {
				t.Errorf("%v: want NOPERM, got %v", args, err)
			}
		}
		if err := c.ClusterSlots(ctx).Err(); err != nil {
			t.Errorf("CLUSTER SLOTS must stay allowed: %v", err)
		}
	})

	t.Run("kill a primary: its replica takes over, no acknowledged write lost", func(t *testing.T) {
		victim := e.Plan.Nodes[0]
		var acked []string
		for i := 0; i < 100; i++ {
			k := fmt.Sprintf("acked:{%s}:%d", "a", i) // one slot, owned by some shard
			node, err := cc.MasterForKey(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			ok, err := writeAcked(ctx, node, k, k)
			if err != nil || !ok {
				t.Fatalf("write %s: acked=%v err=%v", k, ok, err)
			}
			acked = append(acked, k)
		}
		// Make the victim the primary owning those keys' slot.
		slot := int(mustKeySlot(t, cc, acked[0]))
		for _, n := range e.Plan.Primaries() {
			if n.Slots[0].Start <= slot && slot <= n.Slots[0].End {
				victim = n
			}
		}
		killed := time.Now()
		if err := e.KillNode(victim.ID); err != nil {
			t.Fatal(err)
		}
		var promoted, resumed time.Duration
		replica := e.Plan.ShardNodes(victim.Shard)[1]
		WaitFor(t, "the victim's replica to be promoted", 60*time.Second, func() error {
			if rep, err := NodeInfoE(e, replica, "replication"); err != nil || rep["role"] != "master" {
				return fmt.Errorf("%s not primary yet: %v", replica.ID, err)
			}
			promoted = time.Since(killed)
			return nil
		})
		WaitFor(t, "writes to the victim's slots to resume", 60*time.Second, func() error {
			// The shard has no replica left to acknowledge; the write itself must succeed.
			if err := cc.Set(ctx, acked[0]+":after", "1", 0).Err(); err != nil {
				cc.ReloadState(ctx) // what an application does on errors
				return err
			}
			resumed = time.Since(killed)
			return nil
		})
		t.Logf("cluster failover time (kill -9 of %s): replica promoted after %s, client writes resumed after %s (cluster-node-timeout %s)",
			victim.ID, promoted, resumed, d.Timing.ClusterNodeTimeout)
		for _, k := range acked {
			if v, err := cc.Get(ctx, k).Result(); err != nil || v != k {
				t.Fatalf("acknowledged key %s lost: %q %v", k, v, err)
			}
		}
		if err := e.StartNode(ctx, victim.ID); err != nil {
			t.Fatal(err)
		}
		assertClusterHealthy(t, e)
		if rep := NodeInfo(t, e, victim, "replication"); rep["role"] != "slave" {
			t.Fatalf("old primary %s came back as %s", victim.ID, rep["role"])
		}
	})

	t.Run("a primary restarted before detection does not lead", func(t *testing.T) {
		var prim *Node
		for _, n := range e.Plan.Nodes {
			if NodeInfo(t, e, n, "replication")["role"] == "master" {
				prim = n
				break
			}
		}
		if err := e.StopNode(ctx, prim.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.StartNode(ctx, prim.ID); err != nil {
			t.Fatal(err)
		}
		assertClusterHealthy(t, e)
		if rep := NodeInfo(t, e, prim, "replication"); rep["role"] != "slave" {
			t.Fatalf("%s restarted as %s", prim.ID, rep["role"])
		}
	})

	t.Run("every node restarted at once re-forms the same cluster with its data", func(t *testing.T) {
		WaitFor(t, "replicas to catch up", 10*time.Second, func() error {
			return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
				n, err := c.Do(ctx, "wait", 1, 1000).Int()
				if err == nil && n < 1 {
					err = fmt.Errorf("%s: no replica acknowledged", c.Options().Addr)
				}
				return err
			})
		})
		time.Sleep(1500 * time.Millisecond) // appendfsync everysec
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
		assertClusterHealthy(t, e)
		after, err := clusterIDsE(e)
		if err != nil {
			t.Fatal(err)
		}
		for id, cid := range ids {
			if after[id] != cid {
				t.Fatalf("node %s has cluster id %s after restart, was %s", id, after[id], cid)
			}
		}
		cc2 := clusterClient(e)
		defer cc2.Close()
		for _, k := range keys {
			if v, err := cc2.Get(ctx, k).Result(); err != nil || v != k {
				t.Fatalf("key %s after full restart: %q %v", k, v, err)
			}
		}
	})

	t.Run("a node moved to another port rejoins", func(t *testing.T) {
		n := e.Plan.Nodes[len(e.Plan.Nodes)-1]
		newPort := freeBasePort(t, 1)
		if err := e.MoveNode(ctx, n.ID, newPort); err != nil {
			t.Fatal(err)
		}
		assertClusterHealthy(t, e)
		c := adminClient(e, e.Plan.Nodes[0])
		defer c.Close()
		nodes, err := clusterNodes(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, cn := range nodes {
			if cn.ID == ids[n.ID] {
				found = cn.Addr == fmt.Sprintf("127.0.0.1:%d", newPort) && cn.Connected
			}
		}
		if !found {
			t.Fatalf("peers do not see %s at port %d: %+v", n.ID, newPort, nodes)
		}
	})

	t.Run("plaintext connections are refused", func(t *testing.T) {
		plain := redis.NewClient(&redis.Options{Addr: e.Plan.Nodes[0].Addr(), Username: AdminUser, Password: adminPass,
			DialTimeout: time.Second, ReadTimeout: time.Second, MaxRetries: -1})
		defer plain.Close()
		if err := plain.Ping(ctx).Err(); err == nil {
			t.Fatal("plaintext PING on the TLS port succeeded")
		}
		if e.Plan.Nodes[0].PlainPort != 0 {
			t.Fatal("a plaintext port is open with TLS required")
		}
	})
}

func mustKeySlot(t *testing.T, cc *redis.ClusterClient, key string) int64 {
	t.Helper()
	s, err := cc.ClusterKeySlot(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
