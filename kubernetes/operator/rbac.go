package operator

import "github.com/rediskit/rediskit/kubernetes/api/crd"

// Permission is one rule of the access the operator needs from the API server; the
// installation's ClusterRole is made of these (kubernetes/install), and a test records what a
// reconcile really does and fails when a call is not covered here.
type Permission struct {
	Group     string
	Resources []string
	// ResourceNames limit the rule to these objects; empty means every object.
	ResourceNames []string
	Verbs         []string
}

// Verbs of the permissions. The manager's client reads through informers, so anything the
// reconciler reads needs list and watch besides get.
var (
	verbsRead      = []string{"get", "list", "watch"}
	verbsReadWrite = []string{"get", "list", "watch", "create", "update", "patch", "delete"}
)

// Permissions is everything the operator does on the API server: Caches and their status,
// the objects Render makes (watched, created, healed), the node pods and their volumes (role
// labels, restarts, volumes deleted after a final snapshot), the Kubernetes nodes (their
// zones), events, the leader election lease, and, with installCRD, the Cache CRD itself
// (created once, then only its own object: create cannot be limited by name).
func Permissions(installCRD bool) []Permission {
	ps := []Permission{
		{Group: "rediskit.io", Resources: []string{"caches"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
		{Group: "rediskit.io", Resources: []string{"caches/status"}, Verbs: []string{"get", "update", "patch"}},
		// Owner references with blockOwnerDeletion need update on the owner's finalizers
		// where the OwnerReferencesPermissionEnforcement admission plugin runs.
		{Group: "rediskit.io", Resources: []string{"caches/finalizers"}, Verbs: []string{"update"}},
		{Group: "apps", Resources: []string{"statefulsets"}, Verbs: verbsReadWrite},
		{Group: "", Resources: []string{"services", "configmaps", "secrets"}, Verbs: verbsReadWrite},
		{Group: "", Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch", "update", "patch", "delete"}},
		// The node volumes (deleted after a final snapshot), and the namespace's snapshot volume.
		{Group: "", Resources: []string{"persistentvolumeclaims"}, Verbs: verbsReadWrite},
		// The snapshot schedule and the final-snapshot and restore Jobs.
		{Group: "batch", Resources: []string{"cronjobs", "jobs"}, Verbs: verbsReadWrite},
		{Group: "policy", Resources: []string{"poddisruptionbudgets"}, Verbs: verbsReadWrite},
		{Group: "", Resources: []string{"nodes"}, Verbs: verbsRead},
		{Group: "", Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		{Group: "events.k8s.io", Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		{Group: "coordination.k8s.io", Resources: []string{"leases"}, Verbs: []string{"get", "create", "update"}},
	}
	if installCRD {
		ps = append(ps,
			Permission{Group: "apiextensions.k8s.io", Resources: []string{"customresourcedefinitions"}, Verbs: []string{"create"}},
			Permission{Group: "apiextensions.k8s.io", Resources: []string{"customresourcedefinitions"}, ResourceNames: []string{crd.Name},
				Verbs: []string{"get", "patch", "update"}})
	}
	return ps
}

// Allows reports whether the permissions allow verb on resource (resource/subresource) of
// group, for any object (name "") or the one named.
func Allows(ps []Permission, group, resource, name, verb string) bool {
	for _, p := range ps {
		if p.Group != group || !contains(p.Resources, resource) || !contains(p.Verbs, verb) {
			continue
		}
		if len(p.ResourceNames) == 0 || (name != "" && contains(p.ResourceNames, name)) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// LeaseName is the leader election lease of an installation (in the operator's namespace):
// one operator holds it and reconciles, the others wait.
const LeaseName = "rediskit-operator"
