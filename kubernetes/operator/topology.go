package operator

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/kubernetes/render"
)

// stepKind is one thing the operator asks of a node to bring the cache's topology to the plan.
type stepKind string

const (
	// stepMeet: On meets the node at IP:Port (bus Bus): a node it does not know, or knows at
	// an address its pod no longer has.
	stepMeet stepKind = "meet"
	// stepAddSlots: On serves Slots, which no node serves yet (a new cluster's slots).
	stepAddSlots stepKind = "add-slots"
	// stepReplicate: On, a primary of no slots, becomes a replica of its shard's primary Peer.
	stepReplicate stepKind = "replicate"
	// stepForget: On forgets PeerID, an identity no node of the cache has any more (a node
	// that came back without its nodes.conf joined under a new one).
	stepForget stepKind = "forget"
	// stepFollow (replication mode): On replicates the primary at Host:Port.
	stepFollow stepKind = "follow"
	// stepFailover: On, an in-sync replica, becomes its shard's primary with its primary's
	// agreement (CLUSTER FAILOVER: clients paused, nothing acknowledged lost), to move a
	// primary out of a zone that holds more than its share.
	stepFailover stepKind = "failover"
	// stepTakeover: On, a replica whose primary is lost, takes its slots over without the
	// other primaries' votes (CLUSTER FAILOVER TAKEOVER).
	stepTakeover stepKind = "takeover"
	// stepSettle: On, which still has slot Slots[0] open (migrating) though PeerID owns it
	// now, is told the owner (CLUSTER SETSLOT NODE): the last step of a move that was cut off.
	stepSettle stepKind = "settle"
	// stepHandover: On, an in-sync replica that runs the current configuration, becomes its
	// shard's primary with the primary's agreement, so the primary Peer can restart as a
	// replica: CLUSTER FAILOVER on On in cluster mode, FAILOVER on the primary (On is then
	// the primary) in a replication group; no acknowledged write is lost either way.
	stepHandover stepKind = "handover"
	// stepRestart: On's pod is deleted and comes back from its StatefulSet's current
	// template (a restart-only parameter, an engine version, a pod spec change).
	stepRestart stepKind = "restart"
	// stepPromote (replication mode): On, the most advanced replica of a primary Peer that is
	// lost, becomes the primary (REPLICAOF NO ONE); the other replicas then follow it.
	stepPromote stepKind = "promote"
)

// TakeoverAfter is how long a replica must not have heard its lost primary before
// the operator promotes it itself, counted from the last pong the replica had from it. The cluster fails a lost primary over on its own about a
// second after cluster-node-timeout, when a majority of the primaries can vote; this is the
// fallback for when they cannot (a zone that held most primaries is lost), and it leaves the
// cluster's own election its chance first.
var TakeoverAfter = render.ClusterNodeTimeout + time.Second

// step is one command to one node, decided from the facts alone.
type step struct {
	Kind stepKind
	// On is the node (its id) the command is sent to; Peer the node it concerns.
	On, Peer string
	// PeerID is the concerned node's cluster id (meet, replicate, forget).
	PeerID string
	IP     string
	Port   int
	Bus    int
	Host   string
	Slots  []engine.SlotRange
}

