package engine

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"
)

// A node that announces a hostname binds every interface and tells its peers the name; a
// name without bindAll is refused, naming the field.
func TestHostnameRendering(t *testing.T) {
	d := testDeployment(ModeCluster, 3, 1)
	d.Host = "cache-0.cache.ns.svc"
	if err := d.Validate(); err == nil || !strings.Contains(err.Error(), "host") || !strings.Contains(err.Error(), "bindAll") {
		t.Fatalf("a host name without bindAll: %v", err)
	}
	d.BindAll = true
	p := mustPlan(t, d)
	conf := p.renderRedisConf(p.Nodes[0], nodeStart{})
	for _, want := range []string{"bind * -::*\n", "cluster-announce-hostname cache-0.cache.ns.svc\n",
		"cluster-preferred-endpoint-type hostname\n", "replica-announce-ip cache-0.cache.ns.svc\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("redis.conf lacks %q:\n%s", want, conf)
		}
	}
	if strings.Contains(conf, "cluster-announce-ip") {
		t.Errorf("a node announcing a name also announces an address:\n%s", conf)
	}

	r := testDeployment(ModeReplication, 1, 2)
	r.Zones = []string{"a", "b", "c"}
	r.NodeHosts = map[string]string{"rk-test-001": "cache-0.cache"}
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "nodeHosts.rk-test-001") {
		t.Fatalf("a node host name without bindAll: %v", err)
	}
	r.BindAll = true
	rp := mustPlan(t, r)
	sconf := rp.renderSentinelConf(rp.Sentinels[0], rp.Nodes[0])
	resolve := strings.Index(sconf, "sentinel resolve-hostnames yes\n")
	monitor := strings.Index(sconf, "sentinel monitor ")
	if resolve < 0 || monitor < 0 || resolve > monitor || !strings.Contains(sconf, "sentinel announce-hostnames yes\n") {
		t.Errorf("sentinel.conf must resolve and announce hostnames before its monitor line:\n%s", sconf)
	}
}

// CLUSTER NODES lists a node that announces a hostname as ip:port@bus,hostname: the engine
// knows it by the name, as the plan does.
func TestParseClusterNodesHostname(t *testing.T) {
	nodes, err := ParseClusterNodes("abc 10.1.2.3:6379@16379,cache-0.cache master - 0 0 1 connected 0-16383\n" +
		"def 10.1.2.4:6379@16379 slave abc 0 0 1 connected\n" +
		"fed 10.1.2.5:6379@16379,,shard-id=1234 slave abc 0 0 1 connected\n")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"cache-0.cache:6379", "10.1.2.4:6379", "10.1.2.5:6379"} {
		if nodes[i].Addr != want {
			t.Errorf("node %d: Addr %q, want %q", i, nodes[i].Addr, want)
		}
	}
}

// A cluster and a replication group whose nodes announce this machine's hostname come up,
// are listed by the name, and survive a restart of a node.
func TestHostnameDeployments(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	if ips, err := net.LookupHost(host); err != nil || len(ips) == 0 || !isHostname(host) {
		t.Fatalf("this machine's hostname %q must be a name that resolves (%v %v)", host, ips, err)
	}

	t.Run("cluster", func(t *testing.T) {
		d := newDeployment(t, ModeCluster, 3, 1)
		d.Name, d.Host, d.BindAll = "rk-named", host, true
		e := Up(t, d)
		assertClusterHealthy(t, e)
		c := adminClient(e, e.Plan.Nodes[0])
		defer c.Close()
		shards, err := c.ClusterShards(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range shards {
			for _, n := range s.Nodes {
				if n.Hostname != host || n.Endpoint != host {
					t.Fatalf("CLUSTER SHARDS lists a node as endpoint %q hostname %q, want %q", n.Endpoint, n.Hostname, host)
				}
			}
		}
		n := e.Plan.Nodes[1]
		if err := e.StopNode(ctx, n.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.StartNode(ctx, n.ID); err != nil {
			t.Fatal(err)
		}
		assertClusterHealthy(t, e)
	})

	t.Run("replication", func(t *testing.T) {
		d := newDeployment(t, ModeReplication, 1, 1)
		d.Name, d.Host, d.BindAll = "rk-named-r", host, true
		e := Up(t, d)
		prim, err := e.CurrentPrimary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rep := NodeInfo(t, e, e.Plan.Nodes[1], "replication")
		if rep["role"] != "slave" || rep["master_host"] != host {
			t.Fatalf("replica follows %q as %s, want %q", rep["master_host"], rep["role"], host)
		}
		if err := e.Failover(ctx); err != nil {
			t.Fatal(err)
		}
		next, err := e.CurrentPrimary(ctx)
		if err != nil || next.ID == prim.ID {
			t.Fatalf("after a failover the sentinels name %v (was %s): %v", next, prim.ID, err)
		}
	})
}

// A node moving slots lists them open on its own line; they are not slots it serves.
func TestParseClusterNodesOpenSlots(t *testing.T) {
	nodes, err := ParseClusterNodes("abc 10.1.2.3:6379@16379 myself,master - 0 0 1 connected 0-100 [101->-def] [7000-<-fed]\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []OpenSlot{{Slot: 101, Peer: "def"}, {Slot: 7000, Importing: true, Peer: "fed"}}
	if got := nodes[0].Open; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("open slots %+v, want %+v", got, want)
	}
	if got := nodes[0].Slots; len(got) != 1 || got[0] != (SlotRange{Start: 0, End: 100}) {
		t.Errorf("served slots %+v, want 0-100 only", got)
	}
	if _, err := ParseClusterNodes("abc 10.1.2.3:6379@16379 myself,master - 0 0 1 connected [x->-def]\n"); err == nil {
		t.Error("a malformed open slot was accepted")
	}
}
