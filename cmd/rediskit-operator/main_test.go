package main

import (
	"flag"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/rediskit/rediskit/kubernetes/install"
)

// The operator runs in the engine image beside rediskit-engine: like it, it must stay a
// program over the operator, render, engine and the vocabulary, never pulling in Pulumi (a
// component or provider import would drag the whole SDK, gRPC and cloud clients with it).
func TestOperatorBinaryHasNoPulumiDependency(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	var bad []string
	sawOperator := false
	for _, d := range deps {
		if strings.Contains(d, "pulumi") || strings.HasPrefix(d, "github.com/rediskit/rediskit/components/") && d != "github.com/rediskit/rediskit/components/spec" ||
			strings.HasPrefix(d, "github.com/rediskit/rediskit/provider") && d != "github.com/rediskit/rediskit/provider/schema" {
			bad = append(bad, d)
		}
		sawOperator = sawOperator || d == "github.com/rediskit/rediskit/kubernetes/operator"
	}
	if !sawOperator || len(deps) < 50 {
		t.Fatalf("go list -deps listed %d packages, the operator's among them: %v; the test no longer sees the binary's dependencies", len(deps), sawOperator)
	}
	if len(bad) > 0 {
		t.Fatalf("cmd/rediskit-operator depends on %d Pulumi or component packages: %s", len(bad), strings.Join(bad, ", "))
	}
}

// The flags the installed Deployment passes are the ones this binary defines, with the
// meaning the options give them.
func TestInstallArgsParse(t *testing.T) {
	for _, opts := range []install.Options{{}, {WatchNamespace: "shop", SkipCRD: true}} {
		fs := flag.NewFlagSet("rediskit-operator", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f, _ := newFlags(fs)
		if err := fs.Parse(install.Args(opts)); err != nil {
			t.Fatalf("the Deployment's args %v: %v", install.Args(opts), err)
		}
		if f.namespace != opts.WatchNamespace || f.installCRD == opts.SkipCRD || !f.leaderElect ||
			f.metricsAddr != ":8080" || f.probeAddr != ":8081" || fs.NArg() != 0 {
			t.Errorf("options %+v parsed as %+v", opts, *f)
		}
	}
}
