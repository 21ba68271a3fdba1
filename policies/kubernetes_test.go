package policies

import (
	"slices"
	"testing"
)

// A Cache on Kubernetes is judged by the self-hosted engine's rules, its spec read with the
// vocabulary's defaults, in the Kubernetes target's words where they differ.
func TestKubernetesCacheView(t *testing.T) {
	cases := []struct {
		name, stack, spec string
		want              []string
	}{
		{"prod shape", "prod", `{"mode":"cluster","shards":3,"replicas":1,"zones":["zone-a","zone-b","zone-c"],"snapshots":{"retentionDays":7}}`,
			nil},
		{"no final snapshot", "prod", `{"mode":"cluster","shards":3,"replicas":1,"zones":["zone-a","zone-b","zone-c"],"snapshots":{"retentionDays":7,"finalSnapshot":false}}`,
			[]string{"final-snapshot advisory orders: snapshots.finalSnapshot is false: the operator deletes the cache without a snapshot (and its volumes unless keepVolumes is true)"}},
		{"TLS and auth off, no persistence in prod", "prod", `{"mode":"cluster","replicas":1,"zones":["zone-a","zone-b"],"snapshots":{"retentionDays":7},
			"encryption":{"inTransit":false},"auth":{"mode":"none"},"kubernetes":{"persistence":"none"}}`,
			[]string{"auth mandatory orders: authentication is not enabled",
				"encryption-in-transit mandatory orders: TLS is not enabled",
				`persistence advisory orders: persistence is off in environment "prod"; only dev may run without it`}},
		{"one zone, no replica in prod", "prod", `{"mode":"cluster","shards":2,"replicas":0,"zones":["zone-a"],"snapshots":{"retentionDays":7}}`,
			[]string{"production-multi-az advisory orders: no replica: Multi-AZ needs at least 2 nodes per shard"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Resource{URN: "urn:pulumi:" + tc.stack + "::rediskit::" + TypeKubernetesCache + "::orders", Type: TypeKubernetesCache, Name: "orders",
				Inputs: props(map[string]any{"namespace": "shop", "name": "orders", "spec": tc.spec})}
			got := show(Evaluate(&Stack{Name: tc.stack, Resources: []Resource{r}}, DefaultConfig()))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
