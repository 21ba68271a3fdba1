// Package examples holds the programs a team copies (go/, yaml/); these tests run them.
package examples

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"

	e2e "github.com/rediskit/rediskit/test"
)

// The YAML example, run by the real Pulumi CLI and YAML language host: its Cache is constructed
// inside the rediskit plugin from the schema's vocabulary, the engine deploys a replication group
// behind Sentinel, and a Sentinel-aware client with TLS and the app user's token writes through
// it and sees the write replicated. The token is a secret in the state, and destroy stops it all.
func TestYAMLExample(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "bin")
	for _, f := range []string{"pulumi", "pulumi-language-yaml", "pulumi-resource-rediskit"} {
		if _, err := os.Stat(filepath.Join(bin, f)); err != nil {
			t.Fatalf("bin/%s is missing: run `make tools provider` (make test does)", f)
		}
	}
	// Copied as a user would, the plugin path pointed at the built plugin.
	src, err := os.ReadFile(filepath.Join(root, "examples", "yaml", "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "path: ../../bin") {
		t.Fatal("examples/yaml/Pulumi.yaml no longer takes the plugin from ../../bin")
	}
	dir := t.TempDir()
	project := filepath.Join(dir, "project")
	if err := os.MkdirAll(project, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(project, "Pulumi.yaml"), []byte(strings.Replace(string(src), "path: ../../bin", "path: "+bin, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := auto.UpsertStackLocalSource(ctx, "test", project,
		auto.Pulumi(cmd),
		auto.PulumiHome(filepath.Join(dir, "home")),
		auto.EnvVars(map[string]string{
			"PATH":                     bin + string(os.PathListSeparator) + os.Getenv("PATH"), // the YAML language host
			"PULUMI_BACKEND_URL":       "file://" + state,
			"PULUMI_CONFIG_PASSPHRASE": "examples",
			"PULUMI_SKIP_UPDATE_CHECK": "true",
			"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		}))
	if err != nil {
		t.Fatalf("opening the YAML example's stack: %v", err)
	}
	if err := st.SetConfig(ctx, "basePort", auto.ConfigValue{Value: "7300"}); err != nil {
		t.Fatal(err)
	}
	log := testWriter{t}
	destroyed := false
	t.Cleanup(func() {
		if !destroyed {
			_, _ = st.Destroy(ctx, optdestroy.ProgressStreams(log))
		}
	})
	res, err := st.Up(ctx, optup.ProgressStreams(log), optup.ErrorProgressStreams(log))
	if err != nil {
		t.Fatalf("pulumi up of the YAML example: %v", err)
	}
	if n := (*res.Summary.ResourceChanges)["create"]; n != 3 {
		t.Errorf("created %d resources, want 3 (stack, Cache, its Deployment)", n)
	}
	d, err := e2e.DeployedFromOutputsE(res.Outputs)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Outputs["authToken"].Secret || d.Token == "" {
		t.Errorf("authToken output: secret=%v, set=%v; want a secret", res.Outputs["authToken"].Secret, d.Token != "")
	}
	if len(d.Nodes) != 2 || len(d.Sentinels) != 3 {
		t.Fatalf("%d nodes and %d sentinels, want a primary, a replica and 3 sentinels", len(d.Nodes), len(d.Sentinels))
	}
	c, err := e2e.FailoverClientE(d, "yaml-example")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Set(ctx, "greeting", "from yaml", 0).Err(); err != nil {
		t.Fatalf("SET through Sentinel: %v", err)
	}
	if n, err := c.Wait(ctx, 1, 5000).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1: %d replicas acknowledged (%v)", n, err)
	}
	if v, err := c.Get(ctx, "greeting").Result(); err != nil || v != "from yaml" {
		t.Fatalf("GET: %q %v", v, err)
	}
	// The state holds the token encrypted only.
	if err := filepath.Walk(state, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), d.Token) {
			t.Errorf("%s holds the AUTH token in plain text", p)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Destroy(ctx, optdestroy.ProgressStreams(log)); err != nil {
		t.Fatalf("pulumi destroy of the YAML example: %v", err)
	}
	destroyed = true
	if err := c.Ping(ctx).Err(); err == nil {
		t.Error("the cache still answers after destroy")
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
