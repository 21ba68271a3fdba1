package engine

import (
	"context"
	"math"
	"strconv"
)

// The write fence. A primary that is cut off from its replicas (paused, partitioned) keeps
// accepting writes while its replicas' side promotes one of them; when it is heard again it
// becomes a replica and those writes are gone. A write acknowledged with WAIT 1 is never
// among them (no replica acknowledged it, so WAIT could not count one), but a plain
// acknowledged write may be. The controller bounds that window with the server's own rule:
// min-replicas-to-write 1 and min-replicas-max-lag L (L = Timing.Detect rounded up to whole
// seconds) on every primary that has a replica in sync, so a primary that has not heard a
// replica's acknowledgement for more than L seconds refuses writes (NOREPLICAS). The
// server re-counts its good replicas once a second, so the bound on writes lost without
// WAIT is the last L+1 seconds before the cut.
//
// A fence must never stop a shard that has no replica to fail over to: the controller lifts
// it when none of a primary's replicas is in sync and each is known not to lead (not running,
// or answering as a replica: restarting, syncing), and the engine lifts it itself before it
// stops a shard's last replica on purpose (rolling restarts, scale-in, StopNode). A replica
// that runs but cannot be heard keeps its primary fenced: it may have been promoted on the
// other side of a partition, and the primary cannot tell. Replicas keep no fence, so a promoted one takes writes at once. A
// user who sets min-replicas-to-write in the parameter group decides for themselves: the
// controller leaves it alone. Without a controller (autoRecover off) nothing is fenced, as
// on ElastiCache.

// fenceLag is min-replicas-max-lag while fenced.
func (t Timing) fenceLag() int { return max(1, int(math.Ceil(t.Detect.Seconds()))) }

// userFenced says the parameter group sets the fence: the controller does not manage it.
func (e *Engine) userFenced() bool {
	_, set := e.Plan.Deployment.Parameters["min-replicas-to-write"]
	return set
}

// wantFence decides one node's min-replicas-to-write from one look ("" keeps what it has).
// A primary without a replica in sync is unfenced only when no other node of its shard could
// be leading somewhere the controller cannot see: each is either not running or answers, now,
// as a replica (dead, restarting, syncing). One that runs but does not answer (paused, cut
// off, perhaps promoted on the other side of a partition) keeps the fence on.
func wantFence(np *nodeProbe, shardPeers []*nodeProbe) string {
	switch {
	case !np.answered:
		return ""
	case np.role == "slave":
		return "0"
	case np.onlineReplicas > 0:
		return "1"
	}
	for _, o := range shardPeers {
		if o != np && o.running && !(o.answered && o.role == "slave") {
			return ""
		}
	}
	return "0" // nothing can take over now: refusing writes would only be an outage
}

// fence sets every answering node's write fence as wantFence decides.
func (e *Engine) fence(ctx context.Context, views []shardView, probes map[string]*nodeProbe) {
	if e.userFenced() || e.Plan.Deployment.Mode == ModeSingle {
		return
	}
	lag := strconv.Itoa(e.Plan.Timing.fenceLag())
	for _, v := range views {
		var peers []*nodeProbe
		for _, n := range e.Plan.ShardNodes(v.shard) {
			if np := probes[n.ID]; np != nil {
				peers = append(peers, np)
			}
		}
		for _, np := range peers {
			want := wantFence(np, peers)
			if want == "" || want == np.fence {
				continue
			}
			c := e.admin(np.node.Addr())
			err := c.ConfigSet(ctx, "min-replicas-max-lag", lag).Err()
			if err == nil {
				err = c.ConfigSet(ctx, "min-replicas-to-write", want).Err()
			}
			c.Close()
			if err != nil {
				e.logf("fence: setting min-replicas-to-write %s on %s: %v", want, np.node.ID, err)
			} else if want == "1" || np.role == "master" {
				e.logf("fence: min-replicas-to-write %s on primary %s", want, np.node.ID)
			}
		}
	}
}

// unfenceBefore lifts the fence on n's shard before n stops on purpose, so the shard's
// primary keeps taking writes while its replicas restart one by one. A controller looking at
// the same moment may set it again just before n stops; it lifts it at its next look, when
// n is no longer running.
func (e *Engine) unfenceBefore(ctx context.Context, n *Node) {
	if e.userFenced() || e.Plan.Deployment.Mode == ModeSingle {
		return
	}
	for _, o := range e.Plan.ShardNodes(n.Shard) {
		if o.ID == n.ID || !e.Runner.Running(o.ID) {
			continue
		}
		c := e.admin(o.Addr())
		_ = c.ConfigSet(ctx, "min-replicas-to-write", "0").Err() // best effort: the node may be down too
		c.Close()
	}
}

// unfenceAll lifts every fence the controller set, when it stops: with nobody left to lift
// a fence after a replica's crash, a fenced primary would refuse writes until a controller
// runs again (the provider stops it during updates; autoRecover may be switched off).
func (e *Engine) unfenceAll(ctx context.Context) {
	if e.userFenced() || e.Plan.Deployment.Mode == ModeSingle {
		return
	}
	for _, n := range e.Plan.Nodes {
		if !e.Runner.Running(n.ID) {
			continue
		}
		c := e.admin(n.Addr())
		_ = c.ConfigSet(ctx, "min-replicas-to-write", "0").Err() // best effort, as above
		c.Close()
	}
}

// stopNodeProcess stops one node on purpose (not the whole deployment).
func (e *Engine) stopNodeProcess(ctx context.Context, n *Node) error {
	e.unfenceBefore(ctx, n)
	return e.Runner.Stop(ctx, n.ID)
}
