package operator

import (
	"bytes"
	"context"
	"crypto/x509"
	"io"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
)

// The TLS code logs each certificate it issues; the tests need no log, and controller-runtime
// complains with a stack trace when none is set.
func init() { ctrllog.SetLogger(zap.New(zap.WriteTo(io.Discard))) }

func getSecret(t *testing.T, r *Reconciler, name string) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	if err := r.Get(context.Background(), types.NamespacedName{Namespace: "apps", Name: name}, s); err != nil {
		t.Fatalf("secret %s: %v", name, err)
	}
	return s
}

// verifyFor checks that the Secret's CA verifies its leaf, for servers and for clients, under
// each of the names.
func verifyFor(t *testing.T, s *corev1.Secret, names []string) *x509.Certificate {
	t.Helper()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(s.Data[keyCACert]) {
		t.Fatalf("secret %s: %s holds no certificate", s.Name, keyCACert)
	}
	leaf, err := parseCert(s.Data[keyTLSCert])
	if err != nil {
		t.Fatalf("secret %s: %s: %v", s.Name, keyTLSCert, err)
	}
	for _, n := range names {
		for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: n, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
				t.Errorf("secret %s: the CA does not verify the certificate for %s (usage %v): %v", s.Name, n, usage, err)
			}
		}
	}
	return leaf
}

// hostsOf lists every name a client in the cluster may reach the cache by: each pod's DNS
// name (as the status reports the pods) in its three forms, and each endpoint's in its four.
func hostsOf(c *v1alpha1.Cache) []string {
	var out []string
	for _, n := range c.Status.Nodes {
		fqdn := n.Pod + "." + c.Name + "-nodes." + c.Namespace + ".svc.cluster.local"
		out = append(out, fqdn, strings.TrimSuffix(fqdn, ".cluster.local"), strings.TrimSuffix(fqdn, ".svc.cluster.local"))
	}
	for _, e := range []string{c.Status.Endpoints.Configuration, c.Status.Endpoints.Primary, c.Status.Endpoints.Reader} {
		if e != "" {
			short := strings.TrimSuffix(e, ".svc.cluster.local")
			out = append(out, e, strings.TrimSuffix(e, ".cluster.local"), short, strings.TrimSuffix(short, "."+c.Namespace))
		}
	}
	return out
}

