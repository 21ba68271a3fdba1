package operator

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
	"github.com/rediskit/rediskit/kubernetes/render"
)

// How soon a cache is looked at again. Roles change without any Kubernetes event (the
// engine's own failover in cluster mode), so even a healthy cache is asked again, often
// enough that the role labels the Services select by follow a failover within seconds.
var (
	RequeueForming = 2 * time.Second
	RequeueHealthy = 5 * time.Second
)

// Reasons of the Ready condition.
const (
	ReasonHealthy  = "Healthy"
	ReasonForming  = "Forming"
	ReasonDegraded = "Degraded"
)

// converge reads each node's pod, asks the nodes what they are, takes the steps that bring
// them to the plan (forming the cluster the first time), labels each pod with its node's
// role, and records it all in the status.
//
// shards and replicas are the spec's counts: objs may hold more, shards or replicas being
// removed.
func (r *Reconciler) converge(ctx context.Context, c *v1alpha1.Cache, res *render.Resolved, objs *render.Objects, creds render.Credentials, shards, replicas int) (ctrl.Result, error) {
	zoneLabel := c.Spec.Kubernetes.ZoneLabel
	if zoneLabel == "" {
		zoneLabel = corev1.LabelTopologyZone
	}
	templates := map[string]map[string]string{} // shard id -> its pod template's annotations
	for _, sts := range objs.Shards {
		templates[sts.Labels[render.LabelShard]] = sts.Spec.Template.Annotations
	}
	pods := make([]*corev1.Pod, len(objs.Nodes))
	targets := make([]target, len(objs.Nodes))
	zones := map[string]string{}
	for i, n := range objs.Nodes {
		pod := &corev1.Pod{}
		err := r.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: n.Pod}, pod)
		if client.IgnoreNotFound(err) != nil {
			return ctrl.Result{}, fmt.Errorf("reading pod %s: %w", n.Pod, err)
		}
		pn := objs.Plan.Node(n.ID)
		targets[i] = target{Node: n, Port: pn.Port(), Bus: pn.BusPort, Down: true}
		if err == nil {
			pods[i] = pod
			if pod.DeletionTimestamp == nil && pod.Status.Phase == corev1.PodRunning {
				targets[i].IP = pod.Status.PodIP
			}
			targets[i].Down = pod.DeletionTimestamp != nil || pod.Status.Phase != corev1.PodRunning || !podReady(pod)
			targets[i].Outdated = pod.Annotations[render.AnnotationConfigHash] != templates[n.ShardID][render.AnnotationConfigHash]
			targets[i].Leaving = n.Ordinal > replicas
			if kn := pod.Spec.NodeName; kn != "" {
				if _, seen := zones[kn]; !seen {
					node := &corev1.Node{}
					if err := r.Get(ctx, types.NamespacedName{Name: kn}, node); err == nil {
						zones[kn] = node.Labels[zoneLabel]
					}
				}
				targets[i].Zone = zones[kn]
			}
		}
	}
	d, err := r.newDialer(ctx, c.Namespace, objs, creds)
	if err != nil {
		return ctrl.Result{}, err
	}
	cluster := c.Spec.Mode == spec.ModeCluster
	facts := gather(ctx, d, cluster, targets)
	var topo topology
	if cluster {
		topo = decideCluster(objs.Plan, facts, shards)
	} else {
		topo = decideReplication(objs.Plan, facts)
	}
	if topo.Healthy {
		// Clients reach the nodes through Services, which list only ready pods: a cache is
		// Ready once every node pod is, not merely once every node answers the operator.
		for i, p := range pods {
			if p == nil || !podReady(p) {
				topo.Healthy = false
				topo.wait("pod %s is not ready yet (its readiness probe)", objs.Nodes[i].Pod)
				break
			}
		}
	}
	// A cache created from a snapshot is loaded once it is formed, before it is first Ready.
	waitRestore, err := r.restoring(ctx, c, res, objs, topo.Healthy)
	if err != nil {
		return ctrl.Result{}, err
	}
	if waitRestore != "" {
		topo.Healthy = false
		topo.Waiting = waitRestore
	}
	stepErr := r.setParameters(ctx, d, objs.Plan, facts, pods, templates)
	stepErr = errors.Join(stepErr, reloadCertificates(ctx, d, objs.Plan, facts))
	if len(topo.Steps) > 0 {
		log.FromContext(ctx).Info("bringing the nodes to the plan", "steps", fmt.Sprint(topo.Steps))
		var commands []step
		for _, st := range topo.Steps {
			if st.Kind == stepRestart {
				stepErr = errors.Join(stepErr, r.restart(ctx, objs.Nodes, pods, st.On))
				continue
			}
			commands = append(commands, st)
		}
		stepErr = errors.Join(stepErr, take(ctx, d, facts, commands))
	}
	if len(topo.Moves) > 0 {
		log.FromContext(ctx).Info("moving slots", "slots", len(topo.Moves), "shards", shards)
		stepErr = errors.Join(stepErr, moveSlots(ctx, d, objs.Plan, facts, topo.Moves))
	}
	if topo.DropReplicas {
		log.FromContext(ctx).Info("removing replicas", "replicas", replicas)
		if err := r.dropReplicas(ctx, objs, replicas); err != nil {
			return ctrl.Result{}, err
		}
	}
	if len(topo.Leaving) > 0 {
		log.FromContext(ctx).Info("removing drained shards", "shards", topo.Leaving)
		if err := r.removeShards(ctx, objs, topo.Leaving); err != nil {
			return ctrl.Result{}, err
		}
	}
	if err := r.labelRoles(ctx, pods, objs.Nodes, topo.Roles); err != nil {
		return ctrl.Result{}, err
	}

	nodes := make([]v1alpha1.NodeStatus, len(objs.Nodes))
	for i, n := range objs.Nodes {
		st := v1alpha1.NodeStatus{ID: n.ID, Shard: n.ShardID, Pod: n.Pod, Role: topo.Roles[n.ID], Zone: targets[i].Zone}
		if pod := pods[i]; pod != nil {
			st.Node = pod.Spec.NodeName
			st.Ready = podReady(pod) && facts[i].answered()
		}
		nodes[i] = st
	}
	c.Status.Nodes = nodes
	c.Status.Shards = len(objs.Shards)
	c.Status.Endpoints = objs.Endpoints
	c.Status.SlotsCovered = topo.SlotsCovered
	cond := metav1.Condition{Type: v1alpha1.ConditionReady, ObservedGeneration: c.Generation}
	switch {
	case topo.Healthy && stepErr == nil:
		c.Status.Phase = v1alpha1.PhaseReady
		cond.Status, cond.Reason = metav1.ConditionTrue, ReasonHealthy
		cond.Message = fmt.Sprintf("%d nodes answer in their roles", len(nodes))
		if cluster {
			cond.Message += fmt.Sprintf("; %d of %d slots served", topo.SlotsCovered, 16384)
		}
	case topo.Updating:
		c.Status.Phase = v1alpha1.PhaseUpdating
		cond.Status, cond.Reason, cond.Message = metav1.ConditionTrue, ReasonHealthy, topo.Waiting
	case c.Status.Phase == v1alpha1.PhaseReady || c.Status.Phase == v1alpha1.PhaseDegraded:
		c.Status.Phase = v1alpha1.PhaseDegraded
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, ReasonDegraded, topo.Waiting
	default:
		c.Status.Phase = v1alpha1.PhaseCreating
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, ReasonForming, topo.Waiting
	}
	if stepErr != nil {
		cond.Message = "a step failed and is decided again next pass: " + stepErr.Error()
	}
	meta.SetStatusCondition(&c.Status.Conditions, cond)
	if topo.Healthy && stepErr == nil {
		return ctrl.Result{RequeueAfter: RequeueHealthy}, nil
	}
	return ctrl.Result{RequeueAfter: RequeueForming}, nil
}

// labelRoles sets each answering node's pod's role label, which the primary and reader
// Services select by. A node that did not answer keeps its label: its pod is not ready, so
// no Service sends it clients meanwhile.
func (r *Reconciler) labelRoles(ctx context.Context, pods []*corev1.Pod, nodes []render.Node, roles map[string]string) error {
	for i, pod := range pods {
		role := roles[nodes[i].ID]
		if pod == nil || role == "" || pod.Labels[render.LabelRole] == role {
			continue
		}
		before := pod.DeepCopy()
		if pod.Labels == nil {
			pod.Labels = map[string]string{}
		}
		pod.Labels[render.LabelRole] = role
		if err := r.Patch(ctx, pod, client.MergeFrom(before)); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("labelling pod %s as %s: %w", pod.Name, role, err)
		}
	}
	return nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// apiEqualStatus compares statuses ignoring the conditions' transition times, which
// SetStatusCondition keeps when nothing else about a condition changed.
func apiEqualStatus(a, b *v1alpha1.CacheStatus) bool {
	return equality.Semantic.DeepEqual(a, b)
}
