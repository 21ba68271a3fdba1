package install

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/rediskit/rediskit/kubernetes/api/crd"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
	"github.com/rediskit/rediskit/kubernetes/operator"
)

// pollInterval is how often Apply looks at the Deployment while it waits.
var pollInterval = 2 * time.Second

// Apply installs or updates the operator: it server-side applies every object of Objects
// (field owner "rediskit", taking over fields another manager set, so the installation is
// as rendered) and waits until the Deployment is Available with every replica updated, at
// most opts.WaitTimeout. The error of a wait that ran out says what is still missing,
// down to the pods' states.
func Apply(ctx context.Context, cfg *rest.Config, opts Options) error {
	objs, err := Objects(opts)
	if err != nil {
		return err
	}
	o := opts.withDefaults()
	cl, err := newClient(cfg)
	if err != nil {
		return err
	}
	for _, obj := range objs {
		u, err := forApply(obj)
		if err != nil {
			return err
		}
		//nolint:staticcheck // Patch with client.Apply works on unstructured objects without generated apply configurations.
		if err := cl.Patch(ctx, u, client.Apply, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
			return fmt.Errorf("installing the operator: applying %s: %w", describe(obj), err)
		}
	}
	return waitAvailable(ctx, cl, o)
}

// Remove deletes what Apply made, the Deployment first. The Namespace goes only when it is
// DefaultNamespace, the one an installation owns by name; a namespace the caller named may
// hold more than the operator. The CRD goes only with opts.RemoveCRD, since deleting it
// deletes every Cache. Objects already gone are no error.
//
// Remove deletes nothing while that would strand a cache (removalBlockers): a cache being
// deleted waits for a final snapshot only the operator takes, and a cache deleted with the
// CRD would wait forever. Caches that are not being deleted keep running unmanaged until an
// operator is installed again.
func Remove(ctx context.Context, cfg *rest.Config, opts Options) error {
	objs, err := Objects(opts)
	if err != nil {
		return err
	}
	o := opts.withDefaults()
	cl, err := newClient(cfg)
	if err != nil {
		return err
	}
	caches, err := listCaches(ctx, cl, o)
	if err != nil {
		return err
	}
	if err := removalBlockers(caches, o); err != nil {
		return err
	}
	var errs []error
	for i := len(objs) - 1; i >= 0; i-- {
		obj := objs[i]
		if _, isNS := obj.(*corev1.Namespace); isNS && o.Namespace != DefaultNamespace {
			continue
		}
		if err := cl.Delete(ctx, obj, client.PropagationPolicy("Background")); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("removing the operator: deleting %s: %w", describe(obj), err))
		}
	}
	if o.RemoveCRD {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("apiextensions.k8s.io/v1")
		u.SetKind("CustomResourceDefinition")
		u.SetName(crd.Name)
		if err := cl.Delete(ctx, u); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("removing the operator: deleting CustomResourceDefinition %s: %w", crd.Name, err))
		}
	}
	return errors.Join(errs...)
}

// listCaches lists the Caches Remove must look at: every namespace's when the CRD is to go
// (it takes all of them), else those of the namespaces the operator watches. No CRD means
// no caches.
func listCaches(ctx context.Context, cl client.Client, o Options) ([]v1alpha1.Cache, error) {
	var scope []client.ListOption
	if o.WatchNamespace != "" && !o.RemoveCRD {
		scope = append(scope, client.InNamespace(o.WatchNamespace))
	}
	list := &v1alpha1.CacheList{}
	if err := cl.List(ctx, list, scope...); err != nil {
		if meta.IsNoMatchError(err) || apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("removing the operator: listing the caches it manages: %w", err)
	}
	return list.Items, nil
}

// removalBlockers lists every cache that removing the operator now would strand, with what
// to do about each.
func removalBlockers(caches []v1alpha1.Cache, o Options) error {
	var errs []error
	for _, c := range caches {
		// Only the finalizer holds a deleted cache; one without it (never served, or
		// snapshots.finalSnapshot false) goes at once, with the CRD or on its own.
		if !controllerutil.ContainsFinalizer(&c, operator.FinalSnapshotFinalizer) {
			continue
		}
		key := c.Namespace + "/" + c.Name
		switch {
		case c.DeletionTimestamp != nil:
			errs = append(errs, fmt.Errorf("removing the operator: cache %s is being deleted and only the operator releases it, "+
				"after its final snapshot if it ever served: wait until it is gone, or give up the snapshot by removing the finalizer %s",
				key, operator.FinalSnapshotFinalizer))
		case o.RemoveCRD:
			errs = append(errs, fmt.Errorf("removing the operator with RemoveCRD: deleting the CRD would delete cache %s, whose final snapshot "+
				"no operator would be left to take: delete the caches first, or remove the operator without RemoveCRD", key))
		}
	}
	return errors.Join(errs...)
}

