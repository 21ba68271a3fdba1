package operator

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/internal/testenv"
	"github.com/rediskit/rediskit/internal/testports"
	"github.com/rediskit/rediskit/kubernetes/render"
)

const liveAdminPass = "operator-live-admin-password-0123456789"

// liveNodes are a cache's nodes as real valkey servers on 127.0.0.1, each started from the
// configuration the engine renders for it (as a pod's would be), none of them formed: what
// the operator finds when a new cache's pods first answer.
type liveNodes struct {
	plan    *engine.Plan
	targets []target
	// shards is the shard count the passes aim at (0: the plan's).
	shards int
	// restarts are the nodes restarted by the passes\' restart steps, in order.
	restarts []string
	procs    map[string]*exec.Cmd
	dialer   *dialer
}

func startLive(t *testing.T, mode engine.Mode, shards, replicas int) *liveNodes {
	t.Helper()
	testenv.RequireCommands(t, "apt-get install valkey-server (make apt-packages)", "valkey-server")
	n := shards * (replicas + 1)
	base, err := testports.Block(n, mode == engine.ModeCluster)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	d := engine.Deployment{Name: "rkop", Mode: mode, Shards: shards, ReplicasPerShard: replicas, Engine: "valkey", EngineVersion: "8.0",
		Auth: engine.Auth{AppToken: "operator-live-app-token-0123456789", AdminPassword: liveAdminPass}, BasePort: base, DataDir: root,
		NodeMemory: 64 << 20, CredentialsInclude: filepath.Join(root, "credentials.conf"),
		Timing: engine.Timing{ClusterNodeTimeout: 3 * time.Second}}
	if mode != engine.ModeCluster {
		d.Shards = 1
	}
	p, err := engine.PlanFor(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.CredentialsInclude, []byte(engine.CredentialsConf(&d)), 0o600); err != nil {
		t.Fatal(err)
	}
	l := &liveNodes{plan: p, procs: map[string]*exec.Cmd{}, dialer: &dialer{password: liveAdminPass}}
	for _, pn := range p.Nodes {
		l.targets = append(l.targets, target{Node: render.Node{ID: pn.ID, Shard: pn.Shard, ShardID: pn.ShardID, Pod: pn.ID, Host: pn.Host},
			IP: pn.Host, Port: pn.Port(), Bus: pn.BusPort})
	}
	t.Cleanup(func() {
		for id := range l.procs {
			l.stop(t, id)
		}
	})
	return l
}

