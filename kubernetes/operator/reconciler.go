package operator

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
	"github.com/rediskit/rediskit/kubernetes/render"
)

// ReasonInvalid is the Ready condition's reason while the spec is invalid.
const ReasonInvalid = "InvalidSpec"

// Reconciler reconciles Cache objects.
type Reconciler struct {
	client.Client
	Scheme *runtime.Scheme
}

// Scheme is the types the operator reads and writes.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, policyv1.AddToScheme, v1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("building the operator's scheme: %w", err)
		}
	}
	return s, nil
}

// SetupWithManager watches Caches and the objects they own: a change to any of them (a
// StatefulSet deleted, a pod gone) brings the cache back through Reconcile.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.Cache{}).
		Owns(&appsv1.StatefulSet{}).
		Owns(&corev1.Service{}).
		Owns(&corev1.ConfigMap{}).
		Owns(&corev1.Secret{}).
		Owns(&policyv1.PodDisruptionBudget{}).
		Owns(&batchv1.CronJob{}).
		// Node pods are the StatefulSets', not the Cache's: they are mapped to their cache by
		// its label, so a pod that dies or comes back brings the cache through at once.
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(podToCache)).
		// Snapshot Jobs too: a final snapshot's Job is not the Cache's (it runs while the
		// Cache goes), and a restore or final snapshot that ends lets the cache go on at once.
		Watches(&batchv1.Job{}, handler.EnqueueRequestsFromMapFunc(podToCache)).
		Complete(r)
}

func podToCache(_ context.Context, o client.Object) []ctrl.Request {
	name := o.GetLabels()[render.LabelCache]
	if name == "" {
		return nil
	}
	return []ctrl.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}}}
}

// Reconcile brings one cache's objects to what its spec renders and records what it sees.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	c := &v1alpha1.Cache{}
	if err := r.Get(ctx, req.NamespacedName, c); err != nil {
		// Deleted: its objects go with it (owner references).
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if c.DeletionTimestamp != nil {
		// Being deleted: the final snapshot, if any, is all that is left to do. The garbage
		// collector removes what the Cache owns once it is gone (with background deletion;
		// foreground deletion removes the pods first, and with them what a final snapshot
		// would have kept). Applying the objects again now would recreate what is deleted.
		return r.finalize(ctx, c)
	}
	if _, err := r.keepFinalizer(ctx, c); err != nil {
		return ctrl.Result{}, err
	}
	before := &v1alpha1.CacheStatus{}
	c.Status.DeepCopyInto(before)
	res, verr := render.Resolve(c)
	meta.SetStatusCondition(&c.Status.Conditions, render.ValidCondition(verr, c.Generation))
	c.Status.ObservedGeneration = c.Generation
	if verr != nil {
		// Nothing changes on an invalid spec: what runs keeps running as it was.
		c.Status.Phase = v1alpha1.PhaseInvalid
		meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse,
			Reason: ReasonInvalid, Message: "the spec is invalid (see the Valid condition); nothing was changed", ObservedGeneration: c.Generation})
		return ctrl.Result{}, r.writeStatus(ctx, c, before)
	}
	creds, err := r.ensureCredentials(ctx, c, res)
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := r.ensureTLS(ctx, c, res); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.ensureSnapshotStore(ctx, res); err != nil {
		return ctrl.Result{}, err
	}
	// Shards and replicas being removed keep their objects until their slots have moved
	// and their primary roles have been handed over.
	shards, replicas := res.Cache.ShardCount(), spec.Int(res.Cache.Replicas)
	running, runningReplicas, err := r.runningShards(ctx, c)
	if err != nil {
		return ctrl.Result{}, err
	}
	if res.Cache.Mode == spec.ModeCluster {
		n := render.ShardsToRender(shards, running)
		res.Cache.Shards = &n
	}
	if runningReplicas > replicas {
		res.Cache.Replicas = &runningReplicas
	}
	objs, err := render.Render(res, creds)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("rendering cache %s: %w", req.NamespacedName, err)
	}
	for _, o := range objs.All() {
		if _, err := r.apply(ctx, o.(client.Object)); err != nil {
			return ctrl.Result{}, err
		}
	}
	if err := r.removeSnapshotSchedule(ctx, c, objs); err != nil {
		return ctrl.Result{}, err
	}
	r.observeSnapshots(ctx, c, objs)
	result, err := r.converge(ctx, c, res, objs, creds, shards, replicas)
	if err != nil {
		return ctrl.Result{}, err
	}
	return result, r.writeStatus(ctx, c, before)
}

// writeStatus writes the status when it changed.
func (r *Reconciler) writeStatus(ctx context.Context, c *v1alpha1.Cache, before *v1alpha1.CacheStatus) error {
	if apiEqualStatus(before, &c.Status) {
		return nil
	}
	if err := r.Status().Update(ctx, c); err != nil && !apierrors.IsConflict(err) {
		return fmt.Errorf("writing the status of cache %s/%s: %w", c.Namespace, c.Name, err)
	}
	return nil
}
