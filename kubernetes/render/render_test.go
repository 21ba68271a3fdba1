package render

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
	"github.com/rediskit/rediskit/kubernetes/pod"
	"github.com/rediskit/rediskit/paramgroup"
)

var creds = Credentials{
	AppToken:      "app-token-0123456789",
	AdminPassword: "admin-password-0123456",
	UserPasswords: map[string]string{"reporting": "reporting-password-0123"},
}

func mustRender(t *testing.T, c *v1alpha1.Cache) (*Resolved, *Objects) {
	t.Helper()
	r := mustResolve(t, c)
	o, err := Render(r, creds)
	if err != nil {
		t.Fatalf("rendering: %v", err)
	}
	return r, o
}

// A cluster of 3 shards x 1 replica is 3 StatefulSets of 2 pods, one budget and one ConfigMap
// per shard, the Services and the engine Secret, every object owned by the Cache; rendering is
// deterministic.
func TestRenderShape(t *testing.T) {
	_, o := mustRender(t, clusterCache())
	if len(o.Shards) != 3 || len(o.Budgets) != 3 || len(o.Configs) != 3 || len(o.Nodes) != 6 || o.Reader != nil {
		t.Fatalf("%d StatefulSets, %d budgets, %d ConfigMaps, %d nodes, reader %v", len(o.Shards), len(o.Budgets), len(o.Configs), len(o.Nodes), o.Reader)
	}
	for i, want := range []struct{ id, pod, host string }{
		{"rk-0001-001", "rk-0001-0", "rk-0001-0.rk-nodes.apps.svc.cluster.local"},
		{"rk-0001-002", "rk-0001-1", "rk-0001-1.rk-nodes.apps.svc.cluster.local"},
		{"rk-0002-001", "rk-0002-0", "rk-0002-0.rk-nodes.apps.svc.cluster.local"},
	} {
		if n := o.Nodes[i]; n.ID != want.id || n.Pod != want.pod || n.Host != want.host {
			t.Errorf("node %d: %+v, want %+v", i, n, want)
		}
	}
	for _, obj := range o.All() {
		refs := obj.GetOwnerReferences()
		if len(refs) != 1 || refs[0].Kind != "Cache" || refs[0].UID != "uid-1" || refs[0].Controller == nil || !*refs[0].Controller {
			t.Errorf("%s is not controlled by the Cache: %+v", obj.GetName(), refs)
		}
		if obj.GetNamespace() != "apps" || obj.GetLabels()[LabelCache] != "rk" {
			t.Errorf("%s: namespace %q labels %v", obj.GetName(), obj.GetNamespace(), obj.GetLabels())
		}
	}
	_, again := mustRender(t, clusterCache())
	if !reflect.DeepEqual(o, again) {
		t.Error("two renders of the same cache differ")
	}
	if o.Endpoints.Configuration != "rk.apps.svc.cluster.local" || o.Endpoints.Port != 6379 {
		t.Errorf("endpoints %+v", o.Endpoints)
	}
}

