package install

import (
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rediskit/rediskit/kubernetes/operator"
)

func objects(t *testing.T, o Options) (*corev1.Namespace, *corev1.ServiceAccount, *rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding, *appsv1.Deployment) {
	t.Helper()
	objs, err := Objects(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 5 {
		t.Fatalf("%d objects, want Namespace, ServiceAccount, ClusterRole, ClusterRoleBinding, Deployment", len(objs))
	}
	for _, obj := range objs {
		if gvk := obj.GetObjectKind().GroupVersionKind(); gvk.Kind == "" || gvk.Version == "" {
			t.Errorf("%T %s has no TypeMeta: it cannot be applied server-side", obj, obj.GetName())
		}
	}
	return objs[0].(*corev1.Namespace), objs[1].(*corev1.ServiceAccount), objs[2].(*rbacv1.ClusterRole),
		objs[3].(*rbacv1.ClusterRoleBinding), objs[4].(*appsv1.Deployment)
}

// ruleAllows evaluates RBAC rules as the API server does for one request (no wildcards: the
// role has none, which the test checks too).
func ruleAllows(rules []rbacv1.PolicyRule, group, resource, name, verb string) bool {
	for _, r := range rules {
		if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) &&
			(len(r.ResourceNames) == 0 || slices.Contains(r.ResourceNames, name)) {
			return true
		}
	}
	return false
}

// The ClusterRole grants every permission the operator's reconciler needs (operator.Permissions,
// which a test there checks against the calls a reconcile makes), nothing by wildcard, and the
// CRD only when the operator installs it.
func TestClusterRoleCoversTheReconciler(t *testing.T) {
	for _, skip := range []bool{false, true} {
		_, sa, role, binding, _ := objects(t, Options{SkipCRD: skip})
		for _, p := range operator.Permissions(!skip) {
			name := ""
			if len(p.ResourceNames) > 0 {
				name = p.ResourceNames[0]
			}
			for _, res := range p.Resources {
				for _, v := range p.Verbs {
					if !ruleAllows(role.Rules, p.Group, res, name, v) {
						t.Errorf("skipCRD %v: the ClusterRole does not allow %s on %q %s", skip, v, p.Group, res)
					}
				}
			}
		}
		for _, need := range [][2]string{{"rediskit.io", "caches"}, {"rediskit.io", "caches/status"}, {"rediskit.io", "caches/finalizers"},
			{"apps", "statefulsets"}, {"", "services"}, {"", "configmaps"}, {"", "secrets"}, {"", "pods"}, {"", "persistentvolumeclaims"},
			{"", "events"}, {"policy", "poddisruptionbudgets"}, {"", "nodes"}, {"coordination.k8s.io", "leases"}} {
			found := false
			for _, r := range role.Rules {
				found = found || slices.Contains(r.APIGroups, need[0]) && slices.Contains(r.Resources, need[1])
			}
			if !found {
				t.Errorf("skipCRD %v: no rule for %q %s", skip, need[0], need[1])
			}
		}
		for _, r := range role.Rules {
			for _, list := range [][]string{r.APIGroups, r.Resources, r.Verbs} {
				if slices.Contains(list, "*") {
					t.Errorf("rule %+v grants by wildcard", r)
				}
			}
		}
		crdPatch := ruleAllows(role.Rules, "apiextensions.k8s.io", "customresourcedefinitions", "caches.rediskit.io", "patch")
		if crdPatch == skip {
			t.Errorf("skipCRD %v: patch on the Cache CRD allowed: %v", skip, crdPatch)
		}
		if ruleAllows(role.Rules, "apiextensions.k8s.io", "customresourcedefinitions", "other.example.com", "patch") {
			t.Error("patch allowed on any CRD but the Cache's")
		}
		if ruleAllows(role.Rules, "", "pods", "", "create") || ruleAllows(role.Rules, "", "nodes", "", "update") {
			t.Error("the operator may create pods or change nodes: more than it needs")
		}
		if binding.RoleRef.Name != role.Name || len(binding.Subjects) != 1 || binding.Subjects[0].Name != sa.Name ||
			binding.Subjects[0].Namespace != DefaultNamespace || binding.Subjects[0].Kind != rbacv1.ServiceAccountKind {
			t.Errorf("binding %+v does not bind %s to the ServiceAccount %s/%s", binding, role.Name, DefaultNamespace, sa.Name)
		}
	}
}