func (s step) String() string {
	switch s.Kind {
	case stepMeet:
		return fmt.Sprintf("%s meets %s at %s:%d", s.On, s.Peer, s.IP, s.Port)
	case stepAddSlots:
		return fmt.Sprintf("%s serves slots %s", s.On, slotList(s.Slots))
	case stepReplicate:
		return fmt.Sprintf("%s replicates %s", s.On, s.Peer)
	case stepForget:
		return fmt.Sprintf("%s forgets the gone identity %s", s.On, s.PeerID)
	case stepFollow:
		return fmt.Sprintf("%s replicates %s (%s:%d)", s.On, s.Peer, s.Host, s.Port)
	case stepTakeover:
		return fmt.Sprintf("%s takes over the slots of its lost primary %s", s.On, s.Peer)
	case stepFailover:
		return fmt.Sprintf("%s takes over from %s, moving the shard's primary to zone %s", s.On, s.Peer, s.Host)
	case stepHandover:
		if s.Host != "" {
			return fmt.Sprintf("%s hands the primary role to %s, then goes", s.On, s.Peer)
		}
		if s.On == s.Peer {
			return fmt.Sprintf("%s hands the primary role to its most up-to-date replica, then restarts", s.On)
		}
		return fmt.Sprintf("%s takes the primary role over from %s, which then restarts or goes", s.On, s.Peer)
	case stepRestart:
		return fmt.Sprintf("%s restarts with its shard's current configuration", s.On)
	case stepPromote:
		return fmt.Sprintf("%s, the most up-to-date replica, becomes the primary in place of the lost %s", s.On, s.Peer)
	case stepSettle:
		return fmt.Sprintf("%s learns that %s owns slot %s, whose move was cut off", s.On, s.Peer, slotList(s.Slots))
	}
	return string(s.Kind)
}

func slotList(rs []engine.SlotRange) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%d-%d", r.Start, r.End))
	}
	return strings.Join(parts, ",")
}

// topology is a pass's decision: the steps to take now, and how far the cache is from the
// plan (Healthy with no steps once every node answers in its role and every slot is served).
type topology struct {
	Steps   []step
	Healthy bool
	// Waiting says what keeps the cache from being healthy ("" when it is).
	Waiting      string
	SlotsCovered int
	// Roles are the answering nodes' roles, "primary" or "replica", by node id.
	Roles map[string]string
	// Updating: the cache is healthy and a planned change is under way (a primary moving
	// zones).
	Updating bool
	// Formed: the nodes have been made one cluster (or one replication group) before; a cache
	// that was never formed is formed only once every node answers, never half.
	Formed bool
	// Moves are the slots to move, with their keys, to reach the spec's shard count (cluster
	// mode): decided once the cluster is healthy, taken by the operator's slot mover.
	Moves []engine.SlotMove
	// Leaving are the shards beyond the spec's count that serve no slot any more: their
	// objects and volumes can go.
	Leaving []string
	// DropReplicas: the nodes beyond the spec's replicas (target.Leaving) are all replicas
	// now; their pods and volumes can go.
	DropReplicas bool
}

func (t *topology) wait(format string, args ...any) {
	if t.Waiting == "" {
		t.Waiting = fmt.Sprintf(format, args...)
	}
}

func roleName(role string) string {
	if role == "master" {
		return "primary"
	}
	return "replica"
}

// notAnswering describes the nodes that did not answer, for a Waiting message.
func notAnswering(facts []nodeFacts) (int, string) {
	n, first := 0, ""
	for i := range facts {
		if !facts[i].answered() {
			if n == 0 {
				first = fmt.Sprintf("%s (pod %s): %s", facts[i].Node.ID, facts[i].Node.Pod, facts[i].Err)
			}
			n++
		}
	}
	return n, first
}

