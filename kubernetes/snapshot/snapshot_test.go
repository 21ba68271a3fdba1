package snapshot

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/paramgroup"
)

const adminPassword = "admin-password-0123456789"

// server is a real valkey-server on a free port, its admin user as the cache's nodes have it,
// announcing the name of a cache's pod as a node on Kubernetes does.
type server struct {
	addr string
	c    *redis.Client
}

func startServer(t *testing.T, announce string) *server {
	t.Helper()
	bin, err := exec.LookPath("valkey-server")
	if err != nil {
		if os.Getenv("RK_REQUIRE_DEPS") != "" {
			t.Fatalf("valkey-server: %v (make apt-packages installs it)", err)
		}
		t.Skipf("valkey-server: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no",
		"--replica-announce-ip", announce, "--databases", "16")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	s := &server{addr: fmt.Sprintf("127.0.0.1:%d", port)}
	boot := redis.NewClient(&redis.Options{Addr: s.addr, Protocol: 2, DisableIdentity: true})
	defer boot.Close()
	ctx := context.Background()
	for i := 0; boot.Ping(ctx).Err() != nil; i++ {
		if i > 100 {
			t.Fatalf("valkey-server on %s does not answer", s.addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := boot.Do(ctx, "acl", "setuser", engine.AdminUser, "on", ">"+adminPassword, "~*", "&*", "+@all").Err(); err != nil {
		t.Fatal(err)
	}
	s.c = redis.NewClient(&redis.Options{Addr: s.addr, Username: engine.AdminUser, Password: adminPassword, Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { s.c.Close() })
	return s
}

func target(addr string) Target {
	return Target{Addr: addr, Cache: "rk", Engine: paramgroup.Valkey, EngineVersion: "8.0", Mode: engine.ModeReplication, Password: adminPassword}
}

// localFetch fetches with the engine's client as the Jobs do (FetchArgv), dialling the
// node's announced name at the local server.
func localFetch(t *testing.T, addr string) Fetcher {
	return func(ctx context.Context, node, dest string) error {
		argv := FetchArgv("valkey-cli", target(addr), node, dest)
		for i, a := range argv {
			if a == "-h" {
				argv[i+1] = "127.0.0.1"
			}
		}
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Env = append(os.Environ(), "REDISCLI_AUTH="+adminPassword)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}
}

// A snapshot taken from a running primary (fetched over the replication protocol with the
// admin user) and restored into another server brings back every key of every database with
// its value and time to live; the snapshot is whole, with the engine's manifest.
func TestTakeAndRestore(t *testing.T) {
	ctx := context.Background()
	src := startServer(t, "rk-0001-0.rk-nodes.apps.svc.cluster.local")
	const keys = 1200 // more than two batches
	for i := 0; i < keys; i++ {
		if err := src.c.Set(ctx, fmt.Sprintf("k:%d", i), fmt.Sprintf("v%d", i), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	src.c.Set(ctx, "ttl", "x", time.Hour)
	src.c.RPush(ctx, "list", "a", "b", "c")
	db3 := redis.NewClient(&redis.Options{Addr: src.addr, Username: engine.AdminUser, Password: adminPassword, DB: 3, Protocol: 2, DisableIdentity: true})
	defer db3.Close()
	db3.Set(ctx, "in-db3", "yes", 0)

	store := engine.SnapshotStore{Root: t.TempDir(), Deployment: "rk"}
	now := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	name := engine.AutomaticSnapshotName("rk", now)
	m, err := Take(ctx, target(src.addr), store, name, true, now, localFetch(t, src.addr), t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Shards) != 1 || m.Shards[0].ShardID != "0001" || !strings.HasPrefix(m.Shards[0].Source, "rk-0001-0.") || m.Shards[0].Size == 0 || !m.Automatic {
		t.Fatalf("manifest %+v", m)
	}
	if _, err := os.Stat(store.Path(name) + ".partial"); !os.IsNotExist(err) {
		t.Errorf("the partial directory is left: %v", err)
	}
	if last, err := store.LastAutomatic(); err != nil || last == nil || last.Name != name {
		t.Errorf("the store's last automatic snapshot: %v, %v", last, err)
	}
	if _, err := Take(ctx, target(src.addr), store, name, true, now, localFetch(t, src.addr), t.Logf); err == nil {
		t.Error("a second snapshot of the same name was taken")
	}

	dst := startServer(t, "rk2-0001-0.rk2-nodes.apps.svc.cluster.local")
	dst.c.Set(ctx, "k:1", "old", 0) // replaced by the snapshot's value
	n, err := Restore(ctx, target(dst.addr), store, name, "valkey-server", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if n != keys+3 {
		t.Errorf("restored %d keys; want %d", n, keys+3)
	}
	for _, i := range []int{0, 1, 599, 1199} {
		if v, err := dst.c.Get(ctx, fmt.Sprintf("k:%d", i)).Result(); err != nil || v != fmt.Sprintf("v%d", i) {
			t.Errorf("k:%d = %q, %v", i, v, err)
		}
	}
	if ttl := dst.c.TTL(ctx, "ttl").Val(); ttl < 59*time.Minute || ttl > time.Hour {
		t.Errorf("ttl's time to live after the restore: %v; want about an hour", ttl)
	}
	if l := dst.c.LRange(ctx, "list", 0, -1).Val(); strings.Join(l, ",") != "a,b,c" {
		t.Errorf("list = %v", l)
	}
	d3 := redis.NewClient(&redis.Options{Addr: dst.addr, Username: engine.AdminUser, Password: adminPassword, DB: 3, Protocol: 2, DisableIdentity: true})
	defer d3.Close()
	if v := d3.Get(ctx, "in-db3").Val(); v != "yes" {
		t.Errorf("database 3 not restored: %q", v)
	}
	// Restoring again ends the same (REPLACE): a Job retried after a failure is safe.
	if n2, err := Restore(ctx, target(dst.addr), store, name, "valkey-server", t.Logf); err != nil || n2 != n {
		t.Errorf("second restore: %d keys, %v", n2, err)
	}
}

// A restore refuses a snapshot whose file was changed (the manifest's digest) and one of
// another engine's major version.
func TestRestoreRefuses(t *testing.T) {
	ctx := context.Background()
	src := startServer(t, "rk-0001-0.rk-nodes.apps.svc.cluster.local")
	src.c.Set(ctx, "a", "1", 0)
	store := engine.SnapshotStore{Root: t.TempDir(), Deployment: "rk"}
	now := time.Now()
	if _, err := Take(ctx, target(src.addr), store, "manual-1", false, now, localFetch(t, src.addr), t.Logf); err != nil {
		t.Fatal(err)
	}
	other := target(src.addr)
	other.EngineVersion = "7.2"
	if _, err := Restore(ctx, other, store, "manual-1", "valkey-server", t.Logf); err == nil || !strings.Contains(err.Error(), "major version") {
		t.Errorf("restoring a Valkey 8.0 snapshot into 7.2: %v", err)
	}
	f := filepath.Join(store.Path("manual-1"), "shard-0001.rdb")
	if err := os.WriteFile(f, []byte("REDIS0011 not really"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, target(src.addr), store, "manual-1", "valkey-server", t.Logf); err == nil {
		t.Error("a snapshot whose file changed was restored")
	}
}

// Shards come from the slot map: primaries with slots by the shard in their pod's name, with
// their replicas; a slot being moved, or slots nobody serves, refuse a snapshot.
func TestShardsOf(t *testing.T) {
	const view = `a1 10.0.0.1:6379@16379,rk-0001-0.rk-nodes.apps.svc.cluster.local myself,master - 0 0 1 connected 0-8191
b1 10.0.0.2:6379@16379,rk-0002-0.rk-nodes.apps.svc.cluster.local master - 0 0 2 connected 8192-16383
a2 10.0.0.3:6379@16379,rk-0001-1.rk-nodes.apps.svc.cluster.local slave a1 0 0 1 connected
b2 10.0.0.4:6379@16379,rk-0002-1.rk-nodes.apps.svc.cluster.local slave,fail b1 0 0 2 connected
`
	nodes, err := engine.ParseClusterNodes(view)
	if err != nil {
		t.Fatal(err)
	}
	shards, err := shardsOf("rk", nodes)
	if err != nil {
		t.Fatal(err)
	}
	if len(shards) != 2 || shards[0].ID != "0001" || shards[1].ID != "0002" ||
		len(shards[0].Replicas) != 1 || !strings.HasPrefix(shards[0].Replicas[0], "rk-0001-1.") || len(shards[1].Replicas) != 0 {
		t.Fatalf("shards %+v", shards)
	}
	moving := strings.Replace(view, "connected 0-8191", "connected 0-8191 [100->-b1]", 1)
	nodes, _ = engine.ParseClusterNodes(moving)
	if _, err := shardsOf("rk", nodes); err == nil || !strings.Contains(err.Error(), "moved") {
		t.Errorf("a slot being moved: %v", err)
	}
	half := strings.Replace(view, "connected 8192-16383", "connected 8192-10000", 1)
	nodes, _ = engine.ParseClusterNodes(half)
	if _, err := shardsOf("rk", nodes); err == nil || !strings.Contains(err.Error(), "slots") {
		t.Errorf("slots unserved: %v", err)
	}
	if id, err := ShardOf("rk", "rk-0003-2.rk-nodes.apps.svc.cluster.local:6379"); err != nil || id != "0003" {
		t.Errorf("ShardOf: %q, %v", id, err)
	}
	if _, err := ShardOf("rk", "other-0001-0.x:6379"); err == nil {
		t.Error("a node of another cache was taken for one of rk's")
	}
}

// A shard's snapshot comes from a replica in sync, waiting for one that is still catching up
// (after a restart or a planned failover), and from the primary only once ReplicaWait ran out,
// saying why each replica was passed over.
func TestSourcePrefersAReplicaInSync(t *testing.T) {
	ctx := context.Background()
	primary := startServer(t, "rk-0001-0.rk-nodes.apps.svc.cluster.local")
	replica := startServer(t, "rk-0001-1.rk-nodes.apps.svc.cluster.local")
	host, port, _ := net.SplitHostPort(primary.addr)
	if err := replica.c.ConfigSet(ctx, "masteruser", engine.AdminUser).Err(); err != nil {
		t.Fatal(err)
	}
	if err := replica.c.ConfigSet(ctx, "masterauth", adminPassword).Err(); err != nil {
		t.Fatal(err)
	}
	sh := Shard{ID: "0001", Primary: primary.addr, Replicas: []string{replica.addr}}
	defer func(w time.Duration) { ReplicaWait = w }(ReplicaWait)

	// Not replicating at all: the primary, after the wait, with the reason.
	ReplicaWait = 1500 * time.Millisecond
	var logged []string
	logf := func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }
	start := time.Now()
	if src, role := source(ctx, target(primary.addr), sh, logf); src != primary.addr || role != RolePrimary {
		t.Errorf("with no replica in sync: %s (%s), want the primary %s", src, role, primary.addr)
	}
	if waited := time.Since(start); waited < ReplicaWait {
		t.Errorf("fell back to the primary after %s, before ReplicaWait (%s)", waited, ReplicaWait)
	}
	if len(logged) != 1 || !strings.Contains(logged[0], replica.addr+": answers as master") {
		t.Errorf("logged %q, want why %s was passed over", logged, replica.addr)
	}

	// A replica that comes into sync during the wait is taken.
	ReplicaWait = 30 * time.Second
	go func() {
		time.Sleep(500 * time.Millisecond)
		replica.c.Do(ctx, "replicaof", host, port)
	}()
	logged = nil
	if src, role := source(ctx, target(primary.addr), sh, logf); src != replica.addr || role != RoleReplica {
		t.Errorf("with the replica catching up: %s (%s), want the replica %s; logged %q", src, role, replica.addr, logged)
	}
	if len(logged) != 0 {
		t.Errorf("logged %q while a replica was found", logged)
	}
}
