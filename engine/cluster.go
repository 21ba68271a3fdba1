package engine

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// clusterTopology is the engine's work on a cluster-mode deployment: creating it, keeping
// every node introduced at its planned address, the start guard of a shard's primary,
// failovers, and moving slots when it scales. It is the Engine seen through that concern;
// the lifecycle in engine.go hands over to it.
type clusterTopology struct{ *Engine }

// cluster is the engine's cluster-mode work.
func (e *Engine) cluster() clusterTopology { return clusterTopology{e} }

// ClusterNode is one line of CLUSTER NODES.
type ClusterNode struct {
	ID string
	// Addr is host:port as the node announces it: its hostname when it announces one
	// (cluster-announce-hostname), so it compares with the planned Node.Addr.
	Addr string
	// IP is the address the node was last seen at (the first part of the line's address,
	// before any hostname): what a node that announces a name is reached at now.
	IP       string
	Flags    []string
	MasterID string // "" for masters
	// PingSent and PongRecv are when (Unix ms, the reporting node's clock) it last pinged
	// the node without an answer yet (0: none pending) and last heard its pong.
	PingSent, PongRecv int64
	Epoch              int64
	Connected          bool
	Slots              []SlotRange
	// Open are the slots the node is moving (only on its own, "myself", line): a move that
	// was interrupted leaves them open until it is finished.
	Open []OpenSlot
}

// OpenSlot is a slot a node is migrating to, or importing from, another node.
type OpenSlot struct {
	Slot      int
	Importing bool   // else migrating
	Peer      string // the other node's cluster id
}

// Has reports whether the node carries a flag (myself, master, slave, fail, handshake, ...).
func (c ClusterNode) Has(flag string) bool {
	for _, f := range c.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

// ParseClusterNodes parses the output of CLUSTER NODES.
func ParseClusterNodes(s string) ([]ClusterNode, error) {
	var out []ClusterNode
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			return nil, fmt.Errorf("malformed CLUSTER NODES line %q", line)
		}
		// ip:port@cport[,hostname[,aux=value...]]
		field, hostname, _ := strings.Cut(f[1], ",")
		hostname, _, _ = strings.Cut(hostname, ",")
		addr, _, _ := strings.Cut(field, "@")
		ip, _, _ := net.SplitHostPort(addr)
		if hostname != "" && !strings.Contains(hostname, "=") {
			if _, port, err := net.SplitHostPort(addr); err == nil {
				addr = net.JoinHostPort(hostname, port)
			}
		}
		cn := ClusterNode{ID: f[0], Addr: addr, IP: ip, Flags: strings.Split(f[2], ","), Connected: f[7] == "connected"}
		if f[3] != "-" {
			cn.MasterID = f[3]
		}
		cn.Epoch, _ = strconv.ParseInt(f[6], 10, 64)
		cn.PingSent, _ = strconv.ParseInt(f[4], 10, 64)
		cn.PongRecv, _ = strconv.ParseInt(f[5], 10, 64)
		for _, sl := range f[8:] {
			if strings.HasPrefix(sl, "[") { // a slot being moved: [slot->-id] or [slot-<-id]
				o, err := parseOpenSlot(sl)
				if err != nil {
					return nil, err
				}
				cn.Open = append(cn.Open, o)
				continue
			}
			a, b, isRange := strings.Cut(sl, "-")
			start, err := strconv.Atoi(a)
			if err != nil {
				return nil, fmt.Errorf("malformed slot %q", sl)
			}
			end := start
			if isRange {
				if end, err = strconv.Atoi(b); err != nil {
					return nil, fmt.Errorf("malformed slot %q", sl)
				}
			}
			cn.Slots = append(cn.Slots, SlotRange{Start: start, End: end})
		}
		out = append(out, cn)
	}
	return out, nil
}

func parseOpenSlot(field string) (OpenSlot, error) {
	inner := strings.TrimSuffix(strings.TrimPrefix(field, "["), "]")
	for sep, importing := range map[string]bool{"->-": false, "-<-": true} {
		if slot, peer, ok := strings.Cut(inner, sep); ok {
			n, err := strconv.Atoi(slot)
			if err != nil {
				break
			}
			return OpenSlot{Slot: n, Importing: importing, Peer: peer}, nil
		}
	}
	return OpenSlot{}, fmt.Errorf("malformed open slot %q", field)
}

