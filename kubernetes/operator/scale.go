package operator

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
	"github.com/rediskit/rediskit/kubernetes/render"
)

// MoveTimeout bounds one pass's slot moves. What was moved stays moved and a batch cut short
// stays open, to be resumed by the next pass's same decision; meanwhile the cache's status is
// written and other caches get their turn.
var MoveTimeout = 15 * time.Minute

// runningShards lists the shard ids of a cache's StatefulSets that are not being deleted, and
// the most replicas per shard any of them runs.
func (r *Reconciler) runningShards(ctx context.Context, c *v1alpha1.Cache) ([]string, int, error) {
	list := &appsv1.StatefulSetList{}
	if err := r.List(ctx, list, client.InNamespace(c.Namespace), client.MatchingLabels(render.ShardSelector(c.Name))); err != nil {
		return nil, 0, fmt.Errorf("listing the shards of cache %s/%s: %w", c.Namespace, c.Name, err)
	}
	var ids []string
	replicas := 0
	for _, s := range list.Items {
		if s.DeletionTimestamp == nil && metav1.IsControlledBy(&s, c) {
			ids = append(ids, s.Labels[render.LabelShard])
			if s.Spec.Replicas != nil {
				replicas = max(replicas, int(*s.Spec.Replicas)-1)
			}
		}
	}
	return ids, replicas, nil
}

// moveSlots moves slots between the shards' current primaries with the engine's slot mover,
// each node reached at its pod's address (its certificate checked against its pod's name),
// a source's MIGRATE reaching the destination at its pod's address too.
func moveSlots(ctx context.Context, d *dialer, plan *engine.Plan, facts []nodeFacts, moves []engine.SlotMove) error {
	byNode := map[string]*nodeFacts{}
	idOf := map[string]string{}
	primaries := make([]*engine.Node, len(plan.Primaries()))
	for i := range facts {
		f := &facts[i]
		byNode[f.Node.ID] = f
		idOf[f.Node.ID] = f.ID
		n := plan.Node(f.Node.ID)
		if n == nil || !f.answered() || f.Role != "master" {
			continue
		}
		if p := primaries[n.Shard]; p == nil || f.Slots > byNode[p.ID].Slots {
			primaries[n.Shard] = n
		}
	}
	logger := log.FromContext(ctx)
	m := &engine.SlotMover{
		Password: d.password,
		Addr: func(n *engine.Node) (string, *tls.Config) {
			f := byNode[n.ID]
			return net.JoinHostPort(f.IP, strconv.Itoa(f.Port)), d.tlsFor(f.Node.Host)
		},
		Reach: func(n *engine.Node) string { return byNode[n.ID].IP },
		Logf:  func(format string, args ...any) { logger.Info(fmt.Sprintf(format, args...)) },
	}
	mctx, cancel := context.WithTimeout(ctx, MoveTimeout)
	defer cancel()
	if err := m.Move(mctx, engine.GroupSlotMoves(moves, engine.SlotsPerBatch), primaries, idOf); err != nil {
		return fmt.Errorf("moving %d slots: %w", len(moves), err)
	}
	return nil
}

// removeShards deletes the objects and volumes of shards whose slots have all moved away.
// The pods go with their StatefulSet; the nodes that stay forget them once they are gone
// (forgetGone).
func (r *Reconciler) removeShards(ctx context.Context, objs *render.Objects, shardIDs []string) error {
	for _, id := range shardIDs {
		owned, claims := objs.ShardObjects(id)
		for _, o := range owned {
			obj := o.(client.Object)
			if err := r.Delete(ctx, obj, client.PropagationPolicy("Background")); client.IgnoreNotFound(err) != nil {
				return fmt.Errorf("removing shard %s: deleting %T %s: %w", id, obj, obj.GetName(), err)
			}
		}
		for _, name := range claims {
			pvc := &corev1.PersistentVolumeClaim{}
			pvc.Namespace, pvc.Name = objs.Shards[0].Namespace, name
			if err := r.Delete(ctx, pvc); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("removing shard %s: deleting volume claim %s: %w", id, name, err)
			}
		}
	}
	return nil
}

// dropReplicas shrinks every shard's StatefulSet to the spec's replicas, once the nodes beyond
// them hold no primary role, and deletes those nodes' volumes (the StatefulSet controller
// deletes their pods, highest ordinals first; the nodes that stay forget them).
func (r *Reconciler) dropReplicas(ctx context.Context, objs *render.Objects, replicas int) error {
	for _, sts := range objs.Shards {
		cur := &appsv1.StatefulSet{}
		if err := r.Get(ctx, client.ObjectKeyFromObject(sts), cur); err != nil {
			return fmt.Errorf("removing replicas: reading StatefulSet %s: %w", sts.Name, err)
		}
		want := int32(replicas + 1)
		if cur.Spec.Replicas != nil && *cur.Spec.Replicas > want {
			cur.Spec.Replicas = &want
			if err := r.Update(ctx, cur); err != nil {
				return fmt.Errorf("removing replicas: scaling StatefulSet %s to %d pods: %w", sts.Name, want, err)
			}
		}
	}
	for _, n := range objs.Nodes {
		if n.Ordinal <= replicas {
			continue
		}
		pvc := &corev1.PersistentVolumeClaim{}
		pvc.Namespace, pvc.Name = objs.Shards[0].Namespace, render.VolumeClaimName(n.Pod)
		if err := r.Delete(ctx, pvc); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("removing replicas: deleting volume claim %s: %w", pvc.Name, err)
		}
	}
	return nil
}