// decideCluster decides a cluster-mode cache's steps from what its nodes report, the plan
// giving each shard's nodes and first slots. It is level-triggered: it never asks what the
// last pass did, and a step taken twice changes nothing.
//
//   - A cluster that was never formed waits until every node answers, then is formed whole
//     (meet, slots, replicas), so a half-made cluster never serves.
//   - Every node must know every other at its pod's current address: a node that sees a
//     peer at an old address meets it at the new one (pods restarted with new IPs rejoin
//     even when all restarted at once; the nodes announce names, but the bus connects to
//     addresses).
//   - Slots nobody serves go to their planned shard's primary; a shard's nodes of no slots
//     replicate its primary; identities no node has any more are forgotten. Two primaries
//     serving slots in one shard are never resolved by guessing: the cache waits, and the
//     status says so.
//   - Once healthy, the slots move (with their keys, clients redirected) until each of the
//     first `shards` shards holds an even share and the shards beyond hold none; those are
//     then Leaving. A slot left open by an interrupted move is resumed by the same move,
//     decided again; an open slot no move explains is reported, not guessed at.
func decideCluster(plan *engine.Plan, facts []nodeFacts, shards int) topology {
	t := topology{Roles: map[string]string{}}
	byNode := map[string]*nodeFacts{}
	var answered []*nodeFacts
	for i := range facts {
		f := &facts[i]
		byNode[f.Node.ID] = f
		if f.answered() {
			answered = append(answered, f)
			t.Roles[f.Node.ID] = roleName(f.Role)
			t.Formed = t.Formed || len(f.View) > 1 || f.Slots > 0
			t.SlotsCovered = max(t.SlotsCovered, f.SlotsOK)
		}
	}
	missing, first := notAnswering(facts)
	if missing > 0 && !t.Formed {
		t.wait("%d of %d nodes answer; the cluster is formed once all do (%s)", len(answered), len(facts), first)
		return t
	}
	if len(answered) == 0 {
		t.wait("no node answers (%s)", first)
		return t
	}

	// Addresses: the first answering node knows everyone at their current address; any
	// node that knows a peer at an old address meets it where it is now.
	anchor := answered[0]
	for _, b := range answered {
		for _, a := range answered {
			if a == b {
				continue
			}
			v := a.sees(b.ID)
			stale := v != nil && !v.Has("handshake") && (v.IP != b.IP || v.Has("noaddr"))
			if (a == anchor && (v == nil || stale) && !handshaking(a, b)) || (a != anchor && stale && !handshaking(a, b)) {
				t.Steps = append(t.Steps, step{Kind: stepMeet, On: a.Node.ID, Peer: b.Node.ID, PeerID: b.ID, IP: b.IP, Port: b.Port, Bus: b.Bus})
			}
		}
	}

	ids := map[string]string{} // cluster id -> node id, of the nodes the cache has now
	for _, f := range answered {
		ids[f.ID] = f.Node.ID
	}
	if missing == 0 {
		forgetGone(&t, answered, ids)
	}

	assigned := map[int]bool{}
	for _, f := range answered {
		for _, v := range f.View {
			for _, r := range v.Slots {
				for s := r.Start; s <= r.End; s++ {
					assigned[s] = true
				}
			}
		}
	}
	servedBy := map[string]bool{} // cluster ids some node sees serving slots
	for _, f := range answered {
		for _, v := range f.View {
			if len(v.Slots) > 0 {
				servedBy[v.ID] = true
			}
		}
	}
	rendered := len(plan.Primaries())
	var leaving []string
	for s := 0; s < rendered; s++ {
		planned := plan.ShardNodes(s)
		if s >= shards && drained(planned, byNode, servedBy) {
			// Being removed, and its slots are gone: its nodes may already follow other
			// primaries (a primary that gives its last slot away follows its new owner).
			leaving = append(leaving, planned[0].ShardID)
			continue
		}
		var serving []*nodeFacts
		for _, n := range planned {
			if f := byNode[n.ID]; f != nil && f.answered() && f.Role == "master" && f.Slots > 0 {
				serving = append(serving, f)
			}
		}
		if len(serving) > 1 {
			t.wait("shard %s has %d primaries serving slots (%s, %s): refusing to choose", planned[0].ShardID, len(serving), serving[0].Node.ID, serving[1].Node.ID)
			continue
		}
		var primary *nodeFacts
		if len(serving) == 1 {
			primary = serving[0]
		} else if f := byNode[planned[0].ID]; f != nil && f.answered() && f.Role == "master" {
			primary = f
		}
		if primary == nil {
			if st, ok := takeover(planned, byNode, ids, answered); ok {
				t.Steps = append(t.Steps, st)
			}
			t.wait("shard %s has no primary that answers", planned[0].ShardID)
			continue
		}
		if missing == 0 {
			if free := unassigned(planned[0].Slots, assigned); len(free) > 0 {
				t.Steps = append(t.Steps, step{Kind: stepAddSlots, On: primary.Node.ID, Slots: free})
			}
		}
		for _, n := range planned {
			r := byNode[n.ID]
			if r == nil || r == primary || !r.answered() {
				continue
			}
			switch {
			case r.Role == "master" && r.Slots == 0:
				if v := r.sees(primary.ID); v == nil || v.Has("handshake") {
					t.wait("node %s does not know its shard's primary %s yet", r.Node.ID, primary.Node.ID)
					continue
				}
				t.Steps = append(t.Steps, step{Kind: stepReplicate, On: r.Node.ID, Peer: primary.Node.ID, PeerID: primary.ID})
			case r.Role == "slave" && r.Primary != primary.ID:
				t.wait("node %s replicates %s, not its shard's primary %s", r.Node.ID, nodeOf(ids, r.Primary), primary.Node.ID)
			case r.Role == "slave" && !r.LinkUp:
				t.wait("replica %s is not in sync with %s yet", r.Node.ID, primary.Node.ID)
			}
		}
	}

	if missing > 0 {
		t.wait("%d of %d nodes answer (%s)", len(answered), len(facts), first)
	}
	for _, f := range answered {
		if f.State != "ok" || f.SlotsOK != engine.TotalSlots {
			t.wait("node %s sees the cluster %s with %d of %d slots served", f.Node.ID, f.State, f.SlotsOK, engine.TotalSlots)
		}
		for _, v := range f.View {
			if v.Has("fail") || v.Has("fail?") || v.Has("handshake") || !v.Connected {
				t.wait("node %s sees %s as %s", f.Node.ID, nodeOf(ids, v.ID), strings.Join(v.Flags, ","))
			}
		}
		if len(f.View) != len(facts) {
			t.wait("node %s knows %d nodes, the cache has %d", f.Node.ID, len(f.View), len(facts))
		}
	}
	var moves []engine.SlotMove
	if missing == 0 {
		moves = slotMoves(plan, answered, shards)
		openSlots(&t, answered, moves, ids)
	}
	if len(t.Steps) > 0 {
		t.wait("%d step(s) taken: %s", len(t.Steps), t.Steps[0])
	}
	t.Healthy = t.Waiting == ""
	switch {
	case !t.Healthy:
	case len(moves) > 0:
		t.Moves, t.Healthy, t.Updating = moves, false, true
		t.wait("moving %d slots with their keys to reach %d shards", len(moves), shards)
	case len(leaving) > 0:
		t.Leaving, t.Healthy, t.Updating = leaving, false, true
		t.wait("removing shard(s) %s, whose slots have moved", strings.Join(leaving, ", "))
	default:
		if t.plannedChange(plan, byNode, true) {
			break
		}
		if st, ok := balancePrimaries(plan, byNode); ok {
			t.Steps = append(t.Steps, st)
			t.Healthy, t.Updating = false, true
			t.wait("%s", st)
		}
	}
	return t
}

