package engine

import (
	"context"
	"fmt"
)

// RollingRestart restarts every node one at a time, the way a maintenance or an engine
// upgrade must (spotahome#401, OT#951): replicas first, each back in sync before the next
// goes; then each primary hands its role to an in-sync replica (a coordinated failover, no
// writes lost) and restarts as a replica. It applies pending parameters (those that apply
// on restart) and a changed redis-server binary without taking the deployment down; a
// single node has no replica, so it is simply restarted.
func (e *Engine) RollingRestart(ctx context.Context) error {
	switch e.Plan.Deployment.Mode {
	case ModeSingle:
		n := e.Plan.Nodes[0]
		if err := e.Runner.Stop(ctx, n.ID); err != nil {
			return fmt.Errorf("restarting %s: %w", n.ID, err)
		}
		return e.startNode(ctx, n, "")
	case ModeReplication:
		return e.repl().rollReplication(ctx)
	default:
		return e.cluster().rollCluster(ctx)
	}
}

func (e *Engine) restartReplica(ctx context.Context, n *Node) error {
	e.logf("rolling: restarting replica %s", n.ID)
	if err := e.stopNodeProcess(ctx, n); err != nil {
		return fmt.Errorf("rolling: stopping %s: %w", n.ID, err)
	}
	if err := e.StartNode(ctx, n.ID); err != nil {
		return fmt.Errorf("rolling: %w", err)
	}
	return e.repl().waitInSync(ctx, n)
}

func (e replicationGroup) rollReplication(ctx context.Context) error {
	prim, err := e.CurrentPrimary(ctx)
	if err != nil {
		return fmt.Errorf("rolling: %w", err)
	}
	for _, n := range e.Plan.Nodes {
		if n.ID != prim.ID {
			if err := e.restartReplica(ctx, n); err != nil {
				return err
			}
		}
	}
	// Sentinel's failover alone is not coordinated: writes the old primary accepts between
	// the promotion and its demotion would be lost. So writes are paused on the primary
	// first, the replicas catch up to its offset, and only then does the role move; the
	// paused writes fail on the demoted node (READONLY) instead of being acknowledged.
	pc := e.admin(prim.Addr())
	defer pc.Close()
	if err := pc.Do(ctx, "client", "pause", e.Timeouts.withDefaults().WritePause.Milliseconds(), "write").Err(); err != nil {
		return fmt.Errorf("rolling: pausing writes on %s: %w", prim.ID, err)
	}
	defer pc.Do(context.Background(), "client", "unpause")
	if err := e.waitReplicasCaughtUp(ctx, prim); err != nil {
		return err
	}
	if err := e.repl().failoverFrom(ctx, prim); err != nil {
		return fmt.Errorf("rolling: %w", err)
	}
	if err := pc.Do(ctx, "client", "unpause").Err(); err != nil {
		return fmt.Errorf("rolling: unpausing %s: %w", prim.ID, err)
	}
	return e.restartReplica(ctx, prim)
}

func (e clusterTopology) rollCluster(ctx context.Context) error {
	for s := 0; s < len(e.Plan.Primaries()); s++ {
		var prim *Node
		var replicas []*Node
		for _, n := range e.Plan.ShardNodes(s) {
			info, err := e.nodeInfo(ctx, n, "replication")
			if err != nil {
				return fmt.Errorf("rolling: %s: %w", n.ID, err)
			}
			if info["role"] == "master" {
				prim = n
			} else {
				replicas = append(replicas, n)
			}
		}
		if prim == nil {
			return fmt.Errorf("rolling: shard %d has no primary", s+1)
		}
		for _, n := range replicas {
			if err := e.restartReplica(ctx, n); err != nil {
				return err
			}
		}
		if len(replicas) == 0 {
			// Nothing can take over: the shard is briefly unavailable, as on ElastiCache.
			if err := e.Runner.Stop(ctx, prim.ID); err != nil {
				return fmt.Errorf("rolling: stopping %s: %w", prim.ID, err)
			}
			if err := e.startNode(ctx, prim, ""); err != nil {
				return err
			}
			continue
		}
		if err := e.clusterFailoverTo(ctx, replicas[0], prim.ShardID); err != nil {
			return fmt.Errorf("rolling: handing shard %s to %s: %w", prim.ShardID, replicas[0].ID, err)
		}
		if err := e.restartReplica(ctx, prim); err != nil {
			return err
		}
	}
	return e.waitClusterHealthy(ctx)
}

// nodeInfo returns a section of INFO of a node, as the engine's admin user.
func (e *Engine) nodeInfo(ctx context.Context, n *Node, section string) (map[string]string, error) {
	c := e.admin(n.Addr())
	defer c.Close()
	return Info(ctx, c, section)
}

// waitReplicasCaughtUp waits until every replica of prim has its whole replication stream.
func (e *Engine) waitReplicasCaughtUp(ctx context.Context, prim *Node) error {
	return waitFor(ctx, e.timeout(), "replicas of "+prim.ID+" to catch up", func(ctx context.Context) error {
		pi, err := e.nodeInfo(ctx, prim, "replication")
		if err != nil {
			return err
		}
		for _, n := range e.Plan.ShardNodes(prim.Shard) {
			if n.ID == prim.ID {
				continue
			}
			ri, err := e.nodeInfo(ctx, n, "replication")
			if err != nil {
				return err
			}
			if ri["slave_repl_offset"] != pi["master_repl_offset"] {
				return fmt.Errorf("%s at %s, primary at %s", n.ID, ri["slave_repl_offset"], pi["master_repl_offset"])
			}
		}
		return nil
	})
}

// RollCertificates makes every process present the certificates now in its TLS files, which
// each reads when it starts: the nodes by a rolling restart (replicas first, each primary after
// a planned failover), then the sentinels one at a time, each answering before the next stops.
func (e *Engine) RollCertificates(ctx context.Context) error {
	if err := e.RollingRestart(ctx); err != nil {
		return err
	}
	for _, s := range e.Plan.Sentinels {
		e.logf("rolling: restarting sentinel %s", s.ID)
		if err := e.Runner.Stop(ctx, s.ID); err != nil {
			return fmt.Errorf("restarting sentinel %s: %w", s.ID, err)
		}
		if err := e.repl().startSentinel(ctx, s); err != nil {
			return err
		}
	}
	if len(e.Plan.Sentinels) > 0 {
		prim, err := e.CurrentPrimary(ctx)
		if err != nil {
			return fmt.Errorf("after restarting the sentinels: %w", err)
		}
		return e.repl().waitSentinelsAgreeRunning(ctx, prim)
	}
	return nil
}