func clusterNodes(ctx context.Context, c *redis.Client) ([]ClusterNode, error) {
	s, err := c.ClusterNodes(ctx).Result()
	if err != nil {
		return nil, err
	}
	return ParseClusterNodes(s)
}

// createCluster starts every node, waits for all of them, assigns the planned slots, joins
// them and attaches the replicas, then waits until every node reports the cluster healthy.
// Any failure is returned to Create, which rolls everything back: there is no
// "|| true" here, a cluster is either fully made or not at all.
func (e clusterTopology) createCluster(ctx context.Context) error {
	p := e.Plan
	for _, n := range p.Nodes {
		if err := e.startNode(ctx, n, ""); err != nil {
			return err
		}
	}
	ids := map[string]string{}
	for _, n := range p.Nodes {
		c := e.admin(n.Addr())
		id, err := c.ClusterMyID(ctx).Result()
		if err == nil {
			err = e.addMissingSlots(ctx, c, n)
		}
		c.Close()
		if err != nil {
			return fmt.Errorf("preparing node %s: %w", n.ID, err)
		}
		ids[n.ID] = id
	}
	first := e.admin(p.Nodes[0].Addr())
	defer first.Close()
	for _, n := range p.Nodes[1:] {
		if err := meet(ctx, first, n); err != nil {
			return fmt.Errorf("joining node %s: %w", n.ID, err)
		}
	}
	if err := e.waitClusterJoined(ctx, ids); err != nil {
		return err
	}
	// The primaries are empty (unless seeded from a snapshot): their replicas' first sync
	// need not wait for others to share it.
	hold, err := e.dropSyncDelay(ctx, p.Primaries())
	if err != nil {
		return err
	}
	for _, n := range p.Nodes {
		if n.Role != RoleReplica {
			continue
		}
		c := e.admin(n.Addr())
		err := waitSoon(ctx, e.timeout(), "node "+n.ID+" to replicate "+n.PrimaryID, func(ctx context.Context) error {
			return c.ClusterReplicate(ctx, ids[n.PrimaryID]).Err()
		})
		c.Close()
		if err != nil {
			return err
		}
	}
	if err := e.waitClusterHealthy(ctx); err != nil {
		return err
	}
	return hold.Restore(ctx)
}

// addMissingSlots assigns the node its planned slots, skipping any it already owns (a node
// seeded from a snapshot claims the slots of the keys it loaded).
func (e clusterTopology) addMissingSlots(ctx context.Context, c *redis.Client, n *Node) error {
	if len(n.Slots) == 0 {
		return nil
	}
	nodes, err := clusterNodes(ctx, c)
	if err != nil {
		return err
	}
	owned := map[int]bool{}
	for _, cn := range nodes {
		if cn.Has("myself") {
			for _, r := range cn.Slots {
				for s := r.Start; s <= r.End; s++ {
					owned[s] = true
				}
			}
		}
	}
	for _, r := range n.Slots {
		for s := r.Start; s <= r.End; {
			if owned[s] {
				s++
				continue
			}
			end := s
			for end < r.End && !owned[end+1] {
				end++
			}
			if err := c.ClusterAddSlotsRange(ctx, s, end).Err(); err != nil {
				return fmt.Errorf("adding slots %d-%d: %w", s, end, err)
			}
			s = end + 1
		}
	}
	return nil
}

func meet(ctx context.Context, c *redis.Client, n *Node) error {
	return MeetAt(ctx, c, n.Host, n.Port(), n.BusPort)
}

// MeetAt has the node behind c meet the node at host (an address or a name), port and bus
// port. CLUSTER MEET takes an address, not a name: a node that announces a hostname is met
// at what the name resolves to now (the name is what it announces afterwards).
func MeetAt(ctx context.Context, c *redis.Client, host string, port, busPort int) error {
	if isHostname(host) {
		ips, err := net.DefaultResolver.LookupHost(ctx, host)
		if err != nil || len(ips) == 0 {
			return fmt.Errorf("resolving %s to meet it: %w", host, err)
		}
		host = ips[0]
		for _, ip := range ips {
			if net.ParseIP(ip).To4() != nil {
				host = ip
				break
			}
		}
	}
	return c.Do(ctx, "cluster", "meet", host, port, busPort).Err()
}