// drained: every node of a shard answers and none serves a slot in anyone's view.
func drained(planned []*engine.Node, byNode map[string]*nodeFacts, servedBy map[string]bool) bool {
	for _, n := range planned {
		f := byNode[n.ID]
		if f == nil || !f.answered() || servedBy[f.ID] {
			return false
		}
	}
	return true
}

// slotMoves decides the slots that move to reach `shards` shards, from the slots each
// primary says it serves.
func slotMoves(plan *engine.Plan, answered []*nodeFacts, shards int) []engine.SlotMove {
	owners := map[int]int{}
	for _, f := range answered {
		n := plan.Node(f.Node.ID)
		if n == nil || f.Role != "master" {
			continue
		}
		for _, v := range f.View {
			if !v.Has("myself") {
				continue
			}
			for _, r := range v.Slots {
				for s := r.Start; s <= r.End; s++ {
					owners[s] = n.Shard
				}
			}
		}
	}
	return engine.PlanSlotMoves(owners, shards)
}

// openSlots reports the slots a node has open (importing or migrating) that no planned
// move explains: left by a move decided under another shard count. Which keys belong where
// is not guessed at; the status names the slot.
func openSlots(t *topology, answered []*nodeFacts, moves []engine.SlotMove, ids map[string]string) {
	planned := map[int]bool{}
	for _, m := range moves {
		planned[m.Slot] = true
	}
	owner := map[int]string{} // slot -> the cluster id that says it serves it
	for _, f := range answered {
		for _, v := range f.View {
			if v.Has("myself") {
				for _, r := range v.Slots {
					for s := r.Start; s <= r.End; s++ {
						owner[s] = v.ID
					}
				}
			}
		}
	}
	for _, f := range answered {
		for _, v := range f.View {
			if !v.Has("myself") {
				continue
			}
			for _, o := range v.Open {
				if !o.Importing && owner[o.Slot] == o.Peer {
					// The destination took the slot; the source was never told.
					t.Steps = append(t.Steps, step{Kind: stepSettle, On: f.Node.ID, Peer: nodeOf(ids, o.Peer), PeerID: o.Peer,
						Slots: []engine.SlotRange{{Start: o.Slot, End: o.Slot}}})
					continue
				}
				if planned[o.Slot] {
					continue
				}
				how := "migrating to"
				if o.Importing {
					how = "importing from"
				}
				t.wait("node %s has slot %d open (%s %s) and no move is planned for it: finish or undo it (CLUSTER SETSLOT %d STABLE or NODE)", f.Node.ID, o.Slot, how, nodeOf(ids, o.Peer), o.Slot)
			}
		}
	}
}

