package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/gruntwork-io/terratest/modules/random"
	"github.com/gruntwork-io/terratest/modules/retry"
)

// Timeouts of the steps that wait on the cluster; 2 shared cores make every one of them slow,
// so they are generous, and each can be raised from the environment (a Go duration).
var (
	readyTimeout    = durationFromEnv("RK_K8S_READY_TIMEOUT", 5*time.Minute)    // nodes Ready again
	podTimeout      = durationFromEnv("RK_K8S_POD_TIMEOUT", 4*time.Minute)      // a pod running/done
	notReadyTimeout = durationFromEnv("RK_K8S_NOTREADY_TIMEOUT", 3*time.Minute) // a stopped node NotReady
	serveTimeout    = durationFromEnv("RK_K8S_SERVE_TIMEOUT", 2*time.Minute)    // a Service answering
)

const poll = 3 * time.Second

func tries(d time.Duration) int { return int(d/poll) + 1 }

// kubectl runs kubectl and returns its output, failing the test on error.
func kubectl(t *testing.T, opts *k8s.KubectlOptions, args ...string) string {
	t.Helper()
	out, err := k8s.RunKubectlAndGetOutputE(t, opts, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// TestCluster proves the local cluster is a real multi-node cluster: zoned nodes, dynamic
// volumes on each zone's node, cluster DNS and Services across nodes, and a node that is lost
// and comes back.
func TestCluster(t *testing.T) {
	if err := Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the local Kubernetes cluster cannot run: %v", err)
		}
		t.Skipf("the local Kubernetes cluster cannot run here: %v", err)
	}
	start := time.Now()
	kubeconfig := Ensure(t)
	t.Logf("cluster up in %s", time.Since(start).Round(time.Second))
	// Terratest runs the kubectl on PATH: use the one built with the cluster.
	t.Setenv("PATH", filepath.Dir(Kubectl())+string(os.PathListSeparator)+os.Getenv("PATH"))

	ns := "cluster-test-" + strings.ToLower(random.UniqueId())
	opts := k8s.NewKubectlOptions("", kubeconfig, ns)
	k8s.CreateNamespace(t, opts, ns)
	t.Cleanup(func() {
		// Waits, so the volumes' directories are gone from the nodes too.
		if _, err := k8s.RunKubectlAndGetOutputE(t, opts, "delete", "namespace", ns, "--timeout=3m"); err != nil {
			t.Logf("deleting namespace %s: %v", ns, err)
		}
	})

	t.Run("nodes", func(t *testing.T) { checkNodes(t, opts) })
	t.Run("volumes", func(t *testing.T) { checkVolumes(t, opts) })
	t.Run("dns-and-node-loss", func(t *testing.T) { checkDNSAndNodeLoss(t, opts) })
	t.Logf("TestCluster took %s", time.Since(start).Round(time.Second))
}

// checkNodes: every node Ready, the workers in their zones, the control plane closed to
// ordinary workloads.
func checkNodes(t *testing.T, opts *k8s.KubectlOptions) {
	k8s.WaitUntilAllNodesReady(t, opts, tries(readyTimeout), poll)
	nodes := k8s.GetNodes(t, opts)
	want := map[string]string{ControlPlane: ""}
	for _, z := range Zones {
		want[Worker(z)] = z
	}
	if len(nodes) != len(want) {
		t.Fatalf("%d nodes, want %d", len(nodes), len(want))
	}
	addrs := map[string]bool{}
	for _, n := range nodes {
		zone, ok := want[n.Name]
		if !ok {
			t.Errorf("unexpected node %s", n.Name)
			continue
		}
		if got := n.Labels[ZoneLabel]; got != zone {
			t.Errorf("node %s: %s = %q, want %q", n.Name, ZoneLabel, got, zone)
		}
		for _, a := range n.Status.Addresses {
			if a.Type == "InternalIP" {
				if addrs[a.Address] {
					t.Errorf("node %s shares address %s", n.Name, a.Address)
				}
				addrs[a.Address] = true
			}
		}
		tainted := false
		for _, taint := range n.Spec.Taints {
			tainted = tainted || (taint.Key == "node-role.kubernetes.io/control-plane" && taint.Effect == "NoSchedule")
		}
		if tainted != (n.Name == ControlPlane) {
			t.Errorf("node %s: control-plane NoSchedule taint %v", n.Name, tainted)
		}
	}
	if len(addrs) != len(want) {
		t.Errorf("%d distinct node addresses, want %d", len(addrs), len(want))
	}
}

// pod is a busybox pod pinned to a zone's worker.
func pod(name, zone, labels, command, volumes string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  labels: {%s}
spec:
  nodeSelector: {%s: %s}
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: docker.io/library/busybox:1.37
    imagePullPolicy: Never
    command: ["sh", "-c", %q]
%s`, name, labels, ZoneLabel, zone, command, volumes)
}

func claimVolume(claim string) string {
	return fmt.Sprintf(`    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: %s}
