// Package install puts the rediskit operator into a cluster: Objects decides the objects
// (its Namespace, ServiceAccount, ClusterRole and binding, Deployment) as data, without side
// effects; Apply and Remove do it, server-side applying them and waiting for the Deployment.
package install

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/internal/validate"
	"github.com/rediskit/rediskit/kubernetes/operator"
	"github.com/rediskit/rediskit/paramgroup"
)

// Names and defaults of an installation.
const (
	DefaultNamespace = "rediskit-system"
	// Name is the ServiceAccount's and the Deployment's.
	Name = "rediskit-operator"
	// Command is the operator's binary in the engine image.
	Command            = "rediskit-operator"
	FieldOwner         = "rediskit"
	DefaultWaitTimeout = 5 * time.Minute
	MetricsPort        = 8080
	HealthPort         = 8081
	maxReplicas        = 3
)

// DefaultImage is the engine image, which carries the operator's binary too: one image to
// build, load and trust for the nodes and the operator.
var DefaultImage = engine.ImageFor(paramgroup.Valkey, "8.0")

// Options say how to install the operator. The zero value installs the defaults.
type Options struct {
	// Namespace the operator runs in (default rediskit-system).
	Namespace string
	// Image of the operator (default DefaultImage) and its pull policy (default IfNotPresent).
	Image      string
	PullPolicy corev1.PullPolicy
	// WatchNamespace limits the operator to the Caches of one namespace; empty watches all.
	WatchNamespace string
	// Replicas of the operator (default 1): one holds the lease and reconciles, the others
	// wait to take over.
	Replicas int32
	// SkipCRD leaves the CRD to someone else: the operator runs with -install-crd=false and
	// its ClusterRole has no access to CRDs.
	SkipCRD bool
	// RemoveCRD makes Remove delete the CRD too, and with it every Cache in the cluster and
	// the caches' objects. Remove refuses while any Cache would then wait for a final
	// snapshot with no operator left to take it.
	RemoveCRD bool
	// WaitTimeout bounds how long Apply waits for the Deployment (default DefaultWaitTimeout).
	WaitTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Image == "" {
		o.Image = DefaultImage
	}
	if o.PullPolicy == "" {
		o.PullPolicy = corev1.PullIfNotPresent
	}
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.WaitTimeout == 0 {
		o.WaitTimeout = DefaultWaitTimeout
	}
	return o
}

// Validate checks the options with their defaults applied and lists every problem.
func (o Options) Validate() error {
	o = o.withDefaults()
	ps := &validate.Problems{What: "installing the rediskit operator"}
	if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
		ps.Add("namespace", o.Namespace, "a namespace name: lowercase letters, digits and '-' (%s)", strings.Join(errs, "; "))
	}
	if o.WatchNamespace != "" {
		if errs := validation.IsDNS1123Label(o.WatchNamespace); len(errs) > 0 {
			ps.Add("watchNamespace", o.WatchNamespace, "empty (every namespace) or a namespace name (%s)", strings.Join(errs, "; "))
		}
	}
	if strings.ContainsAny(o.Image, " \t\n") || strings.HasPrefix(o.Image, "-") {
		ps.Add("image", o.Image, "an image reference such as %s", DefaultImage)
	}
	switch o.PullPolicy {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		ps.Add("pullPolicy", string(o.PullPolicy), "IfNotPresent, Always or Never")
	}
	if o.Replicas < 1 || o.Replicas > maxReplicas {
		ps.Add("replicas", o.Replicas, "1 to %d: one operator leads, the others only wait for its lease", maxReplicas)
	}
	if o.WaitTimeout < 0 {
		ps.Add("waitTimeout", o.WaitTimeout.String(), "a positive duration, or zero for %s", DefaultWaitTimeout)
	}
	if o.SkipCRD && o.RemoveCRD {
		ps.Add("removeCRD", true, "false when skipCRD is set: the CRD is not this installation's")
	}
	return ps.Err()
}

