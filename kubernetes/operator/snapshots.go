package operator

import (
	"context"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
	"github.com/rediskit/rediskit/kubernetes/render"
)

// FinalSnapshotFinalizer holds a Cache that takes a final snapshot until it is taken.
const FinalSnapshotFinalizer = "rediskit.io/final-snapshot"

// Reasons of the Restored and FinalSnapshot conditions.
const (
	ReasonRestoring      = "Restoring"
	ReasonRestored       = "Restored"
	ReasonRestoreFailed  = "RestoreFailed"
	ReasonTakingSnapshot = "TakingSnapshot"
	ReasonSnapshotFailed = "SnapshotFailed"
)

// RequeueSnapshotJob is how often a pass looks at a running snapshot or restore Job (besides
// the Job's own events, which bring the cache through at once).
var RequeueSnapshotJob = 5 * time.Second

// jobState is where a Job is.
type jobState int

const (
	jobRunning jobState = iota
	jobSucceeded
	jobFailed
)

func stateOf(j *batchv1.Job) jobState {
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return jobSucceeded
		case batchv1.JobFailed:
			return jobFailed
		}
	}
	return jobRunning
}

// ensureSnapshotStore creates the namespace's snapshot volume when the cache needs it and it
// is missing. It is never changed or deleted afterwards: it holds every cache's snapshots.
func (r *Reconciler) ensureSnapshotStore(ctx context.Context, res *render.Resolved) error {
	if !render.SnapshotsUsed(res) {
		return nil
	}
	want := render.SnapshotStore(res)
	err := r.Get(ctx, client.ObjectKeyFromObject(want), &corev1.PersistentVolumeClaim{})
	if apierrors.IsNotFound(err) {
		if err := r.Create(ctx, want); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating the snapshot volume %s/%s: %w", want.Namespace, want.Name, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the snapshot volume %s/%s: %w", want.Namespace, want.Name, err)
	}
	return nil
}

// removeSnapshotSchedule deletes the cache's CronJob once automatic snapshots are turned off.
func (r *Reconciler) removeSnapshotSchedule(ctx context.Context, c *v1alpha1.Cache, objs *render.Objects) error {
	if objs.Snapshots != nil {
		return nil
	}
	cj := &batchv1.CronJob{}
	key := types.NamespacedName{Namespace: c.Namespace, Name: render.SnapshotScheduleName(c.Name)}
	if err := r.Get(ctx, key, cj); err != nil {
		return client.IgnoreNotFound(err)
	}
	if !metav1.IsControlledBy(cj, c) {
		return nil
	}
	if err := r.Delete(ctx, cj, client.PropagationPolicy(metav1.DeletePropagationBackground)); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting the snapshot schedule %s: %w", key, err)
	}
	return nil
}

// observeSnapshots records when the newest scheduled snapshot succeeded.
func (r *Reconciler) observeSnapshots(ctx context.Context, c *v1alpha1.Cache, objs *render.Objects) {
	if objs.Snapshots == nil {
		return
	}
	cj := &batchv1.CronJob{}
	if err := r.Get(ctx, client.ObjectKeyFromObject(objs.Snapshots), cj); err == nil && cj.Status.LastSuccessfulTime != nil {
		c.Status.LastSnapshotTime = cj.Status.LastSuccessfulTime.DeepCopy()
	}
}