`, claim)
}

// podPhase waits for a pod to reach phase (Succeeded, Running).
func podPhase(t *testing.T, opts *k8s.KubectlOptions, name, phase string) {
	retry.DoWithRetry(t, "pod "+name+" "+phase, tries(podTimeout), poll, func() (string, error) {
		got, err := k8s.RunKubectlAndGetOutputE(t, opts, "get", "pod", name, "-o", "jsonpath={.status.phase}")
		if err != nil {
			return "", err
		}
		if got == "Failed" {
			return "", retry.FatalError{Underlying: fmt.Errorf("pod %s failed", name)}
		}
		if got != phase {
			return "", fmt.Errorf("pod %s is %q", name, got)
		}
		return got, nil
	})
}

// checkVolumes: a claim in each zone from the default StorageClass (no class named), written
// by one pod and read back by another, with the volume on that zone's node.
func checkVolumes(t *testing.T, opts *k8s.KubectlOptions) {
	for _, z := range Zones {
		k8s.KubectlApplyFromString(t, opts, fmt.Sprintf(`apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data-%s
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 64Mi}}
`, z))
		k8s.KubectlApplyFromString(t, opts, pod("write-"+z, z, "", "echo written in "+z+" > /data/f", claimVolume("data-"+z)))
	}
	for _, z := range Zones {
		podPhase(t, opts, "write-"+z, "Succeeded")
		k8s.KubectlApplyFromString(t, opts, pod("read-"+z, z, "", "cat /data/f", claimVolume("data-"+z)))
	}
	for _, z := range Zones {
		podPhase(t, opts, "read-"+z, "Succeeded")
		got := strings.TrimSpace(kubectl(t, opts, "logs", "read-"+z))
		if want := "written in " + z; got != want {
			t.Errorf("read back %q in %s, want %q", got, z, want)
		}
		pv := kubectl(t, opts, "get", "pvc", "data-"+z, "-o", "jsonpath={.spec.volumeName}")
		sel := kubectl(t, opts, "get", "pv", pv, "-o",
			"jsonpath={.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]}")
		if sel != Worker(z) {
			t.Errorf("volume of data-%s is on node %q, want %s", z, sel, Worker(z))
		}
	}
}

// checkDNSAndNodeLoss: a Service backed by pods in zone-a and zone-b, found by name through
// cluster DNS from a pod in zone-c; then zone-a's machine is stopped: its node goes NotReady
// and the Service keeps answering from zone-b; started again, the node is Ready.
func checkDNSAndNodeLoss(t *testing.T, opts *k8s.KubectlOptions) {
	lost, survivor, client := Zones[0], Zones[1], Zones[2]
	serve := "mkdir -p /www && echo served from $ZONE > /www/index.html && exec httpd -f -p 8080 -h /www"
	for _, z := range []string{lost, survivor} {
		manifest := strings.Replace(pod("web-"+z, z, "app: web", serve, ""), "    command:",
			fmt.Sprintf("    env: [{name: ZONE, value: %s}]\n    readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 2}\n    command:", z), 1)
		k8s.KubectlApplyFromString(t, opts, manifest)
	}
	k8s.KubectlApplyFromString(t, opts, `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`)
	k8s.KubectlApplyFromString(t, opts, pod("client-"+client, client, "", "exec sleep 3600", ""))
	for _, name := range []string{"web-" + lost, "web-" + survivor, "client-" + client} {
		k8s.WaitUntilPodAvailable(t, opts, name, tries(podTimeout), poll)
	}
	fqdn := "web." + opts.Namespace + ".svc.cluster.local"
	fetch := func(host string) (string, error) {
		return k8s.RunKubectlAndGetOutputE(t, opts, "exec", "client-"+client, "--", "wget", "-q", "-O-", "-T", "3", "http://"+host)
	}
	retry.DoWithRetry(t, "resolve "+fqdn+" from "+client, tries(serveTimeout), poll, func() (string, error) {
		out, err := k8s.RunKubectlAndGetOutputE(t, opts, "exec", "client-"+client, "--", "nslookup", fqdn)
		if err != nil {
			return "", err
		}
		ip := kubectl(t, opts, "get", "service", "web", "-o", "jsonpath={.spec.clusterIP}")
		if !strings.Contains(out, ip) {
			return "", fmt.Errorf("%s resolved to\n%s\nnot the Service's %s", fqdn, out, ip)
		}
		return out, nil
	})
	// The short name goes through the pod's DNS search path.
	retry.DoWithRetry(t, "GET http://web from "+client, tries(serveTimeout), poll, func() (string, error) {
		out, err := fetch("web")
		if err == nil && !strings.HasPrefix(out, "served from zone-") {
			err = fmt.Errorf("unexpected answer %q", out)
		}
		return out, err
	})

	node := Worker(lost)
	t.Cleanup(func() {
		// Leave the machine as found, even when the test fails half-way.
		if err := StartNodeE(node); err != nil {
			t.Errorf("starting %s again: %v", node, err)
		}
	})
	stopped := time.Now()
	StopNode(t, node)
	retry.DoWithRetry(t, node+" NotReady", tries(notReadyTimeout), poll, func() (string, error) {
		nodes, err := k8s.GetNodesE(t, opts)
		if err != nil {
			return "", err
		}
		for _, n := range nodes {
			if n.Name == node && !k8s.IsNodeReady(n) {
				return "", nil
			}
		}
		return "", fmt.Errorf("%s still Ready", node)
	})
	t.Logf("%s NotReady %s after its container stopped", node, time.Since(stopped).Round(time.Second))
	// Once the lost pod's endpoint is withdrawn, every request is answered from the survivor.
	retry.DoWithRetry(t, "Service answered from "+survivor+" only", tries(serveTimeout), poll, func() (string, error) {
		for i := 0; i < 5; i++ {
			out, err := fetch(fqdn)
			if err != nil {
				return "", err
			}
			if strings.TrimSpace(out) != "served from "+survivor {
				return "", fmt.Errorf("answer %q", out)
			}
		}
		return "", nil
	})

	restarted := time.Now()
	StartNode(t, node)
	k8s.WaitUntilAllNodesReady(t, opts, tries(readyTimeout), poll)
	t.Logf("%s Ready %s after its container started", node, time.Since(restarted).Round(time.Second))
}