// Each shard's pods spread over zones with DoNotSchedule and a skew of 1, counting only that
// shard's pods, and stay in the listed zones; a budget lets at most one of them go at a time.
func TestRenderPlacement(t *testing.T) {
	r, o := mustRender(t, clusterCache())
	for i, sts := range o.Shards {
		shardID := fmt.Sprintf("%04d", i+1)
		pod := sts.Spec.Template
		if len(pod.Spec.TopologySpreadConstraints) != 1 {
			t.Fatalf("%s: %d spread constraints", sts.Name, len(pod.Spec.TopologySpreadConstraints))
		}
		tsc := pod.Spec.TopologySpreadConstraints[0]
		if tsc.TopologyKey != "topology.kubernetes.io/zone" || tsc.WhenUnsatisfiable != corev1.DoNotSchedule || tsc.MaxSkew != 1 ||
			tsc.MinDomains == nil || *tsc.MinDomains != 2 {
			t.Errorf("%s: spread %+v", sts.Name, tsc)
		}
		sel, err := metav1.LabelSelectorAsSelector(tsc.LabelSelector)
		if err != nil {
			t.Fatal(err)
		}
		if !sel.Matches(k8slabels.Set(pod.Labels)) {
			t.Errorf("%s: the spread does not count the shard's own pods", sts.Name)
		}
		other := k8slabels.Set{LabelCache: "rk", LabelComponent: componentPod, LabelShard: "0009"}
		if sel.Matches(other) {
			t.Errorf("%s: the spread counts other shards' pods", sts.Name)
		}
		na := pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions[0]
		if na.Key != "topology.kubernetes.io/zone" || !reflect.DeepEqual(na.Values, r.Cache.Zones) {
			t.Errorf("%s: node affinity %+v", sts.Name, na)
		}

		b := o.Budgets[i]
		if b.Spec.MaxUnavailable == nil || b.Spec.MaxUnavailable.IntValue() != 1 || b.Spec.MinAvailable != nil {
			t.Errorf("%s: budget %+v", b.Name, b.Spec)
		}
		bsel, _ := metav1.LabelSelectorAsSelector(b.Spec.Selector)
		if !bsel.Matches(k8slabels.Set(pod.Labels)) || b.Labels[LabelShard] != shardID || bsel.Matches(other) {
			t.Errorf("%s: the budget does not cover exactly shard %s's pods", b.Name, shardID)
		}
		ssel, _ := metav1.LabelSelectorAsSelector(sts.Spec.Selector)
		if !ssel.Matches(k8slabels.Set(pod.Labels)) {
			t.Errorf("%s: the StatefulSet's selector misses its pods", sts.Name)
		}
	}

	// A shard larger than the zones listed shares them evenly instead of waiting forever.
	c := clusterCache()
	c.Spec.Replicas = ptr(3)
	_, o = mustRender(t, c)
	if md := o.Shards[0].Spec.Template.Spec.TopologySpreadConstraints[0].MinDomains; md == nil || *md != 3 {
		t.Errorf("4 nodes over 3 zones: minDomains %v, want 3", md)
	}
	// Without zones listed there is no node affinity and no minimum of domains.
	c = clusterCache()
	c.Spec.Zones = nil
	_, o = mustRender(t, c)
	spec0 := o.Shards[0].Spec.Template.Spec
	if spec0.Affinity.NodeAffinity != nil || spec0.TopologySpreadConstraints[0].MinDomains != nil {
		t.Errorf("without zones: affinity %+v spread %+v", spec0.Affinity.NodeAffinity, spec0.TopologySpreadConstraints[0])
	}
}

// Every node announces its pod's DNS name, never an address, listens on every interface, keeps
// its files on its volume, reads TLS from the mounted Secret, and its configuration holds no
// credential: the replication one is included from the engine Secret.
func TestRenderNodeConfig(t *testing.T) {
	_, o := mustRender(t, clusterCache())
	for _, n := range o.Nodes {
		conf := o.Configs[n.Shard].Data[n.Pod+".conf"]
		if conf == "" {
			t.Fatalf("no configuration for pod %s", n.Pod)
		}
		for _, want := range []string{
			"bind * -::*\n",
			"cluster-announce-hostname " + n.Host + "\n",
			"cluster-preferred-endpoint-type hostname\n",
			"replica-announce-ip " + n.Host + "\n",
			"port 0\n", "tls-port 6379\n", "cluster-port 16379\n",
			"dir /data/" + n.ID + "\n",
			"aclfile /data/" + n.ID + "/users.acl\n",
			"tls-cert-file /etc/rediskit/tls/tls.crt\n", "tls-key-file /etc/rediskit/tls/tls.key\n", "tls-ca-cert-file /etc/rediskit/tls/ca.crt\n",
			"include /etc/rediskit/credentials/credentials.conf\n",
			"appendonly yes\n",
			"cluster-node-timeout 5000\n", // the cluster's own failover within the 10 s goal
		} {
			if !strings.Contains(conf, want) {
				t.Errorf("%s's configuration lacks %q", n.Pod, want)
			}
		}
		for _, never := range []string{"cluster-announce-ip", "masterauth", "replicaof", creds.AdminPassword, creds.AppToken} {
			if strings.Contains(conf, never) {
				t.Errorf("%s's configuration has %q", n.Pod, never)
			}
		}
	}
	if !strings.Contains(o.Configs[0].Data[NodesKey], `"pod": "rk-0001-1"`) {
		t.Errorf("the shard's pod-to-node map lacks its replica:\n%s", o.Configs[0].Data[NodesKey])
	}
	sec := o.Credentials
	if got := string(sec.Data[CredentialsFile]); got != "masterauth "+creds.AdminPassword+"\n" {
		t.Errorf("credentials.conf = %q", got)
	}
}