// start starts node id's server from its rendered configuration (its directory and files
// kept from an earlier start).
func (l *liveNodes) start(t *testing.T, id string) {
	t.Helper()
	pn := l.plan.Node(id)
	conf, err := l.plan.RedisConf(id)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(l.plan.Deployment.DataDir, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"redis.conf": conf, engine.ACLFile: l.plan.ACL()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("valkey-server", filepath.Join(dir, "redis.conf"))
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l.procs[id] = cmd
	c := l.dialer.client(pn.Host, pn.Host, pn.Port())
	defer c.Close()
	if err := engine.Poll(context.Background(), 10*time.Second, 50*time.Millisecond, "node "+id+" to answer", func(ctx context.Context) error {
		return c.Ping(ctx).Err()
	}); err != nil {
		t.Fatal(err)
	}
}

func (l *liveNodes) stop(t *testing.T, id string) {
	t.Helper()
	cmd := l.procs[id]
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_, _ = cmd.Process.Wait()
	delete(l.procs, id)
}

// pass is one pass of the operator's node work: gather, decide, take.
func (l *liveNodes) pass(t *testing.T) topology {
	t.Helper()
	ctx := context.Background()
	facts := gather(ctx, l.dialer, l.plan.Deployment.Mode == engine.ModeCluster, l.targets)
	var topo topology
	if l.plan.Deployment.Mode == engine.ModeCluster {
		shards := l.shards
		if shards == 0 {
			shards = len(l.plan.Primaries())
		}
		topo = decideCluster(l.plan, facts, shards)
	} else {
		topo = decideReplication(l.plan, facts)
	}
	if len(topo.Steps) > 0 {
		var commands []step
		for _, st := range topo.Steps {
			if st.Kind != stepRestart {
				commands = append(commands, st)
				continue
			}
			// A pod made again from the current template: the node restarts, current.
			l.stop(t, st.On)
			l.start(t, st.On)
			for i := range l.targets {
				if l.targets[i].Node.ID == st.On {
					l.targets[i].Outdated = false
				}
			}
			l.restarts = append(l.restarts, st.On)
		}
		if err := take(ctx, l.dialer, facts, commands); err != nil {
			t.Logf("a step failed (decided again next pass): %v", err)
		}
	}
	if len(topo.Moves) > 0 {
		if err := moveSlots(ctx, l.dialer, l.plan, facts, topo.Moves); err != nil {
			t.Logf("moving slots failed (decided again next pass): %v", err)
		}
	}
	return topo
}

// converge runs passes two seconds apart (as the operator requeues a forming cache) until
// the cache is healthy; it returns how many passes that took.
func (l *liveNodes) converge(t *testing.T, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for i := 1; ; i++ {
		topo := l.pass(t)
		if topo.Healthy {
			return i
		}
		t.Logf("pass %d: %d steps; waiting: %s", i, len(topo.Steps), topo.Waiting)
		if time.Now().After(deadline) {
			t.Fatalf("not healthy after %s: %s", timeout, topo.Waiting)
		}
		time.Sleep(RequeueForming)
	}
}

func (l *liveNodes) admin(id string) *redis.Client {
	pn := l.plan.Node(id)
	return l.dialer.client(pn.Host, pn.Host, pn.Port())
}

// A new cluster is formed whole, from servers that know nothing of each other: not while a
// node is missing (no slot is served by anyone), then every slot on its planned primary and
// every replica on its shard's primary, as the plan says. A replica that comes back without
// its nodes.conf (a lost volume) joins under a new identity; the operator attaches it to its
// shard again and has every node forget the old identity.
func TestTopologyFormsAClusterWhole(t *testing.T) {
	l := startLive(t, engine.ModeCluster, 2, 1)
	last := l.plan.Nodes[len(l.plan.Nodes)-1].ID
	for _, n := range l.plan.Nodes {
		if n.ID != last {
			l.start(t, n.ID)
		}
	}
	topo := l.pass(t)
	if len(topo.Steps) != 0 || topo.Healthy || !strings.Contains(topo.Waiting, "3 of 4 nodes answer") {
		t.Fatalf("with a node missing: %d steps %v, healthy %v, waiting %q; want no step and waiting for it", len(topo.Steps), topo.Steps, topo.Healthy, topo.Waiting)
	}
	l.start(t, last)
	passes := l.converge(t, 90*time.Second)
	t.Logf("formed in %d passes", passes)

	ctx := context.Background()
	for _, pn := range l.plan.Nodes {
		c := l.admin(pn.ID)
		rep, err := engine.Info(ctx, c, "replication")
		if err != nil {
			t.Fatal(err)
		}
		nodes, err := c.ClusterNodes(ctx).Result()
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		cns, _ := engine.ParseClusterNodes(nodes)
		for _, cn := range cns {
			if !cn.Has("myself") {
				continue
			}
			switch pn.Role {
			case engine.RolePrimary:
				if rep["role"] != "master" || fmt.Sprint(cn.Slots) != fmt.Sprint(pn.Slots) {
					t.Errorf("primary %s: role %s, slots %v; want master with %v", pn.ID, rep["role"], cn.Slots, pn.Slots)
				}
			default:
				if rep["role"] != "slave" || rep["master_port"] != fmt.Sprint(l.plan.Node(pn.PrimaryID).Port()) {
					t.Errorf("replica %s: role %s of port %s; want a replica of %s", pn.ID, rep["role"], rep["master_port"], pn.PrimaryID)
				}
			}
		}
	}
	// A cluster client writes and reads every slot's shard.
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{l.plan.Nodes[0].Addr()}, Username: engine.AdminUser, Password: liveAdminPass})
	defer cc.Close()
	for i := 0; i < 200; i++ {
		k := fmt.Sprintf("key-%d", i)
		if err := cc.Set(ctx, k, k, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
	if topo := l.pass(t); !topo.Healthy || len(topo.Steps) != 0 || topo.SlotsCovered != engine.TotalSlots {
		t.Fatalf("a pass over the formed cluster: healthy %v, steps %v, %d slots; want healthy, none, all", topo.Healthy, topo.Steps, topo.SlotsCovered)
	}

	// The replica loses its volume: a new identity joins, the old one is forgotten.
	c := l.admin(last)
	oldID, err := c.ClusterMyID(ctx).Result()
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	l.stop(t, last)
	if err := os.RemoveAll(filepath.Join(l.plan.Deployment.DataDir, last)); err != nil {
		t.Fatal(err)
	}
	l.start(t, last)
	l.converge(t, 90*time.Second)
	for _, pn := range l.plan.Nodes {
		c := l.admin(pn.ID)
		nodes, err := c.ClusterNodes(ctx).Result()
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(nodes, oldID) {
			t.Errorf("node %s still knows the gone identity %s:\n%s", pn.ID, oldID, nodes)
		}
	}
	if n, err := cc.DBSize(ctx).Result(); err != nil || n == 0 {
		t.Errorf("DBSIZE through the cluster client after the rejoin: %d %v", n, err)
	}
}

// A replication group is formed from its planned primary: each replica replicates it, by the
// name and port the primary has; a primary that already holds data leads even when it is not
// the planned one, so an empty node never becomes the primary over data.
func TestTopologyFormsAReplicationGroup(t *testing.T) {
	l := startLive(t, engine.ModeReplication, 1, 2)
	for _, n := range l.plan.Nodes {
		l.start(t, n.ID)
	}
	// The data is on the second node: it leads.
	holder := l.plan.Nodes[1]
	c := l.admin(holder.ID)
	if err := c.Set(context.Background(), "kept", "yes", 0).Err(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	l.converge(t, 60*time.Second)
	ctx := context.Background()
	for _, pn := range l.plan.Nodes {
		c := l.admin(pn.ID)
		rep, err := engine.Info(ctx, c, "replication")
		v, _ := c.Get(ctx, "kept").Result()
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := "slave"
		if pn.ID == holder.ID {
			want = "master"
		}
		if rep["role"] != want || v != "yes" {
			t.Errorf("node %s: role %s, kept=%q; want %s holding the key", pn.ID, rep["role"], v, want)
		}
	}
}

// A primary lost where the cluster cannot fail it over (one of two primaries left: no
// majority to vote) is taken over by its replica on the operator's word, once the replica's
// link has been down TakeoverAfter and it sees the primary failing; the old primary, back,
// rejoins as a replica and the cluster is whole again. The writes a replica acknowledged
// before the loss are all there.
func TestTopologyTakesOverALostPrimary(t *testing.T) {
	l := startLive(t, engine.ModeCluster, 2, 1)
	for _, n := range l.plan.Nodes {
		l.start(t, n.ID)
	}
	l.converge(t, 90*time.Second)
	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{l.plan.Nodes[0].Addr()}, Username: engine.AdminUser, Password: liveAdminPass})
	defer cc.Close()
	var acked []string
	for i := 0; i < 300; i++ {
		k := fmt.Sprintf("k%d", i)
		m, err := cc.MasterForKey(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		var wait *redis.IntCmd
		if _, err := m.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, k, k, 0)
			wait = redis.NewIntCmd(ctx, "wait", 1, 1000)
			return p.Process(ctx, wait)
		}); err == nil && wait.Val() >= 1 {
			acked = append(acked, k)
		}
	}
	lost := l.plan.ShardNodes(1)[0] // shard 0002's primary
	replica := l.plan.ShardNodes(1)[1]
	cmd := l.procs[lost.ID]
	// Stopped, not killed: the machine is gone from the network, its process still there.
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	deadline := start.Add(60 * time.Second)
	for {
		topo := l.pass(t)
		c := l.admin(replica.ID)
		role, _ := engine.Info(ctx, c, "replication")
		c.Close()
		if role["role"] == "master" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s not promoted after 60 s: %s", replica.ID, topo.Waiting)
		}
		time.Sleep(RequeueForming)
	}
	t.Logf("the operator promoted %s %s after its primary stopped answering", replica.ID, time.Since(start).Round(100*time.Millisecond))
	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	l.converge(t, 90*time.Second)
	c := l.admin(lost.ID)
	role, _ := engine.Info(ctx, c, "replication")
	c.Close()
	if role["role"] != "slave" {
		t.Errorf("the old primary %s came back as %s, want a replica", lost.ID, role["role"])
	}
	cc.ReloadState(ctx)
	missing := 0
	for _, k := range acked {
		if v, err := cc.Get(ctx, k).Result(); err != nil || v != k {
			missing++
		}
	}
	if len(acked) == 0 || missing != 0 {
		t.Errorf("%d of %d acknowledged keys missing", missing, len(acked))
	}
}

