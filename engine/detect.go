package engine

import (
	"context"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The controller's failure detector. Sentinel and the cluster bus detect a failed primary
// on their own, but only after DownAfter or the node timeout (5 s and 15 s by default, the
// values ElastiCache users know), because each of them judges alone from its own pings. The
// controller looks more often and asks several vantage points at once: its own probe of the
// primary, and each replica's view of its link (a replica hears from its primary at least
// every second: the engine renders repl-ping-replica-period 1). It fails a primary over only
// when
//   - the primary's process is gone (the runner says so: certain, no vote needed), or
//   - its own probe has failed continuously for Timing.Detect and a majority of the
//     vantage points that answered finds the primary silent now.
// A stall shorter than Detect (a GC-like pause, a loaded machine) changes nothing, and the
// controller alone, cut off from a healthy primary its replicas still hear, cannot fail it
// over. The promotion itself stays the engine's safe one: CLUSTER FAILOVER FORCE, which a
// majority of the cluster's primaries must authorise, or SENTINEL FAILOVER, after which the
// sentinels reconfigure the group.

// probeTimeout bounds one probe: a primary that does not answer INFO within it counts as
// silent for this look.
func (t Timing) probeTimeout() time.Duration { return max(t.Detect/8, 100*time.Millisecond) }

// silentSeconds is how long a replica must have heard nothing from its primary to vote it
// down: at least two of the primary's one-second pings missed.
func (t Timing) silentSeconds() int64 {
	return max(2, int64(math.Ceil(t.Detect.Seconds()/2)))
}

// nodeProbe is what one look learnt about one node.
type nodeProbe struct {
	node     *Node
	running  bool
	answered bool
	role     string // "master" or "slave"
	// masterAddr is the primary a replica follows (host:port as INFO reports it); linkDown
	// and lastIO its view of the link.
	masterAddr string
	linkDown   bool
	lastIO     int64
	offset     int64
	// onlineReplicas counts a primary's replicas in sync (state=online); fence is its
	// min-replicas-to-write now.
	onlineReplicas int
	fence          string
}

// shardView is one look at a shard: who leads it and what the vantage points say.
type shardView struct {
	shard   int
	primary *nodeProbe // nil: no primary could be identified
	// replicas are the answering replicas that follow primary.
	replicas []*nodeProbe
	masters  []*nodeProbe // nodes answering as primaries (more than one after a failover, briefly)
}

// verdict is the detector's judgement of a shard's primary after one look.
type verdict int

const (
	primaryHealthy verdict = iota
	primaryGone            // its process is not running
	primarySilent          // a majority of vantage points cannot hear it
	noJudgement            // no replica to ask or to fail over to: nothing to decide
)

// judge decides from one look. It is pure so that the voting rule is tested without
// processes.
func judge(v shardView, silentAfter int64) verdict {
	if v.primary == nil || len(v.replicas) == 0 {
		return noJudgement
	}
	if !v.primary.running {
		return primaryGone
	}
	down, total := 0, 1
	if !v.primary.answered || v.primary.role != "master" {
		down++
	}
	for _, r := range v.replicas {
		total++
		if r.linkDown || r.lastIO >= silentAfter {
			down++
		}
	}
	if down*2 > total {
		return primarySilent
	}
	return primaryHealthy
}

// detector is the state the controller keeps between looks.
type detector struct {
	// unanswered is when the controller's own probe of a primary (by node id) first failed
	// in the current run of failures.
	unanswered map[string]time.Time
	now        func() time.Time
}

func newDetector() *detector {
	return &detector{unanswered: map[string]time.Time{}, now: time.Now}
}

// probeClient is an admin client whose every wait is bounded by the probe timeout.
func (e *Engine) probeClient(addr string) *redis.Client {
	to := e.Plan.Timing.probeTimeout()
	return redis.NewClient(&redis.Options{
		Addr: addr, Username: AdminUser, Password: e.Plan.Deployment.Auth.AdminPassword,
		TLSConfig: e.tlsConf, DialTimeout: to, ReadTimeout: to, WriteTimeout: to,
		MaxRetries: -1, PoolSize: 1, Protocol: 2, DisableIdentity: true, DialerRetries: 1,
	})
}

// probe asks every node of the plan for its replication view, all at once.
func (e *Engine) probe(ctx context.Context) map[string]*nodeProbe {
	out := map[string]*nodeProbe{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, n := range e.Plan.Nodes {
		np := &nodeProbe{node: n}
		out[n.ID] = np
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := e.probeClient(n.Addr())
			defer c.Close()
			var info *redis.StringCmd
			var fence *redis.MapStringStringCmd
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				info = p.Info(ctx, "replication")
				fence = p.ConfigGet(ctx, "min-replicas-to-write")
				return nil
			})
			// Only a node that does not answer costs a liveness check (a docker inspect for
			// containers): a look stays cheap while everything is healthy.
			running := err == nil || e.Runner.Running(n.ID)
			mu.Lock()
			defer mu.Unlock()
			np.running = running
			if err != nil {
				return
			}
			m := ParseInfo(info.Val())
			np.answered = true
			np.role = m["role"]
			np.fence = fence.Val()["min-replicas-to-write"]
			if np.role == "slave" {
				np.masterAddr = m["master_host"] + ":" + m["master_port"]
				np.linkDown = m["master_link_status"] != "up"
				np.lastIO, _ = strconv.ParseInt(m["master_last_io_seconds_ago"], 10, 64)
				np.offset, _ = strconv.ParseInt(m["slave_repl_offset"], 10, 64)
			}
			for k, v := range m {
				if strings.HasPrefix(k, "slave") && strings.Contains(v, "state=online") {
					np.onlineReplicas++
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// shardViews groups one look by shard and identifies each shard's primary: the node its
// answering replicas follow, or, when they cannot say (a name they resolved, an address
// they learnt from the cluster bus), the one node of the shard that is not answering as a
// replica.
func (p *Plan) shardViews(probes map[string]*nodeProbe) []shardView {
	shards := 0
	for _, n := range p.Nodes {
		shards = max(shards, n.Shard+1)
	}
	var out []shardView
	for s := 0; s < shards; s++ {
		v := shardView{shard: s}
		var notReplica []*nodeProbe
		follow := map[string]int{}
		for _, n := range p.ShardNodes(s) {
			np := probes[n.ID]
			if np == nil {
				continue
			}
			switch {
			case np.answered && np.role == "slave":
				follow[np.masterAddr]++
			case np.answered && np.role == "master":
				v.masters = append(v.masters, np)
				notReplica = append(notReplica, np)
			default:
				notReplica = append(notReplica, np)
			}
		}
		if len(follow) == 1 {
			for addr := range follow {
				for _, np := range notReplica {
					if np.node.Addr() == addr {
						v.primary = np
					}
				}
			}
		}
		if v.primary == nil && len(follow) <= 1 && len(notReplica) == 1 {
			v.primary = notReplica[0]
		}
		if v.primary != nil {
			for _, n := range p.ShardNodes(s) {
				np := probes[n.ID]
				if np != nil && np != v.primary && np.answered && np.role == "slave" {
					v.replicas = append(v.replicas, np)
				}
			}
		}
		out = append(out, v)
	}
	return out
}

// look runs the detector once: it fails over every primary judged gone or silent for long
// enough and sets each node's write fence. An old primary heard again beside the new one is
// left to Sentinel or the cluster to make a replica (the fence keeps it from taking writes
// meanwhile): demoting it behind Sentinel's back left the other sentinels with a stale view
// of its role, and one of them undid the next failover.
func (e *Engine) look(ctx context.Context, d *detector) {
	probes := e.probe(ctx)
	now := d.now()
	views := e.Plan.shardViews(probes)
	e.fence(ctx, views, probes)
	for _, v := range views {
		if v.primary == nil {
			continue
		}
		id := v.primary.node.ID
		if v.primary.answered && v.primary.role == "master" {
			delete(d.unanswered, id)
		} else if _, ok := d.unanswered[id]; !ok {
			d.unanswered[id] = now
		}
		switch judge(v, e.Plan.Timing.silentSeconds()) {
		case primaryGone:
			// Only the failover: starting the node again is the supervisor's (through the
			// start guard, which then finds the shard led by another node), and it waits
			// for the whole deployment's health, which must not hold up the next look.
			e.logf("detector: primary %s of shard %d is not running; failing it over", id, v.shard+1)
			if err := e.failOver(ctx, v); err != nil && ctx.Err() == nil {
				e.logf("detector: failing over %s: %v", id, err)
			}
			delete(d.unanswered, id)
		case primarySilent:
			since := d.unanswered[id]
			if since.IsZero() || now.Sub(since) < e.Plan.Timing.Detect {
				continue
			}
			e.logf("detector: primary %s of shard %d unanswered for %s and silent to its replicas; failing it over",
				id, v.shard+1, now.Sub(since).Round(time.Millisecond))
			if err := e.failOver(ctx, v); err != nil && ctx.Err() == nil {
				e.logf("detector: failing over %s: %v", id, err)
			}
			delete(d.unanswered, id)
		}
	}
}

// failOver promotes the most advanced replica of a primary that is gone or silent: in
// cluster mode by the cluster's vote, else by takeover (promoteReplica); in replication mode
// through Sentinel (failoverFrom), unless the sentinels are already at it.
func (e *Engine) failOver(ctx context.Context, v shardView) error {
	if e.Plan.Deployment.Mode == ModeReplication {
		// The sentinels may be failing it over on their own right now (their down-after
		// elapsed too): a second failover on top of theirs would move the role again.
		prim, err := e.repl().waitSentinelsSettled(ctx)
		if err != nil {
			return err
		}
		if prim.ID != v.primary.node.ID {
			return nil
		}
		return e.repl().failoverFrom(ctx, v.primary.node)
	}
	var best *nodeProbe
	for _, r := range v.replicas {
		if best == nil || r.offset > best.offset {
			best = r
		}
	}
	return e.cluster().promoteReplica(ctx, best.node)
}
