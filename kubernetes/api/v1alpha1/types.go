package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rediskit/rediskit/components/spec"
)

// Cache is one rediskit cache on a Kubernetes cluster.
type Cache struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   CacheSpec   `json:"spec"`
	Status CacheStatus `json:"status,omitempty"`
}

// CacheList is a list of Caches.
type CacheList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []Cache `json:"items"`
}

// CacheSpec is what a user asks for: the shared cache vocabulary, exactly as a stack's
// `rediskit:cache` writes it, and the kubernetes block. Its name defaults to the object's.
type CacheSpec struct {
	spec.Cache `json:",inline"`

	// Kubernetes holds what only a cluster needs: storage, resources, Services, the image and
	// the Secrets credentials and certificates come from.
	Kubernetes Kubernetes `json:"kubernetes,omitempty"`
}

// Kubernetes is the part of a Cache only the Kubernetes target has. Every field has a default
// that works on any conformant cluster (the cluster's default storage class, ClusterIP, ...).
type Kubernetes struct {
	// StorageClass of each node's persistent volume; empty: the cluster's default class.
	StorageClass string `json:"storageClass,omitempty"`
	// StorageSize of each node's persistent volume, a quantity such as 1Gi (the default). It
	// holds the node's RDB and AOF files, so it should be a few times the memory limit.
	StorageSize string `json:"storageSize,omitempty"`
	// Resources of each node's engine container. The memory limit is the node's memory
	// (maxmemory is it less reserved-memory-percent, as on ElastiCache); without one, the
	// node type's memory when nodeType is given, else 256Mi. Requests default to 100m CPU
	// and the memory limit.
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`
	// ServiceType of the client Service, the configuration endpoint: ClusterIP (the default),
	// NodePort or LoadBalancer.
	ServiceType corev1.ServiceType `json:"serviceType,omitempty"`
	// Image overrides the engine image; by default the one `make image` builds for the
	// cache's engine and version (rediskit/engine:valkey-8.0, ...).
	Image string `json:"image,omitempty"`
	// ImagePullPolicy of the engine image: IfNotPresent (the default), Always or Never.
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`
	// Persistence is rdb, aof, rdb+aof (the default) or none: what each node writes to its
	// volume. With none a restarted node is empty, which the start guard never lets become a
	// primary over replicas that hold data.
	Persistence string `json:"persistence,omitempty"`
	// ClusterDomain is the cluster's DNS domain, which the nodes' announced names end in
	// (default cluster.local).
	ClusterDomain string `json:"clusterDomain,omitempty"`
	// ZoneLabel is the node label whose values are zones (default topology.kubernetes.io/zone):
	// a shard's nodes are spread over its values, and zones, when set, are values of it.
	ZoneLabel string `json:"zoneLabel,omitempty"`
	// TLSSecret names a Secret in the cache's namespace with tls.crt, tls.key and ca.crt,
	// valid for the nodes' names; empty: the operator generates one.
	TLSSecret string `json:"tlsSecret,omitempty"`
	// AuthSecret names a Secret in the cache's namespace with the app user's token (key
	// "token") and each RBAC user's password (key: the user's name); empty: generated.
	AuthSecret string `json:"authSecret,omitempty"`
	// SnapshotStorageClass and SnapshotStorageSize make the namespace's snapshot volume, the
	// PersistentVolumeClaim rediskit-snapshots every cache of the namespace keeps its
	// snapshots on (so one cache restores from another's), when the first cache that needs it
	// creates it: the cluster's default class and 4Gi by default. It is never deleted with a
	// cache: snapshots outlive their cache, as on ElastiCache.
	SnapshotStorageClass string `json:"snapshotStorageClass,omitempty"`
	SnapshotStorageSize  string `json:"snapshotStorageSize,omitempty"`
}

// Phase is where a cache is in its life.
type Phase string

