package pod

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/rediskit/rediskit/engine"
)

// Plan is how a node starts, decided from Facts: the steps before its server starts, the
// server itself, and the steps once it answers.
type Plan struct {
	// Argv is the server and its configuration file: what pod-start becomes.
	Argv []string
	// ReplicaOf is the peer the node starts as a replica of, by a replicaof line added to its
	// configuration (replication mode; a cluster node's role comes from the cluster). "" for
	// none.
	ReplicaOf string
	// Before runs before the server starts; After once it answers (then pod-start stays the
	// server's parent instead of becoming it).
	Before, After []Step
	// Reason says why, for the log.
	Reason string
}

// StepKind is what a Step does.
type StepKind string

const (
	// Promote makes Peer lead the shard: in cluster mode engine.PromoteClusterReplica
	// (CLUSTER FAILOVER FORCE, then TAKEOVER), in replication mode
	// engine.PromoteReplicationReplica (REPLICAOF NO ONE), each after lifting the write fence.
	Promote StepKind = "promote"
	// Follow makes Peer a replica of Target (replication mode: REPLICAOF).
	Follow StepKind = "follow"
	// Join makes this node, once it answers, meet Target (CLUSTER MEET) and replicate it
	// (CLUSTER REPLICATE): a cluster node that starts without nodes.conf into a running shard.
	Join StepKind = "join"
)

// Step is one thing pod-start does besides starting the server. Peer and Target are node ids.
type Step struct {
	Kind   StepKind
	Peer   string
	Target string
}

func (s Step) String() string {
	switch s.Kind {
	case Promote:
		return "promote " + s.Peer
	case Follow:
		return s.Peer + " follows " + s.Target
	default:
		return "join the cluster as a replica of " + s.Target
	}
}

// Refusal is a start Decide will not plan, and why. A Refusal with Retry may clear by itself
// (a peer finishes loading, comes back, a split settles): pod-start asks again for a while
// before it gives up and exits, leaving the pod to be restarted.
type Refusal struct {
	Reason string
	Retry  bool
}

func (r *Refusal) Error() string { return "not starting: " + r.Reason }

// Decide plans this start of a node from what its pod found (f), with the engine's start
// guard (engine.GuardShard) over the peers that answer, and refuses when no start is safe:
//
//   - a peer leads the shard: the node returns as its replica (a cluster node with its
//     nodes.conf is demoted by the cluster itself, its slots having a newer owner; one
//     without joins as a replica; a replication node starts with replicaof);
//   - no peer leads and a replica answers: the node is still the primary in its shard's eyes,
//     and leading again it might be empty or behind; the replica with the most of the
//     stream takes over first and the node returns as its replica;
//   - no peer answers: the shard comes back as it was when the node has a dataset, when it is
//     new (nothing it could lead: the operator bootstraps or joins it), or when the cache
//     keeps no data on volumes (a peer that is down lost its data too); an emptied node of a
//     persistent cache waits instead, since the shard's data may be on a peer that is down.
//
// A peer that answered without telling its role (loading, an error) may hold the data:
// nothing but following a leader is decided around it.
func Decide(f Facts) (Plan, error) {
	n, cluster := f.Node, f.Conf.Cluster
	plan := Plan{Argv: []string{f.Server, filepath.Join(f.Conf.Dir, engine.RedisConfFile)}}
	var peers []engine.ShardPeer
	var leaders, unknown, replicas, away []string
	for _, o := range f.Peers {
		switch {
		case o.State == Unknown:
			unknown = append(unknown, fmt.Sprintf("%s (%s)", o.Node.ID, o.Err))
		case o.State == Unreachable:
			away = append(away, o.Node.ID)
		case o.leads(cluster):
			leaders = append(leaders, o.Node.ID)
			peers = append(peers, engine.ShardPeer{ID: o.Node.ID, Leads: true})
		case o.replica():
			replicas = append(replicas, o.Node.ID)
			peers = append(peers, engine.ShardPeer{ID: o.Node.ID, Offset: o.Offset})
		}
	}
	if len(leaders) > 1 {
		return Plan{}, &Refusal{Retry: true, Reason: fmt.Sprintf("%s all lead shard %s; node %s starts beside no split shard (the operator settles it)",
			strings.Join(leaders, ", "), n.ShardID, n.ID)}
	}
	g := engine.GuardShard(peers)
	if cluster && !f.Volume.NodesConf && f.Volume.Data && (g.Leader != "" || g.Promote != "") {
		// Without nodes.conf it would come up as a new node and claim the slots of the keys
		// it loads, against the shard that holds them now.
		return Plan{}, &Refusal{Reason: fmt.Sprintf("node %s has a dataset but no %s while shard %s runs: its cluster identity is lost; "+
			"remove its dataset (the shard has the data) so it joins as a new replica, or restore its %s", n.ID, engine.NodesConfFile, n.ShardID, engine.NodesConfFile)}
	}
	switch {
	case g.Leader != "":
		plan.Reason = fmt.Sprintf("%s leads shard %s: %s returns as its replica", g.Leader, n.ShardID, n.ID)
		plan.follow(f, g.Leader)
	case len(unknown) > 0:
		return Plan{}, &Refusal{Retry: true, Reason: fmt.Sprintf("no peer leads shard %s and %s answered without telling its role; "+
			"it may hold the shard's data, so node %s waits for it", n.ShardID, strings.Join(unknown, ", "), n.ID)}
	case g.Promote != "":
		plan.Reason = fmt.Sprintf("no peer leads shard %s: %s is still its primary in its replicas' eyes; %s, the replica furthest along, takes over first and %s returns as its replica",
			n.ShardID, n.ID, g.Promote, n.ID)
		plan.Before = append(plan.Before, Step{Kind: Promote, Peer: g.Promote})
		if !cluster {
			// The cluster moves a shard's replicas to its new primary itself; here they are
			// told.
			for _, r := range replicas {
				if r != g.Promote {
					plan.Before = append(plan.Before, Step{Kind: Follow, Peer: r, Target: g.Promote})
				}
			}
		}
		plan.follow(f, g.Promote)
	case f.Volume.Data:
		plan.Reason = fmt.Sprintf("no peer of shard %s answers as its primary or a replica (away: %s): %s has a dataset and the shard comes back as it was",
			n.ShardID, list(away), n.ID)
	case cluster && !f.Volume.NodesConf || !cluster && !f.Volume.Started:
		plan.Reason = fmt.Sprintf("%s is new (nothing on its volume): it starts empty, leading nothing, for the operator to bootstrap or join", n.ID)
	case !f.Conf.Persistent:
		plan.Reason = fmt.Sprintf("no peer of shard %s answers as its primary or a replica (away: %s) and the cache keeps no data on volumes: a peer that is down lost its data too; %s starts empty",
			n.ShardID, list(away), n.ID)
	default:
		return Plan{}, &Refusal{Retry: true, Reason: fmt.Sprintf("node %s served before but its volume holds no dataset although persistence is on, and no peer of shard %s answers as its primary or a replica (away: %s): "+
			"the shard's data may be on one of them; waiting for them rather than leading empty", n.ID, n.ShardID, list(away))}
	}
	return plan, nil
}

// follow makes the plan start the node as a replica of peer id.
func (p *Plan) follow(f Facts, id string) {
	switch {
	case !f.Conf.Cluster:
		p.ReplicaOf = id
	case !f.Volume.NodesConf:
		p.After = append(p.After, Step{Kind: Join, Target: id})
	}
	// A cluster node with its nodes.conf needs nothing: it still claims its slots at an
	// older epoch than their owner now, and steps down to replicate it once it hears of it.
}

func list(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}