// The app user (and every RBAC user) is denied ElastiCache's restricted commands; the users
// file holds password hashes, never a password.
func TestRenderRestrictedCommands(t *testing.T) {
	c := clusterCache()
	c.Spec.Auth.Mode = spec.AuthRBAC
	c.Spec.Auth.Users = []spec.User{{Name: "reporting", Access: "on ~report:* +@read"}}
	_, o := mustRender(t, c)
	acl := string(o.Credentials.Data["users.acl"])
	for _, user := range []string{"app", "reporting"} {
		var line string
		for _, l := range strings.Split(acl, "\n") {
			if strings.HasPrefix(l, "user "+user+" ") {
				line = l
			}
		}
		if line == "" {
			t.Fatalf("no ACL line for %s:\n%s", user, acl)
		}
		for _, cmd := range engine.RestrictedCommands {
			if !strings.Contains(line, " -"+cmd) {
				t.Errorf("%s may run %s: %s", user, cmd, line)
			}
		}
	}
	if !strings.Contains(acl, "user default off") {
		t.Errorf("the default user is not off:\n%s", acl)
	}
	for _, pw := range []string{creds.AppToken, creds.AdminPassword, creds.UserPasswords["reporting"]} {
		if strings.Contains(acl, pw) {
			t.Errorf("the users file holds a password in clear")
		}
	}
}

// The volume claim takes the storage class and size given (the cluster's default class when
// none), and every volume outlives its pod and StatefulSet.
func TestRenderStorage(t *testing.T) {
	c := clusterCache()
	c.Spec.Kubernetes.StorageClass, c.Spec.Kubernetes.StorageSize = "fast-ssd", "5Gi"
	_, o := mustRender(t, c)
	for _, sts := range o.Shards {
		vct := sts.Spec.VolumeClaimTemplates
		if len(vct) != 1 || vct[0].Spec.StorageClassName == nil || *vct[0].Spec.StorageClassName != "fast-ssd" {
			t.Fatalf("%s: claim %+v", sts.Name, vct)
		}
		if size := vct[0].Spec.Resources.Requests[corev1.ResourceStorage]; size.String() != "5Gi" {
			t.Errorf("%s: size %s", sts.Name, size.String())
		}
		if p := sts.Spec.PersistentVolumeClaimRetentionPolicy; p == nil || p.WhenDeleted != "Retain" || p.WhenScaled != "Retain" {
			t.Errorf("%s: claims are not retained: %+v", sts.Name, p)
		}
		mounted := false
		for _, m := range sts.Spec.Template.Spec.Containers[0].VolumeMounts {
			mounted = mounted || (m.Name == vct[0].Name && m.MountPath == DataDir)
		}
		if !mounted {
			t.Errorf("%s: the volume is not mounted at %s", sts.Name, DataDir)
		}
	}
	_, o = mustRender(t, clusterCache())
	if sc := o.Shards[0].Spec.VolumeClaimTemplates[0].Spec.StorageClassName; sc != nil {
		t.Errorf("without a storage class the claim names %q; want the cluster's default", *sc)
	}
}

// The image is the one `make image` builds for the cache's engine and version, unless given.
func TestRenderImage(t *testing.T) {
	for _, tc := range []struct{ engine, version, override, want string }{
		{"valkey", "8.0", "", "rediskit/engine:valkey-8.0"},
		{"valkey", "8.1", "", "rediskit/engine:valkey-8.1"},
		{"redis", "7.0", "", "rediskit/engine:redis-7.0"},
		{"valkey", "8.0", "registry.example/valkey-engine:8.0.2", "registry.example/valkey-engine:8.0.2"},
	} {
		c := clusterCache()
		c.Spec.Engine, c.Spec.EngineVersion = paramgroup.Engine(tc.engine), tc.version
		c.Spec.Kubernetes.Image = tc.override
		_, o := mustRender(t, c)
		for _, sts := range o.Shards {
			if img := sts.Spec.Template.Spec.Containers[0].Image; img != tc.want {
				t.Errorf("%s %s (override %q): image %s, want %s", tc.engine, tc.version, tc.override, img, tc.want)
			}
		}
	}
}

