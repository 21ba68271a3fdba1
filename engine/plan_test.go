package engine

import (
	"strings"
	"testing"
)

func testDeployment(mode Mode, shards, replicas int) Deployment {
	return Deployment{
		Name: "rk-test", Mode: mode, Shards: shards, ReplicasPerShard: replicas,
		Engine: "redis", EngineVersion: "7.1",
		Auth:        Auth{AppToken: "app-token-0123456789", AdminPassword: "admin-password-0123456789"},
		BasePort:    20000,
		DataDir:     "/tmp/rk-plan",
		NodeMemory:  1 << 30,
		Persistence: Persistence{RDB: true},
	}
}

func mustPlan(t *testing.T, d Deployment) *Plan {
	t.Helper()
	p, err := PlanFor(d)
	if err != nil {
		t.Fatalf("PlanFor: %v", err)
	}
	return p
}

func TestPlanClusterCoversEverySlotOnce(t *testing.T) {
	for _, shards := range []int{1, 3, 7, 10} {
		p := mustPlan(t, testDeployment(ModeCluster, shards, 2))
		owner := make([]int, TotalSlots)
		for _, n := range p.Nodes {
			if n.Role == RoleReplica && len(n.Slots) != 0 {
				t.Fatalf("replica %s owns slots", n.ID)
			}
			for _, r := range n.Slots {
				for s := r.Start; s <= r.End; s++ {
					owner[s]++
				}
			}
		}
		for s, c := range owner {
			if c != 1 {
				t.Fatalf("%d shards: slot %d owned %d times", shards, s, c)
			}
		}
		if len(p.Nodes) != shards*3 || len(p.Primaries()) != shards {
			t.Fatalf("%d shards: %d nodes, %d primaries", shards, len(p.Nodes), len(p.Primaries()))
		}
	}
}

func TestPlanReplicasInOtherZones(t *testing.T) {
	for _, zones := range [][]string{nil, {"eu-1a", "eu-1b"}, {"a", "b", "c", "d"}} {
		d := testDeployment(ModeCluster, 4, 3)
		d.Zones = zones
		p := mustPlan(t, d)
		for _, n := range p.Nodes {
			if n.Role != RoleReplica {
				continue
			}
			if prim := p.Node(n.PrimaryID); prim == nil || prim.Zone == n.Zone || prim.Shard != n.Shard {
				t.Fatalf("zones %v: replica %s (zone %s) vs primary %v", zones, n.ID, n.Zone, prim)
			}
		}
	}
}

func TestPlanIDsPortsAndQuorum(t *testing.T) {
	p := mustPlan(t, testDeployment(ModeReplication, 1, 2))
	if got := []string{p.Nodes[0].ID, p.Nodes[2].ID}; got[0] != "rk-test-001" || got[1] != "rk-test-003" {
		t.Fatalf("ids %v", got)
	}
	if len(p.Sentinels) != 3 || p.Quorum != 2 {
		t.Fatalf("%d sentinels, quorum %d", len(p.Sentinels), p.Quorum)
	}
	// No zone may hold a quorum of sentinels on its own.
	perZone := map[string]int{}
	for _, s := range p.Sentinels {
		perZone[s.Zone]++
	}
	for z, c := range perZone {
		if c >= p.Quorum {
			t.Fatalf("zone %s holds %d sentinels, quorum is %d", z, c, p.Quorum)
		}
	}
	seen := map[int]string{}
	for _, n := range p.Nodes {
		seen[n.Port()] = n.ID
	}
	for _, s := range p.Sentinels {
		if other, dup := seen[s.Port()]; dup {
			t.Fatalf("sentinel %s shares port with %s", s.ID, other)
		}
		seen[s.Port()] = s.ID
	}
	p = mustPlan(t, testDeployment(ModeReplication, 1, 5))
	if len(p.Sentinels) != 5 || p.Quorum != 3 {
		t.Fatalf("6 nodes: %d sentinels, quorum %d", len(p.Sentinels), p.Quorum)
	}
	// Whatever the zones and the group size, no zone holds a quorum and losing any one
	// zone leaves one.
	for _, zones := range [][]string{nil, {"a", "b", "c"}, {"a", "b", "c", "d"}, {"a", "b", "c", "d", "e"}} {
		for replicas := 1; replicas <= 5; replicas++ {
			d := testDeployment(ModeReplication, 1, replicas)
			d.Zones = zones
			p := mustPlan(t, d)
			perZone := map[string]int{}
			for _, s := range p.Sentinels {
				perZone[s.Zone]++
			}
			for z, c := range perZone {
				if c >= p.Quorum || len(p.Sentinels)-c < p.Quorum {
					t.Errorf("zones %v, %d replicas: zone %s holds %d of %d sentinels, quorum %d", zones, replicas, z, c, len(p.Sentinels), p.Quorum)
				}
			}
		}
	}
	c := mustPlan(t, testDeployment(ModeCluster, 2, 1))
	if c.Nodes[3].ID != "rk-test-0002-002" || c.Nodes[3].BusPort != c.Nodes[3].Port()+10000 {
		t.Fatalf("cluster node %+v", c.Nodes[3])
	}
}