// restoring decides a new cache's restore: a cache created from a snapshot is loaded once,
// when it is first formed and before it is first Ready (its clients find it whole or not
// at all). It returns what the cache waits for ("" when nothing).
func (r *Reconciler) restoring(ctx context.Context, c *v1alpha1.Cache, res *render.Resolved, objs *render.Objects, formed bool) (string, error) {
	name := res.Cache.Snapshots.RestoreFromSnapshot
	if name == "" || c.Status.RestoredFrom != "" {
		return "", nil
	}
	switch c.Status.Phase {
	case "", v1alpha1.PhasePending, v1alpha1.PhaseCreating:
	default:
		// Restoring is part of creating a cache: one that has served never is overwritten.
		return "", nil
	}
	if !formed {
		return "", nil // the cluster forms first; the caller waits for that
	}
	want := render.RestoreJob(res, objs, name)
	job := &batchv1.Job{}
	err := r.Get(ctx, client.ObjectKeyFromObject(want), job)
	if apierrors.IsNotFound(err) {
		if err := r.Create(ctx, want); err != nil {
			return "", fmt.Errorf("creating the restore Job %s: %w", want.Name, err)
		}
		setCondition(c, v1alpha1.ConditionRestored, metav1.ConditionFalse, ReasonRestoring, "loading snapshot %s (Job %s)", name, want.Name)
		return fmt.Sprintf("restoring snapshot %s (Job %s)", name, want.Name), nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the restore Job %s: %w", want.Name, err)
	}
	switch stateOf(job) {
	case jobSucceeded:
		c.Status.RestoredFrom = name
		setCondition(c, v1alpha1.ConditionRestored, metav1.ConditionTrue, ReasonRestored, "restored from snapshot %s", name)
		log.FromContext(ctx).Info("restored", "snapshot", name)
		return "", nil
	case jobFailed:
		setCondition(c, v1alpha1.ConditionRestored, metav1.ConditionFalse, ReasonRestoreFailed,
			"restoring snapshot %s failed (kubectl logs job/%s); delete the Job to try again", name, job.Name)
		return fmt.Sprintf("restoring snapshot %s failed (Job %s)", name, job.Name), nil
	}
	setCondition(c, v1alpha1.ConditionRestored, metav1.ConditionFalse, ReasonRestoring, "loading snapshot %s (Job %s)", name, job.Name)
	return fmt.Sprintf("restoring snapshot %s (Job %s)", name, job.Name), nil
}

// keepFinalizer adds the final-snapshot finalizer to a cache that takes a final snapshot and
// removes it from one that no longer does. It reports whether it changed the Cache.
func (r *Reconciler) keepFinalizer(ctx context.Context, c *v1alpha1.Cache) (bool, error) {
	want := spec.Bool(spec.Defaults(c.Spec.Cache).Snapshots.FinalSnapshot)
	if want == controllerutil.ContainsFinalizer(c, FinalSnapshotFinalizer) {
		return false, nil
	}
	if want {
		controllerutil.AddFinalizer(c, FinalSnapshotFinalizer)
	} else {
		controllerutil.RemoveFinalizer(c, FinalSnapshotFinalizer)
	}
	if err := r.Update(ctx, c); err != nil {
		return false, fmt.Errorf("updating the finalizers of cache %s/%s: %w", c.Namespace, c.Name, err)
	}
	return true, nil
}