// The Deployment: one replica replaced by Recreate, the engine image running the operator's
// command, probes on the health port, the stated resources, and a locked-down pod.
func TestDeployment(t *testing.T) {
	ns, sa, _, _, d := objects(t, Options{})
	if ns.Name != "rediskit-system" || sa.Namespace != ns.Name || d.Namespace != ns.Name {
		t.Errorf("namespace %q, ServiceAccount in %q, Deployment in %q; want rediskit-system", ns.Name, sa.Namespace, d.Namespace)
	}
	if *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("replicas %d, strategy %q; want 1, Recreate", *d.Spec.Replicas, d.Spec.Strategy.Type)
	}
	p := d.Spec.Template.Spec
	if p.ServiceAccountName != sa.Name || len(p.Containers) != 1 {
		t.Fatalf("pod spec: service account %q, %d containers", p.ServiceAccountName, len(p.Containers))
	}
	c := p.Containers[0]
	if c.Image != "rediskit/engine:valkey-8.0" || c.ImagePullPolicy != corev1.PullIfNotPresent || !slices.Equal(c.Command, []string{"rediskit-operator"}) {
		t.Errorf("container image %q, pull %q, command %v", c.Image, c.ImagePullPolicy, c.Command)
	}
	for _, want := range []string{"-leader-elect=true", "-install-crd=true", "-namespace=", "-health-probe-bind-address=:8081", "-metrics-bind-address=:8080"} {
		if !slices.Contains(c.Args, want) {
			t.Errorf("args %v lack %s", c.Args, want)
		}
	}
	for name, pr := range map[string]*corev1.Probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
		if pr == nil || pr.HTTPGet == nil || pr.HTTPGet.Path != name || pr.HTTPGet.Port.StrVal != "health" {
			t.Errorf("probe %s: %+v", name, pr)
		}
	}
	healthPort := false
	for _, port := range c.Ports {
		healthPort = healthPort || port.Name == "health" && port.ContainerPort == 8081
	}
	if !healthPort {
		t.Errorf("no port named health on 8081: %+v", c.Ports)
	}
	req, lim := c.Resources.Requests, c.Resources.Limits
	if req.Cpu().String() != "50m" || req.Memory().String() != "64Mi" || lim.Memory().String() != "256Mi" {
		t.Errorf("resources %+v, want requests 50m/64Mi and a 256Mi memory limit", c.Resources)
	}
	psc, sc := p.SecurityContext, c.SecurityContext
	if psc == nil || sc == nil {
		t.Fatal("no security context")
	}
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != 10001 ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod security context %+v, want non-root user 10001 and RuntimeDefault seccomp", psc)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 {
		t.Errorf("container security context %+v, want a read-only root, no escalation, every capability dropped", sc)
	}
	if !labelsMatch(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
		t.Errorf("selector %v does not select the template's labels %v", d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
	}
}

func labelsMatch(sel, l map[string]string) bool {
	for k, v := range sel {
		if l[k] != v {
			return false
		}
	}
	return len(sel) > 0
}

// Options reach the objects; two installations share no cluster-wide name.
func TestOptions(t *testing.T) {
	o := Options{Namespace: "ops", Image: "registry.example/rediskit/engine:valkey-8.0", PullPolicy: corev1.PullAlways,
		WatchNamespace: "shop", Replicas: 2, SkipCRD: true}
	ns, sa, role, binding, d := objects(t, o)
	c := d.Spec.Template.Spec.Containers[0]
	if ns.Name != "ops" || sa.Namespace != "ops" || d.Namespace != "ops" || binding.Subjects[0].Namespace != "ops" {
		t.Error("objects not in namespace ops")
	}
	if c.Image != o.Image || c.ImagePullPolicy != corev1.PullAlways || *d.Spec.Replicas != 2 {
		t.Errorf("image %q pull %q replicas %d", c.Image, c.ImagePullPolicy, *d.Spec.Replicas)
	}
	if !slices.Contains(c.Args, "-namespace=shop") || !slices.Contains(c.Args, "-install-crd=false") {
		t.Errorf("args %v", c.Args)
	}
	_, _, other, _, _ := objects(t, Options{})
	if role.Name == other.Name {
		t.Errorf("installations in ops and %s share the ClusterRole %s", DefaultNamespace, role.Name)
	}
	var names []string
	for _, obj := range []client.Object{ns, sa, role, binding, d} {
		names = append(names, describe(obj))
	}
	if strings.Join(names, ", ") != "Namespace ops, ServiceAccount ops/rediskit-operator, ClusterRole rediskit-operator:ops, ClusterRoleBinding rediskit-operator:ops, Deployment ops/rediskit-operator" {
		t.Errorf("objects: %s", strings.Join(names, ", "))
	}
}

// Every invalid option is reported at once, by field, value and what is allowed.
func TestOptionsValidation(t *testing.T) {
	_, err := Objects(Options{Namespace: "Ops_1", Image: "a b", PullPolicy: "Sometimes", WatchNamespace: "shop.eu",
		Replicas: 7, WaitTimeout: -time.Second, SkipCRD: true, RemoveCRD: true})
	if err == nil {
		t.Fatal("invalid options accepted")
	}
	for _, want := range []string{
		`namespace: "Ops_1" is not allowed; a namespace name`,
		`image: "a b" is not allowed; an image reference`,
		`pullPolicy: "Sometimes" is not allowed; IfNotPresent, Always or Never`,
		`watchNamespace: "shop.eu" is not allowed`,
		`replicas: 7 is not allowed; 1 to 3`,
		`waitTimeout: "-1s" is not allowed`,
		`removeCRD: true is not allowed`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := Objects(Options{Replicas: -1}); err == nil || !strings.Contains(err.Error(), "replicas: -1") {
		t.Errorf("replicas -1: %v", err)
	}
}

// A wait that runs out names what the Deployment still lacks, down to the pod.
func TestPodStates(t *testing.T) {
	p := corev1.Pod{}
	p.Name, p.Status.Phase = "rediskit-operator-x", corev1.PodPending
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "operator", State: corev1.ContainerState{
		Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImageNeverPull", Message: "image not present"}}}}
	if got := podStates([]corev1.Pod{p}); got != "pod rediskit-operator-x Pending, operator waiting: ErrImageNeverPull image not present" {
		t.Errorf("podStates: %q", got)
	}
	if got := podStates(nil); got != "no pod yet" {
		t.Errorf("podStates of none: %q", got)
	}
}