// Without kubernetes.tlsSecret the operator generates <cache>-tls: a CA of the cache's own
// that verifies the leaf for every pod's and every Service's name; the pods mount it; the CA
// key stays out of it. A second pass, and a restarted operator's first, change nothing.
func TestReconcileGeneratesTLSSecret(t *testing.T) {
	rr := cacheObj("rr")
	rr.Spec.Mode, rr.Spec.Shards, rr.Spec.Replicas = spec.ModeReplication, nil, ptr(2)
	r := newReconciler(t, cacheObj("rk"), rr)
	for _, name := range []string{"rk", "rr"} {
		got := reconcile(t, r, name)
		hosts := hostsOf(got)
		wantHosts := 6*3 + 4
		if name == "rr" {
			wantHosts = 3*3 + 2*4
		}
		if len(hosts) != wantHosts {
			t.Fatalf("cache %s: %d names from the status, want %d: %v", name, len(hosts), wantHosts, hosts)
		}
		s := getSecret(t, r, name+"-tls")
		if s.Type != corev1.SecretTypeTLS {
			t.Errorf("secret %s: type %q, want %q", s.Name, s.Type, corev1.SecretTypeTLS)
		}
		if len(s.OwnerReferences) != 1 || s.OwnerReferences[0].UID != got.UID || s.OwnerReferences[0].Controller == nil || !*s.OwnerReferences[0].Controller {
			t.Errorf("secret %s: owners %+v, want the Cache as controller", s.Name, s.OwnerReferences)
		}
		if s.Labels["rediskit.io/cache"] != name || s.Labels["app.kubernetes.io/managed-by"] != "rediskit-operator" {
			t.Errorf("secret %s: labels %v", s.Name, s.Labels)
		}
		if _, ok := s.Data[keyCAKey]; ok {
			t.Errorf("secret %s, which every node pod mounts, holds the CA key", s.Name)
		}
		leaf := verifyFor(t, s, hosts)
		if left := time.Until(leaf.NotAfter); left < 360*24*time.Hour {
			t.Errorf("secret %s: the certificate expires in %s, want about a year", s.Name, left.Round(time.Hour))
		}
		ca := getSecret(t, r, name+"-tls-ca")
		if !bytes.Equal(ca.Data[keyCACert], s.Data[keyCACert]) || len(ca.Data[keyCAKey]) == 0 {
			t.Errorf("secret %s: not the CA of %s, or no key", ca.Name, s.Name)
		}
		sets := &appsv1.StatefulSetList{}
		count(t, r, sets, func(l *appsv1.StatefulSetList) int { return len(l.Items) })
		for _, set := range sets.Items {
			if !strings.HasPrefix(set.Name, name+"-") {
				continue
			}
			mounted := ""
			for _, v := range set.Spec.Template.Spec.Volumes {
				if v.Name == "tls" && v.Secret != nil {
					mounted = v.Secret.SecretName
				}
			}
			if mounted != s.Name {
				t.Errorf("StatefulSet %s mounts TLS secret %q, want %q", set.Name, mounted, s.Name)
			}
		}
	}

	before := map[string]*corev1.Secret{}
	for _, n := range []string{"rk-tls", "rk-tls-ca"} {
		before[n] = getSecret(t, r, n)
	}
	reconcile(t, r, "rk")
	// A restarted operator is a new Reconciler over the same cluster.
	restarted := &Reconciler{Client: r.Client, Scheme: r.Scheme}
	reconcile(t, restarted, "rk")
	for n, b := range before {
		a := getSecret(t, r, n)
		if a.ResourceVersion != b.ResourceVersion || len(a.Data) != len(b.Data) {
			t.Errorf("secret %s rewritten by passes that had nothing to change", n)
		}
		for k, v := range b.Data {
			if !bytes.Equal(a.Data[k], v) {
				t.Errorf("secret %s: key %s changed between passes", n, k)
			}
		}
	}
}

