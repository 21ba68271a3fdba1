package operator

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
	"github.com/rediskit/rediskit/kubernetes/render"
)

// observe records the cache's nodes as the cluster shows them: each node's pod, the
// Kubernetes node it runs on and that node's zone (its label, as the scheduler saw it), and
// whether the pod is ready.
func (r *Reconciler) observe(ctx context.Context, c *v1alpha1.Cache, objs *render.Objects) error {
	zoneLabel := c.Spec.Kubernetes.ZoneLabel
	if zoneLabel == "" {
		zoneLabel = corev1.LabelTopologyZone
	}
	nodes := make([]v1alpha1.NodeStatus, 0, len(objs.Nodes))
	zones := map[string]string{}
	ready := 0
	for _, n := range objs.Nodes {
		st := v1alpha1.NodeStatus{ID: n.ID, Shard: n.ShardID, Pod: n.Pod}
		pod := &corev1.Pod{}
		err := r.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: n.Pod}, pod)
		if client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("reading pod %s: %w", n.Pod, err)
		}
		if err == nil {
			st.Node, st.Role, st.Ready = pod.Spec.NodeName, pod.Labels[render.LabelRole], podReady(pod)
			if st.Node != "" {
				if _, seen := zones[st.Node]; !seen {
					kn := &corev1.Node{}
					if err := r.Get(ctx, types.NamespacedName{Name: st.Node}, kn); err == nil {
						zones[st.Node] = kn.Labels[zoneLabel]
					}
				}
				st.Zone = zones[st.Node]
			}
		}
		if st.Ready {
			ready++
		}
		nodes = append(nodes, st)
	}
	c.Status.Nodes = nodes
	c.Status.Shards = len(objs.Shards)
	c.Status.Endpoints = objs.Endpoints
	// Until the operator forms the cluster (bootstrap: next), no slot is served by it and the
	// cache is never reported Ready.
	c.Status.SlotsCovered = 0
	c.Status.Phase = v1alpha1.PhaseCreating
	meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse,
		Reason: ReasonBootstrapPending, ObservedGeneration: c.Generation,
		Message: fmt.Sprintf("%d of %d node pods ready; forming the cluster from them is not implemented yet", ready, len(nodes))})
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
