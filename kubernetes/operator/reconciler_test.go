package operator

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
)

func ptr[T any](v T) *T { return &v }

func cacheObj(name string) *v1alpha1.Cache {
	c := &v1alpha1.Cache{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "apps", UID: types.UID("uid-" + name), Generation: 2}}
	c.Spec.Mode = spec.ModeCluster
	c.Spec.Engine, c.Spec.EngineVersion = "valkey", "8.0"
	c.Spec.Shards, c.Spec.Replicas = ptr(3), ptr(1)
	c.Spec.Zones = []string{"zone-a", "zone-b", "zone-c"}
	return c
}

func newReconciler(t *testing.T, objs ...client.Object) *Reconciler {
	t.Helper()
	s, err := Scheme()
	if err != nil {
		t.Fatal(err)
	}
	cl := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).WithStatusSubresource(&v1alpha1.Cache{}).Build()
	return &Reconciler{Client: cl, Scheme: s}
}

func reconcile(t *testing.T, r *Reconciler, name string) *v1alpha1.Cache {
	t.Helper()
	key := types.NamespacedName{Namespace: "apps", Name: name}
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key}); err != nil {
		t.Fatalf("reconcile %s: %v", name, err)
	}
	c := &v1alpha1.Cache{}
	if err := r.Get(context.Background(), key, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func count[L client.ObjectList](t *testing.T, r *Reconciler, list L, items func(L) int) int {
	t.Helper()
	if err := r.List(context.Background(), list, client.InNamespace("apps")); err != nil {
		t.Fatal(err)
	}
	return items(list)
}

// An invalid spec is reported by field in the Valid condition and changes nothing.
func TestReconcileInvalidSpecChangesNothing(t *testing.T) {
	c := cacheObj("bad")
	c.Spec.Shards = ptr(600)
	c.Spec.Parameters = map[string]string{"maxmemory-polcy": "allkeys-lru"}
	r := newReconciler(t, c)
	got := reconcile(t, r, "bad")
	if got.Status.Phase != v1alpha1.PhaseInvalid {
		t.Errorf("phase %q, want Invalid", got.Status.Phase)
	}
	valid := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionValid)
	if valid == nil || valid.Status != metav1.ConditionFalse || valid.ObservedGeneration != 2 {
		t.Fatalf("Valid condition %+v, want False at generation 2", valid)
	}
	for _, want := range []string{"spec.shards: 600", "spec.parameters.maxmemory-polcy"} {
		if !strings.Contains(valid.Message, want) {
			t.Errorf("Valid message lacks %q: %s", want, valid.Message)
		}
	}
	if n := count(t, r, &appsv1.StatefulSetList{}, func(l *appsv1.StatefulSetList) int { return len(l.Items) }); n != 0 {
		t.Errorf("%d StatefulSets created for an invalid spec", n)
	}
	if n := count(t, r, &corev1.SecretList{}, func(l *corev1.SecretList) int { return len(l.Items) }); n != 0 {
		t.Errorf("%d Secrets created for an invalid spec", n)
	}
}

