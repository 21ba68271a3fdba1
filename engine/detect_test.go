package engine

import (
	"testing"
	"time"
)

// The voting rule: a process that is gone is certain; a running primary is silent only when
// a majority of the vantage points (the controller and each replica following it) cannot
// hear it; with no replica there is nothing to decide.
func TestJudgeVotes(t *testing.T) {
	prim := func(running, answered bool) *nodeProbe {
		np := &nodeProbe{node: &Node{ID: "p"}, running: running, answered: answered}
		if answered {
			np.role = "master"
		}
		return np
	}
	heard := &nodeProbe{answered: true, role: "slave", lastIO: 0}
	lagging := &nodeProbe{answered: true, role: "slave", lastIO: 1}
	silent := &nodeProbe{answered: true, role: "slave", lastIO: 2}
	linkDown := &nodeProbe{answered: true, role: "slave", linkDown: true}
	cases := []struct {
		name string
		v    shardView
		want verdict
	}{
		{"healthy", shardView{primary: prim(true, true), replicas: []*nodeProbe{heard}}, primaryHealthy},
		{"process gone", shardView{primary: prim(false, false), replicas: []*nodeProbe{heard}}, primaryGone},
		{"controller and the replica cannot hear it", shardView{primary: prim(true, false), replicas: []*nodeProbe{silent}}, primarySilent},
		{"link down counts as silent", shardView{primary: prim(true, false), replicas: []*nodeProbe{linkDown}}, primarySilent},
		// The controller alone cut off: the replica still hears the primary.
		{"controller alone", shardView{primary: prim(true, false), replicas: []*nodeProbe{heard}}, primaryHealthy},
		{"one second without a ping is normal", shardView{primary: prim(true, false), replicas: []*nodeProbe{lagging}}, primaryHealthy},
		// One replica cut off from a primary everyone else hears.
		{"one replica alone", shardView{primary: prim(true, true), replicas: []*nodeProbe{silent, heard}}, primaryHealthy},
		{"two of three", shardView{primary: prim(true, false), replicas: []*nodeProbe{silent, heard}}, primarySilent},
		{"no replica", shardView{primary: prim(true, false)}, noJudgement},
		{"no primary identified", shardView{replicas: []*nodeProbe{silent}}, noJudgement},
	}
	for _, c := range cases {
		if got := judge(c.v, 2); got != c.want {
			t.Errorf("%s: verdict %d, want %d", c.name, got, c.want)
		}
	}
}

// A shard's primary is the node its answering replicas follow; when their address cannot
// name it (a silent primary they learnt by another address), the one node of the shard not
// answering as a replica.
func TestShardViewsFindThePrimary(t *testing.T) {
	d := newDeployment(t, ModeCluster, 2, 1)
	p, err := PlanFor(d)
	if err != nil {
		t.Fatal(err)
	}
	s0, s1 := p.ShardNodes(0), p.ShardNodes(1)
	probes := map[string]*nodeProbe{
		// shard 1: the primary answers, its replica follows it by address.
		s0[0].ID: {node: s0[0], running: true, answered: true, role: "master"},
		s0[1].ID: {node: s0[1], running: true, answered: true, role: "slave", masterAddr: s0[0].Addr()},
		// shard 2: the primary does not answer; its replica follows it by an address the
		// plan does not name (a resolved hostname).
		s1[0].ID: {node: s1[0], running: true},
		s1[1].ID: {node: s1[1], running: true, answered: true, role: "slave", masterAddr: "10.0.0.9:6379"},
	}
	views := p.shardViews(probes)
	if len(views) != 2 {
		t.Fatalf("%d views", len(views))
	}
	if views[0].primary == nil || views[0].primary.node.ID != s0[0].ID || len(views[0].replicas) != 1 {
		t.Errorf("shard 1: primary %+v replicas %d", views[0].primary, len(views[0].replicas))
	}
	if views[1].primary == nil || views[1].primary.node.ID != s1[0].ID {
		t.Errorf("shard 2: primary %+v, want the one node not answering as a replica", views[1].primary)
	}
	if got := judge(views[1], 2); got != primaryHealthy {
		t.Errorf("shard 2 with a replica that still hears it: verdict %d", got)
	}
}

// The fence: on while a primary has a replica in sync; lifted when each other node of the
// shard is dead or answers as a replica (restarting, syncing); kept while one runs unheard
// (it may lead on the other side of a partition); never on a replica.
func TestWantFence(t *testing.T) {
	prim := &nodeProbe{running: true, answered: true, role: "master", onlineReplicas: 1}
	repl := &nodeProbe{running: true, answered: true, role: "slave"}
	if got := wantFence(prim, []*nodeProbe{prim, repl}); got != "1" {
		t.Errorf("primary with a replica in sync: %q", got)
	}
	if got := wantFence(repl, []*nodeProbe{prim, repl}); got != "0" {
		t.Errorf("replica: %q", got)
	}
	lonely := &nodeProbe{running: true, answered: true, role: "master"}
	dead := &nodeProbe{running: false}
	if got := wantFence(lonely, []*nodeProbe{lonely, dead}); got != "0" {
		t.Errorf("primary whose replicas are all gone: %q", got)
	}
	syncing := &nodeProbe{running: true, answered: true, role: "slave", linkDown: true}
	if got := wantFence(lonely, []*nodeProbe{lonely, syncing, dead}); got != "0" {
		t.Errorf("primary whose replica is syncing: %q, want lifted", got)
	}
	unheard := &nodeProbe{running: true}
	if got := wantFence(lonely, []*nodeProbe{lonely, unheard}); got != "" {
		t.Errorf("primary whose replica runs unheard: %q, want unchanged", got)
	}
	other := &nodeProbe{running: true, answered: true, role: "master"}
	if got := wantFence(lonely, []*nodeProbe{lonely, other}); got != "" {
		t.Errorf("another node of the shard answers as a primary: %q, want unchanged", got)
	}
	if got := wantFence(&nodeProbe{running: true}, nil); got != "" {
		t.Errorf("a node that did not answer: %q, want unchanged", got)
	}
}

func TestDetectTimings(t *testing.T) {
	tm := Timing{}.withDefaults()
	if tm.Detect != 2*time.Second || tm.probeTimeout() != 250*time.Millisecond || tm.silentSeconds() != 2 || tm.fenceLag() != 2 {
		t.Errorf("defaults: detect %s probe %s silent %d lag %d", tm.Detect, tm.probeTimeout(), tm.silentSeconds(), tm.fenceLag())
	}
	tm = Timing{Detect: 6 * time.Second}.withDefaults()
	if tm.silentSeconds() != 3 || tm.fenceLag() != 6 {
		t.Errorf("6 s: silent %d lag %d", tm.silentSeconds(), tm.fenceLag())
	}
}
