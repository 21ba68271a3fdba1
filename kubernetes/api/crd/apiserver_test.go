package crd_test

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/rediskit/rediskit/internal/testenv"
	"github.com/rediskit/rediskit/kubernetes/api/crd"
	"github.com/rediskit/rediskit/kubernetes/cluster"
)

// The API server of the local cluster accepts the CRD as generated (a server-side dry run:
// nothing is stored). The structural test above checks the shape; only the API server knows
// every rule, such as a list-map key having to be required.
func TestAPIServerAcceptsTheCRD(t *testing.T) {
	if err := cluster.Available(); err != nil {
		testenv.Missing(t, "the local Kubernetes cluster cannot run here: %v", err)
	}
	kubeconfig := cluster.Ensure(t)
	cmd := exec.Command(cluster.Kubectl(), "--kubeconfig", kubeconfig, "apply", "--dry-run=server", "-f", "-")
	cmd.Stdin = bytes.NewReader(crd.Manifest())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl apply --dry-run=server of the CRD: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), crd.Name) {
		t.Errorf("kubectl said %q", out)
	}
}
