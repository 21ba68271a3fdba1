package operator

import (
	"context"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
	"github.com/rediskit/rediskit/kubernetes/render"
)

var rkKey = types.NamespacedName{Namespace: "apps", Name: "rk"}

// pass reconciles rk once and returns it (nil once it is gone).
func pass(t *testing.T, r *Reconciler) *v1alpha1.Cache {
	t.Helper()
	ctx := context.Background()
	if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: rkKey}); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	c := &v1alpha1.Cache{}
	if err := r.Get(ctx, rkKey, c); apierrors.IsNotFound(err) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	return c
}

func finalJob(t *testing.T, r *Reconciler) (*batchv1.Job, bool) {
	t.Helper()
	j := &batchv1.Job{}
	err := r.Get(context.Background(), types.NamespacedName{Namespace: "apps", Name: render.SnapshotJobName("rk", render.JobFinal)}, j)
	if apierrors.IsNotFound(err) {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return j, true
}

func finish(t *testing.T, r *Reconciler, j *batchv1.Job, typ batchv1.JobConditionType) {
	t.Helper()
	j.Status.Conditions = append(j.Status.Conditions, batchv1.JobCondition{Type: typ, Status: corev1.ConditionTrue})
	if err := r.Status().Update(context.Background(), j); err != nil {
		t.Fatal(err)
	}
}

// Every cache that takes a final snapshot carries the finalizer; one told not to does not.
func TestFinalizerFollowsTheSpec(t *testing.T) {
	r := newReconciler(t, cacheObj("rk"))
	c := pass(t, r)
	if !controllerutil.ContainsFinalizer(c, FinalSnapshotFinalizer) {
		t.Fatalf("finalizers %v; want %s by default", c.Finalizers, FinalSnapshotFinalizer)
	}
	c.Spec.Snapshots.FinalSnapshot = ptr(false)
	if err := r.Update(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if c = pass(t, r); controllerutil.ContainsFinalizer(c, FinalSnapshotFinalizer) {
		t.Errorf("finalizers %v with finalSnapshot false", c.Finalizers)
	}
}

// A deleted cache that served stays until its final snapshot is taken: one Job, the snapshot
// named once; a failed Job keeps it and says how to go on; a retried Job takes the same
// snapshot; success lets it go (the Job is the cache's, so it goes with it).
func TestFinalSnapshotHoldsDeletion(t *testing.T) {
	ctx := context.Background()
	c := cacheObj("rk")
	c.Finalizers = []string{FinalSnapshotFinalizer}
	c.Status.Phase = v1alpha1.PhaseReady
	r := newReconciler(t, c)
	if err := r.Delete(ctx, c); err != nil {
		t.Fatal(err)
	}
	got := pass(t, r)
	if got == nil || !strings.HasPrefix(got.Status.FinalSnapshot, "rk-final-") {
		t.Fatalf("after the first pass: %+v", got)
	}
	name := got.Status.FinalSnapshot
	j, ok := finalJob(t, r)
	if !ok || j.Annotations[render.AnnotationSnapshot] != name || !strings.HasSuffix(strings.Join(j.Spec.Template.Spec.Containers[0].Args, " "), "-name "+name) {
		t.Fatalf("final snapshot Job %+v", j)
	}
	pvc := &corev1.PersistentVolumeClaim{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: "apps", Name: render.SnapshotStoreName}, pvc); err != nil {
		t.Errorf("the snapshot volume: %v", err)
	}

	finish(t, r, j, batchv1.JobFailed)
	got = pass(t, r)
	cond := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionFinalSnapshot)
	if got == nil || cond == nil || cond.Reason != ReasonSnapshotFailed || !strings.Contains(cond.Message, "finalSnapshot to false") {
		t.Fatalf("after a failed Job: cache %v, condition %+v", got != nil, cond)
	}
	if err := r.Delete(ctx, j); err != nil { // what the condition says to do to try again
		t.Fatal(err)
	}
	got = pass(t, r)
	j, ok = finalJob(t, r)
	if got == nil || !ok || got.Status.FinalSnapshot != name || j.Annotations[render.AnnotationSnapshot] != name {
		t.Fatalf("the retry: cache %v, Job %v, snapshot %q (want %q)", got != nil, ok, got.Status.FinalSnapshot, name)
	}
	if len(j.OwnerReferences) != 1 || j.OwnerReferences[0].UID != c.UID {
		t.Errorf("the final snapshot Job's owners %v; want the cache, so it goes with it", j.OwnerReferences)
	}
	finish(t, r, j, batchv1.JobComplete)
	if got = pass(t, r); got != nil {
		t.Fatalf("the cache stays after its final snapshot: finalizers %v", got.Finalizers)
	}
}

