package render

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/internal/validate"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
)

func ptr[T any](v T) *T { return &v }

// clusterCache is the stack: cluster mode, 3 shards x 1 replica over three zones,
// Valkey 8.0, TLS and auth on (the defaults).
func clusterCache() *v1alpha1.Cache {
	c := &v1alpha1.Cache{ObjectMeta: metav1.ObjectMeta{Name: "rk", Namespace: "apps", UID: "uid-1", Generation: 4}}
	c.Spec.Mode = spec.ModeCluster
	c.Spec.Engine, c.Spec.EngineVersion = "valkey", "8.0"
	c.Spec.Shards, c.Spec.Replicas = ptr(3), ptr(1)
	c.Spec.Zones = []string{"zone-a", "zone-b", "zone-c"}
	return c
}

func mustResolve(t *testing.T, c *v1alpha1.Cache) *Resolved {
	t.Helper()
	r, err := Resolve(c)
	if err != nil {
		t.Fatalf("resolving: %v", err)
	}
	return r
}

// problems returns the problems of Resolve's error by field; a field with several problems
// has them joined, as one problem whose Allowed lists each.
func problems(t *testing.T, err error) map[string]validate.Problem {
	t.Helper()
	var verr *validate.Error
	if !errors.As(err, &verr) {
		t.Fatalf("want a *validate.Error, got %v", err)
	}
	out := map[string]validate.Problem{}
	for _, p := range verr.Problems {
		if have, ok := out[p.Field]; ok {
			p.Allowed = have.Allowed + " | " + p.Allowed
		}
		out[p.Field] = p
	}
	return out
}

// A Cache as a user writes it: the shared vocabulary at the top of spec, the kubernetes block
// beside it; the defaults fill in the rest, and the name is the object's.
func TestResolveDefaults(t *testing.T) {
	var c v1alpha1.Cache
	manifest := `
apiVersion: rediskit.io/v1alpha1
kind: Cache
metadata: {name: orders, namespace: shop}
spec:
  mode: cluster
  shards: 2
  zones: [zone-a, zone-b, zone-c]
  parameters: {maxmemory-policy: allkeys-lru}
  kubernetes: {storageClass: local-path, storageSize: 2Gi}
`
	if err := yaml.Unmarshal([]byte(manifest), &c); err != nil {
		t.Fatal(err)
	}
	r := mustResolve(t, &c)
	if r.Cache.Name != "orders" || spec.Int(r.Cache.Shards) != 2 || spec.Int(r.Cache.Replicas) != 1 {
		t.Errorf("name %q shards %d replicas %d", r.Cache.Name, spec.Int(r.Cache.Shards), spec.Int(r.Cache.Replicas))
	}
	if !spec.Bool(r.Cache.Encryption.InTransit) || r.Cache.Auth.Mode != spec.AuthToken {
		t.Errorf("TLS %v auth %s: the shared defaults are TLS and a token", spec.Bool(r.Cache.Encryption.InTransit), r.Cache.Auth.Mode)
	}
	k := r.Kubernetes
	if k.StorageClass != "local-path" || k.StorageSize != "2Gi" || k.ServiceType != corev1.ServiceTypeClusterIP ||
		k.Image != engine.ImageFor(r.Cache.Engine, r.Cache.EngineVersion) || k.ZoneLabel != "topology.kubernetes.io/zone" {
		t.Errorf("kubernetes block: %+v", k)
	}
	if r.NodeMemory != 256<<20 || !r.Persistence.RDB || !r.Persistence.AOF {
		t.Errorf("memory %d persistence %+v: want 256Mi and rdb+aof", r.NodeMemory, r.Persistence)
	}
	if c.Spec.Kubernetes.StorageSize != "2Gi" || c.Spec.Name != "" || c.Spec.Kubernetes.Resources.Limits != nil {
		t.Error("Resolve changed the object it was given")
	}
	if got := ValidCondition(nil, 3); got.Status != metav1.ConditionTrue || got.Type != v1alpha1.ConditionValid || got.ObservedGeneration != 3 {
		t.Errorf("valid condition: %+v", got)
	}
}

