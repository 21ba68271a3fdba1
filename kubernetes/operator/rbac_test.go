package operator

import (
	"context"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
)

// Every call a reconcile makes is covered by Permissions: the reconciler is run against a
// client that records each call (and a read through the manager's informers needs get, list
// and watch), over passes that create, heal, and meet a user's Secrets. A new kind of call
// without a permission fails here before it fails in a cluster with "forbidden".
func TestPermissionsCoverTheReconciler(t *testing.T) {
	s, err := Scheme()
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]bool{}
	resourceOf := func(obj runtime.Object) (string, string) {
		gvk, err := apiutil.GVKForObject(obj, s)
		if err != nil {
			t.Fatal(err)
		}
		gvk.Kind = strings.TrimSuffix(gvk.Kind, "List")
		plural, _ := meta.UnsafeGuessKindToResource(gvk)
		return gvk.Group, plural.Resource
	}
	note := func(obj runtime.Object, sub string, verbs ...string) {
		g, r := resourceOf(obj)
		if sub != "" {
			r += "/" + sub
		}
		for _, v := range verbs {
			calls[g+" "+r+" "+v] = true
		}
	}
	funcs := interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			note(obj, "", "get", "list", "watch")
			return c.Get(ctx, key, obj, opts...)
		},
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			note(list, "", "get", "list", "watch")
			return c.List(ctx, list, opts...)
		},
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			note(obj, "", "create")
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			note(obj, "", "update")
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
			note(obj, "", "patch")
			return c.Patch(ctx, obj, p, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			note(obj, "", "delete")
			return c.Delete(ctx, obj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			note(obj, sub, "update")
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
			note(obj, sub, "patch")
			return c.SubResource(sub).Patch(ctx, obj, p, opts...)
		},
	}
	authed := cacheObj("au")
	authed.Spec.Kubernetes.AuthSecret = "team-creds"
	authed.Spec.Kubernetes.TLSSecret = "team-tls"
	objs := []client.Object{cacheObj("rk"), authed,
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "team-creds", Namespace: "apps"}, Data: map[string][]byte{keyAppToken: []byte("t0123456789012345678")}},
		tlsSecretFor(t, "apps", "au", "team-tls"),
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker-a", Labels: map[string]string{corev1.LabelTopologyZone: "zone-a"}}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "rk-0001-0", Namespace: "apps"}, Spec: corev1.PodSpec{NodeName: "worker-a"}}}
	cl := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).WithStatusSubresource(&v1alpha1.Cache{}).WithInterceptorFuncs(funcs).Build()
	r := &Reconciler{Client: cl, Scheme: s}
	for _, name := range []string{"rk", "au", "rk"} {
		if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "apps", Name: name}}); err != nil {
			t.Fatalf("reconcile %s: %v", name, err)
		}
	}
	// A hand-edited ConfigMap, so an update is among the calls.
	cm := &corev1.ConfigMap{}
	if err := cl.Get(context.Background(), types.NamespacedName{Namespace: "apps", Name: "rk-0001-config"}, cm); err != nil {
		t.Fatal(err)
	}
	cm.Data = map[string]string{"x": "y"}
	if err := cl.Update(context.Background(), cm); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "apps", Name: "rk"}}); err != nil {
		t.Fatal(err)
	}

	var uncovered, seen []string
	for call := range calls {
		seen = append(seen, call)
		f := strings.SplitN(call, " ", 3)
		if !Allows(Permissions(false), f[0], f[1], "", f[2]) {
			uncovered = append(uncovered, call)
		}
	}
	sort.Strings(seen)
	sort.Strings(uncovered)
	t.Logf("calls a reconcile made (group resource verb): %s", strings.Join(seen, "; "))
	for _, want := range []string{"rediskit.io caches get", "rediskit.io caches/status update", " secrets create", "apps statefulsets create", " nodes get", " pods get", " configmaps update"} {
		if !calls[want] {
			t.Errorf("the recorder missed %q: the test no longer sees what the reconciler does", want)
		}
	}
	if len(uncovered) > 0 {
		t.Errorf("calls not allowed by Permissions: %s", strings.Join(uncovered, "; "))
	}
}

// Allows honours resource names: the CRD rules reach only the Cache CRD, except create.
func TestPermissionsCRDOnlyItsOwn(t *testing.T) {
	ps := Permissions(true)
	if !Allows(ps, "apiextensions.k8s.io", "customresourcedefinitions", "caches.rediskit.io", "patch") {
		t.Error("patch on the Cache CRD not allowed")
	}
	if Allows(ps, "apiextensions.k8s.io", "customresourcedefinitions", "other.example.com", "patch") {
		t.Error("patch on another CRD allowed")
	}
	if Allows(Permissions(false), "apiextensions.k8s.io", "customresourcedefinitions", "caches.rediskit.io", "get") {
		t.Error("CRD access without installCRD")
	}
}