func TestPlanACL(t *testing.T) {
	d := testDeployment(ModeSingle, 1, 0)
	d.Auth.Users = []User{{Name: "reporting", Password: "reporting-password-1", AccessString: "on ~report:* +@read"}}
	acl := renderACL(&d)
	lines := strings.Split(strings.TrimSpace(acl), "\n")
	if !strings.HasPrefix(lines[0], "user default off") {
		t.Fatalf("default user not disabled: %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], "user "+AdminUser+" on #") || strings.Contains(lines[1], " -") {
		t.Fatalf("admin user: %q", lines[1])
	}
	for _, l := range lines[2:] {
		for _, c := range RestrictedCommands {
			if !strings.Contains(l+" ", " -"+c+" ") {
				t.Errorf("restricted command %s not denied in %q", c, l)
			}
		}
		if strings.Contains(l, "token") || strings.Contains(l, "password") {
			t.Errorf("clear-text secret in ACL file: %q", l)
		}
	}
	if !strings.HasPrefix(lines[3], "user reporting on ~report:* +@read #") {
		t.Fatalf("rbac user: %q", lines[3])
	}
}

func TestPlanMaxMemory(t *testing.T) {
	d := testDeployment(ModeSingle, 1, 0)
	if got := mustPlan(t, d).Nodes[0].MaxMemory; got != (1<<30)*3/4 {
		t.Fatalf("maxmemory %d, want 75%% of 1 GiB", got)
	}
	d.Parameters = map[string]string{"reserved-memory-percent": "10"}
	if got := mustPlan(t, d).Nodes[0].MaxMemory; got != (1<<30)-(1<<30)/10 {
		t.Fatalf("maxmemory %d with 10%% reserved", got)
	}
	d.NodeMemory = 0 // detected: the machine's (or cgroup's) limit shared by the nodes
	lim, err := MemoryLimit()
	if err != nil {
		t.Fatal(err)
	}
	if got := mustPlan(t, d).Nodes[0].MaxMemory; got != lim-lim/10 {
		t.Fatalf("maxmemory %d, limit %d", got, lim)
	}
}

func TestPlanRenderedConfig(t *testing.T) {
	d := testDeployment(ModeCluster, 3, 1)
	d.TLS = TLS{Enabled: true}
	d.Parameters = map[string]string{"maxmemory-policy": "allkeys-lru"}
	p := mustPlan(t, d)
	n := p.Nodes[1]
	conf := p.renderRedisConf(n, nodeStart{})
	for _, want := range []string{
		"port 0\n", "tls-port 20001\n", "tls-replication yes\n", "tls-cluster yes\n", "cluster-enabled yes\n",
		"maxmemory-policy allkeys-lru\n", "cluster-announce-ip 127.0.0.1\n", "cluster-announce-tls-port 20001\n",
		"aclfile /tmp/rk-plan/rk-test-0001-002/users.acl\n", "masteruser " + AdminUser + "\n",
		"client-output-buffer-limit pubsub 33554432 8388608 60\n", "save 3600 1 300 100 60 10000\n",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("redis.conf lacks %q:\n%s", want, conf)
		}
	}
	for _, never := range []string{"reserved-memory", "close-on-replica-write", "\nset-max-listpack"} {
		if strings.Contains(conf, never) {
			t.Errorf("redis.conf renders engine-only %q", never)
		}
	}
}

