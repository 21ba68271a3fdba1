package pack_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/selfhosted"
	"github.com/rediskit/rediskit/infra/plan"
	"github.com/rediskit/rediskit/infra/program"
	"github.com/rediskit/rediskit/provider/schema"
)

// localConfig is the local stack's config with edits to its rediskit:cache object.
func localConfig(t *testing.T, environment string, edit func(cache map[string]any)) auto.ConfigMap {
	t.Helper()
	cfg, secrets, _, err := plan.StackConfig(repoRoot, "local")
	if err != nil {
		t.Fatal(err)
	}
	var cache map[string]any
	if err := json.Unmarshal([]byte(cfg["rediskit:cache"]), &cache); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(cache)
	}
	b, _ := json.Marshal(cache)
	cfg["rediskit:cache"] = string(b)
	if environment != "" {
		cfg["rediskit:environment"] = environment
	}
	cm := auto.ConfigMap{}
	for k, v := range cfg {
		cm[k] = auto.ConfigValue{Value: v, Secret: slices.Contains(secrets, k)}
	}
	return cm
}

// TestPreviewLocalStack: the self-hosted stack's deployment reaches the pack in a preview; as
// configured it passes, and a change to TLS "preferred" in a production-marked stack is
// blocked.
func TestPreviewLocalStack(t *testing.T) {
	needCLI(t)
	got, err := previewProgram(t, "local", program.Run, localConfig(t, "", nil), "")
	if err != nil || len(got) != 0 {
		t.Fatalf("local as configured: err=%v events=%q", err, got)
	}
	preferred := localConfig(t, "prod", func(c map[string]any) {
		c["encryption"] = map[string]any{"inTransit": true, "transitMode": "preferred"}
		c["replicas"] = 0
	})
	got, err = previewProgram(t, "local", program.Run, preferred, "")
	want := []string{
		`encryption-in-transit mandatory: tlsMode is "preferred", which still accepts plaintext connections; use "required" once clients use TLS`,
		"production-multi-az advisory: no replica: Multi-AZ needs at least 2 nodes per shard",
	}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n got  %q\n want %q", got, want)
	}
	if err == nil || !strings.Contains(err.Error(), "mandatory") {
		t.Errorf("want the preview blocked, got %v", err)
	}

	// TLS switched off altogether: the cache component refuses it before anything is
	// registered (auth needs TLS), so the pack meets it on a Deployment declared directly with
	// the rediskit provider, in a production-marked stack, and blocks the preview.
	direct := func(ctx *pulumi.Context) error {
		a := schema.DeploymentArgs{Name: "legacy", Environment: "prod", Mode: "single", Engine: "redis", EngineVersion: "7.0",
			AuthMode: "token", TLS: false, Persistence: "rdb", SnapshotRetentionDays: 7, FinalSnapshot: true,
			Driver: "process", Host: "127.0.0.1", BasePort: 7700, DataDir: t.TempDir()}
		_, err := selfhosted.NewDeployment(ctx, "legacy", a)
		return err
	}
	got, err = previewProgram(t, "local", direct, localConfig(t, "prod", nil), "")
	want = []string{
		// Declared without metricsPort: nothing could scrape or alarm on it.
		"cache-alarms advisory: no metrics endpoint: set selfHosted.metricsPort so that its metrics (CloudWatch's names) can be scraped and alarmed on",
		"encryption-in-transit mandatory: TLS is not enabled",
		"production-multi-az advisory: no replica: Multi-AZ needs at least 2 nodes per shard",
	}
	if !slices.Equal(got, want) {
		t.Errorf("TLS off events:\n got  %q\n want %q", got, want)
	}
	if err == nil || !strings.Contains(err.Error(), "mandatory") {
		t.Errorf("want the preview with TLS off blocked, got %v", err)
	}
}
