package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ShardPeer is what a start guard learns of another node of a shard that answers.
type ShardPeer struct {
	ID string
	// Leads is set when the peer is the shard's primary now.
	Leads bool
	// Offset is how much of the shard's replication stream the peer has (a replica's
	// slave_repl_offset): the one with the most is the best to take over.
	Offset int64
}

// ShardGuard is the start guard's decision for a node whose shard kept running without it.
type ShardGuard struct {
	// Leader is the peer that leads the shard: the node returns as its replica.
	Leader string
	// Promote is the replica that must lead the shard before the node starts: nobody else
	// leads, so the node is still the primary in its shard's eyes, and leading again it
	// could be empty, or behind what its replicas acknowledged, and resync them to that.
	Promote string
}

// GuardShard decides how a node rejoins a shard whose other nodes answer (peers): as the
// replica of the peer that leads; when none does, after the replica with the highest
// offset took over. With no peer at all (an empty ShardGuard) the node is all the shard has.
// It decides only: the engine (guardEmptyClusterPrimary) and a pod's start
// (kubernetes/pod) gather the peers and carry the decision out each their way.
func GuardShard(peers []ShardPeer) ShardGuard {
	var g ShardGuard
	var best int64 = -1
	for _, p := range peers {
		if p.Leads {
			return ShardGuard{Leader: p.ID}
		}
		if p.Offset > best {
			best, g.Promote = p.Offset, p.ID
		}
	}
	return g
}

// PromoteClusterReplica makes the cluster replica behind c lead its shard while the shard's
// primary is down or silent: CLUSTER FAILOVER FORCE (no handshake with the primary, a
// majority of primaries votes), then TAKEOVER when no vote came within a second. Votes come
// within milliseconds when the primaries give them; they may not: a primary votes for the
// replicas of a given shard at most once per two node timeouts (30 s by default), so a shard
// that failed over a moment ago cannot again by vote, and with one or two shards left no
// majority may answer. Callers know the old primary is gone (its process) or found silent by
// a majority of vantage points, or is the node about to start; the vote adds no knowledge of
// it, only a new epoch, which a takeover takes itself, and an old primary heard again steps
// down before the higher epoch.
func PromoteClusterReplica(ctx context.Context, c *redis.Client, id string, timeout time.Duration, logf func(string, ...any)) error {
	// It leads without replicas at first: a fence from an earlier time as primary would
	// refuse every write (fence.go).
	if err := c.ConfigSet(ctx, "min-replicas-to-write", "0").Err(); err != nil {
		return fmt.Errorf("promoting %s: lifting the write fence: %w", id, err)
	}
	if err := c.Do(ctx, "cluster", "failover", "force").Err(); err != nil {
		return fmt.Errorf("promoting %s: %w", id, err)
	}
	if waitFor(ctx, time.Second, "the primaries to elect "+id, leads(c)) == nil {
		return nil
	}
	if logf != nil {
		logf("no vote promoted %s; taking over", id)
	}
	if err := c.Do(ctx, "cluster", "failover", "takeover").Err(); err != nil {
		return fmt.Errorf("promoting %s: %w", id, err)
	}
	return waitFor(ctx, timeout, "the takeover by "+id, leads(c))
}

// PromoteReplicationReplica makes the replica behind c a primary (REPLICAOF NO ONE) after
// lifting a write fence it may carry from an earlier time as primary (fence.go).
func PromoteReplicationReplica(ctx context.Context, c *redis.Client) error {
	if err := c.ConfigSet(ctx, "min-replicas-to-write", "0").Err(); err != nil {
		return fmt.Errorf("lifting the write fence: %w", err)
	}
	return c.Do(ctx, "replicaof", "no", "one").Err()
}
