package test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/retry"
	"github.com/gruntwork-io/terratest/modules/testing"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/internal/clientcheck"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
	"github.com/rediskit/rediskit/kubernetes/install"
	"github.com/rediskit/rediskit/kubernetes/operator"
	"github.com/rediskit/rediskit/kubernetes/render"
)

// KubeCache is a cache on a Kubernetes cluster as a test sees it: through kubectl (Terratest's
// k8s module), like an operator of the cluster would.
type KubeCache struct {
	Opts *k8s.KubectlOptions
	Name string
}

// GetE reads the Cache object.
func (c KubeCache) GetE(t testing.TestingT) (*v1alpha1.Cache, error) {
	out, err := k8s.RunKubectlAndGetOutputE(t, c.Opts, "get", "cache", c.Name, "-o", "json")
	if err != nil {
		return nil, err
	}
	obj := &v1alpha1.Cache{}
	if err := json.Unmarshal([]byte(out), obj); err != nil {
		return nil, fmt.Errorf("reading cache %s: %w", c.Name, err)
	}
	return obj, nil
}

// Get is GetE that fails the test.
func (c KubeCache) Get(t testing.TestingT) *v1alpha1.Cache {
	obj, err := c.GetE(t)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// WaitReadyE waits until the operator reports the cache Ready with every node ready; it
// returns the cache then. accept, when set, must hold too (a role changed, a node returned).
func (c KubeCache) WaitReadyE(t testing.TestingT, what string, timeout time.Duration, accept func(*v1alpha1.Cache) error) (*v1alpha1.Cache, error) {
	var got *v1alpha1.Cache
	_, err := retry.DoWithRetryE(t, what, int(timeout/(2*time.Second)), 2*time.Second, func() (string, error) {
		obj, err := c.GetE(t)
		if err != nil {
			return "", err
		}
		if obj.Status.Phase != v1alpha1.PhaseReady {
			msg := ""
			for _, cond := range obj.Status.Conditions {
				if cond.Type == v1alpha1.ConditionReady {
					msg = cond.Message
				}
			}
			return "", fmt.Errorf("phase %q: %s", obj.Status.Phase, msg)
		}
		for _, n := range obj.Status.Nodes {
			if !n.Ready {
				return "", fmt.Errorf("node %s (pod %s) not ready", n.ID, n.Pod)
			}
		}
		if accept != nil {
			if err := accept(obj); err != nil {
				return "", err
			}
		}
		got = obj
		return "", nil
	})
	return got, err
}

// WaitReady is WaitReadyE that fails the test.
func (c KubeCache) WaitReady(t testing.TestingT, what string, timeout time.Duration, accept func(*v1alpha1.Cache) error) *v1alpha1.Cache {
	obj, err := c.WaitReadyE(t, what, timeout, accept)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// ShardPrimary is the node reported primary in a shard.
func ShardPrimary(obj *v1alpha1.Cache, shard string) (v1alpha1.NodeStatus, bool) {
	for _, n := range obj.Status.Nodes {
		if n.Shard == shard && n.Role == "primary" {
			return n, true
		}
	}
	return v1alpha1.NodeStatus{}, false
}

// ZonesE checks each shard's nodes are on Kubernetes nodes of distinct zones, by the nodes'
// own labels (not the status's word for it).
func (c KubeCache) ZonesE(t testing.TestingT, obj *v1alpha1.Cache) error {
	zoneOf := map[string]string{}
	nodes, err := k8s.GetNodesE(t, c.Opts)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		zoneOf[n.Name] = n.Labels[corev1.LabelTopologyZone]
	}
	byShard := map[string]map[string]string{}
	for _, n := range obj.Status.Nodes {
		pod, err := k8s.GetPodE(t, c.Opts, n.Pod)
		if err != nil {
			return err
		}
		zone := zoneOf[pod.Spec.NodeName]
		if zone == "" {
			return fmt.Errorf("pod %s runs on %q, which has no zone label", n.Pod, pod.Spec.NodeName)
		}
		if byShard[n.Shard] == nil {
			byShard[n.Shard] = map[string]string{}
		}
		if other, dup := byShard[n.Shard][zone]; dup {
			return fmt.Errorf("shard %s has %s and %s in zone %s", n.Shard, other, n.Pod, zone)
		}
		byShard[n.Shard][zone] = n.Pod
	}
	return nil
}

// Load is a `rediskit-engine load` pod writing to the cache from inside the cluster as the
// app user (token from the cache's Secret, CA mounted from its TLS Secret).
type Load struct {
	Pod  string
	opts *k8s.KubectlOptions
}

// LoadOptions say what the load pod does and where it may run.
type LoadOptions struct {
	Args []string
	// AvoidZone keeps the pod off that zone's nodes (a zone the test is about to lose).
	AvoidZone string
}

// StartLoadE starts a load pod named name for the cache.
func (c KubeCache) StartLoadE(t testing.TestingT, name string, o LoadOptions) (*Load, error) {
	obj, err := c.GetE(t)
	if err != nil {
		return nil, err
	}
	e := obj.Status.Endpoints
	host := e.Configuration
	args := []string{"load", "-addr", fmt.Sprintf("%s:%d", host, e.Port)}
	if host == "" {
		host = e.Primary
		args = []string{"load", "-addr", fmt.Sprintf("%s:%d", host, e.Port)}
	} else {
		args = append(args, "-cluster")
	}
	tokenSecret, tokenKey := operator.AppTokenSecret(obj)
	volumes, mounts := "", ""
	if tlsSecret := operator.TLSSecret(obj); tlsSecret != "" {
		args = append(args, "-cacert", "/etc/rediskit/tls/ca.crt")
		volumes = fmt.Sprintf(`
  volumes:
  - name: tls
    secret: {secretName: %s, items: [{key: ca.crt, path: ca.crt}]}`, tlsSecret)
		mounts = `
    volumeMounts:
    - {name: tls, mountPath: /etc/rediskit/tls, readOnly: true}`
	}
	args = append(args, o.Args...)
	affinity := ""
	if o.AvoidZone != "" {
		affinity = fmt.Sprintf(`
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: %s, operator: NotIn, values: [%s]}`, corev1.LabelTopologyZone, o.AvoidZone)
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = fmt.Sprintf("%q", a)
	}
	image, err := EngineImageE(obj)
	if err != nil {
		return nil, err
	}
	manifest := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  labels: {app.kubernetes.io/name: rediskit-load}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 120
  securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}%s%s
  containers:
  - name: load
    image: %s
    imagePullPolicy: IfNotPresent
    command: ["rediskit-engine"]
    args: [%s]
    env:
    - name: RK_APP_TOKEN
      valueFrom: {secretKeyRef: {name: %s, key: %s}}
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}%s
`, name, affinity, volumes, image, strings.Join(quoted, ", "), tokenSecret, tokenKey, mounts)
	if err := k8s.KubectlApplyFromStringE(t, c.Opts, manifest); err != nil {
		return nil, err
	}
	return &Load{Pod: name, opts: c.Opts}, nil
}

// EngineImageE is the engine image the cache's pods run.
func EngineImageE(obj *v1alpha1.Cache) (string, error) {
	r, err := render.Resolve(obj)
	if err != nil {
		return "", err
	}
	return r.Kubernetes.Image, nil
}

// StartLoad is StartLoadE that fails the test.
func (c KubeCache) StartLoad(t testing.TestingT, name string, o LoadOptions) *Load {
	l, err := c.StartLoadE(t, name, o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// WaitRunningE waits until the load pod runs (it writes from then on).
func (l *Load) WaitRunningE(t testing.TestingT, timeout time.Duration) error {
	_, err := retry.DoWithRetryE(t, "load pod "+l.Pod+" running", int(timeout/time.Second), time.Second, func() (string, error) {
		p, err := k8s.GetPodE(t, l.opts, l.Pod)
		if err != nil {
			return "", err
		}
		if p.Status.Phase != corev1.PodRunning && p.Status.Phase != corev1.PodSucceeded {
			return "", fmt.Errorf("phase %s", p.Status.Phase)
		}
		return "", nil
	})
	return err
}

// ReportE waits for the load pod to finish and reads its report.
func (l *Load) ReportE(t testing.TestingT, timeout time.Duration) (*clientcheck.Report, error) {
	_, err := retry.DoWithRetryE(t, "load pod "+l.Pod+" to finish", int(timeout/(2*time.Second)), 2*time.Second, func() (string, error) {
		p, err := k8s.GetPodE(t, l.opts, l.Pod)
		if err != nil {
			return "", err
		}
		switch p.Status.Phase {
		case corev1.PodSucceeded:
			return "", nil
		case corev1.PodFailed:
			logs, _ := k8s.GetPodLogsE(t, l.opts, p, "load")
			// What the client's endpoint looked like then: the pods, their readiness and
			// the Service's endpoints, as kube-proxy programs them.
			pods, _ := k8s.RunKubectlAndGetOutputE(t, l.opts, "get", "pods", "-o", "wide")
			slices, _ := k8s.RunKubectlAndGetOutputE(t, l.opts, "get", "endpointslices", "-o", "yaml")
			return "", retry.FatalError{Underlying: fmt.Errorf("load pod %s (on %s) failed: %s\npods:\n%s\nendpoint slices:\n%s", l.Pod, p.Spec.NodeName, logs, pods, slices)}
		}
		return "", fmt.Errorf("phase %s", p.Status.Phase)
	})
	if err != nil {
		return nil, err
	}
	p, err := k8s.GetPodE(t, l.opts, l.Pod)
	if err != nil {
		return nil, err
	}
	logs, err := k8s.GetPodLogsE(t, l.opts, p, "load")
	if err != nil {
		return nil, err
	}
	rep := &clientcheck.Report{}
	if err := json.Unmarshal([]byte(lastJSONLine(logs)), rep); err != nil {
		return nil, fmt.Errorf("reading the report of %s: %w\n%s", l.Pod, err, logs)
	}
	if rep.ConnectRetries > 0 {
		logger.Default.Logf(t, "%s (on %s): the first connection failed %d times before one succeeded: %s", l.Pod, p.Spec.NodeName, rep.ConnectRetries, rep.ConnectError)
	}
	return rep, nil
}

// Report is ReportE that fails the test.
func (l *Load) Report(t testing.TestingT, timeout time.Duration) *clientcheck.Report {
	rep, err := l.ReportE(t, timeout)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// StopE ends the load pod's writing now (SIGTERM to its process): it reads back what it
// wrote and reports as it does at the end of its -duration.
func (l *Load) StopE(t testing.TestingT) error {
	_, err := k8s.RunKubectlAndGetOutputE(t, l.opts, "exec", l.Pod, "--", "sh", "-c", "kill -TERM 1")
	return err
}

// Stop is StopE that fails the test.
func (l *Load) Stop(t testing.TestingT) {
	if err := l.StopE(t); err != nil {
		t.Fatal(err)
	}
}

// k8sStackCache is stacks/Pulumi.k8s.yaml's rediskit:cache with the given fields replaced, as
// the JSON a stack config value takes.
func k8sStackCache(t testing.TestingT, set map[string]any) string {
	b, err := os.ReadFile(filepath.Join("..", "stacks", "Pulumi.k8s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var stack struct {
		Config map[string]any `json:"config"`
	}
	if err := yaml.Unmarshal(b, &stack); err != nil {
		t.Fatalf("reading stacks/Pulumi.k8s.yaml: %v", err)
	}
	c, ok := stack.Config["rediskit:cache"].(map[string]any)
	if !ok {
		t.Fatalf("stacks/Pulumi.k8s.yaml has no rediskit:cache object")
	}
	for k, v := range set {
		c[k] = v
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// slotMoveLine is the operator's log line for one source/destination pair's moves (the
// engine's slot mover's words).
var slotMoveLine = regexp.MustCompile(`moved (\d+) slots \((\d+) keys\) from (\S+) to (\S+) in ((?:[0-9.]+(?:ms|µs|ns|h|m|s))+)`)

// SlotMovesE sums the slot moves the operator has logged since a time: slots, keys, the
// longest pair's time (pairs move side by side) and keys per second over it.
func (c KubeCache) SlotMovesE(t testing.TestingT, since time.Time) (string, error) {
	logs, err := k8s.RunKubectlAndGetOutputE(t, c.Opts, "logs", "deploy/"+install.Name, "--since-time", since.UTC().Format(time.RFC3339))
	if err != nil {
		return "", err
	}
	slots, keys, pairs := 0, 0, 0
	var longest time.Duration
	for _, m := range slotMoveLine.FindAllStringSubmatch(logs, -1) {
		s, _ := strconv.Atoi(m[1])
		k, _ := strconv.Atoi(m[2])
		d, err := time.ParseDuration(m[5])
		if err != nil {
			return "", fmt.Errorf("operator log %q: %w", m[0], err)
		}
		slots, keys, pairs = slots+s, keys+k, pairs+1
		longest = max(longest, d)
	}
	if pairs == 0 {
		return "", fmt.Errorf("the operator logged no slot moves since %s", since.Format(time.RFC3339))
	}
	return fmt.Sprintf("%d slots, %d keys, %d pairs side by side, longest %s: %.0f keys/s", slots, keys, pairs,
		longest.Round(time.Millisecond), float64(keys)/longest.Seconds()), nil
}

// SlotMoves is SlotMovesE that fails the test.
func (c KubeCache) SlotMoves(t testing.TestingT, since time.Time) string {
	s, err := c.SlotMovesE(t, since)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// StartedConfigE is a directive's value in the configuration the node of pod started from:
// the redis.conf pod-start copies into the node's directory on its volume at every start.
func (c KubeCache) StartedConfigE(t testing.TestingT, pod, nodeID, directive string) (string, error) {
	path := fmt.Sprintf("%s/%s/redis.conf", render.DataDir, nodeID)
	out, err := k8s.RunKubectlAndGetOutputE(t, c.Opts, "exec", pod, "-c", "engine", "--", "cat", path)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == directive {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("%s on %s has no %s line", path, pod, directive)
}

// StartedConfig is StartedConfigE that fails the test.
func (c KubeCache) StartedConfig(t testing.TestingT, pod, nodeID, directive string) string {
	v, err := c.StartedConfigE(t, pod, nodeID, directive)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// RunSnapshotJobE starts a Job from the cache's snapshot schedule now (as the CronJob would in
// the window) and returns the manifest of the snapshot it took, read from its log.
func (c KubeCache) RunSnapshotJobE(t testing.TestingT, job string, timeout time.Duration) (*engine.Manifest, error) {
	if _, err := k8s.CreateJobFromCronJobE(t, c.Opts, render.SnapshotScheduleName(c.Name), job); err != nil {
		return nil, err
	}
	if err := k8s.WaitUntilJobSucceedE(t, c.Opts, job, int(timeout/(2*time.Second)), 2*time.Second); err != nil {
		return nil, err
	}
	logs, err := k8s.RunKubectlAndGetOutputE(t, c.Opts, "logs", "job/"+job)
	if err != nil {
		return nil, err
	}
	m := &engine.Manifest{}
	if err := json.Unmarshal([]byte(lastJSONLine(logs)), m); err != nil {
		return nil, fmt.Errorf("reading the manifest from the log of job %s: %w\n%s", job, err, logs)
	}
	return m, nil
}

// ReadSnapshotStoreE runs a pod of image with the namespace's snapshot volume mounted at
// /snapshots and returns what script (sh) prints: what a user sees on the volume.
func ReadSnapshotStoreE(t testing.TestingT, opts *k8s.KubectlOptions, name, image, script string) (string, error) {
	manifest := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  restartPolicy: Never
  securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: read
    image: %s
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", %q]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
    volumeMounts: [{name: snapshots, mountPath: /snapshots, readOnly: true}]
  volumes:
  - name: snapshots
    persistentVolumeClaim: {claimName: %s}
`, name, image, script, render.SnapshotStoreName)
	if err := k8s.KubectlApplyFromStringE(t, opts, manifest); err != nil {
		return "", err
	}
	defer k8s.RunKubectlE(t, opts, "delete", "pod", name, "--wait=false")
	_, err := retry.DoWithRetryE(t, "pod "+name+" to finish", 90, 2*time.Second, func() (string, error) {
		p, err := k8s.GetPodE(t, opts, name)
		if err != nil {
			return "", err
		}
		if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			return "", fmt.Errorf("phase %s", p.Status.Phase)
		}
		return "", nil
	})
	if err != nil {
		return "", err
	}
	return k8s.RunKubectlAndGetOutputE(t, opts, "logs", name)
}

// lastJSONLine is the report a command printed on its standard output, the last line that
// is a JSON object: a pod's log interleaves its standard error, in no promised order.
func lastJSONLine(logs string) string {
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); strings.HasPrefix(l, "{") {
			return l
		}
	}
	return ""
}