// balancePrimaries decides a planned failover when one zone holds more primaries than its
// share (the primaries over the zones the cache's nodes are in, rounded up) and a shard with
// its primary there has an in-sync replica in a zone below its share. The scheduler spreads
// each shard's nodes over zones, but not the primaries of different shards: one zone may end
// up with most of them, and losing it would leave the others without a majority to elect new
// ones. One shard per pass; the next pass sees the new roles.
func balancePrimaries(plan *engine.Plan, byNode map[string]*nodeFacts) (step, bool) {
	count := map[string]int{}
	zones := map[string]bool{}
	primaries := 0
	for _, f := range byNode {
		if f.Zone == "" {
			return step{}, false // zones unknown: nothing to balance by
		}
		zones[f.Zone] = true
		if f.Role == "master" && f.Slots > 0 {
			count[f.Zone]++
			primaries++
		}
	}
	if len(zones) < 2 || primaries < 2 {
		return step{}, false
	}
	share := (primaries + len(zones) - 1) / len(zones)
	var shards []int
	for _, n := range plan.Nodes {
		if len(shards) == 0 || shards[len(shards)-1] != n.Shard {
			shards = append(shards, n.Shard)
		}
	}
	for _, s := range shards {
		var primary *nodeFacts
		var replicas []*nodeFacts
		for _, n := range plan.ShardNodes(s) {
			f := byNode[n.ID]
			switch {
			case f == nil:
			case f.Role == "master" && f.Slots > 0:
				primary = f
			case f.Role == "slave" && f.LinkUp:
				replicas = append(replicas, f)
			}
		}
		if primary == nil || count[primary.Zone] <= share {
			continue
		}
		for _, r := range replicas {
			if r.Primary == primary.ID && count[r.Zone] < share {
				return step{Kind: stepFailover, On: r.Node.ID, Peer: primary.Node.ID, PeerID: primary.ID, Host: r.Zone}, true
			}
		}
	}
	return step{}, false
}

// takeover decides whether a shard whose primary does not answer gets a replica promoted by
// the operator: its replica furthest along, when that replica's link has been down for
// TakeoverAfter and it sees its primary failing too (the operator's view and the replica's
// agree), and no other node of the cache sees that primary as healthy.
//
// The replica's link "down since" is no measure: a machine that stopped keeps its TCP
// connections open, and the link looks up until repl-timeout.
func takeover(planned []*engine.Node, byNode map[string]*nodeFacts, ids map[string]string, answered []*nodeFacts) (step, bool) {
	var best *nodeFacts
	for _, n := range planned {
		r := byNode[n.ID]
		if r == nil || !r.answered() || r.Role != "slave" || r.Primary == "" || ids[r.Primary] != "" {
			continue // only a replica of a primary that did not answer the operator
		}
		// How long the replica has not heard its primary, on the replica's own clock (a
		// stopped machine keeps its TCP connections open, so the replication link itself
		// looks up for a while longer).
		v := r.sees(r.Primary)
		if v == nil || !(v.Has("fail?") || v.Has("fail")) || r.NowMS-v.PongRecv < TakeoverAfter.Milliseconds() {
			continue
		}
		if best == nil || r.Offset > best.Offset {
			best = r
		}
	}
	if best == nil {
		return step{}, false
	}
	for _, a := range answered {
		if v := a.sees(best.Primary); v != nil && v.Connected && !v.Has("fail?") && !v.Has("fail") && a != best {
			return step{}, false // someone still reaches it: not lost, maybe cut off from us
		}
	}
	return step{Kind: stepTakeover, On: best.Node.ID, Peer: nodeOf(ids, best.Primary), PeerID: best.Primary}, true
}

