package pack_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rediskit/rediskit/internal/testenv"
)

// These tests drive the real Pulumi CLI with the built pack binary. `make test` provides the
// CLI as bin/pulumi (make pulumi-cli); without one they are skipped, saying so.

var packBin, pulumiBin, repoRoot, pluginDir string

func TestMain(m *testing.M) {
	code, err := setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if code < 0 {
		code = m.Run()
	}
	if packBin != "" {
		os.RemoveAll(filepath.Dir(packBin))
	}
	os.Exit(code)
}

func setup() (int, error) {
	wd, _ := os.Getwd()
	repoRoot = wd
	for !exists(filepath.Join(repoRoot, "go.mod")) {
		repoRoot = filepath.Dir(repoRoot)
	}
	if p := filepath.Join(repoRoot, "bin", "pulumi"); exists(p) {
		pulumiBin = p
	} else if p, err := exec.LookPath("pulumi"); err == nil {
		pulumiBin = p
	}
	dir, err := os.MkdirTemp("", "rediskit-policy-test")
	if err != nil {
		return 1, err
	}
	packBin = filepath.Join(dir, "rediskit-policy")
	build := exec.Command("go", "build", "-o", packBin, "./cmd/rediskit-policy")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		return 1, fmt.Errorf("building the pack: %v\n%s", err, out)
	}
	// The real rediskit provider: previews of the self-hosted stack go through its Check and
	// dry-run Create. (No AWS provider plugin exists here, so AWS resources are judged through
	// `policy analyze` and the offline plan instead of a preview.)
	pluginDir = filepath.Join(dir, "plugins")
	build = exec.Command("go", "build", "-o", filepath.Join(pluginDir, "pulumi-resource-rediskit"), "./cmd/pulumi-resource-rediskit")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		return 1, fmt.Errorf("building the rediskit provider: %v\n%s", err, out)
	}
	return -1, nil
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func needCLI(t *testing.T) {
	t.Helper()
	if pulumiBin == "" {
		testenv.Missing(t, "no Pulumi CLI: run `make pulumi-cli` (make test does)")
	}
}

