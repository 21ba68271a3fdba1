package render

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/internal/validate"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
	"github.com/rediskit/rediskit/provider/schema"
)

// Defaults of the kubernetes block: what works on any conformant cluster, the local one too.
const (
	DefaultStorageSize               = "1Gi"
	DefaultSnapshotStorageSize       = "4Gi"
	DefaultServiceType               = corev1.ServiceTypeClusterIP
	DefaultPullPolicy                = corev1.PullIfNotPresent
	DefaultPersistence               = "rdb+aof"
	DefaultClusterDomain             = "cluster.local"
	DefaultZoneLabel                 = corev1.LabelTopologyZone
	DefaultCPURequest                = "100m"
	DefaultMemory                    = "256Mi"
	kubernetesField                  = "kubernetes."
	memoryLimitField                 = kubernetesField + "resources.limits.memory"
	minStorageBytes            int64 = 64 << 20
)

// resolveKubernetes applies the kubernetes block's defaults and checks it. raw is the cache as
// written (an explicit nodeType sizes the memory), c the cache with defaults applied.
func resolveKubernetes(k v1alpha1.Kubernetes, raw, c spec.Cache) (v1alpha1.Kubernetes, int64, engine.Persistence, []validate.Problem) {
	ps := &validate.Problems{}
	k = *k.DeepCopy()
	if k.StorageSize == "" {
		k.StorageSize = DefaultStorageSize
	}
	if k.SnapshotStorageSize == "" {
		k.SnapshotStorageSize = DefaultSnapshotStorageSize
	}
	if k.ServiceType == "" {
		k.ServiceType = DefaultServiceType
	}
	if k.ImagePullPolicy == "" {
		k.ImagePullPolicy = DefaultPullPolicy
	}
	if k.Persistence == "" {
		k.Persistence = DefaultPersistence
	}
	if k.ClusterDomain == "" {
		k.ClusterDomain = DefaultClusterDomain
	}
	if k.ZoneLabel == "" {
		k.ZoneLabel = DefaultZoneLabel
	}
	if k.Image == "" {
		k.Image = engine.ImageFor(c.Engine, c.EngineVersion)
	}
	mem := defaultResources(&k.Resources, raw)

	checkVolume(ps, "storage", k.StorageClass, k.StorageSize, "1Gi or 500Mi", "the node's RDB and AOF files")
	checkVolume(ps, "snapshotStorage", k.SnapshotStorageClass, k.SnapshotStorageSize, "4Gi", "every snapshot's RDB files")
	switch k.ServiceType {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
	default:
		ps.Add(kubernetesField+"serviceType", string(k.ServiceType), "ClusterIP, NodePort or LoadBalancer")
	}
	switch k.ImagePullPolicy {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		ps.Add(kubernetesField+"imagePullPolicy", string(k.ImagePullPolicy), "IfNotPresent, Always or Never")
	}
	if strings.ContainsAny(k.Image, " \t\n") {
		ps.Add(kubernetesField+"image", k.Image, "an image reference without spaces, e.g. rediskit/engine:valkey-8.0")
	}
	persistence, ok := schema.PersistenceMode(k.Persistence)
	if !ok {
		ps.Add(kubernetesField+"persistence", k.Persistence, "rdb, aof, rdb+aof or none")
	}
	dnsSubdomain(ps, "clusterDomain", k.ClusterDomain)
	if errs := validation.IsQualifiedName(k.ZoneLabel); len(errs) > 0 {
		ps.Add(kubernetesField+"zoneLabel", k.ZoneLabel, "a label key such as topology.kubernetes.io/zone (%s)", strings.Join(errs, "; "))
	}
	for _, z := range c.Zones {
		if errs := validation.IsValidLabelValue(z); len(errs) > 0 {
			ps.Add("zones", z, "values of the node label %s, so each must be a label value (%s)", k.ZoneLabel, strings.Join(errs, "; "))
		}
	}
	if k.TLSSecret != "" {
		dnsSubdomain(ps, "tlsSecret", k.TLSSecret)
		if !spec.Bool(c.Encryption.InTransit) {
			ps.Add(kubernetesField+"tlsSecret", k.TLSSecret, "only with encryption.inTransit true")
		}
	}
	if k.AuthSecret != "" {
		dnsSubdomain(ps, "authSecret", k.AuthSecret)
	}
	checkResources(ps, k.Resources)
	return k, mem, persistence, ps.List
}

// checkVolume checks a volume's storage class (<prefix>Class) and size (<prefix>Size).
func checkVolume(ps *validate.Problems, prefix, class, size, example, holds string) {
	if class != "" {
		dnsSubdomain(ps, prefix+"Class", class)
	}
	if q, err := resource.ParseQuantity(size); err != nil {
		ps.Add(kubernetesField+prefix+"Size", size, "a quantity such as %s", example)
	} else if q.Value() < minStorageBytes {
		ps.Add(kubernetesField+prefix+"Size", size, "at least 64Mi: the volume holds %s", holds)
	}
}

// defaultResources fills in the memory limit (the node's memory: the limit given, else an
// explicit node type's memory, else DefaultMemory), the memory request (the limit: a cache
// node's memory is not to be overcommitted) and a CPU request. It returns the memory in bytes.
func defaultResources(r *corev1.ResourceRequirements, raw spec.Cache) int64 {
	if r.Limits == nil {
		r.Limits = corev1.ResourceList{}
	}
	if r.Requests == nil {
		r.Requests = corev1.ResourceList{}
	}
	if _, ok := r.Limits[corev1.ResourceMemory]; !ok {
		q := resource.MustParse(DefaultMemory)
		if nt, ok := spec.LookupNodeType(raw.NodeType); ok && raw.NodeType != "" {
			q = *resource.NewQuantity(int64(nt.MemoryGiB*(1<<30)), resource.BinarySI)
		}
		r.Limits[corev1.ResourceMemory] = q
	}
	if _, ok := r.Requests[corev1.ResourceMemory]; !ok {
		r.Requests[corev1.ResourceMemory] = r.Limits[corev1.ResourceMemory]
	}
	if _, ok := r.Requests[corev1.ResourceCPU]; !ok {
		r.Requests[corev1.ResourceCPU] = resource.MustParse(DefaultCPURequest)
	}
	mem := r.Limits[corev1.ResourceMemory]
	return mem.Value()
}

// checkResources refuses requests above their limits, which the API server would refuse
// later, one pod at a time.
func checkResources(ps *validate.Problems, r corev1.ResourceRequirements) {
	for name, req := range r.Requests {
		if lim, ok := r.Limits[name]; ok && req.Cmp(lim) > 0 {
			ps.Add(kubernetesField+"resources.requests."+string(name), req.String(), "at most the limit %s", lim.String())
		}
	}
}

func dnsSubdomain(ps *validate.Problems, field, v string) {
	if errs := validation.IsDNS1123Subdomain(v); len(errs) > 0 {
		ps.Add(kubernetesField+field, v, "a DNS subdomain: lowercase letters, digits, '-' and '.' (%s)", strings.Join(errs, "; "))
	}
}