const (
	// PhaseInvalid: the spec breaks a rule; the Valid condition names every problem and
	// nothing is changed until it is fixed.
	PhaseInvalid  Phase = "Invalid"
	PhasePending  Phase = "Pending"  // accepted, its objects not yet created
	PhaseCreating Phase = "Creating" // pods starting, the cluster being formed
	PhaseReady    Phase = "Ready"    // every slot covered, every node up in its role
	PhaseUpdating Phase = "Updating" // a rolling change, resharding or scaling in progress
	PhaseDegraded Phase = "Degraded" // serving, but a node is missing or out of its role
)

// Condition types and reasons the operator sets.
const (
	// ConditionValid is False with ReasonInvalidSpec while the spec breaks a rule.
	ConditionValid    = "Valid"
	ReasonInvalidSpec = "InvalidSpec"
	ReasonValidSpec   = "SpecValid"
	// ConditionReady is True when the cache serves every slot with every node in its role.
	ConditionReady = "Ready"
	// ConditionRestored is set on a cache created from a snapshot: False while its data is
	// being loaded (the cache is not Ready until then), True once every key is in.
	ConditionRestored = "Restored"
	// ConditionFinalSnapshot is set on a cache being deleted that takes a final snapshot:
	// False while it is taken or when it failed (the cache stays until it succeeds or
	// snapshots.finalSnapshot is set to false).
	ConditionFinalSnapshot = "FinalSnapshot"
)

// CacheStatus is what the operator observed at its last reconcile.
type CacheStatus struct {
	// ObservedGeneration is the spec generation the status describes.
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	Phase              Phase `json:"phase,omitempty"`
	// Conditions: Valid (the spec's problems, each naming field, value and what is allowed)
	// and Ready.
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// Shards is the number of shards serving slots (1 outside cluster mode).
	Shards int `json:"shards,omitempty"`
	// Nodes are the cache's nodes as observed: identity, role, placement.
	Nodes []NodeStatus `json:"nodes,omitempty"`
	// SlotsCovered counts the hash slots a reachable primary serves (16384 when whole).
	SlotsCovered int `json:"slotsCovered,omitempty"`
	// Endpoints are where clients connect.
	Endpoints Endpoints `json:"endpoints,omitempty"`
	// RestoredFrom is the snapshot the cache's data was restored from, once it was.
	RestoredFrom string `json:"restoredFrom,omitempty"`
	// LastSnapshotTime is when the newest scheduled snapshot succeeded.
	LastSnapshotTime *metav1.Time `json:"lastSnapshotTime,omitempty"`
	// FinalSnapshot is the name of the snapshot taken as the cache is deleted.
	FinalSnapshot string `json:"finalSnapshot,omitempty"`
}

// NodeStatus is one node of the cache.
type NodeStatus struct {
	// ID is the node's ElastiCache-style id, e.g. mycache-0001-001.
	ID string `json:"id"`
	// Shard is the node group id, e.g. 0001.
	Shard string `json:"shard"`
	// Role is primary or replica as the node reports it now.
	Role string `json:"role,omitempty"`
	// Zone is the zone label of the Kubernetes node the pod runs on.
	Zone string `json:"zone,omitempty"`
	// Pod is the pod running the node, Node the Kubernetes node it is scheduled on.
	Pod  string `json:"pod"`
	Node string `json:"node,omitempty"`
	// Ready tells whether the node answers in its role.
	Ready bool `json:"ready,omitempty"`
}

// Endpoints are the cache's client addresses (DNS names inside the cluster).
type Endpoints struct {
	// Configuration is the cluster-mode configuration endpoint (host:port).
	Configuration string `json:"configuration,omitempty"`
	// Primary and Reader are the primary and reader endpoints outside cluster mode.
	Primary string `json:"primary,omitempty"`
	Reader  string `json:"reader,omitempty"`
	// Port clients connect to.
	Port int `json:"port,omitempty"`
}
