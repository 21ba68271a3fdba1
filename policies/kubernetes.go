package policies

import (
	"encoding/json"

	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/kubernetes/pod"
)

// TypeKubernetesCache is the Kubernetes target's cache: the rediskit provider's Cache object
// resource, whose spec input is the Cache's spec as JSON.
const TypeKubernetesCache = "rediskit:kubernetes:Cache"

// KubernetesCacheView reads a rediskit:kubernetes:Cache: the vocabulary with its defaults
// (spec.Defaults, the operator's), judged by the self-hosted engine's rules, since the pods run
// that engine: TLS, AUTH, persistence outside dev, snapshots, replicas in other zones than
// their primary (the operator's topology spread keeps a shard's nodes in distinct zones when
// the cache lists enough zones), a final snapshot (the operator takes one unless
// snapshots.finalSnapshot is false). Every node pod serves its metrics (pod.MetricsPort), so
// the metrics rule always finds an endpoint. Disruption budgets need no rule: the operator
// gives every shard one, whatever the spec says.
func KubernetesCacheView(in property.Map) (CacheView, bool) {
	raw := getString(in, "spec")
	if raw.Unknown {
		return CacheView{Role: RoleSelfHosted, Target: "kubernetes", AuthUnknown: true, TransitEncryption: optBool{Unknown: true},
			Persistence: optBool{Unknown: true}, AtRestEncryption: optBool{Unknown: true}}, true
	}
	var s struct {
		spec.Cache
		Kubernetes struct {
			Persistence string `json:"persistence"`
		} `json:"kubernetes"`
	}
	if err := json.Unmarshal([]byte(raw.Value), &s); err != nil {
		return CacheView{}, false
	}
	c := spec.Defaults(s.Cache)
	m := map[string]property.Value{
		"engine":                property.New(string(c.Engine)),
		"engineVersion":         property.New(c.EngineVersion),
		"mode":                  property.New(string(c.Mode)),
		"shards":                property.New(float64(c.ShardCount())),
		"replicasPerShard":      property.New(float64(spec.Int(c.Replicas))),
		"tls":                   property.New(spec.Bool(c.Encryption.InTransit)),
		"authMode":              property.New(string(c.Auth.Mode)),
		"snapshotRetentionDays": property.New(float64(spec.Int(c.Snapshots.RetentionDays))),
		"finalSnapshot":         property.New(spec.Bool(c.Snapshots.FinalSnapshot)),
		"metricsPort":           property.New(float64(pod.MetricsPort)),
	}
	if c.Encryption.TransitMode != "" {
		m["tlsMode"] = property.New(c.Encryption.TransitMode)
	}
	if s.Kubernetes.Persistence != "" {
		m["persistence"] = property.New(s.Kubernetes.Persistence)
	}
	if c.Snapshots.Window != "" {
		m["snapshotWindow"] = property.New(c.Snapshots.Window)
	}
	zones := make([]property.Value, len(c.Zones))
	for i, z := range c.Zones {
		zones[i] = property.New(z)
	}
	m["zones"] = property.New(zones)
	v, ok := SelfHostedDeploymentView(property.NewMap(m))
	v.Target = "kubernetes"
	return v, ok
}
