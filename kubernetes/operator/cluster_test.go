package operator

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/random"
	"github.com/gruntwork-io/terratest/modules/retry"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rediskit/rediskit/internal/testenv"
	"github.com/rediskit/rediskit/kubernetes/api/crd"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
	"github.com/rediskit/rediskit/kubernetes/cluster"
)

func mustQuantity(t *testing.T, s string) resource.Quantity {
	t.Helper()
	q, err := resource.ParseQuantity(s)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// tlsSecretFor is a team's CA and a certificate for a cache's pod names, as kubernetes.tlsSecret
// takes it.
func tlsSecretFor(t *testing.T, ns, cache, name string) *corev1.Secret {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cache}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    []string{fmt.Sprintf("*.%s-nodes.%s.svc.cluster.local", cache, ns), fmt.Sprintf("%s.%s.svc.cluster.local", cache, ns)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: map[string][]byte{
		"tls.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"tls.key": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}),
		"ca.crt":  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
	}}
}

// The reconciler against the local multi-node cluster: the rendered objects are accepted by
// the API server, the scheduler puts each shard's two pods in two zones (as the Kubernetes
// nodes' labels say), the pods start through pod-start and serve TLS, a node reaches another
// by its DNS name with the app user's token, and a restricted command is denied to it. The
// cluster is not formed yet (bootstrap is next): the status says so.
func TestReconcileOnTheLocalCluster(t *testing.T) {
	if err := cluster.Available(); err != nil {
		testenv.Missing(t, "the local Kubernetes cluster cannot run here: %v", err)
	}
	kubeconfig := cluster.Ensure(t)
	kubectl := func(stdin []byte, args ...string) (string, error) {
		cmd := exec.Command(cluster.Kubectl(), append([]string{"--kubeconfig", kubeconfig}, args...)...)
		if stdin != nil {
			cmd.Stdin = bytes.NewReader(stdin)
		}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	// The client below is built after the API server serves caches: one built before caches
	// a REST mapping without the kind (the first CI run of this test failed so).
	if err := crd.Install(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	s, err := Scheme()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ns := "operator-test-" + strings.ToLower(random.UniqueId())
	if err := cl.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if out, err := kubectl(nil, "delete", "namespace", ns, "--timeout=3m"); err != nil {
			t.Errorf("deleting namespace %s: %v\n%s", ns, err, out)
		}
	})
	if err := cl.Create(ctx, tlsSecretFor(t, ns, "rk", "rk-tls")); err != nil {
		t.Fatal(err)
	}
	c := cacheObj("rk")
	c.Namespace, c.UID, c.Generation = ns, "", 0
	c.Spec.Kubernetes.TLSSecret = "rk-tls"
	c.Spec.Kubernetes.StorageSize = "256Mi"
	c.Spec.Kubernetes.Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: mustQuantity(t, "256Mi")}
	if err := cl.Create(ctx, c); err != nil {
		t.Fatalf("creating the Cache: %v", err)
	}
	r := &Reconciler{Client: cl, Scheme: s}
	key := types.NamespacedName{Namespace: ns, Name: "rk"}
	start := time.Now()
	got := &v1alpha1.Cache{}
	retry.DoWithRetry(t, "every node pod ready", 40, 5*time.Second, func() (string, error) {
		if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: key}); err != nil {
			return "", err
		}
		if err := cl.Get(ctx, key, got); err != nil {
			return "", err
		}
		ready := 0
		for _, n := range got.Status.Nodes {
			if n.Ready {
				ready++
			}
		}
		if len(got.Status.Nodes) != 6 || ready != 6 {
			return "", fmt.Errorf("%d of %d node pods ready", ready, len(got.Status.Nodes))
		}
		return "", nil
	})
	t.Logf("6 node pods ready %s after the Cache was created", time.Since(start).Round(time.Second))

	zoneOf := map[string]string{}
	nodes := &corev1.NodeList{}
	if err := cl.List(ctx, nodes); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		zoneOf[n.Name] = n.Labels[corev1.LabelTopologyZone]
	}
	shardZones := map[string]map[string]bool{}
	for _, n := range got.Status.Nodes {
		if n.Zone == "" || n.Zone != zoneOf[n.Node] {
			t.Errorf("node %s: status zone %q, but Kubernetes node %s is in %q", n.ID, n.Zone, n.Node, zoneOf[n.Node])
		}
		if shardZones[n.Shard] == nil {
			shardZones[n.Shard] = map[string]bool{}
		}
		shardZones[n.Shard][n.Zone] = true
	}
	for shard, zones := range shardZones {
		if len(zones) != 2 {
			t.Errorf("shard %s's two nodes are in %d zone(s): %v", shard, len(zones), zones)
		}
	}

	auth := &corev1.Secret{}
	if err := cl.Get(ctx, types.NamespacedName{Namespace: ns, Name: "rk-auth"}, auth); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (string, error) {
		base := []string{"-n", ns, "exec", "rk-0001-0", "--", "valkey-cli", "--tls", "--cacert", "/etc/rediskit/tls/ca.crt",
			"-h", fmt.Sprintf("rk-0002-1.rk-nodes.%s.svc.cluster.local", ns), "--user", "app", "--pass", string(auth.Data[keyAppToken]), "--no-auth-warning"}
		return kubectl(nil, append(base, args...)...)
	}
	if out, err := cli("PING"); err != nil || strings.TrimSpace(out) != "PONG" {
		t.Errorf("PING from rk-0001-0 to rk-0002-1 by name, TLS and the app token: %q %v", out, err)
	}
	if out, _ := cli("CONFIG", "GET", "maxmemory"); !strings.Contains(out, "NOPERM") {
		t.Errorf("CONFIG GET as the app user: %q, want NOPERM (a restricted command)", out)
	}
	if got.Status.Phase != v1alpha1.PhaseCreating {
		t.Errorf("phase %q before any bootstrap, want Creating", got.Status.Phase)
	}
}
