package install

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/random"
	"github.com/gruntwork-io/terratest/modules/retry"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/testenv"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
	"github.com/rediskit/rediskit/kubernetes/cluster"
	"github.com/rediskit/rediskit/kubernetes/operator"
)

// The operator installed on the local multi-node cluster as a user would: Apply makes the
// Deployment Available (the engine image runs rediskit-operator), the operator takes its
// lease, its pod runs as the image's user 10001, a second Apply changes nothing, and the
// installed operator reconciles: an invalid Cache gets its Valid condition False, and a
// one-node TLS Cache gets the generated <cache>-tls and a node pod that answers over TLS,
// verified against the cache's own CA by its DNS name. The operator watches only the test's
// namespace, so it never competes with another test's reconciler.
func TestInstallOnTheLocalCluster(t *testing.T) {
	if err := cluster.Available(); err != nil {
		testenv.Missing(t, "the local Kubernetes cluster cannot run here: %v", err)
	}
	if out, err := exec.Command("docker", "run", "--rm", "--entrypoint", Command, DefaultImage, "-h").CombinedOutput(); err != nil &&
		!strings.Contains(string(out), "-install-crd") {
		t.Fatalf("the engine image %s has no %s (%v: %s): run `make image`, then `bash kubernetes/cluster/cluster.sh load-images`",
			DefaultImage, Command, err, strings.TrimSpace(string(out)))
	}
	kubeconfig := cluster.Ensure(t)
	kubectl := func(args ...string) (string, error) {
		out, err := exec.Command(cluster.Kubectl(), append([]string{"--kubeconfig", kubeconfig}, args...)...).CombinedOutput()
		return string(out), err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ns := "install-test-" + strings.ToLower(random.UniqueId())
	opts := Options{Namespace: ns, WatchNamespace: ns}
	t.Cleanup(func() {
		// The caches first, while the operator is there to take their final snapshots and
		// release them; Remove refuses while one waits for it.
		deleting := time.Now()
		if err := deleteCaches(ctx, cfg, ns); err != nil {
			t.Errorf("deleting the test's caches: %v", err)
		} else {
			t.Logf("the caches were gone %s after their deletion (the served ones held for their final snapshots)", time.Since(deleting).Round(time.Second))
		}
		if err := Remove(ctx, cfg, opts); err != nil {
			t.Errorf("removing the operator: %v", err)
		}
		// Remove keeps a namespace it was given; this one is the test's.
		if out, err := kubectl("delete", "namespace", ns, "--timeout=3m"); err != nil {
			t.Errorf("deleting namespace %s: %v\n%s", ns, err, out)
		}
	})
	start := time.Now()
	if err := Apply(ctx, cfg, opts); err != nil {
		t.Fatal(err)
	}
	t.Logf("the operator's Deployment was Available %s after Apply began", time.Since(start).Round(time.Second))

	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, coordinationv1.AddToScheme, v1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	// Built after Apply: the operator installed the CRD, and the client's REST mapping
	// must know the kind.
	cl, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	pods := &corev1.PodList{}
	if err := cl.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{"app.kubernetes.io/name": Name}); err != nil || len(pods.Items) != 1 {
		t.Fatalf("the operator's pods: %d (%v), want 1", len(pods.Items), err)
	}
	pod := pods.Items[0]
	retry.DoWithRetry(t, "the lease held by the operator's pod", 30, 2*time.Second, func() (string, error) {
		lease := &coordinationv1.Lease{}
		if err := cl.Get(ctx, types.NamespacedName{Namespace: ns, Name: operator.LeaseName}, lease); err != nil {
			return "", err
		}
		if lease.Spec.HolderIdentity == nil || !strings.HasPrefix(*lease.Spec.HolderIdentity, pod.Name) {
			return "", fmt.Errorf("lease %s held by %v, want pod %s", operator.LeaseName, lease.Spec.HolderIdentity, pod.Name)
		}
		return "", nil
	})
	if out, err := kubectl("-n", ns, "exec", pod.Name, "--", "id", "-u"); err != nil || strings.TrimSpace(out) != "10001" {
		t.Errorf("the operator's pod runs as user %q (%v), want 10001", strings.TrimSpace(out), err)
	}
	d := &appsv1.Deployment{}
	if err := cl.Get(ctx, types.NamespacedName{Namespace: ns, Name: Name}, d); err != nil {
		t.Fatal(err)
	}
	if err := Apply(ctx, cfg, opts); err != nil {
		t.Fatalf("applying again: %v", err)
	}
	again := &appsv1.Deployment{}
	if err := cl.Get(ctx, types.NamespacedName{Namespace: ns, Name: Name}, again); err != nil || again.Generation != d.Generation {
		t.Errorf("a second Apply changed the Deployment: generation %d, then %d (%v)", d.Generation, again.Generation, err)
	}

	// The installed operator at work, with the RBAC it was given.
	bad := &v1alpha1.Cache{ObjectMeta: metav1.ObjectMeta{Name: "bad", Namespace: ns}}
	bad.Spec.Mode, bad.Spec.Shards = spec.ModeCluster, ptr(600)
	good := &v1alpha1.Cache{ObjectMeta: metav1.ObjectMeta{Name: "rk", Namespace: ns}}
	good.Spec.Mode, good.Spec.Engine, good.Spec.EngineVersion = spec.ModeSingle, "valkey", "8.0"
	good.Spec.Kubernetes.StorageSize = "128Mi"
	good.Spec.Kubernetes.Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")}
	// A 2 x 1 cluster formed by the installed operator from inside the cluster.
	formed := &v1alpha1.Cache{ObjectMeta: metav1.ObjectMeta{Name: "rc", Namespace: ns}}
	formed.Spec.Mode, formed.Spec.Engine, formed.Spec.EngineVersion = spec.ModeCluster, "valkey", "8.0"
	formed.Spec.Shards, formed.Spec.Replicas = ptr(2), ptr(1)
	formed.Spec.Kubernetes = good.Spec.Kubernetes
	for _, c := range []*v1alpha1.Cache{bad, good, formed} {
		if err := cl.Create(ctx, c); err != nil {
			t.Fatalf("creating cache %s: %v", c.Name, err)
		}
	}
	retry.DoWithRetry(t, "the invalid cache reported", 30, 2*time.Second, func() (string, error) {
		got := &v1alpha1.Cache{}
		if err := cl.Get(ctx, client.ObjectKeyFromObject(bad), got); err != nil {
			return "", err
		}
		valid := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionValid)
		if valid == nil || valid.Status != metav1.ConditionFalse || !strings.Contains(valid.Message, "spec.shards: 600") {
			return "", fmt.Errorf("Valid condition %+v", valid)
		}
		return "", nil
	})
	retry.DoWithRetry(t, "the TLS cache's node pod ready", 60, 5*time.Second, func() (string, error) {
		p := &corev1.Pod{}
		if err := cl.Get(ctx, types.NamespacedName{Namespace: ns, Name: "rk-0001-0"}, p); err != nil {
			return "", err
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				return "", nil
			}
		}
		return "", fmt.Errorf("pod rk-0001-0 %s, not ready", p.Status.Phase)
	})
	tlsSecret, auth := &corev1.Secret{}, &corev1.Secret{}
	if err := cl.Get(ctx, types.NamespacedName{Namespace: ns, Name: "rk-tls"}, tlsSecret); err != nil {
		t.Fatalf("the generated TLS Secret: %v", err)
	}
	if err := cl.Get(ctx, types.NamespacedName{Namespace: ns, Name: "rk-auth"}, auth); err != nil {
		t.Fatal(err)
	}
	host := fmt.Sprintf("rk-0001-0.rk-nodes.%s.svc.cluster.local", ns)
	// valkey-cli checks the chain against the mounted ca.crt; the name is checked below.
	out, err := kubectl("-n", ns, "exec", "rk-0001-0", "--", "valkey-cli", "--tls", "--cacert", "/etc/rediskit/tls/ca.crt",
		"-h", host, "--user", "app", "--pass", string(auth.Data["token"]), "--no-auth-warning", "PING")
	if err != nil || strings.TrimSpace(out) != "PONG" {
		t.Errorf("PING over TLS to %s with the generated certificate: %q %v", host, out, err)
	}
	roots := x509.NewCertPool()
	block, _ := pem.Decode(tlsSecret.Data["tls.crt"])
	if !roots.AppendCertsFromPEM(tlsSecret.Data["ca.crt"]) || block == nil {
		t.Fatalf("secret rk-tls: no CA or certificate")
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: host}); err != nil {
		t.Errorf("the generated certificate for %s: %v", host, err)
	}

	ready := func(c *v1alpha1.Cache) *v1alpha1.Cache {
		got := &v1alpha1.Cache{}
		retry.DoWithRetry(t, "cache "+c.Name+" Ready", 90, 2*time.Second, func() (string, error) {
			if err := cl.Get(ctx, client.ObjectKeyFromObject(c), got); err != nil {
				return "", err
			}
			if got.Status.Phase != v1alpha1.PhaseReady {
				cond := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady)
				return "", fmt.Errorf("phase %q (%+v)", got.Status.Phase, cond)
			}
			return "", nil
		})
		return got
	}
	if got := ready(good); len(got.Status.Nodes) != 1 || got.Status.Nodes[0].Role != "primary" {
		t.Errorf("the one-node cache's nodes: %+v", got.Status.Nodes)
	}
	started := time.Now()
	got := ready(formed)
	t.Logf("the 2 x 1 cluster was Ready %s after the one-node cache", time.Since(started).Round(time.Second))
	if got.Status.SlotsCovered != 16384 || got.Status.Shards != 2 || len(got.Status.Nodes) != 4 {
		t.Errorf("status: %d slots, %d shards, %d nodes", got.Status.SlotsCovered, got.Status.Shards, len(got.Status.Nodes))
	}
	nodes := &corev1.NodeList{}
	if err := cl.List(ctx, nodes); err != nil {
		t.Fatal(err)
	}
	zoneOf := map[string]string{}
	for _, n := range nodes.Items {
		zoneOf[n.Name] = n.Labels[corev1.LabelTopologyZone]
	}
	primaries, shardZones := 0, map[string]map[string]bool{}
	for _, n := range got.Status.Nodes {
		p := &corev1.Pod{}
		if err := cl.Get(ctx, types.NamespacedName{Namespace: ns, Name: n.Pod}, p); err != nil {
			t.Fatal(err)
		}
		// The role label the Services select by is the role the node reports.
		if p.Labels["rediskit.io/role"] != n.Role || n.Role == "" {
			t.Errorf("pod %s labelled %q, its node is %q", n.Pod, p.Labels["rediskit.io/role"], n.Role)
		}
		if n.Role == "primary" {
			primaries++
		}
		if shardZones[n.Shard] == nil {
			shardZones[n.Shard] = map[string]bool{}
		}
		shardZones[n.Shard][zoneOf[p.Spec.NodeName]] = true
	}
	if primaries != 2 {
		t.Errorf("%d primaries, want one per shard", primaries)
	}
	for shard, zones := range shardZones {
		if len(zones) != 2 {
			t.Errorf("shard %s's nodes are in %d zone(s)", shard, len(zones))
		}
	}
	rcAuth := &corev1.Secret{}
	if err := cl.Get(ctx, types.NamespacedName{Namespace: ns, Name: "rc-auth"}, rcAuth); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (string, error) {
		return kubectl(append([]string{"-n", ns, "exec", "rc-0001-0", "--", "valkey-cli", "--tls", "--cacert", "/etc/rediskit/tls/ca.crt",
			"-h", fmt.Sprintf("rc-0002-1.rc-nodes.%s.svc.cluster.local", ns), "--user", "app", "--pass", string(rcAuth.Data["token"]), "--no-auth-warning"}, args...)...)
	}
	if out, err := cli("CLUSTER", "INFO"); err != nil || !strings.Contains(out, "cluster_state:ok") || !strings.Contains(out, "cluster_known_nodes:4") {
		t.Errorf("CLUSTER INFO from rc-0001-0 to rc-0002-1 by name, TLS and the app token: %q %v", out, err)
	}
	if out, _ := cli("CONFIG", "GET", "maxmemory"); !strings.Contains(out, "NOPERM") {
		t.Errorf("CONFIG GET as the app user: %q, want NOPERM (a restricted command)", out)
	}

	// Deleting the CRD now would delete both caches with no operator left to release them:
	// Remove refuses, naming them, and removes nothing.
	withCRD := opts
	withCRD.RemoveCRD = true
	err = Remove(ctx, cfg, withCRD)
	if err == nil || !strings.Contains(err.Error(), ns+"/rk,") || !strings.Contains(err.Error(), ns+"/rc,") {
		t.Errorf("Remove with RemoveCRD while caches rk and rc serve: %v, want a refusal naming both", err)
	}
	if err := cl.Get(ctx, types.NamespacedName{Namespace: ns, Name: Name}, &appsv1.Deployment{}); err != nil {
		t.Errorf("the operator's Deployment after the refused Remove: %v", err)
	}
}