func TestDeploymentValidateCollectsEverything(t *testing.T) {
	d := Deployment{
		Name: "Bad--Name-", Mode: ModeCluster, Shards: 0, ReplicasPerShard: 6,
		Engine: "redis", EngineVersion: "6.2",
		Zones: []string{"a", "a"},
		Auth: Auth{AppToken: "short", AdminPassword: "admin-password-0123456789",
			Users: []User{{Name: "default", Password: "x", AccessString: "on >pw +@all"}}},
		TLS:      TLS{Enabled: true, Mode: "sometimes", CertFile: "/x.crt"},
		Snapshot: Snapshot{RetentionDays: 40},
	}
	err := d.Validate()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		"name:", "shards: 0", "replicasPerShard: 6", `engineVersion: "6.2"`, "zones[1]",
		"auth.appToken", "auth.users[0].name", "auth.users[0].password", "auth.users[0].accessString",
		"tls.mode", "tls.certFile", "basePort", "dataDir: missing", "snapshot.retentionDays",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "short") {
		t.Errorf("secret leaked into the error: %v", err)
	}
}

func TestDeploymentRejectsBadParameterGroup(t *testing.T) {
	d := testDeployment(ModeCluster, 3, 1)
	d.Parameters = map[string]string{"maxmemory-policy": "lru", "cluster-enabled": "no", "bogus": "1"}
	_, err := PlanFor(d)
	if err == nil {
		t.Fatal("bad parameter group accepted")
	}
	for _, want := range []string{
		`parameters.maxmemory-policy: "lru" is not allowed; one of volatile-lru`,
		`parameters.cluster-enabled: "no" is not allowed; remove it: it is set from the deployment mode`,
		`parameters.bogus: "1" is not allowed; "bogus" is not a parameter of family redis7`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestPlanPinnedPortsNeverCollide(t *testing.T) {
	// A replication group growing from 1 to 2 replicas with every running process pinned:
	// the new node must not take the first sentinel's port.
	d := testDeployment(ModeReplication, 1, 1)
	p := mustPlan(t, d)
	d.NodePorts = map[string]int{}
	for _, n := range p.Nodes {
		d.NodePorts[n.ID] = n.Port()
	}
	for _, s := range p.Sentinels {
		d.NodePorts[s.ID] = s.Port()
	}
	d.ReplicasPerShard = 2
	grown := mustPlan(t, d)
	seen := map[int]string{}
	for _, n := range grown.Nodes {
		if other, dup := seen[n.Port()]; dup {
			t.Fatalf("%s and %s share port %d", n.ID, other, n.Port())
		}
		seen[n.Port()] = n.ID
	}
	for _, s := range grown.Sentinels {
		if other, dup := seen[s.Port()]; dup {
			t.Fatalf("%s and %s share port %d", s.ID, other, s.Port())
		}
		seen[s.Port()] = s.ID
	}
	// Moving one node leaves every other port where it was.
	d = testDeployment(ModeCluster, 3, 1)
	before := mustPlan(t, d)
	d.NodePorts = map[string]int{before.Nodes[1].ID: 30999}
	after := mustPlan(t, d)
	for i, n := range after.Nodes {
		want := before.Nodes[i].Port()
		if i == 1 {
			want = 30999
		}
		if n.Port() != want {
			t.Fatalf("%s moved from %d to %d", n.ID, before.Nodes[i].Port(), n.Port())
		}
	}
}

func TestReplicationNeedsThreeZones(t *testing.T) {
	for _, zones := range [][]string{{"eu-1a"}, {"eu-1a", "eu-1b"}} {
		d := testDeployment(ModeReplication, 1, 2)
		d.Zones = zones
		d.BasePort = 0 // a second problem: both are reported at once
		err := d.Validate()
		if err == nil {
			t.Fatalf("zones %v accepted in replication mode", zones)
		}
		want := "zones: " + map[int]string{1: `["eu-1a"]`, 2: `["eu-1a", "eu-1b"]`}[len(zones)] +
			" is not allowed; at least 3 distinct zones in replication mode, so that no zone holds a quorum of the sentinels"
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "basePort: 0 is not allowed") {
			t.Errorf("zones %v: error lacks %q or the basePort problem:\n%v", zones, want, err)
		}
		if strings.Count(err.Error(), "zones:") != 1 {
			t.Errorf("zones %v: zones reported more than once:\n%v", zones, err)
		}
	}
	// Cluster mode keeps 2 zones valid (no sentinels; replicas in the other zone).
	d := testDeployment(ModeCluster, 2, 1)
	d.Zones = []string{"eu-1a", "eu-1b"}
	if err := d.Validate(); err != nil {
		t.Fatalf("cluster mode with 2 zones: %v", err)
	}
	d = testDeployment(ModeReplication, 1, 1)
	d.Zones = []string{"eu-1a", "eu-1b", "eu-1c"}
	if err := d.Validate(); err != nil {
		t.Fatalf("replication mode with 3 zones: %v", err)
	}
}

func TestMajorityPrimary(t *testing.T) {
	for _, c := range []struct {
		votes map[string]int
		total int
		want  string
	}{
		{map[string]int{"a:1": 3}, 3, "a:1"},
		{map[string]int{"a:1": 2}, 3, "a:1"},
		{map[string]int{"a:1": 2, "b:1": 1}, 3, "a:1"},
		// One of three answered: it may be the stale one; not a majority of all.
		{map[string]int{"a:1": 1}, 3, ""},
		{map[string]int{"a:1": 2}, 5, ""},
		{map[string]int{"a:1": 3, "b:1": 2}, 5, "a:1"},
		{map[string]int{"a:1": 2, "b:1": 2}, 5, ""},
		{map[string]int{}, 3, ""},
	} {
		got, err := majorityPrimary(c.votes, c.total)
		if got != c.want || (err == nil) != (c.want != "") {
			t.Errorf("majorityPrimary(%v, %d) = %q, %v; want %q", c.votes, c.total, got, err, c.want)
		}
	}
}

// Replan pins every process to the ports it holds. With TLS preferred a process holds a
// plaintext port and the TLS port after it; pinning the TLS port as the first one moved every
// node up by one.
func TestReplanKeepsPortsWithTLSPreferred(t *testing.T) {
	for _, mode := range []string{"preferred", "required", ""} {
		d := testDeployment(ModeReplication, 1, 2)
		d.TLS = TLS{Enabled: mode != "", Mode: mode}
		cur, err := PlanFor(d)
		if err != nil {
			t.Fatal(err)
		}
		next, err := Replan(cur, func(d *Deployment) { d.Parameters = map[string]string{"maxmemory-policy": "allkeys-lru"} })
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range cur.Nodes {
			m := next.Nodes[i]
			if m.PlainPort != n.PlainPort || m.TLSPort != n.TLSPort {
				t.Errorf("tls %q: %s moved from %d/%d to %d/%d", mode, n.ID, n.PlainPort, n.TLSPort, m.PlainPort, m.TLSPort)
			}
		}
		for i, s := range cur.Sentinels {
			m := next.Sentinels[i]
			if m.PlainPort != s.PlainPort || m.TLSPort != s.TLSPort {
				t.Errorf("tls %q: sentinel %s moved from %d/%d to %d/%d", mode, s.ID, s.PlainPort, s.TLSPort, m.PlainPort, m.TLSPort)
			}
		}
	}
}
