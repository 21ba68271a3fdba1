package operator

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// apply makes the cluster hold a rendered object: created when missing, and otherwise the
// fields rediskit decides put back to what Render says (labels, owner, and per kind the
// spec or data), leaving what the API server or another controller owns (a Service's
// cluster IP, a StatefulSet's status) alone. It reports whether it wrote anything, so a pass
// over an unchanged cluster writes nothing.
func (r *Reconciler) apply(ctx context.Context, desired client.Object) (bool, error) {
	current := desired.DeepCopyObject().(client.Object)
	err := r.Get(ctx, client.ObjectKeyFromObject(desired), current)
	if apierrors.IsNotFound(err) {
		if err := r.Create(ctx, desired); err != nil {
			return false, fmt.Errorf("creating %T %s: %w", desired, desired.GetName(), err)
		}
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading %T %s: %w", desired, desired.GetName(), err)
	}
	if !mergeDecided(current, desired) {
		return false, nil
	}
	if err := r.Update(ctx, current); err != nil {
		return false, fmt.Errorf("updating %T %s: %w", desired, desired.GetName(), err)
	}
	return true, nil
}

// mergeDecided copies the fields Render decides from desired into current and reports
// whether any differed.
func mergeDecided(current, desired client.Object) bool {
	changed := false
	set := func(differ bool, copyFn func()) {
		if differ {
			copyFn()
			changed = true
		}
	}
	labels := current.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	for k, v := range desired.GetLabels() {
		if labels[k] != v {
			labels[k] = v
			changed = true
		}
	}
	current.SetLabels(labels)
	set(!equality.Semantic.DeepEqual(current.GetOwnerReferences(), desired.GetOwnerReferences()), func() {
		current.SetOwnerReferences(desired.GetOwnerReferences())
	})
	switch cur := current.(type) {
	case *corev1.Secret:
		want := desired.(*corev1.Secret)
		set(!equality.Semantic.DeepEqual(cur.Data, want.Data), func() { cur.Data = want.Data })
	case *corev1.ConfigMap:
		want := desired.(*corev1.ConfigMap)
		set(!equality.Semantic.DeepEqual(cur.Data, want.Data), func() { cur.Data = want.Data })
	case *corev1.Service:
		want := desired.(*corev1.Service)
		// The cluster IP(s) and node ports are the API server's; the rest is decided.
		w := want.Spec.DeepCopy()
		w.ClusterIP, w.ClusterIPs, w.IPFamilies, w.IPFamilyPolicy = cur.Spec.ClusterIP, cur.Spec.ClusterIPs, cur.Spec.IPFamilies, cur.Spec.IPFamilyPolicy
		w.SessionAffinity, w.InternalTrafficPolicy = cur.Spec.SessionAffinity, cur.Spec.InternalTrafficPolicy
		for i := range w.Ports {
			if i < len(cur.Spec.Ports) {
				w.Ports[i].NodePort = cur.Spec.Ports[i].NodePort
			}
		}
		set(!equality.Semantic.DeepEqual(selectorAndPorts(cur.Spec), selectorAndPorts(*w)) || cur.Spec.Type != w.Type ||
			cur.Spec.PublishNotReadyAddresses != w.PublishNotReadyAddresses, func() {
			cur.Spec.Selector, cur.Spec.Ports, cur.Spec.Type, cur.Spec.PublishNotReadyAddresses = w.Selector, w.Ports, w.Type, w.PublishNotReadyAddresses
		})
	case *appsv1.StatefulSet:
		want := desired.(*appsv1.StatefulSet)
		// The claim templates and selector cannot change on a StatefulSet; replicas and the
		// pod template can. Defaults the API server fills in make a field-by-field compare of
		// the template noisy, so the decision is carried by the config hash and the image.
		set(derefInt(cur.Spec.Replicas) != derefInt(want.Spec.Replicas) ||
			!equality.Semantic.DeepEqual(cur.Spec.Template.Annotations, want.Spec.Template.Annotations) ||
			images(cur.Spec.Template.Spec) != images(want.Spec.Template.Spec), func() {
			cur.Spec.Replicas, cur.Spec.Template = want.Spec.Replicas, want.Spec.Template
		})
		set(!equality.Semantic.DeepEqual(cur.Annotations, want.Annotations), func() { cur.Annotations = want.Annotations })
	case *batchv1.CronJob:
		want := desired.(*batchv1.CronJob)
		// The schedule and what each run does are decided; the Job template's defaults
		// are the API server's, so the compare is of the container's command and image.
		set(cur.Spec.Schedule != want.Spec.Schedule || !equality.Semantic.DeepEqual(cur.Spec.StartingDeadlineSeconds, want.Spec.StartingDeadlineSeconds) ||
			images(cur.Spec.JobTemplate.Spec.Template.Spec) != images(want.Spec.JobTemplate.Spec.Template.Spec) ||
			fmt.Sprint(containerArgs(cur.Spec.JobTemplate.Spec.Template.Spec)) != fmt.Sprint(containerArgs(want.Spec.JobTemplate.Spec.Template.Spec)), func() {
			cur.Spec.Schedule, cur.Spec.TimeZone, cur.Spec.StartingDeadlineSeconds = want.Spec.Schedule, want.Spec.TimeZone, want.Spec.StartingDeadlineSeconds
			cur.Spec.JobTemplate = want.Spec.JobTemplate
		})
	case *policyv1.PodDisruptionBudget:
		want := desired.(*policyv1.PodDisruptionBudget)
		set(!equality.Semantic.DeepEqual(cur.Spec.MaxUnavailable, want.Spec.MaxUnavailable) ||
			!equality.Semantic.DeepEqual(cur.Spec.Selector, want.Spec.Selector), func() {
			cur.Spec.MaxUnavailable, cur.Spec.Selector = want.Spec.MaxUnavailable, want.Spec.Selector
		})
	}
	return changed
}

func selectorAndPorts(s corev1.ServiceSpec) any { return []any{s.Selector, s.Ports} }

func derefInt(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

func containerArgs(p corev1.PodSpec) [][]string {
	var out [][]string
	for _, c := range p.Containers {
		out = append(out, c.Args)
	}
	return out
}

func images(p corev1.PodSpec) string {
	out := ""
	for _, c := range p.Containers {
		out += c.Name + "=" + c.Image + ";"
	}
	return out
}
