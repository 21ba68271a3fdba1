package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The engine binary runs inside the node image and, later, inside Kubernetes pods: it must stay
// a small program over the engine and the shared vocabulary, never pulling in Pulumi (a
// component or provider import would drag the whole SDK, gRPC and cloud clients with it).
func TestEngineBinaryHasNoPulumiDependency(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed only %d packages: %q", len(deps), deps)
	}
	var bad []string
	for _, d := range deps {
		if strings.Contains(d, "pulumi") || strings.HasPrefix(d, "github.com/rediskit/rediskit/components") ||
			strings.HasPrefix(d, "github.com/rediskit/rediskit/provider") {
			bad = append(bad, d)
		}
	}
	if len(bad) > 0 {
		t.Fatalf("cmd/rediskit-engine depends on %d Pulumi or component packages: %s", len(bad), strings.Join(bad, ", "))
	}
}