// deleteCaches deletes every Cache of the namespace and waits until they are gone, the
// installed operator having taken each served cache's final snapshot. Caches still there
// after the wait are released by hand, so the namespace can go, and reported.
func deleteCaches(ctx context.Context, cfg *rest.Config, ns string) error {
	cl, err := newClient(cfg)
	if err != nil {
		return err
	}
	if err := cl.DeleteAllOf(ctx, &v1alpha1.Cache{}, client.InNamespace(ns), client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil {
		return fmt.Errorf("deleting: %w", err)
	}
	deadline := time.Now().Add(4 * time.Minute)
	for {
		list := &v1alpha1.CacheList{}
		if err := cl.List(ctx, list, client.InNamespace(ns)); err != nil {
			return fmt.Errorf("listing: %w", err)
		}
		if len(list.Items) == 0 {
			return nil
		}
		if time.Now().Before(deadline) {
			time.Sleep(3 * time.Second)
			continue
		}
		var stuck []string
		for i := range list.Items {
			c := &list.Items[i]
			cond := meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ConditionFinalSnapshot)
			stuck = append(stuck, fmt.Sprintf("%s (%+v)", c.Name, cond))
			c.Finalizers = nil
			if err := cl.Update(ctx, c); err != nil && !apierrors.IsNotFound(err) {
				stuck = append(stuck, fmt.Sprintf("releasing %s: %v", c.Name, err))
			}
		}
		return fmt.Errorf("still there after 4 min, released by hand: %s", strings.Join(stuck, "; "))
	}
}