// A replication group's lost primary (killed, its pod held down) is replaced by its most
// advanced replica once the replicas have not heard it for PromoteAfter; the other replica
// follows the new primary, and every acknowledged key is there.
func TestTopologyPromotesInAReplicationGroup(t *testing.T) {
	defer func(d time.Duration) { PromoteAfter = d }(PromoteAfter)
	PromoteAfter = 2 * time.Second
	l := startLive(t, engine.ModeReplication, 1, 2)
	for _, n := range l.plan.Nodes {
		l.start(t, n.ID)
	}
	l.converge(t, 60*time.Second)
	ctx := context.Background()
	old := l.plan.Nodes[0].ID
	c := l.admin(old)
	for i := 0; i < 50; i++ {
		if err := c.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := c.Do(ctx, "wait", 2, 5000).Int(); err != nil || n != 2 {
		t.Fatalf("WAIT 2: %d, %v", n, err)
	}
	c.Close()
	l.stop(t, old)
	for i := range l.targets {
		if l.targets[i].Node.ID == old {
			l.targets[i].Down = true // its pod not ready, as the kubelet would report
		}
	}
	start := time.Now()
	promoted, follows := "", false
	for deadline := time.Now().Add(30 * time.Second); !follows; {
		topo := l.pass(t)
		if time.Now().After(deadline) {
			t.Fatalf("30 s after the primary was lost: promoted %q, the other replica following it %v: %s", promoted, follows, topo.Waiting)
		}
		time.Sleep(500 * time.Millisecond)
		facts := gather(ctx, l.dialer, false, l.targets)
		for _, f := range facts {
			if f.answered() && f.Role == "master" && f.Node.ID != old {
				promoted = f.Node.ID
			}
		}
		if promoted == "" {
			continue
		}
		follows = true
		for _, f := range facts {
			if f.answered() && f.Node.ID != promoted && (f.Role != "slave" || f.PrimaryPort != l.plan.Node(promoted).Port() || !f.LinkUp) {
				follows = false
			}
		}
	}
	took := time.Since(start)
	t.Logf("%s promoted and followed %s after the loss", promoted, took.Round(100*time.Millisecond))
	if took < PromoteAfter {
		t.Errorf("promoted after %s, before PromoteAfter %s", took, PromoteAfter)
	}
	p := l.admin(promoted)
	defer p.Close()
	if n := p.DBSize(ctx).Val(); n != 50 {
		t.Errorf("the new primary holds %d keys; want the 50 acknowledged", n)
	}
}