// finalize takes a deleted cache's final snapshot, then lets it go. A cache that never
// served has nothing to keep; a cache told not to (snapshots.finalSnapshot false, which may
// be set on a cache already being deleted) goes at once. A failed snapshot keeps the cache,
// and says so: its data is not lost to a deletion.
func (r *Reconciler) finalize(ctx context.Context, c *v1alpha1.Cache) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(c, FinalSnapshotFinalizer) {
		return ctrl.Result{}, nil
	}
	release := func() (ctrl.Result, error) {
		controllerutil.RemoveFinalizer(c, FinalSnapshotFinalizer)
		err := r.Update(ctx, c)
		switch {
		case apierrors.IsConflict(err):
			return ctrl.Result{RequeueAfter: RequeueSnapshotJob}, nil // a stale copy: looked at again
		case client.IgnoreNotFound(err) != nil:
			return ctrl.Result{}, fmt.Errorf("releasing cache %s/%s: %w", c.Namespace, c.Name, err)
		}
		return ctrl.Result{}, nil
	}
	served := c.Status.Phase == v1alpha1.PhaseReady || c.Status.Phase == v1alpha1.PhaseDegraded || c.Status.Phase == v1alpha1.PhaseUpdating
	if !spec.Bool(spec.Defaults(c.Spec.Cache).Snapshots.FinalSnapshot) || !served {
		return release()
	}
	res, err := render.Resolve(c)
	if err != nil {
		// An invalid spec still names the cache's nodes well enough only if it resolves.
		setCondition(c, v1alpha1.ConditionFinalSnapshot, metav1.ConditionFalse, ReasonSnapshotFailed,
			"the spec is invalid, so the final snapshot cannot be taken: fix it, or set snapshots.finalSnapshot to false")
		return ctrl.Result{RequeueAfter: RequeueForming}, r.Status().Update(ctx, c)
	}
	creds, err := r.ensureCredentials(ctx, c, res)
	if err != nil {
		return ctrl.Result{}, err
	}
	objs, err := render.Render(res, creds)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("rendering cache %s/%s for its final snapshot: %w", c.Namespace, c.Name, err)
	}
	if err := r.ensureSnapshotStore(ctx, res); err != nil {
		return ctrl.Result{}, err
	}
	if c.Status.FinalSnapshot == "" {
		// Named once, in the status, so every pass asks for the same snapshot.
		c.Status.FinalSnapshot = fmt.Sprintf("%s-final-%s", c.Name, time.Now().UTC().Format("20060102-150405"))
		setCondition(c, v1alpha1.ConditionFinalSnapshot, metav1.ConditionFalse, ReasonTakingSnapshot, "taking the final snapshot %s", c.Status.FinalSnapshot)
		if err := r.Status().Update(ctx, c); err != nil {
			return ctrl.Result{}, fmt.Errorf("naming the final snapshot of %s/%s: %w", c.Namespace, c.Name, err)
		}
	}
	want := render.FinalSnapshotJob(res, objs, c.Status.FinalSnapshot)
	job := &batchv1.Job{}
	err = r.Get(ctx, client.ObjectKeyFromObject(want), job)
	if apierrors.IsNotFound(err) {
		if err := r.Create(ctx, want); apierrors.IsAlreadyExists(err) {
			return ctrl.Result{RequeueAfter: RequeueSnapshotJob}, nil // seen next pass
		} else if err != nil {
			return ctrl.Result{}, fmt.Errorf("creating the final snapshot Job %s: %w", want.Name, err)
		}
		log.FromContext(ctx).Info("taking the final snapshot", "snapshot", c.Status.FinalSnapshot)
		return ctrl.Result{RequeueAfter: RequeueSnapshotJob}, nil
	}
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("reading the final snapshot Job %s: %w", want.Name, err)
	}
	if job.Annotations[render.AnnotationSnapshot] != c.Status.FinalSnapshot {
		// A Job of an earlier cache of the same name: out of the way, then ours.
		if err := r.Delete(ctx, job, client.PropagationPolicy(metav1.DeletePropagationBackground)); client.IgnoreNotFound(err) != nil {
			return ctrl.Result{}, fmt.Errorf("deleting the stale Job %s: %w", job.Name, err)
		}
		return ctrl.Result{RequeueAfter: RequeueSnapshotJob}, nil
	}
	switch stateOf(job) {
	case jobSucceeded:
		// The Job is the cache's: the garbage collector removes it with the cache's other
		// objects once the cache is gone. Deleting it here instead would let a pass that
		// still sees the cache (the informer lags) make it again, with nothing left to run on.
		log.FromContext(ctx).Info("final snapshot taken", "snapshot", c.Status.FinalSnapshot)
		return release()
	case jobFailed:
		setCondition(c, v1alpha1.ConditionFinalSnapshot, metav1.ConditionFalse, ReasonSnapshotFailed,
			"the final snapshot %s failed (kubectl logs job/%s); the cache stays until it is taken: delete the Job to try again, or set snapshots.finalSnapshot to false to delete the cache without one",
			c.Status.FinalSnapshot, job.Name)
		if err := r.Status().Update(ctx, c); err != nil && !apierrors.IsConflict(err) {
			return ctrl.Result{}, err
		}
		return ctrl.Result{RequeueAfter: RequeueForming}, nil
	}
	return ctrl.Result{RequeueAfter: RequeueSnapshotJob}, nil
}

func setCondition(c *v1alpha1.Cache, typ string, status metav1.ConditionStatus, reason, format string, args ...any) {
	meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{Type: typ, Status: status, Reason: reason,
		Message: fmt.Sprintf(format, args...), ObservedGeneration: c.Generation})
}