// cliEnv isolates the CLI from the user's login, plugins and the repository's Pulumi.yaml.
func cliEnv(t *testing.T) (dir string, env []string) {
	dir = t.TempDir()
	for _, d := range []string{"home", "state"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env = append(os.Environ(),
		"PULUMI_HOME="+filepath.Join(dir, "home"),
		"PULUMI_BACKEND_URL=file://"+filepath.Join(dir, "state"),
		"PULUMI_CONFIG_PASSPHRASE=test",
		"PULUMI_SKIP_UPDATE_CHECK=1",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=1",
	)
	return dir, env
}

type event struct {
	Policy, Level, Resource, Message string
}

func (e event) String() string {
	return fmt.Sprintf("%s %s %s: %s", e.Policy, e.Level, e.Resource, e.Message)
}

// analyze runs `pulumi policy analyze --json` on an export (a file of testdata/, or an
// absolute path) and returns its policy events.
func analyze(t *testing.T, export string, config string) (events []string, stderr string, err error) {
	t.Helper()
	dir, env := cliEnv(t)
	if !filepath.IsAbs(export) {
		export = filepath.Join(repoRoot, "policies/pack/testdata", export)
	}
	args := []string{"policy", "analyze", "--json", "--policy-pack", packBin, "--file", export}
	if config != "" {
		p := filepath.Join(dir, "policy.json")
		if err := os.WriteFile(p, []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--policy-pack-config", p)
	}
	cmd := exec.Command(pulumiBin, args...)
	cmd.Dir, cmd.Env = dir, env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			PolicyEvent *struct {
				ResourceURN      string `json:"resourceUrn"`
				Message          string `json:"message"`
				PolicyName       string `json:"policyName"`
				EnforcementLevel string `json:"enforcementLevel"`
			} `json:"policyEvent"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.PolicyEvent != nil {
			pe := line.PolicyEvent
			name := pe.ResourceURN[strings.LastIndex(pe.ResourceURN, "::")+2:]
			events = append(events, event{pe.PolicyName, pe.EnforcementLevel, name, pe.Message}.String())
		}
	}
	sort.Strings(events)
	return events, errb.String(), err
}

func TestPolicyAnalyzeCompliantExport(t *testing.T) {
	needCLI(t)
	got, stderr, err := analyze(t, "prod-compliant.json", "")
	if err != nil || len(got) != 0 {
		t.Fatalf("want a clean audit, got err=%v events=%q\n%s", err, got, stderr)
	}
}

func TestPolicyAnalyzeInsecureExport(t *testing.T) {
	needCLI(t)
	got, stderr, err := analyze(t, "prod-insecure.json", "")
	want := []string{
		"auth mandatory rk-prod: neither authToken nor userGroupIds is set",
		"automatic-backups advisory rk-prod: snapshotRetentionLimit is 0 days; at least 1 required",
		"automatic-failover advisory rk-prod: automaticFailoverEnabled is not true (and it needs at least one replica: the group has a single node)",
		"cache-alarms advisory rk-prod: no CloudWatch metric alarm watches this cache",
		"encryption-at-rest mandatory rk-prod: atRestEncryptionEnabled is not true",
		"encryption-in-transit mandatory rk-prod: transitEncryptionEnabled is not true",
		"production-multi-az advisory rk-prod: no replica: Multi-AZ needs at least 2 nodes per shard",
		"production-node-types advisory rk-prod: nodeType cache.t3.medium is a burstable family (t3) in production",
		"public-ingress mandatory prod-open: ingress from 0.0.0.0/0 to port 6379 reaches cache port 6379",
	}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n got  %q\n want %q\n%s", got, want, stderr)
	}
	if err == nil || !strings.Contains(stderr, "mandatory policy violations") {
		t.Errorf("want the audit to fail on mandatory violations; err=%v\n%s", err, stderr)
	}
}

func TestPolicyAnalyzeWithConfig(t *testing.T) {
	needCLI(t)
	cfg := `{"all": "advisory", "public-ingress": "disabled", "automatic-backups": {"minRetentionDays": 3}}`
	got, stderr, err := analyze(t, "prod-insecure.json", cfg)
	if err != nil {
		t.Fatalf("advisory-only audit failed: %v\n%s", err, stderr)
	}
	// Every rule advisory, public-ingress off, 3 days of snapshots required.
	want := []string{
		"auth advisory rk-prod: neither authToken nor userGroupIds is set",
		"automatic-backups advisory rk-prod: snapshotRetentionLimit is 0 days; at least 3 required",
		"automatic-failover advisory rk-prod: automaticFailoverEnabled is not true (and it needs at least one replica: the group has a single node)",
		"cache-alarms advisory rk-prod: no CloudWatch metric alarm watches this cache",
		"encryption-at-rest advisory rk-prod: atRestEncryptionEnabled is not true",
		"encryption-in-transit advisory rk-prod: transitEncryptionEnabled is not true",
		"production-multi-az advisory rk-prod: no replica: Multi-AZ needs at least 2 nodes per shard",
		"production-node-types advisory rk-prod: nodeType cache.t3.medium is a burstable family (t3) in production",
	}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n got  %q\n want %q\n%s", got, want, stderr)
	}
}

// TestPolicyAnalyzeCachePortExport: a cache listening on 7000 and a rule opening 7000 to the
// world. The engine analyzes the rule alone, where 7000 is no configured port; the stack part
// of public-ingress, which sees the cache, reports it, under the rule's own id and level.
func TestPolicyAnalyzeCachePortExport(t *testing.T) {
	needCLI(t)
	got, stderr, err := analyze(t, "prod-cache-port.json", "")
	want := []string{"public-ingress mandatory rk-prod-world-7000: ingress from 0.0.0.0/0 to port 7000 reaches cache port 7000"}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n got  %q\n want %q\n%s", got, want, stderr)
	}
	if err == nil || !strings.Contains(stderr, "mandatory policy violations") {
		t.Errorf("want the audit to fail on the mandatory violation; err=%v\n%s", err, stderr)
	}
	// With 7000 among the configured ports the resource part reports it instead: still once.
	got, stderr, _ = analyze(t, "prod-cache-port.json", `{"public-ingress": {"ports": [6379, 7000]}}`)
	if !slices.Equal(got, want) {
		t.Errorf("configured port:\n got  %q\n want %q\n%s", got, want, stderr)
	}
}

func TestPolicyAnalyzeInvalidConfig(t *testing.T) {
	needCLI(t)
	_, stderr, err := analyze(t, "prod-compliant.json", `{"automatic-backups": {"minRetentionDays": 90}, "encryption": "mandatory"}`)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{
		"invalid policy pack config: 2 problems",
		"automatic-backups.minRetentionDays: 90 is not allowed; a whole number of days from 1 to 35",
		`encryption: "encryption" is not allowed; not a rule of this pack`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestPreviewWithPolicyPack runs `pulumi preview --policy-pack` through the Automation API
// on an inline program. Without the AWS provider plugin here, the program registers only
// component resources, so the stack-level environment rule is what shows the pack ran with
// the stack's name and config.
func TestPreviewWithPolicyPack(t *testing.T) {
	needCLI(t)
	cases := []struct {
		name, stack, env, config string
		wantEvents               []string
		wantErr                  string
	}{
		{name: "unknown environment", stack: "feature-42",
			wantEvents: []string{`environment advisory: environment "feature-42" (from stack name) is not one of dev, staging, prod, local; set rediskit:environment to one of them so that production rules apply when they should`}},
		{name: "declared environment", stack: "feature-42", env: "dev"},
		{name: "mandatory by config", stack: "feature-43", config: `{"environment": "mandatory"}`,
			wantEvents: []string{`environment mandatory: environment "feature-43" (from stack name) is not one of dev, staging, prod, local; set rediskit:environment to one of them so that production rules apply when they should`},
			wantErr:    "mandatory"},
		{name: "invalid config", stack: "feature-44", config: `{"auth": {"tokenLength": 16}}`,
			wantErr: "auth.tokenLength: 16 is not allowed; this rule takes no settings besides enforcementLevel"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := preview(t, tc.stack, tc.env, tc.config)
			if !slices.Equal(got, tc.wantEvents) {
				t.Errorf("events:\n got  %q\n want %q", got, tc.wantEvents)
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("preview failed: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("want an error containing %q, got %v", tc.wantErr, err)
			}
		})
	}
}

func preview(t *testing.T, stackName, env, config string) ([]string, error) {
	t.Helper()
	program := func(ctx *pulumi.Context) error {
		var cache struct{ pulumi.ResourceState }
		if err := ctx.RegisterComponentResource("rediskit:index:Cache", "main", &cache); err != nil {
			return err
		}
		var child struct{ pulumi.ResourceState }
		return ctx.RegisterComponentResource("rediskit:index:CacheAlarms", "main-alarms", &child, pulumi.Parent(&cache))
	}
	var stackCfg auto.ConfigMap
	if env != "" {
		stackCfg = auto.ConfigMap{"rediskit:environment": {Value: env}}
	}
	return previewProgram(t, stackName, program, stackCfg, config)
}

// previewProgram previews program as stack stackName with the pack (and the rediskit provider)
// and returns the policy events as "policy level: message".
func previewProgram(t *testing.T, stackName string, program pulumi.RunFunc, stackCfg auto.ConfigMap, config string) ([]string, error) {
	t.Helper()
	ctx := context.Background()
	dir, _ := cliEnv(t)
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: filepath.Dir(filepath.Dir(pulumiBin)), SkipVersionCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	proj := workspace.Project{Name: "rediskit", Runtime: workspace.NewProjectRuntimeInfo("go", nil),
		Plugins: &workspace.Plugins{Providers: []workspace.PluginOptions{{Name: "rediskit", Path: pluginDir}}}}
	stack, err := auto.UpsertStackInlineSource(ctx, stackName, "rediskit", program,
		auto.Pulumi(cmd), auto.PulumiHome(filepath.Join(dir, "home")), auto.Project(proj), auto.WorkDir(dir),
		auto.EnvVars(map[string]string{
			"PULUMI_BACKEND_URL":                          "file://" + filepath.Join(dir, "state"),
			"PULUMI_CONFIG_PASSPHRASE":                    "test",
			"PULUMI_SKIP_UPDATE_CHECK":                    "1",
			"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "1",
		}))
	if err != nil {
		t.Fatalf("creating stack: %v", err)
	}
	if len(stackCfg) > 0 {
		if err := stack.SetAllConfig(ctx, stackCfg); err != nil {
			t.Fatal(err)
		}
	}
	opts := []optpreview.Option{optpreview.PolicyPacks(packBin)}
	if config != "" {
		p := filepath.Join(dir, "policy.json")
		if err := os.WriteFile(p, []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		opts = append(opts, optpreview.PolicyPackConfigs(p))
	}
	ch := make(chan events.EngineEvent)
	done := make(chan []string)
	go func() {
		var got []string
		for e := range ch {
			if pe := e.PolicyEvent; pe != nil {
				got = append(got, fmt.Sprintf("%s %s: %s", pe.PolicyName, pe.EnforcementLevel, strings.TrimSpace(pe.Message)))
			}
		}
		done <- got
	}()
	_, err = stack.Preview(ctx, append(opts, optpreview.EventStreams(ch))...)
	got := <-done
	sort.Strings(got)
	return got, err
}

// TestPolicyAnalyzeSelfHostedExport: an export of the self-hosted target is audited by the
// same rules.
func TestPolicyAnalyzeSelfHostedExport(t *testing.T) {
	needCLI(t)
	got, stderr, err := analyze(t, "local-insecure.json", "")
	want := []string{
		"automatic-backups advisory rediskit-local: snapshotRetentionDays is 0 days; at least 1 required",
		"cache-alarms advisory rediskit-local: no metrics endpoint: set selfHosted.metricsPort so that its metrics (CloudWatch's names) can be scraped and alarmed on",
		"encryption-in-transit mandatory rediskit-local: TLS is not enabled",
		"final-snapshot advisory rediskit-local: finalSnapshot is not true",
		`persistence advisory rediskit-local: persistence is off in environment "local"; only dev may run without it`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n got  %q\n want %q\n%s", got, want, stderr)
	}
	if err == nil {
		t.Error("want the audit to fail on the mandatory violation")
	}
}