// ClusterRoleName names the installation's ClusterRole and ClusterRoleBinding. Cluster-wide
// names carry the namespace, so installations in two namespaces (a test's beside the real
// one) never share or delete each other's.
func ClusterRoleName(namespace string) string { return Name + ":" + namespace }

// Objects renders the installation: Namespace, ServiceAccount, ClusterRole, ClusterRoleBinding
// and Deployment, in the order they are applied, each with its TypeMeta so it can be applied
// server-side or printed as a manifest as it is.
func Objects(opts Options) ([]client.Object, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	o := opts.withDefaults()
	ns := &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Namespace, Labels: labels()},
	}
	sa := &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: o.Namespace, Labels: labels()},
	}
	role := &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: ClusterRoleName(o.Namespace), Labels: labels()},
	}
	for _, p := range operator.Permissions(!o.SkipCRD) {
		role.Rules = append(role.Rules, rbacv1.PolicyRule{APIGroups: []string{p.Group}, Resources: p.Resources,
			ResourceNames: p.ResourceNames, Verbs: p.Verbs})
	}
	binding := &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: ClusterRoleName(o.Namespace), Labels: labels()},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: o.Namespace}},
	}
	return []client.Object{ns, sa, role, binding, deployment(o)}, nil
}

// Args are the operator's flags for the options (cmd/rediskit-operator parses them).
func Args(opts Options) []string {
	o := opts.withDefaults()
	return []string{
		"-metrics-bind-address=:" + strconv.Itoa(MetricsPort),
		"-health-probe-bind-address=:" + strconv.Itoa(HealthPort),
		// Always on, whatever the replicas: during a Recreate rollout or a node's loss an old
		// pod may still run beside the new one.
		"-leader-elect=true",
		"-namespace=" + o.WatchNamespace,
		"-install-crd=" + strconv.FormatBool(!o.SkipCRD),
	}
}

func deployment(o Options) *appsv1.Deployment {
	sel := map[string]string{"app.kubernetes.io/name": Name}
	probe := func(path string, period int32) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString("health")}},
			PeriodSeconds: period, TimeoutSeconds: 2, FailureThreshold: 3,
		}
	}
	liveness := probe("/healthz", 10)
	// The CRD install and the informers' first sync happen before the probes answer.
	liveness.InitialDelaySeconds = 15
	uid := int64(engine.ImageUID)
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: o.Namespace, Labels: labels()},
		Spec: appsv1.DeploymentSpec{
			Replicas: &o.Replicas,
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			// Never two versions of the operator at once: the old one goes before the new one
			// starts (the lease would keep the new one idle anyway).
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: merge(labels(), sel)},
				Spec: corev1.PodSpec{
					ServiceAccountName: Name,
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   ptr(true),
						RunAsUser:      &uid,
						RunAsGroup:     &uid,
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:            "operator",
						Image:           o.Image,
						ImagePullPolicy: o.PullPolicy,
						Command:         []string{Command},
						Args:            Args(o),
						Ports: []corev1.ContainerPort{
							{Name: "metrics", ContainerPort: MetricsPort, Protocol: corev1.ProtocolTCP},
							{Name: "health", ContainerPort: HealthPort, Protocol: corev1.ProtocolTCP},
						},
						LivenessProbe:  liveness,
						ReadinessProbe: probe("/readyz", 5),
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
						},
						SecurityContext: &corev1.SecurityContext{
							RunAsNonRoot:             ptr(true),
							AllowPrivilegeEscalation: ptr(false),
							ReadOnlyRootFilesystem:   ptr(true),
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
					}},
				},
			},
		},
	}
}

func labels() map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":       Name,
		"app.kubernetes.io/part-of":    "rediskit",
		"app.kubernetes.io/managed-by": FieldOwner,
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// describe names an object for messages, e.g. Deployment rediskit-system/rediskit-operator.
func describe(o client.Object) string {
	kind := o.GetObjectKind().GroupVersionKind().Kind
	if o.GetNamespace() == "" {
		return fmt.Sprintf("%s %s", kind, o.GetName())
	}
	return fmt.Sprintf("%s %s/%s", kind, o.GetNamespace(), o.GetName())
}
