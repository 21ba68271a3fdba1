package render

import (
	"fmt"

	"github.com/rediskit/rediskit/components/spec"
)

// Labels every rendered object carries. The role label is the operator's to set on pods as
// roles change (the primary and reader Services select by it); Render never sets it.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelComponent = "app.kubernetes.io/component"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelCache     = "rediskit.io/cache"
	LabelShard     = "rediskit.io/shard"
	LabelRole      = "rediskit.io/role"
	// AnnotationConfigHash on a pod template changes with what a node takes only at a
	// restart (the restart-only parameters, the rest of its configuration, its pod spec), so
	// the operator can tell which pods must restart (restarts are its to order: OnDelete).
	AnnotationConfigHash = "rediskit.io/config-hash"
	// AnnotationParameters on a pod template is the effective parameter group as JSON; a
	// pod's copy says which group its node runs, so the operator sets the parameters that
	// changed and take effect at once (CONFIG SET) and records them on the pod.
	AnnotationParameters = "rediskit.io/parameters"
	// AnnotationNodeIDs on a shard's StatefulSet lists its nodes' ids by ordinal.
	AnnotationNodeIDs = "rediskit.io/node-ids"

	appName      = "rediskit"
	managedBy    = "rediskit-operator"
	componentPod = "node"
)

// Names of the rendered objects. A cache's name is at most 40 characters, so every name here
// stays a valid DNS label (the longest, a pod, is the name plus 7).

// AuthSecretName is the operator's own credentials Secret of a cache (generated once, read
// back on every pass); KeyAdminPassword is the engine admin's password in it, which the
// snapshot Jobs read.
func AuthSecretName(cache string) string { return cache + "-auth" }

const KeyAdminPassword = "admin-password"

// headlessName is the Service that gives every node pod its DNS name.
func headlessName(cache string) string { return cache + "-nodes" }

// clientName is the client Service: the configuration endpoint in cluster mode, the primary
// endpoint otherwise.
func clientName(cache string) string { return cache }

// readerName is the reader endpoint outside cluster mode.
func readerName(cache string) string { return cache + "-ro" }

// shardName names a shard's StatefulSet, PodDisruptionBudget and ConfigMap, e.g. mycache-0001.
func shardName(cache, shardID string) string { return cache + "-" + shardID }

// configName is a shard's ConfigMap.
func configName(cache, shardID string) string { return shardName(cache, shardID) + "-config" }

// credentialsName is the Secret with the engine's users file and replication credential.
func credentialsName(cache string) string { return cache + "-engine" }

// tlsName is the Secret with the nodes' certificate: the user's, or the one the operator
// generates.
func tlsName(r *Resolved) string {
	if r.Kubernetes.TLSSecret != "" {
		return r.Kubernetes.TLSSecret
	}
	return r.Cache.Name + "-tls"
}

// podName is the StatefulSet's name for a shard's ordinal-th pod.
func podName(cache, shardID string, ordinal int) string {
	return fmt.Sprintf("%s-%d", shardName(cache, shardID), ordinal)
}

// podHost is a pod's stable DNS name under the headless Service: what its node announces.
func podHost(r *Resolved, pod string) string {
	return fmt.Sprintf("%s.%s.%s.svc.%s", pod, headlessName(r.Cache.Name), r.Namespace, r.Kubernetes.ClusterDomain)
}

// serviceHost is a Service's DNS name.
func serviceHost(r *Resolved, svc string) string {
	return fmt.Sprintf("%s.%s.svc.%s", svc, r.Namespace, r.Kubernetes.ClusterDomain)
}

// TLSSecretName is the Secret with the nodes' certificate and CA, "" when the cache has no
// TLS: what clients of the cache read the CA from.
func TLSSecretName(r *Resolved) string {
	if !spec.Bool(r.Cache.Encryption.InTransit) {
		return ""
	}
	return tlsName(r)
}
