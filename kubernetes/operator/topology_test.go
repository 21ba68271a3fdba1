package operator

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/kubernetes/render"
)

// clusterPlan is a 2 x 1 cluster's plan: nodes c-0001-001 (primary), c-0001-002, c-0002-001
// (primary), c-0002-002.
func clusterPlan(t *testing.T) *engine.Plan { return clusterPlanOf(t, 2) }

func clusterPlanOf(t *testing.T, shards int) *engine.Plan { return clusterPlanWith(t, shards, 1) }

func clusterPlanWith(t *testing.T, shards, replicas int) *engine.Plan {
	t.Helper()
	p, err := engine.PlanFor(engine.Deployment{Name: "c", Mode: engine.ModeCluster, Shards: shards, ReplicasPerShard: replicas, Engine: "valkey",
		EngineVersion: "8.0", Auth: engine.Auth{AppToken: "app-token-0123456789abcdef", AdminPassword: "admin-password-0123456789"},
		BasePort: 6379, DataDir: "/data", NodeMemory: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// facts builds what each node reports: ip 10.0.0.<i+1>, cluster id id-<i>.
func freshFacts(p *engine.Plan) []nodeFacts {
	var out []nodeFacts
	for i, n := range p.Nodes {
		f := nodeFacts{target: target{Node: render.Node{ID: n.ID, Shard: n.Shard, ShardID: n.ShardID, Host: n.ID + ".c-nodes"},
			IP: fmt.Sprintf("10.0.0.%d", i+1), Port: 6379, Bus: 16379}, ID: fmt.Sprintf("id-%d", i), Role: "master", State: "fail"}
		f.View = []engine.ClusterNode{{ID: f.ID, IP: f.IP, Flags: []string{"myself", "master"}, Connected: true}}
		out = append(out, f)
	}
	return out
}

// formed is facts of the planned cluster as a healthy one reports it.
func formedFacts(p *engine.Plan) []nodeFacts {
	fs := freshFacts(p)
	ids := map[string]string{}
	for _, f := range fs {
		ids[f.Node.ID] = f.ID
	}
	var view []engine.ClusterNode
	for i, n := range p.Nodes {
		cn := engine.ClusterNode{ID: fs[i].ID, IP: fs[i].IP, Flags: []string{"master"}, Connected: true, Slots: n.Slots}
		if n.Role == engine.RoleReplica {
			cn.Flags, cn.MasterID = []string{"slave"}, ids[n.PrimaryID]
		}
		view = append(view, cn)
	}
	for i, n := range p.Nodes {
		f := &fs[i]
		f.View = nil
		for _, v := range view {
			if v.ID == f.ID {
				v.Flags = append([]string{"myself"}, v.Flags...)
			}
			f.View = append(f.View, v)
		}
		f.State, f.SlotsOK = "ok", engine.TotalSlots
		if n.Role == engine.RoleReplica {
			f.Role, f.Primary, f.LinkUp = "slave", ids[n.PrimaryID], true
		} else {
			f.Slots = n.Slots[0].End - n.Slots[0].Start + 1
		}
	}
	return fs
}

func stepsOf(top topology, kind stepKind) []string {
	var out []string
	for _, s := range top.Steps {
		if s.Kind == kind {
			out = append(out, s.String())
		}
	}
	return out
}

func TestDecideCluster(t *testing.T) {
	p := clusterPlan(t)

	t.Run("a new cluster with a node missing is not touched", func(t *testing.T) {
		fs := freshFacts(p)
		fs[3].Err = "connection refused"
		top := decideCluster(p, fs, 2)
		if len(top.Steps) != 0 || top.Healthy || !strings.Contains(top.Waiting, "3 of 4 nodes answer") {
			t.Fatalf("steps %v healthy %v waiting %q", top.Steps, top.Healthy, top.Waiting)
		}
	})

	t.Run("a new cluster is met from one node and its slots go to the planned primaries", func(t *testing.T) {
		top := decideCluster(p, freshFacts(p), 2)
		meets := stepsOf(top, stepMeet)
		if len(meets) != 3 {
			t.Errorf("meets %v, want the first node meeting the 3 others", meets)
		}
		for _, m := range meets {
			if !strings.HasPrefix(m, "c-0001-001 meets") {
				t.Errorf("meet %q not from the first node", m)
			}
		}
		slots := stepsOf(top, stepAddSlots)
		want := []string{"c-0001-001 serves slots 0-8191", "c-0002-001 serves slots 8192-16383"}
		if fmt.Sprint(slots) != fmt.Sprint(want) {
			t.Errorf("slot steps %v, want %v", slots, want)
		}
		if top.Healthy {
			t.Error("healthy before it was formed")
		}
	})

	t.Run("a formed cluster needs nothing", func(t *testing.T) {
		top := decideCluster(p, formedFacts(p), 2)
		if len(top.Steps) != 0 || !top.Healthy || top.SlotsCovered != engine.TotalSlots {
			t.Fatalf("steps %v healthy %v waiting %q slots %d", top.Steps, top.Healthy, top.Waiting, top.SlotsCovered)
		}
		if top.Roles["c-0001-001"] != "primary" || top.Roles["c-0001-002"] != "replica" {
			t.Errorf("roles %v", top.Roles)
		}
	})

	t.Run("a pod back at a new address is met there by whoever sees the old one", func(t *testing.T) {
		fs := formedFacts(p)
		fs[2].IP = "10.0.9.9" // c-0002-001 restarted; the others still see 10.0.0.3
		top := decideCluster(p, fs, 2)
		meets := stepsOf(top, stepMeet)
		if len(meets) != 3 {
			t.Fatalf("meets %v, want each of the 3 other nodes meeting c-0002-001 at 10.0.9.9", meets)
		}
		for _, m := range meets {
			if !strings.HasSuffix(m, "meets c-0002-001 at 10.0.9.9:6379") {
				t.Errorf("meet %q", m)
			}
		}
	})

	t.Run("an identity no node has any more is forgotten by every node but its replica", func(t *testing.T) {
		fs := formedFacts(p)
		gone := engine.ClusterNode{ID: "id-gone", IP: "10.0.0.99", Flags: []string{"slave", "fail"}}
		for i := range fs {
			fs[i].View = append(fs[i].View, gone)
		}
		top := decideCluster(p, fs, 2)
		if got := stepsOf(top, stepForget); len(got) != 4 {
			t.Errorf("forget steps %v, want one per node", got)
		}
		// Still serving slots: never forgotten, the cache waits.
		gone.Slots = []engine.SlotRange{{Start: 0, End: 10}}
		for i := range fs {
			fs[i].View[len(fs[i].View)-1] = gone
		}
		top = decideCluster(p, fs, 2)
		if got := stepsOf(top, stepForget); len(got) != 0 || !strings.Contains(top.Waiting, "still serving slots") {
			t.Errorf("forget steps %v, waiting %q", got, top.Waiting)
		}
	})

	t.Run("two primaries serving one shard's slots are not resolved by guessing", func(t *testing.T) {
		fs := formedFacts(p)
		fs[1].Role, fs[1].Slots, fs[1].Primary = "master", 10, ""
		top := decideCluster(p, fs, 2)
		if strings.Join(stepsOf(top, stepReplicate), "") != "" || !strings.Contains(top.Waiting, "2 primaries serving slots") {
			t.Errorf("steps %v, waiting %q", top.Steps, top.Waiting)
		}
	})

	t.Run("a lost primary the cluster cannot fail over is taken over by its replica", func(t *testing.T) {
		lose := func(down int) []nodeFacts {
			fs := formedFacts(p)
			fs[2].Err = "dial tcp 10.0.0.3:6379: connect: no route to host"
			for i := range fs {
				fs[i].NowMS = 1_000_000
				for j := range fs[i].View {
					if fs[i].View[j].ID == "id-2" {
						fs[i].View[j].Flags = append(fs[i].View[j].Flags, "fail?")
						fs[i].View[j].Connected = false
						fs[i].View[j].PongRecv = 1_000_000 - int64(down)*1000
					}
				}
			}
			return fs
		}
		top := decideCluster(p, lose(8), 2)
		if got := stepsOf(top, stepTakeover); fmt.Sprint(got) != "[c-0002-002 takes over the slots of its lost primary id-2]" {
			t.Errorf("takeover steps %v (waiting %q)", got, top.Waiting)
		}
		if top.Healthy {
			t.Error("healthy with a primary lost")
		}
		// Too soon: the cluster's own election gets its chance first.
		if got := stepsOf(decideCluster(p, lose(3), 2), stepTakeover); len(got) != 0 {
			t.Errorf("takeover after 3 s: %v", got)
		}
		// A node that still reaches the primary: it is not lost, the operator is cut off.
		fs := lose(8)
		for j := range fs[0].View {
			if fs[0].View[j].ID == "id-2" {
				fs[0].View[j].Flags, fs[0].View[j].Connected = []string{"master"}, true
			}
		}
		if got := stepsOf(decideCluster(p, fs, 2), stepTakeover); len(got) != 0 {
			t.Errorf("takeover while c-0001-001 still reaches the primary: %v", got)
		}
	})

	t.Run("primaries crowded in one zone are spread by a planned failover", func(t *testing.T) {
		fs := formedFacts(p)
		for i, z := range []string{"zone-a", "zone-b", "zone-a", "zone-b"} {
			fs[i].Zone = z
		}
		top := decideCluster(p, fs, 2)
		if got := stepsOf(top, stepFailover); fmt.Sprint(got) != "[c-0001-002 takes over from c-0001-001, moving the shard's primary to zone zone-b]" {
			t.Errorf("failover steps %v", got)
		}
		if top.Healthy || !top.Updating {
			t.Errorf("healthy %v updating %v, want an update under way", top.Healthy, top.Updating)
		}
		// Spread already: nothing to do.
		fs[2].Zone, fs[3].Zone = "zone-b", "zone-a"
		if top := decideCluster(p, fs, 2); len(top.Steps) != 0 || !top.Healthy {
			t.Errorf("spread primaries: steps %v healthy %v", top.Steps, top.Healthy)
		}
		// A replica out of sync is not made primary.
		fs[2].Zone, fs[3].Zone = "zone-a", "zone-b"
		fs[1].LinkUp = false
		if got := stepsOf(decideCluster(p, fs, 2), stepFailover); len(got) != 0 {
			t.Errorf("failover to a replica out of sync: %v", got)
		}
	})

	t.Run("a replica that lost its identity is attached to its shard's primary", func(t *testing.T) {
		fs := formedFacts(p)
		fs[3].ID, fs[3].Role, fs[3].Primary = "id-new", "master", ""
		fs[3].View = append(formedFacts(p)[3].View[:3:3], engine.ClusterNode{ID: "id-new", IP: fs[3].IP, Flags: []string{"myself", "master"}, Connected: true})
		top := decideCluster(p, fs, 2)
		if got := stepsOf(top, stepReplicate); fmt.Sprint(got) != "[c-0002-002 replicates c-0002-001]" {
			t.Errorf("replicate steps %v", got)
		}
	})
}

func TestDecideReplication(t *testing.T) {
	p := replicationPlan(t, 2)
	fresh := func() []nodeFacts {
		var out []nodeFacts
		for i, n := range p.Nodes {
			out = append(out, nodeFacts{target: target{Node: render.Node{ID: n.ID, Host: n.ID + ".r-nodes"}, IP: fmt.Sprintf("10.0.0.%d", i+1), Port: 6379}, Role: "master"})
		}
		return out
	}
	top := decideReplication(p, fresh())
	if got := stepsOf(top, stepFollow); fmt.Sprint(got) != "[r-002 replicates r-001 (r-001.r-nodes:6379) r-003 replicates r-001 (r-001.r-nodes:6379)]" {
		t.Errorf("a new group: %v", got)
	}
	fs := fresh()
	fs[2].Keys = 5
	if got := stepsOf(decideReplication(p, fs), stepFollow); fmt.Sprint(got) != "[r-001 replicates r-003 (r-003.r-nodes:6379) r-002 replicates r-003 (r-003.r-nodes:6379)]" {
		t.Errorf("data on r-003, so it leads: %v", got)
	}
	fs[0].Keys = 1
	top = decideReplication(p, fs)
	if len(top.Steps) != 0 || !strings.Contains(top.Waiting, "r-001, r-003 all lead") {
		t.Errorf("two nodes with data: steps %v, waiting %q", top.Steps, top.Waiting)
	}
	fs = fresh()
	fs[1].Err = "no address"
	if top := decideReplication(p, fs); len(top.Steps) != 0 {
		t.Errorf("a new group with a node missing: steps %v", top.Steps)
	}
}

// reslot has every node see the given primaries (by node id) serving the given slots, and
// no others.
func reslot(fs []nodeFacts, slots map[string][]engine.SlotRange) {
	byID := map[string][]engine.SlotRange{}
	for i := range fs {
		if rs, ok := slots[fs[i].Node.ID]; ok {
			byID[fs[i].ID] = rs
			fs[i].Slots = 0
			for _, r := range rs {
				fs[i].Slots += r.End - r.Start + 1
			}
		}
	}
	for i := range fs {
		for j := range fs[i].View {
			if rs, ok := byID[fs[i].View[j].ID]; ok {
				fs[i].View[j].Slots = rs
			}
		}
	}
}

func movesByPair(moves []engine.SlotMove) map[string]int {
	out := map[string]int{}
	for _, m := range moves {
		out[fmt.Sprintf("%d->%d", m.From, m.To)]++
	}
	return out
}

func TestDecideClusterScaling(t *testing.T) {
	p3 := clusterPlanOf(t, 3)
	twoShards := map[string][]engine.SlotRange{
		"c-0001-001": {{Start: 0, End: 8191}}, "c-0002-001": {{Start: 8192, End: 16383}}, "c-0003-001": nil,
	}

	t.Run("a new shard gets its share of slots once it has joined", func(t *testing.T) {
		fs := formedFacts(p3)
		reslot(fs, twoShards)
		top := decideCluster(p3, fs, 3)
		if top.Healthy || !top.Updating || len(top.Leaving) != 0 {
			t.Fatalf("healthy %v updating %v leaving %v waiting %q", top.Healthy, top.Updating, top.Leaving, top.Waiting)
		}
		got := movesByPair(top.Moves)
		if got["0->2"]+got["1->2"] != 5461 || len(got) != 2 {
			t.Errorf("moves %v, want 5461 slots from shards 0 and 1 to the new shard 2", got)
		}
	})

	t.Run("a new shard that has not joined yet gets nothing", func(t *testing.T) {
		fs := formedFacts(p3)
		reslot(fs, twoShards)
		fs[4].Err = "connection refused"
		if top := decideCluster(p3, fs, 3); len(top.Moves) != 0 || top.Updating {
			t.Errorf("moves %d updating %v with a node not answering", len(top.Moves), top.Updating)
		}
	})

	t.Run("a shard being removed gives all its slots away", func(t *testing.T) {
		top := decideCluster(p3, formedFacts(p3), 2)
		got := movesByPair(top.Moves)
		held := 0
		for _, r := range p3.ShardNodes(2)[0].Slots {
			held += r.End - r.Start + 1
		}
		if got["2->0"]+got["2->1"] != held || len(got) != 2 || len(top.Leaving) != 0 {
			t.Errorf("moves %v leaving %v, want shard 2's %d slots to shards 0 and 1, nothing removed yet", got, top.Leaving, held)
		}
	})

	t.Run("a drained shard is removed, whoever its nodes follow now", func(t *testing.T) {
		fs := formedFacts(p3)
		reslot(fs, twoShards)
		// Its replica followed the node that took the primary's last slot.
		fs[5].Primary = fs[0].ID
		for i := range fs {
			for j := range fs[i].View {
				if fs[i].View[j].ID == fs[5].ID {
					fs[i].View[j].MasterID = fs[0].ID
				}
			}
		}
		top := decideCluster(p3, fs, 2)
		if len(top.Moves) != 0 || fmt.Sprint(top.Leaving) != "[0003]" || !top.Updating {
			t.Errorf("moves %d leaving %v updating %v waiting %q", len(top.Moves), top.Leaving, top.Updating, top.Waiting)
		}
	})

	t.Run("a drained shard is kept while one of its nodes does not answer", func(t *testing.T) {
		fs := formedFacts(p3)
		reslot(fs, twoShards)
		fs[5].Err = "connection refused"
		if top := decideCluster(p3, fs, 2); len(top.Leaving) != 0 {
			t.Errorf("leaving %v with a node of it not answering", top.Leaving)
		}
	})

	t.Run("an open slot no move explains is reported, not guessed at", func(t *testing.T) {
		p := clusterPlan(t)
		fs := formedFacts(p)
		fs[0].View[0].Open = []engine.OpenSlot{{Slot: 100, Peer: fs[2].ID}}
		top := decideCluster(p, fs, 2)
		if top.Healthy || len(top.Moves) != 0 || !strings.Contains(top.Waiting, "slot 100 open (migrating to c-0002-001)") {
			t.Errorf("healthy %v moves %d waiting %q", top.Healthy, len(top.Moves), top.Waiting)
		}
	})

	t.Run("a source still migrating a slot its destination owns is told the owner", func(t *testing.T) {
		p := clusterPlan(t)
		fs := formedFacts(p)
		// Slot 0 moved to c-0002-001 (it serves it in every view), but c-0001-001 was cut
		// off before it heard so and still has it migrating.
		reslot(fs, map[string][]engine.SlotRange{"c-0001-001": {{Start: 1, End: 8191}}, "c-0002-001": {{Start: 0, End: 0}, {Start: 8192, End: 16383}}})
		fs[0].View[0].Open = []engine.OpenSlot{{Slot: 0, Peer: fs[2].ID}}
		top := decideCluster(p, fs, 2)
		if got := stepsOf(top, stepSettle); fmt.Sprint(got) != "[c-0001-001 learns that c-0002-001 owns slot 0-0, whose move was cut off]" {
			t.Errorf("settle steps %v (waiting %q)", got, top.Waiting)
		}
	})

	t.Run("an open slot of a planned move is resumed by it", func(t *testing.T) {
		fs := formedFacts(p3)
		fs[4].View[4].Open = []engine.OpenSlot{{Slot: 16383, Peer: fs[0].ID}}
		top := decideCluster(p3, fs, 2)
		if len(top.Moves) == 0 || strings.Contains(top.Waiting, "open") {
			t.Errorf("moves %d waiting %q", len(top.Moves), top.Waiting)
		}
	})
}

// replicationPlan is a replication group's plan: nodes r-001 (primary) to r-00<replicas+1>.
func replicationPlan(t *testing.T, replicas int) *engine.Plan {
	t.Helper()
	p, err := engine.PlanFor(engine.Deployment{Name: "r", Mode: engine.ModeReplication, Shards: 1, ReplicasPerShard: replicas, Engine: "valkey",
		EngineVersion: "8.0", Auth: engine.Auth{AppToken: "app-token-0123456789abcdef", AdminPassword: "admin-password-0123456789"},
		BasePort: 6379, DataDir: "/data", NodeMemory: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A replication group whose primary is lost (it does not answer, Kubernetes holds its pod
// down, and no replica has heard it for PromoteAfter) promotes the most advanced replica, and
// the other follows it next; a primary only silent to the operator, or heard a moment ago by a
// replica (a restart), is left alone.
func TestDecideReplicationPromotes(t *testing.T) {
	p := replicationPlan(t, 2)
	lost := func() []nodeFacts {
		var out []nodeFacts
		for i, n := range p.Nodes {
			f := nodeFacts{target: target{Node: render.Node{ID: n.ID, Host: n.ID + ".r-nodes"}, IP: fmt.Sprintf("10.0.0.%d", i+1), Port: 6379}}
			if i == 0 {
				f.Err, f.Down = "dial tcp: connection refused", true
			} else {
				f.Role, f.Primary, f.PrimaryPort, f.Silent, f.Keys = "slave", "r-001.r-nodes", 6379, 15, 100
				f.Offset = int64(1000 + i*10)
			}
			out = append(out, f)
		}
		return out
	}
	top := decideReplication(p, lost())
	if got := stepsOf(top, stepPromote); fmt.Sprint(got) != "[r-003, the most up-to-date replica, becomes the primary in place of the lost r-001]" || top.Healthy {
		t.Errorf("a lost primary: %v (healthy %v)", got, top.Healthy)
	}
	fs := lost()
	fs[0].Down = false // Kubernetes sees it serving: only the operator cannot reach it
	if top := decideReplication(p, fs); len(top.Steps) != 0 {
		t.Errorf("a primary only the operator cannot reach: %v", top.Steps)
	}
	fs = lost()
	fs[1].Silent = 3 // restarting: heard 3 s ago
	if top := decideReplication(p, fs); len(top.Steps) != 0 {
		t.Errorf("a primary heard 3 s ago: %v", top.Steps)
	}
	// Promoted: r-003 leads (data, no replica yet); r-002 follows it; the old primary, back,
	// is told to follow too.
	fs = lost()
	fs[2].Role, fs[2].Primary, fs[2].PrimaryPort = "master", "", 0
	top = decideReplication(p, fs)
	if got := stepsOf(top, stepFollow); fmt.Sprint(got) != "[r-002 replicates r-003 (r-003.r-nodes:6379)]" || top.Roles["r-003"] != "primary" {
		t.Errorf("after the promotion: %v, roles %v", got, top.Roles)
	}
	fs[2].Keys = 0 // an empty group: the one master among replicas still leads
	if got := stepsOf(decideReplication(p, fs), stepFollow); fmt.Sprint(got) != "[r-002 replicates r-003 (r-003.r-nodes:6379)]" {
		t.Errorf("after the promotion of an empty group: %v", got)
	}
}