// waitClusterJoined waits until every node knows every other one by its id, connected.
func (e clusterTopology) waitClusterJoined(ctx context.Context, ids map[string]string) error {
	for _, n := range e.Plan.Nodes {
		c := e.admin(n.Addr())
		err := waitSoon(ctx, e.timeout(), "node "+n.ID+" to know every peer", func(ctx context.Context) error {
			nodes, err := clusterNodes(ctx, c)
			if err != nil {
				return err
			}
			known := map[string]bool{}
			for _, cn := range nodes {
				if cn.Connected && !cn.Has("handshake") && !cn.Has("noaddr") {
					known[cn.ID] = true
				}
			}
			for peer, id := range ids {
				if !known[id] {
					return fmt.Errorf("does not know %s (%s) yet", peer, id)
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

// waitClusterHealthy waits until every node reports cluster_state:ok with all slots and all
// nodes, every shard has exactly one primary, and every replica's link is up.
func (e clusterTopology) waitClusterHealthy(ctx context.Context) error {
	p := e.Plan
	for _, n := range p.Nodes {
		c := e.admin(n.Addr())
		err := waitSoon(ctx, e.timeout(), "node "+n.ID+" to see a healthy cluster", func(ctx context.Context) error {
			ci, err := c.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			info := ParseInfo(ci)
			if info["cluster_state"] != "ok" || info["cluster_slots_ok"] != strconv.Itoa(TotalSlots) ||
				info["cluster_known_nodes"] != strconv.Itoa(len(p.Nodes)) || info["cluster_size"] != strconv.Itoa(len(p.Primaries())) {
				return fmt.Errorf("state %s, %s slots ok, %s nodes, %s shards", info["cluster_state"],
					info["cluster_slots_ok"], info["cluster_known_nodes"], info["cluster_size"])
			}
			nodes, err := clusterNodes(ctx, c)
			if err != nil {
				return err
			}
			for _, cn := range nodes {
				if cn.Has("fail") || cn.Has("fail?") || !cn.Connected {
					return fmt.Errorf("sees %s (%s) failing or disconnected", cn.ID, cn.Addr)
				}
			}
			rep, err := Info(ctx, c, "replication")
			if err != nil {
				return err
			}
			if rep["role"] == "slave" && (rep["master_link_status"] != "up" || rep["master_sync_in_progress"] != "0") {
				return fmt.Errorf("replica link %s", rep["master_link_status"])
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

// startCluster restarts a created cluster. Each node keeps its identity and view in
// nodes.conf; after all are up the engine re-introduces them to each other at their planned
// addresses, so nodes whose address changed while everything was down rejoin (gossip alone
// cannot find a node nobody knows the new address of). A node whose shard kept running
// without it (it crashed; the supervisor brings it back) rejoins behind the start guards, so
// a crashed primary is failed over before it returns; a shard that was down as a whole
// comes back as it was.
func (e clusterTopology) startCluster(ctx context.Context) error {
	shardUp := map[int]bool{}
	for _, n := range e.Plan.Nodes {
		if e.Runner.Running(n.ID) {
			shardUp[n.Shard] = true
		}
	}
	for _, n := range e.Plan.Nodes {
		if e.Runner.Running(n.ID) {
			continue
		}
		var err error
		if shardUp[n.Shard] {
			err = e.rejoin(ctx, n)
		} else {
			err = e.startNode(ctx, n, "")
		}
		if err != nil {
			return err
		}
	}
	return e.reconcileCluster(ctx)
}

// reconcileCluster makes every running node know every other running node at its planned
// address: a node that sees a peer at a stale address is told to MEET it at the new one
// (Redis then recognises the node id and updates the address), then it waits for health.
func (e clusterTopology) reconcileCluster(ctx context.Context) error {
	p := e.Plan
	ids := map[string]string{}
	for _, n := range p.Nodes {
		if !e.Runner.Running(n.ID) {
			continue
		}
		c := e.admin(n.Addr())
		id, err := c.ClusterMyID(ctx).Result()
		c.Close()
		if err != nil {
			return fmt.Errorf("reading the id of node %s: %w", n.ID, err)
		}
		ids[n.ID] = id
	}
	for _, a := range p.Nodes {
		if ids[a.ID] == "" {
			continue
		}
		c := e.admin(a.Addr())
		nodes, err := clusterNodes(ctx, c)
		if err != nil {
			c.Close()
			return fmt.Errorf("reading the view of node %s: %w", a.ID, err)
		}
		seen := map[string]string{}
		for _, cn := range nodes {
			seen[cn.ID] = cn.Addr
		}
		for _, b := range p.Nodes {
			if b.ID == a.ID || ids[b.ID] == "" {
				continue
			}
			if seen[ids[b.ID]] != b.Addr() {
				e.logf("node %s sees %s at %q; introducing it at %s", a.ID, b.ID, seen[ids[b.ID]], b.Addr())
				if err := meet(ctx, c, b); err != nil {
					c.Close()
					return fmt.Errorf("introducing %s to %s: %w", b.ID, a.ID, err)
				}
			}
		}
		c.Close()
	}
	if len(ids) < len(p.Nodes) {
		return nil // some nodes are deliberately down; health is for the caller to judge
	}
	return e.waitClusterHealthy(ctx)
}

// guardEmptyClusterPrimary runs before a stopped cluster node starts. If the node is still
// its shard's primary in the eyes of the cluster (it came back before a failover happened)
// and one of its replicas is running, that replica takes over first; the node then returns
// as its replica instead of leading the shard, possibly empty, and resyncing its replicas.
func (e clusterTopology) guardEmptyClusterPrimary(ctx context.Context, n *Node) error {
	var peers []ShardPeer
	for _, o := range e.Plan.ShardNodes(n.Shard) {
		if o.ID == n.ID || !e.Runner.Running(o.ID) {
			continue
		}
		c := e.admin(o.Addr())
		info, err := Info(ctx, c, "replication")
		c.Close()
		if err != nil {
			return fmt.Errorf("checking shard %s before starting %s: %w", n.ShardID, n.ID, err)
		}
		off, _ := strconv.ParseInt(info["slave_repl_offset"], 10, 64)
		peers = append(peers, ShardPeer{ID: o.ID, Leads: info["role"] == "master", Offset: off})
	}
	g := GuardShard(peers)
	if g.Promote == "" {
		return nil // another primary leads (n joins as its replica), or n is all the shard has
	}
	candidate := e.Plan.Node(g.Promote)
	e.logf("node %s is still primary of shard %s; %s takes over before it returns", n.ID, n.ShardID, candidate.ID)
	if err := e.promoteReplica(ctx, candidate); err != nil {
		return fmt.Errorf("starting node %s: %w", n.ID, err)
	}
	return nil
}

// promoteReplica makes replica n lead its shard while the shard's primary is down or
// silent (PromoteClusterReplica), once per failure.
func (e clusterTopology) promoteReplica(ctx context.Context, n *Node) error {
	e.promoting.Lock()
	defer e.promoting.Unlock()
	// Whoever held the lock may have promoted a replica of this shard already (this one or
	// another): one promotion per failure.
	for _, o := range e.Plan.ShardNodes(n.Shard) {
		if !e.Runner.Running(o.ID) {
			continue
		}
		oc := e.probeClient(o.Addr())
		err := leads(oc)(ctx)
		oc.Close()
		if err == nil {
			return nil
		}
	}
	c := e.admin(n.Addr())
	defer c.Close()
	return PromoteClusterReplica(ctx, c, n.ID, e.timeout(), e.logf)
}

// leads is a check that the node behind c is a primary.
func leads(c *redis.Client) func(context.Context) error {
	return func(ctx context.Context) error {
		info, err := Info(ctx, c, "replication")
		if err != nil {
			return err
		}
		if info["role"] != "master" {
			return fmt.Errorf("still %s", info["role"])
		}
		return nil
	}
}

// clusterFailoverTo makes replica n the primary of its shard with CLUSTER FAILOVER (no
// option: the coordinated kind, where the primary pauses its clients until n has every write)
// and waits until n leads.
func (e clusterTopology) clusterFailoverTo(ctx context.Context, n *Node, shardID string) error {
	c := e.admin(n.Addr())
	defer c.Close()
	if err := c.Do(ctx, "cluster", "failover").Err(); err != nil {
		return err
	}
	return waitFor(ctx, e.timeout(), n.ID+" to lead shard "+shardID, leads(c))
}