// Pods restart only when the operator says (OnDelete), all of a shard's pods start together,
// and the pods run as the image's non-root user with TLS mounted from the Secret.
func TestRenderPods(t *testing.T) {
	r, o := mustRender(t, clusterCache())
	sts := o.Shards[0]
	if sts.Spec.UpdateStrategy.Type != "OnDelete" || sts.Spec.PodManagementPolicy != "Parallel" || *sts.Spec.Replicas != 2 {
		t.Errorf("update %s, pod management %s, replicas %d", sts.Spec.UpdateStrategy.Type, sts.Spec.PodManagementPolicy, *sts.Spec.Replicas)
	}
	if sts.Spec.ServiceName != o.Headless.Name {
		t.Errorf("serviceName %s, want the headless Service %s", sts.Spec.ServiceName, o.Headless.Name)
	}
	pod := sts.Spec.Template.Spec
	if sc := pod.SecurityContext; sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || *sc.RunAsUser != engine.ImageUID {
		t.Errorf("security context %+v", sc)
	}
	tls := false
	for _, v := range pod.Volumes {
		tls = tls || (v.Secret != nil && v.Secret.SecretName == tlsName(r))
	}
	if !tls {
		t.Errorf("no TLS Secret volume (%s)", tlsName(r))
	}
	if sts.Spec.Template.Annotations[AnnotationConfigHash] == "" || sts.Annotations[AnnotationNodeIDs] != "rk-0001-001,rk-0001-002" {
		t.Errorf("annotations: template %v, set %v", sts.Spec.Template.Annotations, sts.Annotations)
	}

	// The metrics container serves on the metrics port, announced to Prometheus, and never
	// mounts the data volume.
	if len(pod.Containers) != 2 || pod.Containers[1].Name != MetricsContainer || pod.Containers[1].Ports[0].ContainerPort != 9121 {
		t.Fatalf("containers %d, second %+v", len(pod.Containers), pod.Containers[len(pod.Containers)-1].Name)
	}
	for _, m := range pod.Containers[1].VolumeMounts {
		if m.Name == volumeName {
			t.Error("the metrics container mounts the data volume")
		}
	}
	if a := sts.Spec.Template.Annotations; a["prometheus.io/scrape"] != "true" || a["prometheus.io/port"] != "9121" {
		t.Errorf("template annotations %v", a)
	}

	// A parameter a running node takes (CONFIG SET) changes only the parameter group the pods
	// record; one that needs a restart changes the restart hash; a replica more changes
	// neither for the pods that run.
	hash := func(o *Objects) string { return o.Shards[0].Spec.Template.Annotations[AnnotationConfigHash] }
	params := func(o *Objects) string { return o.Shards[0].Spec.Template.Annotations[AnnotationParameters] }
	c := clusterCache()
	c.Spec.Parameters = map[string]string{"maxmemory-policy": "allkeys-lru"}
	_, immediate := mustRender(t, c)
	if hash(immediate) != hash(o) || params(immediate) == params(o) || !strings.Contains(params(immediate), `"maxmemory-policy":"allkeys-lru"`) {
		t.Errorf("an immediate parameter: hash %s -> %s, parameters %s", hash(o), hash(immediate), params(immediate))
	}
	c = clusterCache()
	c.Spec.Parameters = map[string]string{"databases": "32"}
	_, restart := mustRender(t, c)
	if hash(restart) == hash(o) {
		t.Error("a parameter that needs a restart leaves the pods' restart hash as it was")
	}
	c = clusterCache()
	c.Spec.Replicas = ptr(2)
	_, more := mustRender(t, c)
	if hash(more) != hash(o) {
		t.Error("a replica more marks the running pods for a restart")
	}
	c = clusterCache()
	c.Spec.Kubernetes.Image = "example.org/engine:other"
	_, image := mustRender(t, c)
	if hash(image) == hash(o) {
		t.Error("a new image leaves the pods' restart hash as it was")
	}
}

