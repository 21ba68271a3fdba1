package render

import (
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// budget is a shard's PodDisruptionBudget: a drain or an eviction takes at most one of its
// nodes at a time, so a shard never loses its primary and its replicas together.
func budget(r *Resolved, shardID string) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   typeMeta("policy/v1", "PodDisruptionBudget"),
		ObjectMeta: meta(r, shardName(r.Cache.Name, shardID), map[string]string{LabelShard: shardID}),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: ptrTo(intstr.FromInt32(1)),
			Selector:       &metav1.LabelSelector{MatchLabels: selector(r, shardID)},
		},
	}
}