// A cache that never served, or that is told not to, goes without a snapshot.
func TestNoFinalSnapshot(t *testing.T) {
	for _, tc := range []struct {
		name  string
		phase v1alpha1.Phase
		final bool
	}{{"never served", v1alpha1.PhaseCreating, true}, {"told not to", v1alpha1.PhaseReady, false}} {
		c := cacheObj("rk")
		c.Finalizers = []string{FinalSnapshotFinalizer}
		c.Status.Phase = tc.phase
		c.Spec.Snapshots.FinalSnapshot = ptr(tc.final)
		r := newReconciler(t, c)
		if err := r.Delete(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		if got := pass(t, r); got != nil {
			t.Errorf("%s: the cache stays", tc.name)
		}
		if _, ok := finalJob(t, r); ok {
			t.Errorf("%s: a final snapshot Job was made", tc.name)
		}
	}
}

// A cache created from a snapshot is loaded by one Job once it is formed, is not Ready until
// the Job succeeds, and records what it was restored from; a cache that has served is never
// restored over.
func TestRestoreOnce(t *testing.T) {
	ctx := context.Background()
	c := cacheObj("rk")
	c.Spec.Snapshots.RestoreFromSnapshot = "old-auto-20261201-030000"
	c.Status.Phase = v1alpha1.PhaseCreating
	r := newReconciler(t, c)
	res, err := render.Resolve(c)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := render.Render(res, render.Credentials{AppToken: "t0123456789012345678", AdminPassword: "a0123456789012345678"})
	if err != nil {
		t.Fatal(err)
	}
	if wait, err := r.restoring(ctx, c, res, objs, false); wait != "" || err != nil {
		t.Fatalf("before the cluster is formed: %q, %v", wait, err)
	}
	key := types.NamespacedName{Namespace: "apps", Name: render.SnapshotJobName("rk", render.JobRestore)}
	if err := r.Get(ctx, key, &batchv1.Job{}); !apierrors.IsNotFound(err) {
		t.Fatalf("a restore Job before the cluster is formed: %v", err)
	}
	wait, err := r.restoring(ctx, c, res, objs, true)
	j := &batchv1.Job{}
	if err != nil || !strings.Contains(wait, "old-auto-20261201-030000") || r.Get(ctx, key, j) != nil {
		t.Fatalf("once formed: %q, %v", wait, err)
	}
	if wait, _ = r.restoring(ctx, c, res, objs, true); wait == "" {
		t.Error("Ready before the restore Job succeeded")
	}
	finish(t, r, j, batchv1.JobComplete)
	if wait, err = r.restoring(ctx, c, res, objs, true); wait != "" || err != nil || c.Status.RestoredFrom != "old-auto-20261201-030000" ||
		!meta.IsStatusConditionTrue(c.Status.Conditions, v1alpha1.ConditionRestored) {
		t.Fatalf("after the Job: %q, %v, restoredFrom %q", wait, err, c.Status.RestoredFrom)
	}

	served := cacheObj("rk")
	served.Spec.Snapshots.RestoreFromSnapshot = "old-auto-20261201-030000"
	served.Status.Phase = v1alpha1.PhaseReady
	r2 := newReconciler(t, served)
	if wait, err := r2.restoring(ctx, served, res, objs, true); wait != "" || err != nil {
		t.Errorf("a cache that served: %q, %v", wait, err)
	}
	if err := r2.Get(ctx, key, &batchv1.Job{}); !apierrors.IsNotFound(err) {
		t.Errorf("a restore Job over a cache that served: %v", err)
	}
}