// The Services: the headless one publishes pods before they are ready (bootstrap meets by
// name); the client one is the configuration endpoint over every node in cluster mode, and
// outside it the primary endpoint, with a reader endpoint over the replicas.
func TestRenderServices(t *testing.T) {
	c := clusterCache()
	c.Spec.Kubernetes.ServiceType = corev1.ServiceTypeLoadBalancer
	_, o := mustRender(t, c)
	h := o.Headless
	if h.Spec.ClusterIP != corev1.ClusterIPNone || !h.Spec.PublishNotReadyAddresses {
		t.Errorf("headless %+v", h.Spec)
	}
	if o.Client.Spec.Type != corev1.ServiceTypeLoadBalancer || o.Client.Spec.Selector[LabelRole] != "" {
		t.Errorf("client %+v", o.Client.Spec)
	}
	for _, p := range o.Client.Spec.Ports {
		if p.Name == "cluster-bus" {
			t.Error("the client Service exposes the cluster bus")
		}
	}

	c = clusterCache()
	c.Spec.Mode, c.Spec.Shards, c.Spec.Replicas = spec.ModeReplication, nil, ptr(2)
	_, o = mustRender(t, c)
	if len(o.Shards) != 1 || *o.Shards[0].Spec.Replicas != 3 {
		t.Fatalf("a replication group is one StatefulSet of 3 pods: %d", len(o.Shards))
	}
	if o.Client.Spec.Selector[LabelRole] != "primary" || o.Reader == nil || o.Reader.Spec.Selector[LabelRole] != "replica" {
		t.Errorf("primary %v reader %v", o.Client.Spec.Selector, o.Reader)
	}
	if o.Endpoints.Primary != "rk.apps.svc.cluster.local" || o.Endpoints.Reader != "rk-ro.apps.svc.cluster.local" {
		t.Errorf("endpoints %+v", o.Endpoints)
	}
	conf := o.Configs[0].Data["rk-0001-1.conf"]
	if !strings.Contains(conf, "replica-announce-ip rk-0001-1.rk-nodes.apps.svc.cluster.local\n") || strings.Contains(conf, "cluster-enabled") {
		t.Errorf("replication node configuration:\n%s", conf)
	}
}

// A Cache without the namespace and UID a stored one has cannot be rendered: both are in the
// nodes' names and the owner references.
func TestRenderNeedsStoredCache(t *testing.T) {
	c := clusterCache()
	c.Namespace = ""
	r := mustResolve(t, c)
	if _, err := Render(r, creds); err == nil || !strings.Contains(err.Error(), "namespace") {
		t.Errorf("rendering without a namespace: %v", err)
	}
}

// The contract with pod-start: every node's container runs it with the environment it reads
// (its pod, where the configuration and the credentials are, the cache's server program), and
// every rendered configuration is one it accepts, with the node's directory on its volume and
// the port of the cache.
func TestRenderPodStartContract(t *testing.T) {
	r, o := mustRender(t, clusterCache())
	for _, sts := range o.Shards {
		c := sts.Spec.Template.Spec.Containers[0]
		if !reflect.DeepEqual(c.Command, []string{"rediskit-engine", pod.Subcommand}) {
			t.Errorf("%s runs %q", sts.Name, c.Command)
		}
		env := map[string]string{}
		for _, e := range c.Env {
			env[e.Name] = e.Value
			if e.Name == pod.EnvPodName && (e.ValueFrom == nil || e.ValueFrom.FieldRef.FieldPath != "metadata.name") {
				t.Errorf("%s: %s is not the pod's name", sts.Name, e.Name)
			}
		}
		want := map[string]string{pod.EnvConfigDir: pod.ConfigDir, pod.EnvDataDir: pod.DataDir,
			pod.EnvCredentialsDir: pod.CredentialsDir, pod.EnvServer: "valkey-server"}
		for k, v := range want {
			if env[k] != v {
				t.Errorf("%s: %s=%q, want %q", sts.Name, k, env[k], v)
			}
		}
	}
	for _, cm := range o.Configs {
		for key, text := range cm.Data {
			if key == NodesKey {
				continue
			}
			conf, err := pod.ParseConf(text)
			if err != nil {
				t.Fatalf("%s/%s: pod-start refuses it: %v", cm.Name, key, err)
			}
			if !strings.HasPrefix(conf.Dir, pod.DataDir+"/"+r.Cache.Name+"-") || !conf.Cluster || conf.Port != 6379 {
				t.Errorf("%s/%s reads as %+v", cm.Name, key, conf)
			}
		}
	}
}