// A valid cache gets its objects, owned by it; a second pass writes nothing; a deleted
// StatefulSet and a tampered ConfigMap are put back (level-triggered); the credentials stay.
func TestReconcileCreatesAndHeals(t *testing.T) {
	c := cacheObj("rk")
	c.Spec.Kubernetes.TLSSecret = "rk-team-tls"
	r := newReconciler(t, c, tlsSecretFor(t, "apps", "rk", "rk-team-tls"),
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker-a", Labels: map[string]string{corev1.LabelTopologyZone: "zone-a"}}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "rk-0001-0", Namespace: "apps"}, Spec: corev1.PodSpec{NodeName: "worker-a"},
			Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}})
	got := reconcile(t, r, "rk")
	ctx := context.Background()

	sets := &appsv1.StatefulSetList{}
	if n := count(t, r, sets, func(l *appsv1.StatefulSetList) int { return len(l.Items) }); n != 3 {
		t.Fatalf("%d StatefulSets, want 3 (one per shard)", n)
	}
	for _, s := range sets.Items {
		if len(s.OwnerReferences) != 1 || s.OwnerReferences[0].UID != "uid-rk" {
			t.Errorf("StatefulSet %s owners %+v, want the Cache", s.Name, s.OwnerReferences)
		}
	}
	if n := count(t, r, &policyv1.PodDisruptionBudgetList{}, func(l *policyv1.PodDisruptionBudgetList) int { return len(l.Items) }); n != 3 {
		t.Errorf("%d budgets, want 3", n)
	}
	if n := count(t, r, &corev1.ServiceList{}, func(l *corev1.ServiceList) int { return len(l.Items) }); n != 2 {
		t.Errorf("%d Services, want the headless and the client Service", n)
	}
	auth := &corev1.Secret{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: "apps", Name: "rk-auth"}, auth); err != nil {
		t.Fatalf("the credentials Secret: %v", err)
	}
	token := string(auth.Data[keyAppToken])
	if len(token) != 48 || len(auth.Data[keyAdminPassword]) != 48 {
		t.Errorf("generated credentials: token %d, admin %d characters; want 48", len(token), len(auth.Data[keyAdminPassword]))
	}

	// Status: the pod that exists is seen on its node in its zone; its node does not answer
	// (the pod has no address), so nothing is formed and the cache is not Ready.
	if got.Status.Phase != v1alpha1.PhaseCreating || got.Status.Shards != 3 || len(got.Status.Nodes) != 6 {
		t.Errorf("status phase %q, %d shards, %d nodes; want Creating, 3, 6", got.Status.Phase, got.Status.Shards, len(got.Status.Nodes))
	}
	first := got.Status.Nodes[0]
	if first.Pod != "rk-0001-0" || first.Node != "worker-a" || first.Zone != "zone-a" || first.Ready {
		t.Errorf("node 0 status %+v, want pod rk-0001-0 on worker-a in zone-a, not ready (its node does not answer)", first)
	}
	ready := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady)
	if ready == nil || ready.Status != metav1.ConditionFalse || ready.Reason != ReasonForming || !strings.Contains(ready.Message, "0 of 6 nodes answer") {
		t.Errorf("Ready condition %+v, want False/Forming saying 0 of 6 nodes answer", ready)
	}

	// A second pass over an unchanged cluster writes nothing.
	versions := map[string]string{}
	for _, s := range sets.Items {
		versions[s.Name] = s.ResourceVersion
	}
	again := reconcile(t, r, "rk")
	sets2 := &appsv1.StatefulSetList{}
	count(t, r, sets2, func(l *appsv1.StatefulSetList) int { return len(l.Items) })
	for _, s := range sets2.Items {
		if versions[s.Name] != s.ResourceVersion {
			t.Errorf("StatefulSet %s rewritten by a pass that had nothing to change", s.Name)
		}
	}
	if again.ResourceVersion != got.ResourceVersion {
		t.Error("the status was rewritten by a pass that observed nothing new")
	}

	// Heal: a deleted StatefulSet comes back; a ConfigMap edited by hand is put back.
	if err := r.Delete(ctx, &sets.Items[1]); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: "apps", Name: "rk-0001-config"}, cm); err != nil {
		t.Fatal(err)
	}
	original := cm.Data["rk-0001-0.conf"]
	cm.Data["rk-0001-0.conf"] = "appendonly no\n"
	if err := r.Update(ctx, cm); err != nil {
		t.Fatal(err)
	}
	reconcile(t, r, "rk")
	if err := r.Get(ctx, client.ObjectKeyFromObject(&sets.Items[1]), &appsv1.StatefulSet{}); err != nil {
		t.Errorf("the deleted StatefulSet %s was not recreated: %v", sets.Items[1].Name, err)
	}
	if err := r.Get(ctx, types.NamespacedName{Namespace: "apps", Name: "rk-0001-config"}, cm); err != nil || cm.Data["rk-0001-0.conf"] != original {
		t.Errorf("the edited ConfigMap was not put back (%v)", err)
	}
	if err := r.Get(ctx, types.NamespacedName{Namespace: "apps", Name: "rk-auth"}, auth); err != nil || string(auth.Data[keyAppToken]) != token {
		t.Error("the app token changed between passes")
	}
}

// Credentials from kubernetes.authSecret: a missing key is an error naming it.
func TestReconcileAuthSecret(t *testing.T) {
	c := cacheObj("rk")
	c.Spec.Kubernetes.AuthSecret = "team-creds"
	r := newReconciler(t, c, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "team-creds", Namespace: "apps"}, Data: map[string][]byte{"other": []byte("x")}})
	_, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "apps", Name: "rk"}})
	if err == nil || !strings.Contains(err.Error(), `kubernetes.authSecret "team-creds": no key [token]`) {
		t.Fatalf("reconcile with a Secret lacking the token: %v", err)
	}
	if n := count(t, r, &appsv1.StatefulSetList{}, func(l *appsv1.StatefulSetList) int { return len(l.Items) }); n != 0 {
		t.Errorf("%d StatefulSets created without credentials", n)
	}
}

// A Cache being deleted is left to the garbage collector: a pass recreates nothing (it did,
// and a foreground deletion never ended).
func TestReconcileLeavesADeletedCacheAlone(t *testing.T) {
	c := cacheObj("rk")
	now := metav1.Now()
	c.DeletionTimestamp, c.Finalizers = &now, []string{"foregroundDeletion"}
	r := newReconciler(t, c)
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "apps", Name: "rk"}}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, r, &appsv1.StatefulSetList{}, func(l *appsv1.StatefulSetList) int { return len(l.Items) }); n != 0 {
		t.Errorf("%d StatefulSets created for a Cache being deleted", n)
	}
	if n := count(t, r, &corev1.SecretList{}, func(l *corev1.SecretList) int { return len(l.Items) }); n != 0 {
		t.Errorf("%d Secrets created for a Cache being deleted", n)
	}
}
