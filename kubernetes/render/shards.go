package render

import (
	"fmt"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ShardSelector picks the StatefulSets (and pods) of a cache's shards.
func ShardSelector(cache string) map[string]string {
	return map[string]string{LabelCache: cache, LabelComponent: componentPod}
}

// ShardIndex is the index of a shard id in the plan ("0004" is the fourth shard, 3).
func ShardIndex(shardID string) (int, error) {
	n, err := strconv.Atoi(shardID)
	if err != nil || n < 1 || len(shardID) != 4 {
		return 0, fmt.Errorf("shard id %q: want four digits from 0001", shardID)
	}
	return n - 1, nil
}

// ShardsToRender is how many shards a cluster is rendered with: the spec's count, or more
// while shards beyond it still have their StatefulSets (running lists their shard ids). A
// shard being removed keeps its objects until the operator has moved its slots away; then
// the operator deletes them, and the cache renders with the spec's count.
func ShardsToRender(want int, running []string) int {
	n := want
	for _, id := range running {
		if i, err := ShardIndex(id); err == nil && i+1 > n {
			n = i + 1
		}
	}
	return n
}

// ShardObjects are the objects of one rendered shard (its StatefulSet, ConfigMap and
// PodDisruptionBudget) and the names of its nodes' volume claims: what goes when the shard is
// removed.
func (o *Objects) ShardObjects(shardID string) (objs []metav1.Object, claims []string) {
	for i, s := range o.Shards {
		if s.Labels[LabelShard] == shardID {
			objs = append(objs, s, o.Configs[i], o.Budgets[i])
		}
	}
	for _, n := range o.Nodes {
		if n.ShardID == shardID {
			claims = append(claims, VolumeClaimName(n.Pod))
		}
	}
	return objs, claims
}

// VolumeClaimName is the claim of a node pod's data volume, as the StatefulSet names it
// (the claim template's name, then the pod's).
func VolumeClaimName(pod string) string { return volumeName + "-" + pod }
