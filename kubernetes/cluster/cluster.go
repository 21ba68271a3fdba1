// Package cluster gives tests a real multi-node Kubernetes cluster on this machine: one
// control-plane node and one worker per zone, each a Docker container with its own address,
// built and launched by this directory's build.sh and cluster.sh (`make k8s-cluster`) with
// nothing pulled from a registry. Tests call Ensure for a kubeconfig, and StopNode/StartNode
// to lose and regain a machine. See docs/kubernetes.md.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/gruntwork-io/terratest/modules/testing"
)

// Names, as cluster.sh makes them (its K8S_CLUSTER and K8S_ZONES defaults).
const (
	Name         = "rediskit-k8s"
	ControlPlane = Name + "-control-plane"
	// ZoneLabel is the well-known label the workers carry.
	ZoneLabel = "topology.kubernetes.io/zone"
)

// Zones are the workers' zones, one worker each.
var Zones = []string{"zone-a", "zone-b", "zone-c"}

// Worker is the node (and container) name of the worker in zone.
func Worker(zone string) string { return Name + "-worker-" + strings.TrimPrefix(zone, "zone-") }

// EnsureTimeout bounds `cluster.sh up`: building every binary and image from nothing takes
// 35-60 minutes on this 2-core machine under load, creating the cluster from cached images
// three to four.
// Overridable with RK_K8S_ENSURE_TIMEOUT (a Go duration).
var EnsureTimeout = durationFromEnv("RK_K8S_ENSURE_TIMEOUT", 60*time.Minute)

func durationFromEnv(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

// RepoRoot is the repository this package is in.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Kubeconfig is where `make k8s-cluster` writes the cluster's kubeconfig (K8S_KUBECONFIG
// overrides it). It names the API server by the control-plane container's address, which the
// host reaches directly, so it works from the host and from inside the nodes.
func Kubeconfig() string {
	if p := os.Getenv("K8S_KUBECONFIG"); p != "" {
		return p
	}
	return filepath.Join(RepoRoot(), ".rediskit", "k8s", "kubeconfig")
}

// Kubectl is the kubectl built with the cluster (same version), in the repository's bin/.
func Kubectl() string { return filepath.Join(RepoRoot(), "bin", "kubectl") }

// EnsureE creates the cluster, or checks and reuses the one that is up (starting stopped
// nodes, recreating a broken or stale one), and returns the kubeconfig path. It is
// `make k8s-cluster` without the engine image build: images already built are loaded.
func EnsureE(ctx context.Context) (string, error) {
	if _, err := exec.LookPath("docker"); err != nil {
		return "", fmt.Errorf("the local Kubernetes cluster needs docker: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, EnsureTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(RepoRoot(), "kubernetes", "cluster", "cluster.sh"), "up", Kubeconfig())
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("bringing up the local Kubernetes cluster (kubernetes/cluster/cluster.sh up): %w\n%s", err, tail(out.String(), 40))
	}
	return Kubeconfig(), nil
}

// Ensure is EnsureE failing the test on error.
func Ensure(t testing.TestingT) string {
	p, err := EnsureE(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// StopNodeE stops a node's container: to the cluster, that machine is gone.
func StopNodeE(node string) error { return dockerE("stop", node) }

// StartNodeE starts a stopped node's container again; it rejoins with its old identity.
func StartNodeE(node string) error { return dockerE("start", node) }

// StopNode is StopNodeE failing the test on error.
func StopNode(t testing.TestingT, node string) {
	if err := StopNodeE(node); err != nil {
		t.Fatal(err)
	}
}

// StartNode is StartNodeE failing the test on error.
func StartNode(t testing.TestingT, node string) {
	if err := StartNodeE(node); err != nil {
		t.Fatal(err)
	}
}

func dockerE(args ...string) error {
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ErrNoDocker is returned by Available when docker is missing.
var ErrNoDocker = errors.New("docker is not installed")

// Available reports whether this machine can run the cluster at all (docker answers).
func Available() error {
	if _, err := exec.LookPath("docker"); err != nil {
		return ErrNoDocker
	}
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		return fmt.Errorf("docker does not answer: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