// PromoteAfter is how long every replica must not have heard a lost primary before one is
// promoted: longer than a pod's restart takes, which is no loss, and longer than the primary's
// pings to an idle replica are apart (repl-ping-replica-period, 10 s).
var PromoteAfter = 12 * time.Second

// promote decides a replication group's failover: the primary the replicas replicate does
// not answer the operator and Kubernetes holds its pod down (deleted, not running, or not
// ready: its kubelet's probe got no answer from it, or its machine stopped reporting), so a
// network blip between the operator and a healthy primary promotes nothing. The replica that
// answers with the highest replication offset is promoted; the others follow it at the next
// pass, and the old primary's pod-start makes it a replica when it returns.
func promote(facts []nodeFacts) (step, bool) {
	var lost *nodeFacts
	var best *nodeFacts
	for i := range facts {
		r := &facts[i]
		if !r.answered() || r.Role != "slave" {
			continue
		}
		var p *nodeFacts
		for j := range facts {
			if facts[j].Node.Host == r.Primary && facts[j].Port == r.PrimaryPort {
				p = &facts[j]
			}
		}
		if p == nil || p.answered() || !p.Down || (lost != nil && p != lost) {
			return step{}, false // a primary not ours, one that answers or is up, or two of them
		}
		if r.Silent < int(PromoteAfter/time.Second) {
			return step{}, false // heard from it a moment ago: a restart, not a loss, so far
		}
		lost = p
		if best == nil || r.Offset > best.Offset {
			best = r
		}
	}
	if best == nil {
		return step{}, false
	}
	return step{Kind: stepPromote, On: best.Node.ID, Peer: lost.Node.ID}, true
}

// handshaking: a is already meeting b's address.
func handshaking(a, b *nodeFacts) bool {
	for _, v := range a.View {
		if v.Has("handshake") && v.IP == b.IP {
			return true
		}
	}
	return false
}

// forgetGone has every node forget the identities no node of the cache has now. It runs only
// when every node answered (else a node's id would be unknown, not gone), and never forgets
// an identity that still serves slots in some node's view (the status reports the cache
// waiting instead), nor a node's own primary (the server refuses).
func forgetGone(t *topology, answered []*nodeFacts, ids map[string]string) {
	for _, a := range answered {
		for _, v := range a.View {
			if v.Has("myself") || v.Has("handshake") || ids[v.ID] != "" {
				continue
			}
			if len(v.Slots) > 0 {
				t.wait("node %s sees the gone identity %s still serving slots", a.Node.ID, v.ID)
				continue
			}
			if a.Primary == v.ID {
				continue
			}
			t.Steps = append(t.Steps, step{Kind: stepForget, On: a.Node.ID, PeerID: v.ID})
		}
	}
}

func nodeOf(ids map[string]string, clusterID string) string {
	if n := ids[clusterID]; n != "" {
		return n
	}
	if len(clusterID) > 8 {
		return clusterID[:8]
	}
	return clusterID
}

// unassigned is the part of ranges no node serves.
func unassigned(ranges []engine.SlotRange, assigned map[int]bool) []engine.SlotRange {
	var out []engine.SlotRange
	for _, r := range ranges {
		for s := r.Start; s <= r.End; s++ {
			if assigned[s] {
				continue
			}
			if n := len(out); n > 0 && out[n-1].End == s-1 {
				out[n-1].End = s
			} else {
				out = append(out, engine.SlotRange{Start: s, End: s})
			}
		}
	}
	return out
}

