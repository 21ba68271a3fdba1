package operator

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/internal/writeload"
)

// resize points the passes at plan p: its nodes, found among all, are the cache's nodes now.
func (l *liveNodes) resize(t *testing.T, p *engine.Plan, all []target) {
	t.Helper()
	byID := map[string]target{}
	for _, tg := range all {
		byID[tg.Node.ID] = tg
	}
	var targets []target
	for _, n := range p.Nodes {
		tg, ok := byID[n.ID]
		if !ok || tg.Port != n.Port() {
			t.Fatalf("node %s is not where the larger plan put it", n.ID)
		}
		targets = append(targets, tg)
	}
	l.plan, l.targets = p, targets
}

// slotsOf is how many slots each primary serves, by node id.
func (l *liveNodes) slotsOf(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, f := range gather(context.Background(), l.dialer, true, l.targets) {
		if f.Role == "master" && f.Slots > 0 {
			out[f.Node.ID] = f.Slots
		}
	}
	return out
}

// A cluster grows from 2 shards to 3 and back while a client writes: the new shard's primary
// gets a third of the slots with their keys, then gives them all back, its nodes are then
// Leaving and go, and the others forget them; no acknowledged write and no key written
// before is lost.
func TestTopologyScalesShards(t *testing.T) {
	l := startLive(t, engine.ModeCluster, 3, 1)
	big := l.plan
	d := big.Deployment
	d.Shards = 2
	small, err := engine.PlanFor(d)
	if err != nil {
		t.Fatal(err)
	}
	all := l.targets
	l.resize(t, small, all)
	for _, n := range small.Nodes {
		l.start(t, n.ID)
	}
	l.converge(t, 90*time.Second)

	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{small.Nodes[0].Addr()}, Username: engine.AdminUser, Password: liveAdminPass,
		MaxRedirects: 16, Protocol: 2, DisableIdentity: true})
	defer cc.Close()
	const before = 3000
	for i := 0; i < before; i++ {
		if err := cc.Set(ctx, fmt.Sprintf("before:%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	w := writeload.Start(ctx, cc, writeload.Options{Prefix: "during:", Every: time.Millisecond, RetryPause: 20 * time.Millisecond, Record: true})

	// 2 -> 3: the new shard's nodes start and join; the slots move once it is healthy.
	l.resize(t, big, all)
	for _, n := range big.ShardNodes(2) {
		l.start(t, n.ID)
	}
	l.converge(t, 3*time.Minute)
	got := l.slotsOf(t)
	for _, p := range big.Primaries() {
		if n := got[p.ID]; n < engine.TotalSlots/3 || n > engine.TotalSlots/3+1 {
			t.Errorf("after 2 -> 3: %s serves %d slots, want a third (%v)", p.ID, n, got)
		}
	}

	// 3 -> 2: shard 3's slots go back, then it is Leaving.
	l.shards = 2
	deadline := time.Now().Add(3 * time.Minute)
	for {
		topo := l.pass(t)
		if len(topo.Leaving) > 0 {
			if fmt.Sprint(topo.Leaving) != "[0003]" {
				t.Fatalf("leaving %v, want [0003]", topo.Leaving)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("shard 0003 never drained: %s", topo.Waiting)
		}
		time.Sleep(RequeueForming)
	}
	for _, n := range big.ShardNodes(2) {
		l.stop(t, n.ID)
	}
	l.shards = 0
	l.resize(t, small, all)
	l.converge(t, 2*time.Minute)
	got = l.slotsOf(t)
	if len(got) != 2 || got[small.Nodes[0].ID]+got[small.Nodes[2].ID] != engine.TotalSlots {
		t.Errorf("after 3 -> 2: slots %v", got)
	}

	res := w.Stop()
	t.Logf("writer: %d writes, %d failed, longest gap %s (%s)", res.Ops, res.Failed, res.MaxGap, res.FirstError)
	if len(res.Acked) < 100 {
		t.Fatalf("only %d writes acknowledged while scaling", len(res.Acked))
	}
	var lost []string
	for _, k := range res.Acked {
		if v, err := cc.Get(ctx, k).Result(); err != nil || v != k {
			lost = append(lost, k)
		}
	}
	for i := 0; i < before; i++ {
		k := fmt.Sprintf("before:%d", i)
		if v, err := cc.Get(ctx, k).Result(); err != nil || v != fmt.Sprint(i) {
			lost = append(lost, k)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d keys lost while scaling 2 -> 3 -> 2, e.g. %v", len(lost), lost[:min(5, len(lost))])
	}
}
