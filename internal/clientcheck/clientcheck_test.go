package clientcheck

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/internal/testenv"
	"github.com/rediskit/rediskit/internal/testports"
)

// Against a real 2 x 1 cluster: every write is acknowledged by a replica and read back, the
// app user is denied CONFIG, and keys lost after acknowledgement are counted (deleted on
// purpose here, as a failover that dropped them would).
func TestClientCheckOnACluster(t *testing.T) {
	testenv.RequireCommands(t, "apt-get install valkey-server (make apt-packages)", "valkey-server")
	base, err := testports.Block(4, true)
	if err != nil {
		t.Fatal(err)
	}
	const token = "clientcheck-app-token-0123456789"
	d := engine.Deployment{Name: "ccheck", Mode: engine.ModeCluster, Shards: 2, ReplicasPerShard: 1, Engine: "valkey", EngineVersion: "8.0",
		Auth: engine.Auth{AppToken: token, AdminPassword: "clientcheck-admin-0123456789"}, BasePort: base, DataDir: t.TempDir(),
		NodeMemory: 64 << 20}
	e, err := engine.New(d, engine.NewLocalRunner())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop(context.Background()) })
	if err := e.Create(context.Background()); err != nil {
		t.Fatal(err)
	}
	drop := 3
	beforeReadBack = func(acked []string) {
		c := redis.NewClusterClient(e.AppClusterOptions())
		defer c.Close()
		for _, k := range acked[:drop] {
			if err := c.Del(context.Background(), k).Err(); err != nil {
				t.Errorf("deleting %s: %v", k, err)
			}
		}
	}
	t.Cleanup(func() { beforeReadBack = nil })
	rep, err := Run(context.Background(), Options{Addr: e.Plan.Nodes[0].Addr(), Cluster: true, User: "app", Password: token,
		Prefix: "cc:", Duration: 2 * time.Second, Replicas: 1, Every: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report: %+v", rep)
	if rep.Acked < 50 || rep.Failed != 0 && rep.Failed > rep.Ops/10 {
		t.Errorf("%d writes, %d acknowledged, %d failed (%s)", rep.Ops, rep.Acked, rep.Failed, rep.FirstError)
	}
	if rep.Lost != drop || len(rep.LostKeys) != drop {
		t.Errorf("lost %d (%v), want the %d deleted", rep.Lost, rep.LostKeys, drop)
	}
	if !rep.RestrictedDenied || !strings.Contains(rep.RestrictedReply, "NOPERM") {
		t.Errorf("CONFIG GET as app: %q", rep.RestrictedReply)
	}
	// -count writes exactly that many; -verify reads them back later, and counts one gone.
	beforeReadBack = nil
	o := Options{Addr: e.Plan.Nodes[0].Addr(), Cluster: true, User: "app", Password: token, Prefix: "cv:", Duration: time.Minute, Replicas: 1, Count: 100}
	if rep, err := Run(context.Background(), o); err != nil || rep.Acked < 100 || rep.Lost != 0 {
		t.Fatalf("count 100: %+v %v", rep, err)
	}
	o.Count, o.Verify = 0, 100
	if rep, err := Run(context.Background(), o); err != nil || rep.Lost != 0 || rep.Ops != 0 {
		t.Fatalf("verify 100: %+v %v", rep, err)
	}
	admin := redis.NewClusterClient(e.AppClusterOptions())
	defer admin.Close()
	if err := admin.Del(context.Background(), "cv:5").Err(); err != nil {
		t.Fatal(err)
	}
	if rep, err := Run(context.Background(), o); err != nil || rep.Lost != 1 || rep.LostKeys[0] != "cv:5" {
		t.Fatalf("verify after deleting cv:5: %+v %v", rep, err)
	}

	// Keys spread over both shards.
	shards := map[string]bool{}
	c := redis.NewClusterClient(e.AppClusterOptions())
	defer c.Close()
	for i := 0; i < 20; i++ {
		k := "cc:" + string(rune('0'+i%10))
		m, err := c.MasterForKey(context.Background(), k)
		if err == nil {
			shards[m.Options().Addr] = true
		}
	}
	if len(shards) != 2 {
		t.Errorf("keys on %d shards, want both", len(shards))
	}
}