// decideReplication decides a replication group's steps (single node and primary with
// replicas). The primary is the node that leads (a primary with replicas or keys); with
// none leading, a group never formed takes the planned primary. Two leaders are never
// resolved by guessing. Every other node replicates the primary by its name.
func decideReplication(plan *engine.Plan, facts []nodeFacts) topology {
	t := topology{Roles: map[string]string{}}
	var answered, leaders []*nodeFacts
	for i := range facts {
		f := &facts[i]
		if !f.answered() {
			continue
		}
		answered = append(answered, f)
		t.Roles[f.Node.ID] = roleName(f.Role)
		if f.Role == "slave" {
			t.Formed = true
		}
		if f.Role == "master" && (f.Replicas > 0 || f.Keys > 0) {
			leaders = append(leaders, f)
		}
	}
	t.Formed = t.Formed || len(leaders) > 0
	missing, first := notAnswering(facts)
	if missing > 0 && !t.Formed {
		t.wait("%d of %d nodes answer; the group is formed once all do (%s)", len(answered), len(facts), first)
		return t
	}
	var primary *nodeFacts
	switch {
	case len(leaders) > 1:
		var names []string
		for _, l := range leaders {
			names = append(names, l.Node.ID)
		}
		sort.Strings(names)
		t.wait("%s all lead (a primary with replicas or data): refusing to choose", strings.Join(names, ", "))
		return t
	case len(leaders) == 1:
		primary = leaders[0]
	default:
		var masters []*nodeFacts
		for _, f := range answered {
			if f.Role == "master" {
				masters = append(masters, f)
			}
		}
		for _, m := range masters {
			// A new group's first node, or the one master among replicas (a replica
			// promoted while the group held no data).
			if m.Node.ID == plan.Nodes[0].ID || (len(masters) == 1 && t.Formed) {
				primary = m
			}
		}
	}
	if primary == nil {
		if st, ok := promote(facts); ok {
			t.Steps = append(t.Steps, st)
			t.wait("the primary is lost: %s", st)
			return t
		}
		t.wait("no primary answers (%s)", first)
		return t
	}
	for _, r := range answered {
		switch {
		case r == primary:
		case r.Role == "master" || r.Primary != primary.Node.Host || r.PrimaryPort != primary.Port:
			t.Steps = append(t.Steps, step{Kind: stepFollow, On: r.Node.ID, Peer: primary.Node.ID, Host: primary.Node.Host, Port: primary.Port})
		case !r.LinkUp:
			t.wait("replica %s is not in sync with %s yet", r.Node.ID, primary.Node.ID)
		}
	}
	if missing > 0 {
		t.wait("%d of %d nodes answer (%s)", len(answered), len(facts), first)
	}
	if len(t.Steps) > 0 {
		t.wait("%d step(s) taken: %s", len(t.Steps), t.Steps[0])
	}
	t.Healthy = t.Waiting == ""
	if t.Healthy {
		byNode := map[string]*nodeFacts{}
		for i := range facts {
			byNode[facts[i].Node.ID] = &facts[i]
		}
		t.plannedChange(plan, byNode, false)
	}
	return t
}

// plannedChange decides, for a healthy cache, the next step of a change its spec asks for:
// replicas leaving first (no point restarting a node that goes), then the rolling restart. It
// reports whether there was one; the cache is then Updating.
func (t *topology) plannedChange(plan *engine.Plan, byNode map[string]*nodeFacts, cluster bool) bool {
	if st, drop, ok := dropReplicas(plan, byNode, cluster); ok {
		t.Healthy, t.Updating = false, true
		if drop {
			t.DropReplicas = true
			t.wait("removing the replicas beyond the spec's count")
		} else {
			t.Steps = append(t.Steps, st)
			t.wait("removing replicas: %s", st)
		}
		return true
	}
	if st, ok := rollOne(plan, byNode, cluster); ok {
		t.Steps = append(t.Steps, st)
		t.Healthy, t.Updating = false, true
		t.wait("rolling restart: %s", st)
		return true
	}
	return false
}