// The leaf is re-issued under the same CA when it expires within 30 days and when it lacks a
// name the cache now needs; the CA stays.
func TestReconcileReissuesTheLeaf(t *testing.T) {
	r := newReconciler(t, cacheObj("rk"))
	got := reconcile(t, r, "rk")
	ctx := context.Background()
	caSecret := getSecret(t, r, "rk-tls-ca")
	ca, err := parseAuthority(caSecret.Data)
	if err != nil {
		t.Fatal(err)
	}

	// A leaf of the same CA and names, 10 days from its end.
	s := getSecret(t, r, "rk-tls")
	old, _ := parseCert(s.Data[keyTLSCert])
	now := time.Now()
	certPEM, keyPEM, err := issueLeaf(ca, "rk", old.DNSNames, now, now.Add(10*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	s.Data[keyTLSCert], s.Data[keyTLSKey] = certPEM, keyPEM
	if err := r.Update(ctx, s); err != nil {
		t.Fatal(err)
	}
	reconcile(t, r, "rk")
	s = getSecret(t, r, "rk-tls")
	if bytes.Equal(s.Data[keyTLSCert], certPEM) {
		t.Fatal("a certificate 10 days from its end was kept")
	}
	leaf := verifyFor(t, s, hostsOf(got))
	if time.Until(leaf.NotAfter) < 360*24*time.Hour {
		t.Errorf("the re-issued certificate ends on %s", leaf.NotAfter)
	}
	if !bytes.Equal(s.Data[keyCACert], caSecret.Data[keyCACert]) || getSecret(t, r, "rk-tls-ca").ResourceVersion != caSecret.ResourceVersion {
		t.Error("the CA changed when the leaf was re-issued")
	}

	// A new cluster domain: every name changes, the CA does not.
	c := &v1alpha1.Cache{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: "apps", Name: "rk"}, c); err != nil {
		t.Fatal(err)
	}
	c.Spec.Kubernetes.ClusterDomain = "corp.example"
	if err := r.Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	reconcile(t, r, "rk")
	s = getSecret(t, r, "rk-tls")
	verifyFor(t, s, []string{"rk-0002-1.rk-nodes.apps.svc.corp.example", "rk.apps.svc.corp.example", "rk-ro.apps.svc.corp.example"})
	if !bytes.Equal(s.Data[keyCACert], caSecret.Data[keyCACert]) {
		t.Error("the CA changed when the names did")
	}
}

// A Secret the user names in kubernetes.tlsSecret is only read: never written, and no Secret
// of the operator's is made beside it. A missing key is an error naming the Secret and key.
func TestReconcileUserTLSSecret(t *testing.T) {
	c := cacheObj("rk")
	c.Spec.Kubernetes.TLSSecret = "team-tls"
	user := tlsSecretFor(t, "apps", "rk", "team-tls")
	r := newReconciler(t, c, user)
	before := getSecret(t, r, "team-tls")
	reconcile(t, r, "rk")
	reconcile(t, r, "rk")
	after := getSecret(t, r, "team-tls")
	if after.ResourceVersion != before.ResourceVersion || len(after.OwnerReferences) != 0 || len(after.Labels) != 0 {
		t.Errorf("the user's TLS Secret was written: %+v", after.ObjectMeta)
	}
	for _, n := range []string{"rk-tls", "rk-tls-ca"} {
		if err := r.Get(context.Background(), types.NamespacedName{Namespace: "apps", Name: n}, &corev1.Secret{}); err == nil {
			t.Errorf("secret %s generated although the cache names its own", n)
		}
	}

	c2 := cacheObj("rk")
	c2.Spec.Kubernetes.TLSSecret = "team-tls"
	partial := tlsSecretFor(t, "apps", "rk", "team-tls")
	delete(partial.Data, keyCACert)
	r = newReconciler(t, c2, partial)
	_, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "apps", Name: "rk"}})
	if err == nil || !strings.Contains(err.Error(), `kubernetes.tlsSecret "team-tls": no key [ca.crt]`) {
		t.Fatalf("reconcile with a TLS Secret lacking ca.crt: %v", err)
	}
	if n := count(t, r, &appsv1.StatefulSetList{}, func(l *appsv1.StatefulSetList) int { return len(l.Items) }); n != 0 {
		t.Errorf("%d StatefulSets created with an unusable TLS Secret", n)
	}
	if s := getSecret(t, r, "team-tls"); len(s.Data) != 2 {
		t.Errorf("the user's incomplete TLS Secret was written: keys %d", len(s.Data))
	}
}

// A Secret named <cache>-tls that the cache does not control is not taken over; without
// TLS no certificate is made.
func TestReconcileTLSForeignSecretAndTLSOff(t *testing.T) {
	foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "rk-tls", Namespace: "apps"}, Data: map[string][]byte{"x": []byte("y")}}
	r := newReconciler(t, cacheObj("rk"), foreign)
	_, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "apps", Name: "rk"}})
	if err == nil || !strings.Contains(err.Error(), "secret apps/rk-tls exists but cache rk does not control it") {
		t.Fatalf("reconcile beside a foreign rk-tls: %v", err)
	}
	if s := getSecret(t, r, "rk-tls"); string(s.Data["x"]) != "y" || len(s.Data) != 1 {
		t.Error("a foreign Secret was written")
	}

	plain := cacheObj("rk")
	plain.Spec.Encryption.InTransit = ptr(false)
	r = newReconciler(t, plain)
	reconcile(t, r, "rk")
	for _, n := range []string{"rk-tls", "rk-tls-ca"} {
		if err := r.Get(context.Background(), types.NamespacedName{Namespace: "apps", Name: n}, &corev1.Secret{}); err == nil {
			t.Errorf("secret %s made for a cache without TLS", n)
		}
	}
}
