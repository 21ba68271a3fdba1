package operator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/kubernetes/render"
)

// rollOne decides the next step of a rolling restart, one per pass and only on a healthy
// cache (the next pass sees the restarted node back and in sync before another goes):
// outdated replicas first; then, shard by shard, an outdated primary hands its role to an
// in-sync replica that is already current, and restarts on a later pass as a replica. A
// primary with no such replica (a shard of one node) restarts as it is: its shard is
// unavailable meanwhile, as a single-node cache is during an ElastiCache reboot.
func rollOne(plan *engine.Plan, byNode map[string]*nodeFacts, cluster bool) (step, bool) {
	for _, n := range plan.Nodes {
		if f := byNode[n.ID]; f != nil && f.Outdated && !f.Leaving && f.answered() && f.Role == "slave" {
			return step{Kind: stepRestart, On: f.Node.ID}, true
		}
	}
	for _, p := range plan.Primaries() {
		var primary *nodeFacts
		var replicas, current []*nodeFacts // current: in sync, of the current template
		for _, n := range plan.ShardNodes(p.Shard) {
			f := byNode[n.ID]
			switch {
			case f == nil || !f.answered():
			case f.Role == "master" && (!cluster || f.Slots > 0):
				primary = f
			case f.Role == "slave":
				replicas = append(replicas, f)
				if f.LinkUp && !f.Outdated && !f.Leaving {
					current = append(current, f)
				}
			}
		}
		if primary == nil || !primary.Outdated {
			continue
		}
		for _, r := range current {
			if cluster && r.Primary != primary.ID {
				continue
			}
			if cluster {
				return step{Kind: stepHandover, On: r.Node.ID, Peer: primary.Node.ID, PeerID: primary.ID}, true
			}
			// FAILOVER is the primary's to run: it pauses writes, waits for the replica with
			// the best offset to catch up, and swaps roles with it.
			return step{Kind: stepHandover, On: primary.Node.ID, Peer: primary.Node.ID}, true
		}
		if len(replicas) > 0 {
			continue // not one ready to take over yet: its primary waits
		}
		return step{Kind: stepRestart, On: primary.Node.ID}, true
	}
	return step{}, false
}

// restart deletes a node's pod; its StatefulSet makes it again from the current template,
// and the pod's start guard decides its role from its peers.
func (r *Reconciler) restart(ctx context.Context, nodes []render.Node, pods []*corev1.Pod, nodeID string) error {
	for i, n := range nodes {
		if n.ID != nodeID || pods[i] == nil {
			continue
		}
		if err := r.Delete(ctx, pods[i], client.Preconditions{UID: &pods[i].UID}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("restarting node %s: deleting pod %s: %w", nodeID, pods[i].Name, err)
		}
		return nil
	}
	return fmt.Errorf("restarting node %s: it has no pod", nodeID)
}

// setParameters brings each answering node that runs its current template but an older
// parameter group to the current one: the changed parameters that take effect at once are set
// (CONFIG SET), then the group is recorded on the pod. A change that needs a restart changes
// the template's restart hash instead, and rolls (rollOne).
func (r *Reconciler) setParameters(ctx context.Context, d *dialer, plan *engine.Plan, facts []nodeFacts, pods []*corev1.Pod, templates map[string]map[string]string) error {
	var errs []error
	for i := range facts {
		f, pod := &facts[i], pods[i]
		want := templates[f.Node.ShardID][render.AnnotationParameters]
		if pod == nil || f.Outdated || !f.answered() || pod.Annotations[render.AnnotationParameters] == want {
			continue
		}
		var running map[string]string
		if err := json.Unmarshal([]byte(pod.Annotations[render.AnnotationParameters]), &running); err != nil {
			// A pod from before the group was recorded: it started from its ConfigMap as it
			// was, so nothing is known to differ; the record starts now.
			running = plan.Params
		}
		set, pending := engine.ParameterChanges(running, plan)
		if len(pending) > 0 {
			// Not expected (restart-only parameters are in the restart hash): leave the
			// record, so the difference stays visible, and let a restart settle it.
			errs = append(errs, fmt.Errorf("node %s: parameters %v need a restart but its pod is current", f.Node.ID, pending))
			continue
		}
		if err := configSet(ctx, d, f, set); err != nil {
			errs = append(errs, err)
			continue
		}
		before := pod.DeepCopy()
		pod.Annotations[render.AnnotationParameters] = want
		if err := r.Patch(ctx, pod, client.MergeFrom(before)); client.IgnoreNotFound(err) != nil {
			errs = append(errs, fmt.Errorf("recording the parameter group on pod %s: %w", pod.Name, err))
		}
		log.FromContext(ctx).Info("parameters set", "node", f.Node.ID, "set", fmt.Sprint(set))
	}
	return errors.Join(errs...)
}

func configSet(ctx context.Context, d *dialer, f *nodeFacts, set map[string]string) error {
	if len(set) == 0 {
		return nil
	}
	c := d.client(f.Node.Host, f.IP, f.Port)
	defer c.Close()
	names := make([]string, 0, len(set))
	for k := range set {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if err := c.ConfigSet(ctx, k, set[k]).Err(); err != nil {
			return fmt.Errorf("node %s: setting %s to %q: %w", f.Node.ID, k, set[k], err)
		}
	}
	return nil
}

// dropReplicas decides how replicas beyond the spec's count go (target.Leaving, a healthy
// cache only): a leaving node that is its shard's primary first hands its role to an in-sync
// replica that stays (CLUSTER FAILOVER on it; in a replication group FAILOVER TO it, run by
// the primary); once none is a primary, drop says their pods and volumes can go. ok is
// false when no node is leaving, or a shard has no staying replica in sync to take over yet.
func dropReplicas(plan *engine.Plan, byNode map[string]*nodeFacts, cluster bool) (st step, drop, ok bool) {
	leaving := false
	for _, p := range plan.Primaries() {
		var primary *nodeFacts
		var staying []*nodeFacts
		for _, n := range plan.ShardNodes(p.Shard) {
			f := byNode[n.ID]
			switch {
			case f == nil || !f.answered():
				continue
			case f.Leaving:
				leaving = true
			case f.Role == "slave" && f.LinkUp:
				staying = append(staying, f)
			}
			if f.Role == "master" && (!cluster || f.Slots > 0) {
				primary = f
			}
		}
		if primary == nil || !primary.Leaving {
			continue
		}
		for _, r := range staying {
			switch {
			case cluster && r.Primary == primary.ID:
				return step{Kind: stepHandover, On: r.Node.ID, Peer: primary.Node.ID, PeerID: primary.ID}, false, true
			case !cluster:
				return step{Kind: stepHandover, On: primary.Node.ID, Peer: r.Node.ID, Host: r.Node.Host, Port: r.Port}, false, true
			}
		}
		return step{}, false, false
	}
	return step{}, leaving, leaving
}
