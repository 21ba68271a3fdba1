package render

import (
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
)

// Objects are a cache's desired objects: everything the operator creates and keeps as given.
type Objects struct {
	// Nodes are the cache's nodes and their pods, in plan order (shard by shard, primary
	// first): the pod-to-node map the operator and the status use.
	Nodes []Node
	// Plan is the engine's plan the pods run: each node's ports, planned role and slots (the
	// slots the operator assigns when it forms the cluster).
	Plan *engine.Plan
	// TLSSecret names the Secret with the nodes' certificate and CA ("" without TLS).
	TLSSecret string
	// Credentials is the Secret with the engine's users file and replication credential.
	Credentials *corev1.Secret
	// Configs are one ConfigMap per shard with each of its nodes' redis.conf.
	Configs []*corev1.ConfigMap
	// Headless gives every pod its DNS name; Client is the client endpoint; Reader the reader
	// endpoint (replication mode only, else nil).
	Headless *corev1.Service
	Client   *corev1.Service
	Reader   *corev1.Service
	// Shards are one StatefulSet and one PodDisruptionBudget per shard.
	Shards  []*appsv1.StatefulSet
	Budgets []*policyv1.PodDisruptionBudget
	// Endpoints are the client addresses the status reports.
	Endpoints v1alpha1.Endpoints
	// Snapshots takes the automatic snapshots in the window (nil with retention 0).
	Snapshots *batchv1.CronJob
}

// All lists the objects in the order they are created: what pods mount and resolve before
// the pods.
func (o *Objects) All() []metav1.Object {
	out := []metav1.Object{o.Credentials}
	for _, c := range o.Configs {
		out = append(out, c)
	}
	out = append(out, o.Headless, o.Client)
	if o.Reader != nil {
		out = append(out, o.Reader)
	}
	for _, s := range o.Shards {
		out = append(out, s)
	}
	for _, b := range o.Budgets {
		out = append(out, b)
	}
	if o.Snapshots != nil {
		out = append(out, o.Snapshots)
	}
	return out
}

// Render decides a resolved cache's objects. Nothing is read or written: the same input
// renders the same objects.
func Render(r *Resolved, cr Credentials) (*Objects, error) {
	if r.Namespace == "" || r.UID == "" {
		// Both are in every name a node announces and every owner reference: a Cache read
		// from the API server always has them.
		return nil, fmt.Errorf("rendering cache %q: its namespace and UID are needed (a Cache as stored)", r.Cache.Name)
	}
	p, nodes, err := planFor(r, cr)
	if err != nil {
		return nil, err
	}
	o := &Objects{Nodes: nodes, Plan: p}
	if p.TLS != nil {
		o.TLSSecret = tlsName(r)
	}
	o.Credentials = credentialsSecret(r, p)
	rp, err := restartPlan(r, cr, p)
	if err != nil {
		return nil, err
	}
	params, err := json.Marshal(p.Params)
	if err != nil {
		return nil, fmt.Errorf("rendering cache %q: %w", r.Cache.Name, err)
	}
	for s := 0; s < r.Cache.ShardCount(); s++ {
		shard := shardNodes(nodes, s)
		cm, err := shardConfig(r, p, shard)
		if err != nil {
			return nil, err
		}
		restartConf, err := rp.RedisConf(shard[0].ID)
		if err != nil {
			return nil, err
		}
		o.Configs = append(o.Configs, cm)
		o.Shards = append(o.Shards, statefulSet(r, p, shard, restartConf, string(params)))
		o.Budgets = append(o.Budgets, budget(r, shard[0].ShardID))
	}
	o.Headless, o.Client, o.Reader = services(r, p)
	o.Endpoints = endpoints(r, p)
	if o.Snapshots, err = SnapshotCronJob(r, o); err != nil {
		return nil, err
	}
	return o, nil
}

func shardNodes(nodes []Node, shard int) []Node {
	var out []Node
	for _, n := range nodes {
		if n.Shard == shard {
			out = append(out, n)
		}
	}
	return out
}

// meta is the object metadata every rendered object has: its name in the cache's namespace,
// the cache's labels, and the Cache as its controlling owner, so deleting the Cache deletes
// it (volumes excepted: see statefulSet).
func meta(r *Resolved, name string, extra map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:      name,
		Namespace: r.Namespace,
		Labels:    labels(r, extra),
		OwnerReferences: []metav1.OwnerReference{{
			APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: v1alpha1.Kind,
			Name: r.Cache.Name, UID: r.UID, Controller: ptrTo(true), BlockOwnerDeletion: ptrTo(true),
		}},
	}
}

func labels(r *Resolved, extra map[string]string) map[string]string {
	l := map[string]string{
		LabelName: appName, LabelInstance: r.Cache.Name, LabelManagedBy: managedBy, LabelCache: r.Cache.Name,
	}
	for k, v := range extra {
		l[k] = v
	}
	return l
}

// selector picks a cache's node pods, or one shard's when shardID is set.
func selector(r *Resolved, shardID string) map[string]string {
	s := map[string]string{LabelCache: r.Cache.Name, LabelComponent: componentPod}
	if shardID != "" {
		s[LabelShard] = shardID
	}
	return s
}

// ports are a node's ports: the client port(s) and, in cluster mode, the cluster bus.
func ports(p *engine.Plan) []corev1.ContainerPort {
	n := p.Nodes[0] // every node has the same ports, each in its own pod
	var out []corev1.ContainerPort
	if n.PlainPort != 0 {
		out = append(out, corev1.ContainerPort{Name: "redis", ContainerPort: int32(n.PlainPort), Protocol: corev1.ProtocolTCP})
	}
	if n.TLSPort != 0 {
		out = append(out, corev1.ContainerPort{Name: "redis-tls", ContainerPort: int32(n.TLSPort), Protocol: corev1.ProtocolTCP})
	}
	if n.BusPort != 0 {
		out = append(out, corev1.ContainerPort{Name: "cluster-bus", ContainerPort: int32(n.BusPort), Protocol: corev1.ProtocolTCP})
	}
	return out
}

// clientPort is the port clients use (the TLS one when TLS is on).
func clientPort(p *engine.Plan) int { return p.Nodes[0].Port() }

func endpoints(r *Resolved, p *engine.Plan) v1alpha1.Endpoints {
	e := v1alpha1.Endpoints{Port: clientPort(p)}
	host := serviceHost(r, clientName(r.Cache.Name))
	if r.Cache.Mode == spec.ModeCluster {
		e.Configuration = host
		return e
	}
	e.Primary = host
	if spec.Int(r.Cache.Replicas) > 0 {
		e.Reader = serviceHost(r, readerName(r.Cache.Name))
	}
	return e
}

func ptrTo[T any](v T) *T { return &v }

// typeMeta is set on every rendered object, so each can be applied (server-side apply needs
// it) and printed as a manifest as it is.
func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}
