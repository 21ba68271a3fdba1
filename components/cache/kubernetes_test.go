package cache

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/kube"
	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/pulumitest"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
)

// The kubernetes target registers one Cache object with the rediskit plugin: the cache as the
// stack wrote it plus the kubernetes block, in the stack's namespace, the kubeconfig under the
// project's root, under the component.
func TestKubernetesCacheComposes(t *testing.T) {
	root := t.TempDir()
	m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewCache(ctx, "orders", &CacheArgs{Target: spec.TargetKubernetes, Root: root,
			Cache: spec.Cache{Name: "orders", Mode: spec.ModeCluster, Shards: ip(3), Replicas: ip(1), Zones: []string{"zone-a", "zone-b", "zone-c"}},
			Kubernetes: kube.Settings{Kubeconfig: ".rediskit/k8s/kubeconfig", Namespace: "shop",
				Kubernetes: v1alpha1.Kubernetes{StorageSize: "256Mi"}}})
		return err
	})
	kc := m.One(t, kube.CacheType)
	if kc.Parent == "" {
		t.Error("the Cache object has no parent")
	}
	if kc.Str("namespace") != "shop" || kc.Str("name") != "orders" || kc.Str("kubeconfig") != filepath.Join(root, ".rediskit/k8s/kubeconfig") {
		t.Errorf("namespace %q name %q kubeconfig %q", kc.Str("namespace"), kc.Str("name"), kc.Str("kubeconfig"))
	}
	var s v1alpha1.CacheSpec
	if err := json.Unmarshal([]byte(kc.Str("spec")), &s); err != nil {
		t.Fatalf("spec %q: %v", kc.Str("spec"), err)
	}
	if spec.Int(s.Shards) != 3 || s.Kubernetes.StorageSize != "256Mi" || len(s.Zones) != 3 {
		t.Errorf("spec %+v", s)
	}
	// As the stack wrote it: the operator applies the defaults (a defaulted cache would seem
	// to set what the Kubernetes target refuses, such as selfHosted).
	for _, never := range []string{`"enabled":true`, `"engineVersion"`, `"driver"`} {
		if strings.Contains(kc.Str("spec"), never) {
			t.Errorf("the spec carries %s, which the stack did not set: %s", never, kc.Str("spec"))
		}
	}
	op := m.One(t, kube.OperatorType)
	if op.Str("kubeconfig") != kc.Str("kubeconfig") || op.Parent == "" {
		t.Errorf("the operator: kubeconfig %q parent %q", op.Str("kubeconfig"), op.Parent)
	}
	if n := len(m.OfType("aws:elasticache/replicationGroup:ReplicationGroup")) + len(m.OfType("rediskit:index:Deployment")); n != 0 {
		t.Errorf("%d resources of another target", n)
	}
}

// The operator's rules run before anything is registered, under the stack's keys.
func TestKubernetesCacheValidatesFirst(t *testing.T) {
	m, err := pulumitest.RunE(func(ctx *pulumi.Context) error {
		_, err := NewCache(ctx, "orders", &CacheArgs{Target: spec.TargetKubernetes,
			Cache:      spec.Cache{Name: "orders", Mode: spec.ModeCluster, Shards: ip(600), Encryption: spec.Encryption{KmsKeyID: "arn:aws:kms:x"}},
			Kubernetes: kube.Settings{Namespace: "Shop", Kubernetes: v1alpha1.Kubernetes{StorageSize: "lots", ServiceType: "Ingress"}}})
		return err
	})
	if err == nil {
		t.Fatal("expected an error")
	}
	for _, w := range []string{"cache.shards: 600", "cache.encryption.kmsKeyId", `kubernetes.namespace: "Shop"`, "kubernetes.storageSize", "kubernetes.serviceType"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
	if len(m.All) != 0 {
		t.Errorf("registered %d resources before failing", len(m.All))
	}
}

// A stack that leaves the operator to someone else registers only the Cache.
func TestKubernetesCacheWithoutInstallingTheOperator(t *testing.T) {
	no := false
	m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewCache(ctx, "orders", &CacheArgs{Target: spec.TargetKubernetes,
			Cache:      spec.Cache{Name: "orders", Mode: spec.ModeSingle},
			Kubernetes: kube.Settings{Operator: kube.Operator{Install: &no}}})
		return err
	})
	if n := len(m.OfType(kube.OperatorType)); n != 0 {
		t.Errorf("%d operators registered with operator.install false", n)
	}
	if kc := m.One(t, kube.CacheType); kc.Str("namespace") != "default" {
		t.Errorf("namespace %q, want the default", kc.Str("namespace"))
	}
}