// Every problem at once, from every rule set (the vocabulary's, the AWS-only features, the
// engine's, the kubernetes block's), each naming its field, the value and what is allowed; the
// Valid condition carries them all under spec.
func TestResolveCollectsEveryProblem(t *testing.T) {
	c := clusterCache()
	c.Spec.Name = "other"                                      // not the object's name
	c.Spec.Shards = ptr(600)                                   // vocabulary: 1-500
	c.Spec.NetworkType = "dual_stack"                          // AWS only
	c.Spec.Auth.Mode = spec.AuthNone                           // the engine always authenticates
	c.Spec.Encryption.InTransit = ptr(false)                   // ...
	c.Spec.Parameters = map[string]string{"appendonly": "yes"} // engine: use persistence
	c.Spec.Kubernetes = v1alpha1.Kubernetes{
		StorageSize:     "lots",
		ServiceType:     "Ingress",
		Persistence:     "sometimes",
		ImagePullPolicy: "Sometimes",
		TLSSecret:       "My_Secret",
		ZoneLabel:       "not a label",
		Resources: corev1.ResourceRequirements{
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("16Mi")},
			Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
		},
	}
	_, err := Resolve(c)
	ps := problems(t, err)
	for field, want := range map[string]string{
		"name":                                 "the object's own name",
		"shards":                               "1-500",
		"networkType":                          "Kubernetes target",
		"auth.mode":                            "always authenticates",
		"kubernetes.storageSize":               "quantity",
		"kubernetes.serviceType":               "ClusterIP, NodePort or LoadBalancer",
		"kubernetes.persistence":               "rdb, aof, rdb+aof or none",
		"kubernetes.imagePullPolicy":           "IfNotPresent",
		"kubernetes.tlsSecret":                 "DNS subdomain",
		"kubernetes.zoneLabel":                 "label key",
		"kubernetes.resources.requests.memory": "at most the limit",
		"kubernetes.resources.limits.memory":   "32 MiB",
	} {
		p, ok := ps[field]
		if !ok {
			t.Errorf("no problem reported for %s; got %v", field, err)
			continue
		}
		if !strings.Contains(p.Allowed, want) || p.Value == nil {
			t.Errorf("%s: %s; want the value and %q", field, p, want)
		}
	}
	if p := ps["kubernetes.resources.limits.memory"]; p.Value != "16Mi" {
		t.Errorf("the engine's memory problem shows %v, want the limit as written (16Mi)", p.Value)
	}

	cond := ValidCondition(err, c.Generation)
	if cond.Status != metav1.ConditionFalse || cond.Reason != v1alpha1.ReasonInvalidSpec || cond.ObservedGeneration != 4 {
		t.Errorf("condition %+v", cond)
	}
	for _, want := range []string{`spec.shards: 600 is not allowed; cluster mode has 1-500 shards`,
		`spec.kubernetes.serviceType: "Ingress" is not allowed; ClusterIP, NodePort or LoadBalancer`} {
		if !strings.Contains(cond.Message, want) {
			t.Errorf("condition message lacks %q:\n%s", want, cond.Message)
		}
	}
}

// The engine's own rules hold on Kubernetes, under the spec's names: a replication group's
// sentinels need three zones; a user's access string is checked as the engine reads it.
func TestResolveEngineRules(t *testing.T) {
	c := clusterCache()
	c.Spec.Mode, c.Spec.Shards, c.Spec.Replicas = spec.ModeReplication, nil, ptr(2)
	c.Spec.Zones = []string{"zone-a", "zone-b"}
	c.Spec.Auth.Mode = spec.AuthRBAC
	c.Spec.Auth.Users = []spec.User{{Name: "reporting", Access: "on ~* +@read nopass"}}
	_, err := Resolve(c)
	ps := problems(t, err)
	if p, ok := ps["zones"]; !ok || !strings.Contains(p.Allowed, "3 distinct zones") {
		t.Errorf("zones: %v", err)
	}
	if p, ok := ps["auth.users[0].access"]; !ok || !strings.Contains(p.Allowed, "nopass") {
		t.Errorf("auth.users[0].access: %v", err)
	}
	if _, ok := ps["kubernetes.authSecret"]; ok {
		t.Errorf("placeholder credentials were judged: %v", err)
	}
}

// An explicit node type sizes the nodes' memory when no limit is given; a limit wins.
func TestResolveMemory(t *testing.T) {
	c := clusterCache()
	c.Spec.NodeType = "cache.t4g.micro"
	r := mustResolve(t, c)
	nt, _ := spec.LookupNodeType("cache.t4g.micro")
	if want := int64(nt.MemoryGiB * (1 << 30)); r.NodeMemory != want {
		t.Errorf("node memory %d, want the node type's %d", r.NodeMemory, want)
	}
	c.Spec.Kubernetes.Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}
	r = mustResolve(t, c)
	if r.NodeMemory != 1<<30 {
		t.Errorf("node memory %d, want the limit's 1Gi", r.NodeMemory)
	}
	if req := r.Kubernetes.Resources.Requests[corev1.ResourceMemory]; req.Value() != 1<<30 {
		t.Errorf("memory request %s, want the limit", req.String())
	}
}