func newClient(cfg *rest.Config) (client.Client, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, rbacv1.AddToScheme, v1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("building the installer's scheme: %w", err)
		}
	}
	cl, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		return nil, fmt.Errorf("connecting to the API server: %w", err)
	}
	return cl, nil
}

// forApply is the object as an apply request: without status and the empty creation
// timestamps a typed object serializes, which are not ours to claim.
func forApply(obj client.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("installing the operator: converting %s: %w", describe(obj), err)
	}
	delete(m, "status")
	unstructured.RemoveNestedField(m, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(m, "spec", "template", "metadata", "creationTimestamp")
	return &unstructured.Unstructured{Object: m}, nil
}

// waitAvailable polls the Deployment until available reports nothing missing.
func waitAvailable(ctx context.Context, cl client.Client, o Options) error {
	deadline := time.Now().Add(o.WaitTimeout)
	for {
		missing, err := available(ctx, cl, o)
		if err == nil && missing == "" {
			return nil
		}
		if err != nil {
			missing = err.Error()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("installing the operator: Deployment %s/%s not available after %s: still waiting for %s (Options.WaitTimeout sets the wait)",
				o.Namespace, Name, o.WaitTimeout, missing)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("installing the operator: waiting for Deployment %s/%s: %w (still waiting for %s)", o.Namespace, Name, ctx.Err(), missing)
		case <-time.After(pollInterval):
		}
	}
}

// available says what the Deployment still lacks ("" when it is Available with every
// replica of its current generation), and what its pods are doing.
func available(ctx context.Context, cl client.Client, o Options) (string, error) {
	d := &appsv1.Deployment{}
	if err := cl.Get(ctx, client.ObjectKey{Namespace: o.Namespace, Name: Name}, d); err != nil {
		return "", fmt.Errorf("reading the Deployment: %w", err)
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	var missing []string
	if d.Status.ObservedGeneration < d.Generation {
		missing = append(missing, fmt.Sprintf("the Deployment controller to see generation %d (seen %d)", d.Generation, d.Status.ObservedGeneration))
	}
	availableCond := false
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable {
			availableCond = c.Status == corev1.ConditionTrue
			if !availableCond {
				missing = append(missing, fmt.Sprintf("condition Available (now %s, %s: %s)", c.Status, c.Reason, c.Message))
			}
		}
	}
	if !availableCond && len(missing) == 0 {
		missing = append(missing, "condition Available (not reported yet)")
	}
	if d.Status.UpdatedReplicas < want || d.Status.AvailableReplicas < want || d.Status.Replicas > want {
		missing = append(missing, fmt.Sprintf("%d updated and available replicas (updated %d, available %d, total %d)",
			want, d.Status.UpdatedReplicas, d.Status.AvailableReplicas, d.Status.Replicas))
	}
	if len(missing) == 0 {
		return "", nil
	}
	pods := &corev1.PodList{}
	if err := cl.List(ctx, pods, client.InNamespace(o.Namespace), client.MatchingLabels(d.Spec.Selector.MatchLabels)); err == nil {
		missing = append(missing, podStates(pods.Items))
	}
	return strings.Join(missing, "; "), nil
}

// podStates describes the operator's pods for a wait's error: a pull failure, a crash loop
// or an unschedulable pod is what a user needs to see.
func podStates(pods []corev1.Pod) string {
	if len(pods) == 0 {
		return "no pod yet"
	}
	var out []string
	for _, p := range pods {
		s := fmt.Sprintf("pod %s %s", p.Name, p.Status.Phase)
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status != corev1.ConditionTrue {
				s += fmt.Sprintf(" (unscheduled: %s)", c.Message)
			}
		}
		for _, cs := range p.Status.ContainerStatuses {
			switch {
			case cs.State.Waiting != nil:
				s += fmt.Sprintf(", %s waiting: %s %s", cs.Name, cs.State.Waiting.Reason, cs.State.Waiting.Message)
			case cs.State.Terminated != nil:
				s += fmt.Sprintf(", %s terminated: %s (exit %d)", cs.Name, cs.State.Terminated.Reason, cs.State.Terminated.ExitCode)
			case !cs.Ready:
				s += fmt.Sprintf(", %s running, not ready", cs.Name)
			}
			if cs.RestartCount > 0 {
				s += fmt.Sprintf(", %d restarts", cs.RestartCount)
			}
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}
