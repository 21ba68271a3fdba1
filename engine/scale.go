package engine

import (
	"context"
	"crypto/tls"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Scale moves a running deployment from the topology of plan `from` to the engine's own plan,
// online, as ElastiCache does: new nodes start empty and join (replicas sync from their shard's
// current primary); when the shard count changes, hash slots move with their keys in batches,
// one worker per source/destination pair (MIGRATE, with IMPORTING/MIGRATING states so clients
// are redirected and keep working; see rebalance); nodes
// that go away hand over any primary role and their slots first, then are forgotten, stopped
// and their directories removed. Nodes keep their ids and ports (pin them in
// Deployment.NodePorts).
func (e *Engine) Scale(ctx context.Context, from *Plan) error {
	if err := e.PrepareTLS(); err != nil {
		return err
	}
	if from.Deployment.Mode != e.Plan.Deployment.Mode {
		return fmt.Errorf("scaling: mode %s cannot become %s in place", from.Deployment.Mode, e.Plan.Deployment.Mode)
	}
	added, removed := diffNodes(from, e.Plan)
	e.logf("scaling %s: %d nodes join, %d leave", e.Plan.Deployment.Name, len(added), len(removed))
	switch e.Plan.Deployment.Mode {
	case ModeCluster:
		return e.cluster().scaleCluster(ctx, from, added, removed)
	case ModeReplication:
		return e.repl().scaleReplication(ctx, from, added, removed)
	default:
		return fmt.Errorf("scaling: a single node has no replicas or shards to change; use mode replication or cluster")
	}
}

// diffNodes lists the nodes only in `to` and only in `from`.
func diffNodes(from, to *Plan) (added, removed []*Node) {
	for _, n := range to.Nodes {
		if from.Node(n.ID) == nil {
			added = append(added, n)
		}
	}
	for _, n := range from.Nodes {
		if to.Node(n.ID) == nil {
			removed = append(removed, n)
		}
	}
	return added, removed
}

// clusterView maps planned node ids to cluster node ids and current roles, as a node sees it.
type clusterView struct {
	byAddr  map[string]ClusterNode
	idOf    map[string]string // plan id -> cluster id
	primary map[int]string    // shard -> plan id of its current primary
}

func (e clusterTopology) viewCluster(ctx context.Context, plans ...*Plan) (*clusterView, error) {
	var seed *Node
	for _, p := range plans {
		for _, n := range p.Nodes {
			if seed == nil && e.Runner.Running(n.ID) {
				seed = n
			}
		}
	}
	if seed == nil {
		return nil, fmt.Errorf("no running node to read the cluster from")
	}
	c := e.admin(seed.Addr())
	defer c.Close()
	nodes, err := clusterNodes(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("reading the cluster from %s: %w", seed.ID, err)
	}
	v := &clusterView{byAddr: map[string]ClusterNode{}, idOf: map[string]string{}, primary: map[int]string{}}
	for _, cn := range nodes {
		v.byAddr[cn.Addr] = cn
	}
	for _, p := range plans {
		for _, n := range p.Nodes {
			cn, ok := v.byAddr[n.Addr()]
			if !ok {
				continue
			}
			v.idOf[n.ID] = cn.ID
			if cn.Has("master") && len(cn.Slots) > 0 {
				v.primary[n.Shard] = n.ID
			}
		}
	}
	return v, nil
}

func (e clusterTopology) scaleCluster(ctx context.Context, from *Plan, added, removed []*Node) error {
	to := e.Plan
	all := append(append([]*Node(nil), from.Nodes...), added...)
	// 1. New nodes start empty and meet the cluster.
	var anchor *Node
	for _, n := range from.Nodes {
		if e.Runner.Running(n.ID) && to.Node(n.ID) != nil {
			anchor = n
			break
		}
	}
	if anchor == nil {
		return fmt.Errorf("scaling: no running node that stays in the cluster")
	}
	ac := e.admin(anchor.Addr())
	defer ac.Close()
	for _, n := range added {
		// A node may be running already when an earlier, interrupted scaling started it.
		if !e.Runner.Running(n.ID) {
			if err := e.startNode(ctx, n, ""); err != nil {
				return err
			}
		}
		if err := meet(ctx, ac, n); err != nil {
			return fmt.Errorf("scaling: introducing %s: %w", n.ID, err)
		}
	}
	if err := e.waitKnown(ctx, all); err != nil {
		return err
	}
	v, err := e.viewCluster(ctx, from, to)
	if err != nil {
		return err
	}
	// 2. New replicas follow their shard's current primary; new shards' planned replicas follow
	// the new primary, which is empty until slots move: their first sync need not wait.
	var empty []*Node
	for _, n := range added {
		if n.Role != RoleReplica && v.primary[n.Shard] == "" {
			empty = append(empty, n)
		}
	}
	hold, err := e.dropSyncDelay(ctx, empty)
	// On a failure below too: a node left at 0 would skip the delay for real data later.
	defer func() { _ = hold.Restore(context.WithoutCancel(ctx)) }()
	if err != nil {
		return fmt.Errorf("scaling: %w", err)
	}
	for _, n := range added {
		if n.Role != RoleReplica {
			continue
		}
		prim := v.primary[n.Shard]
		if prim == "" {
			prim = to.ShardNodes(n.Shard)[0].ID
		}
		c := e.admin(n.Addr())
		err := waitSoon(ctx, e.timeout(), "node "+n.ID+" to replicate "+prim, func(ctx context.Context) error {
			return c.ClusterReplicate(ctx, v.idOf[prim]).Err()
		})
		c.Close()
		if err != nil {
			return err
		}
	}
	// 3. Slots follow the shard count: removed shards give all theirs away, the rest are
	// evened out. A node that just joined answers CLUSTERDOWN (and refuses MIGRATE's
	// RESTORE) until it has learnt the slot map, so every node must see the cluster ok first.
	if err := e.waitClusterOK(ctx, all); err != nil {
		return err
	}
	if err := e.rebalance(ctx, v, from, to); err != nil {
		return err
	}
	// 4. Leaving nodes: a leaving replica that leads a staying shard hands the role back first.
	for _, n := range removed {
		if to.Node(n.ID) != nil || n.Shard >= len(to.Primaries()) {
			continue
		}
		if v.primary[n.Shard] == n.ID {
			if err := e.promoteStaying(ctx, v, to, n); err != nil {
				return err
			}
		}
	}
	if err := e.waitClientsMoved(ctx, removed); err != nil {
		return err
	}
	for _, n := range removed {
		if err := e.forget(ctx, v, all, n); err != nil {
			return err
		}
	}
	if err := e.waitClusterHealthy(ctx); err != nil {
		return err
	}
	return hold.Restore(ctx)
}

// A leaving primary keeps running after its last slot left, answering MOVED, until clients
// have stopped coming to it: a client learns the new owners from its first redirect (go-redis
// then reloads the whole slot map), and one that still maps a slot to the node would get a
// refused connection once it stops. leaveQuiet is how long no client may have been sent
// away before the node stops; leaveGrace bounds the wait (go-redis reloads a map older than
// 10 s on its own).
const (
	leaveQuiet = time.Second
	leaveGrace = 10 * time.Second
)

// waitClientsMoved waits until every running node among leaving has answered no command
// with MOVED for leaveQuiet (at most leaveGrace). Replicas count too: a client reading from
// replicas is sent away by them.
func (e clusterTopology) waitClientsMoved(ctx context.Context, leaving []*Node) error {
	var watched []*Node
	for _, n := range leaving {
		if e.Runner.Running(n.ID) {
			watched = append(watched, n)
		}
	}
	if len(watched) == 0 {
		return nil
	}
	clients := make([]*redis.Client, len(watched))
	for i, n := range watched {
		clients[i] = e.admin(n.Addr())
		defer clients[i].Close()
	}
	start := time.Now()
	last, changed := map[string]string{}, map[string]time.Time{}
	for {
		quiet := true
		for i, n := range watched {
			info, err := Info(ctx, clients[i], "errorstats")
			if err != nil {
				return fmt.Errorf("scaling: watching clients leave %s: %w", n.ID, err)
			}
			if moved := info["errorstat_MOVED"]; moved != last[n.ID] || changed[n.ID].IsZero() {
				last[n.ID], changed[n.ID] = moved, time.Now()
			}
			if time.Since(changed[n.ID]) < leaveQuiet {
				quiet = false
			}
		}
		if quiet {
			return nil
		}
		if time.Since(start) > leaveGrace {
			e.logf("clients are still sent away from %d leaving nodes after %s; they leave now", len(watched), leaveGrace)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("scaling: waiting for clients to leave: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitClusterOK waits until every running node of nodes reports cluster_state:ok and knows
// the owner of every slot.
func (e clusterTopology) waitClusterOK(ctx context.Context, nodes []*Node) error {
	for _, n := range nodes {
		if !e.Runner.Running(n.ID) {
			continue
		}
		c := e.admin(n.Addr())
		err := waitSoon(ctx, e.timeout(), "node "+n.ID+" to see the cluster ok", func(ctx context.Context) error {
			ci, err := c.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			// cluster_state turns ok before a node that just joined has heard of every
			// slot's owner (the engine does not require full coverage); a destination that
			// has not refuses the keys with "CLUSTERDOWN Hash slot not served".
			info := ParseInfo(ci)
			if st, n := info["cluster_state"], info["cluster_slots_assigned"]; st != "ok" || n != strconv.Itoa(TotalSlots) {
				return fmt.Errorf("cluster_state %s, %s slots assigned", st, n)
			}
			return nil
		})
		c.Close()
		if err != nil {
			return fmt.Errorf("scaling: %w", err)
		}
	}
	return nil
}

// waitKnown waits until every running node knows every running node of nodes: slot moves
// name the new nodes by id, which a node that has not heard of them yet refuses.
func (e clusterTopology) waitKnown(ctx context.Context, nodes []*Node) error {
	for _, viewer := range nodes {
		if !e.Runner.Running(viewer.ID) {
			continue
		}
		c := e.admin(viewer.Addr())
		err := waitSoon(ctx, e.timeout(), viewer.ID+" to know every node", func(ctx context.Context) error {
			cns, err := clusterNodes(ctx, c)
			if err != nil {
				return err
			}
			seen := map[string]bool{}
			for _, cn := range cns {
				if !cn.Has("handshake") && !cn.Has("noaddr") {
					seen[cn.Addr] = true
				}
			}
			for _, n := range nodes {
				if e.Runner.Running(n.ID) && !seen[n.Addr()] {
					return fmt.Errorf("%s not known yet", n.ID)
				}
			}
			return nil
		})
		c.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// promoteStaying makes a staying replica the primary of n's shard before n leaves.
func (e clusterTopology) promoteStaying(ctx context.Context, v *clusterView, to *Plan, n *Node) error {
	for _, o := range to.ShardNodes(n.Shard) {
		if !e.Runner.Running(o.ID) {
			continue
		}
		if err := e.clusterFailoverTo(ctx, o, o.ShardID); err != nil {
			return fmt.Errorf("scaling: handing shard %s from %s to %s: %w", n.ShardID, n.ID, o.ID, err)
		}
		v.primary[n.Shard] = o.ID
		return nil
	}
	return fmt.Errorf("scaling: shard %s has no staying node to take over from %s", n.ShardID, n.ID)
}

// forget removes a node from the cluster, stops it and deletes its directory.
func (e clusterTopology) forget(ctx context.Context, v *clusterView, all []*Node, n *Node) error {
	id := v.idOf[n.ID]
	// A replica of a leaving primary must not be left following it.
	if err := e.stopNodeProcess(ctx, n); err != nil {
		return fmt.Errorf("scaling: stopping %s: %w", n.ID, err)
	}
	for _, o := range all {
		if o.ID == n.ID || !e.Runner.Running(o.ID) || id == "" {
			continue
		}
		c := e.admin(o.Addr())
		err := c.Do(ctx, "cluster", "forget", id).Err()
		c.Close()
		if err != nil && !isUnknownNode(err) {
			return fmt.Errorf("scaling: %s forgetting %s: %w", o.ID, n.ID, err)
		}
	}
	e.logf("node %s left", n.ID)
	return e.files().Wipe(ctx, n.Home())
}

func isUnknownNode(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "unknown node") || strings.Contains(msg, "can't forget my master")
}

// SlotMove is one slot leaving one shard for another.
type SlotMove struct {
	Slot     int
	From, To int // shard indexes
}

// PlanSlotMoves decides which slots move when a cluster goes to `shards` shards: owners maps
// every slot to its current shard. Shards at or beyond `shards` give all their slots away;
// the rest end with an even share (the largest ones one more when it does not divide), moving as few slots as
// possible. It is pure, so the decision is tested apart from the moving.
func PlanSlotMoves(owners map[int]int, shards int) []SlotMove {
	held := map[int][]int{}
	for slot := 0; slot < TotalSlots; slot++ {
		if s, ok := owners[slot]; ok {
			held[s] = append(held[s], slot)
		}
	}
	// The extra slots of an uneven split go to the shards that hold the most already.
	order := make([]int, shards)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return len(held[order[i]]) > len(held[order[j]]) })
	targets := map[int]int{}
	for rank, s := range order {
		targets[s] = TotalSlots / shards
		if rank < TotalSlots%shards {
			targets[s]++
		}
	}
	target := func(s int) int { return targets[s] }
	var donors []int
	for s := range held {
		donors = append(donors, s)
	}
	sort.Ints(donors)
	var spare []SlotMove // slots that must leave, From set
	for _, s := range donors {
		keep := 0
		if s < shards {
			keep = target(s)
		}
		if len(held[s]) > keep {
			for _, slot := range held[s][keep:] {
				spare = append(spare, SlotMove{Slot: slot, From: s})
			}
		}
	}
	var moves []SlotMove
	for s := 0; s < shards && len(spare) > 0; s++ {
		for need := target(s) - min(len(held[s]), target(s)); need > 0 && len(spare) > 0; need-- {
			m := spare[0]
			spare = spare[1:]
			m.To = s
			moves = append(moves, m)
		}
	}
	return moves
}

// rebalance moves slots so that the cluster has the plan's shard count.
func (e clusterTopology) rebalance(ctx context.Context, v *clusterView, from, to *Plan) error {
	shards := len(to.Primaries())
	owners := map[int]int{}
	for id, planID := range invert(v.idOf) {
		cn := v.byID(id)
		n := from.Node(planID)
		if n == nil {
			n = to.Node(planID)
		}
		if cn == nil || n == nil || !cn.Has("master") {
			continue
		}
		for _, r := range cn.Slots {
			for s := r.Start; s <= r.End; s++ {
				owners[s] = n.Shard
			}
		}
	}
	moves := PlanSlotMoves(owners, shards)
	if len(moves) == 0 {
		return nil
	}
	pairs := GroupSlotMoves(moves, SlotsPerBatch)
	e.logf("moving %d slots to reach %d shards: %d source/destination pairs side by side", len(moves), shards, len(pairs))
	nodeOf := func(shard int) *Node {
		id := v.primary[shard]
		if id == "" {
			return to.ShardNodes(shard)[0]
		}
		if n := to.Node(id); n != nil {
			return n
		}
		return from.Node(id)
	}
	var masters []*Node
	for s := 0; s < max(shards, len(from.Primaries())); s++ {
		masters = append(masters, nodeOf(s))
	}
	return e.slotMover().Move(ctx, pairs, masters, v.idOf)
}

// slotMover moves the engine's slots: nodes reached at their planned addresses with the
// deployment's TLS, sources reaching destinations by their hosts.
func (e clusterTopology) slotMover() *SlotMover {
	return &SlotMover{
		Password: e.Plan.Deployment.Auth.AdminPassword,
		Addr:     func(n *Node) (string, *tls.Config) { return n.Addr(), e.tlsConf },
		Reach:    func(n *Node) string { return n.Host },
		Running:  func(n *Node) bool { return e.Runner.Running(n.ID) },
		Logf:     e.logf,
	}
}

func (v *clusterView) byID(id string) *ClusterNode {
	for _, cn := range v.byAddr {
		if cn.ID == id {
			c := cn
			return &c
		}
	}
	return nil
}

func invert(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, val := range m {
		out[val] = k
	}
	return out
}

func (e replicationGroup) scaleReplication(ctx context.Context, from *Plan, added, removed []*Node) error {
	for _, n := range added {
		if err := e.repl().startReplicationNode(ctx, n); err != nil {
			return err
		}
		if err := e.repl().waitInSync(ctx, n); err != nil {
			return err
		}
	}
	if len(removed) > 0 {
		prim, err := e.CurrentPrimary(ctx)
		if err != nil {
			return err
		}
		for _, n := range removed {
			if prim.ID == n.ID {
				if err := e.repl().failoverFrom(ctx, n); err != nil {
					return fmt.Errorf("scaling: moving the primary off %s: %w", n.ID, err)
				}
			}
		}
		for _, n := range removed {
			if err := e.stopNodeProcess(ctx, n); err != nil {
				return fmt.Errorf("scaling: stopping %s: %w", n.ID, err)
			}
			if err := e.files().Wipe(ctx, n.Home()); err != nil {
				return fmt.Errorf("scaling: %w", err)
			}
			e.logf("node %s left", n.ID)
		}
		// Sentinels keep every replica they ever saw; a reset makes them rediscover the group.
		for _, s := range e.Plan.Sentinels {
			if !e.Runner.Running(s.ID) {
				continue
			}
			sc := e.repl().sentinelClient(s)
			err := sc.Reset(ctx, e.Plan.Deployment.Name).Err()
			sc.Close()
			if err != nil {
				return fmt.Errorf("scaling: resetting sentinel %s: %w", s.ID, err)
			}
		}
	}
	// Sentinels the new size needs (3 up to 3 nodes, 5 beyond) start with the rest.
	return e.Start(ctx)
}
