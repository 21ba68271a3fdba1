package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/rediskit/rediskit/infra/plan"
	"github.com/rediskit/rediskit/policies"
	"github.com/rediskit/rediskit/policies/fromplan"
)

const repoRoot = "../.."

func violations(vs []policies.Violation) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, string(v.Level)+" "+v.Rule+" "+v.ResourceName)
	}
	sort.Strings(out)
	return out
}

// TestStackPlansAgainstPack: our own stacks pass every mandatory rule with the default config,
// and draw exactly the advisories we expect. If a component change adds or removes one, this
// test says which.
func TestStackPlansAgainstPack(t *testing.T) {
	want := map[string][]string{
		// dev is a single node: no replica to fail over to. Its cache is encrypted with the
		// AWS-managed key, as every stack is until a KMS key is configured.
		"dev":     {"advisory automatic-failover rediskit-dev", "advisory customer-managed-kms-key rediskit-dev"},
		"staging": {"advisory customer-managed-kms-key rediskit-staging"},
		"prod":    {"advisory customer-managed-kms-key rediskit-prod"},
		// The self-hosted stack: TLS, AUTH, persistence, snapshots, three zones; nothing to say.
		"local": {},
	}
	for _, stack := range []string{"dev", "staging", "prod", "local"} {
		t.Run(stack, func(t *testing.T) {
			res, err := checkStack(repoRoot, stack, policies.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			if m, _ := res.Counts(); m != 0 {
				t.Errorf("mandatory violations: %v", res.Violations)
			}
			if got := violations(res.Violations); !slices.Equal(got, append([]string{}, want[stack]...)) {
				t.Errorf("violations:\n got  %q\n want %q", got, want[stack])
			}
		})
	}
}

// TestPlanViolationsAreFound makes sure the clean result above comes from rules that see the
// plan: the prod plan with encryption switched off fails.
func TestPlanViolationsAreFound(t *testing.T) {
	p, err := plan.Stack(repoRoot, "prod")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, _, err := plan.StackConfig(repoRoot, "prod")
	if err != nil {
		t.Fatal(err)
	}
	s := fromplan.Stack(p, cfg)
	found := false
	for i, r := range s.Resources {
		if r.Type == "aws:elasticache/replicationGroup:ReplicationGroup" {
			s.Resources[i].Inputs = r.Inputs.Set("transitEncryptionEnabled", property.New(false)).Set("nodeType", property.New("cache.t3.medium"))
			found = true
		}
	}
	if !found {
		t.Fatal("the prod plan has no replication group")
	}
	got := violations(policies.Evaluate(s, policies.DefaultConfig()))
	want := []string{
		"advisory customer-managed-kms-key rediskit-prod", // as in the unchanged plan
		"advisory production-node-types rediskit-prod",
		"mandatory encryption-in-transit rediskit-prod",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestSelfHostedPlanIsJudged: the local stack's deployment goes through the same rules; with
// TLS off and no persistence in a production-marked local stack it fails.
func TestSelfHostedPlanIsJudged(t *testing.T) {
	p, err := plan.Stack(repoRoot, "local")
	if err != nil {
		t.Fatal(err)
	}
	s := fromplan.Stack(p, map[string]string{"rediskit:environment": "prod"})
	found := false
	for i, r := range s.Resources {
		if r.Type == policies.TypeSelfHostedDeployment {
			s.Resources[i].Inputs = r.Inputs.Set("tls", property.New(false)).Set("persistence", property.New("none"))
			found = true
		}
	}
	if !found {
		t.Fatal("the local plan has no self-hosted deployment")
	}
	got := violations(policies.Evaluate(s, policies.DefaultConfig()))
	want := []string{"advisory persistence rediskit-local", "mandatory encryption-in-transit rediskit-local"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
}

func TestPolicyCheckCommandReports(t *testing.T) {
	dir := t.TempDir()
	sarifPath, junitPath := filepath.Join(dir, "dev.sarif"), filepath.Join(dir, "dev.xml")
	var out bytes.Buffer
	err := runPolicy([]string{"check", "-s", "dev", "-C", repoRoot, "--sarif", sarifPath, "--junit", junitPath}, &out)
	if err != nil {
		t.Fatalf("dev has no mandatory violation, got %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"Policy check of stack dev (project rediskit)",
		"ADVISORY   automatic-failover  rediskit-dev (aws:elasticache/replicationGroup:ReplicationGroup)",
		"maps to: Checkov CKV2_AWS_50; AWS Config elasticache-repl-grp-auto-failover-enabled; Security Hub ElastiCache.3",
		"PASSED: 0 mandatory, 2 advisory violation(s)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	sarif := readSARIF(t, sarifPath)
	if sarif.Version != "2.1.0" || len(sarif.Runs) != 1 || len(sarif.Runs[0].Tool.Driver.Rules) != len(policies.Rules()) {
		t.Fatalf("SARIF shape: %+v", sarif)
	}
	var levels []string
	for _, r := range sarif.Runs[0].Results {
		levels = append(levels, r.RuleID+"="+r.Level+"@"+r.Locations[0].PhysicalLocation.ArtifactLocation.URI)
	}
	sort.Strings(levels)
	if want := []string{"automatic-failover=warning@stacks/Pulumi.dev.yaml", "customer-managed-kms-key=warning@stacks/Pulumi.dev.yaml"}; !slices.Equal(levels, want) {
		t.Errorf("SARIF results %q, want %q", levels, want)
	}
	ju := readJUnit(t, junitPath)
	if ju.Tests != len(policies.Rules()) || ju.Failures != 0 {
		t.Errorf("JUnit tests=%d failures=%d", ju.Tests, ju.Failures)
	}
}

func TestPolicyCheckFailsOnMandatory(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(cfgPath, []byte(`{"automatic-failover": "mandatory"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	sarifPath, junitPath := filepath.Join(dir, "dev.sarif"), filepath.Join(dir, "dev.xml")
	var out bytes.Buffer
	err := runPolicy([]string{"check", "-s", "dev", "-C", repoRoot, "--config", cfgPath, "--sarif", sarifPath, "--junit", junitPath}, &out)
	var ee *exitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(err.Error(), "stack dev: 1 mandatory policy violation(s)") {
		t.Fatalf("want exit code 1 for a mandatory violation, got %v", err)
	}
	if !strings.Contains(out.String(), "MANDATORY  automatic-failover  rediskit-dev") || !strings.Contains(out.String(), "FAILED: 1 mandatory, 1 advisory") {
		t.Errorf("report:\n%s", out.String())
	}
	sarif := readSARIF(t, sarifPath)
	if r := sarif.Runs[0].Results[0]; r.RuleID != "automatic-failover" || r.Level != "error" {
		t.Errorf("first SARIF result %+v", r)
	}
	ju := readJUnit(t, junitPath)
	if ju.Failures != 1 || !strings.Contains(string(mustRead(t, junitPath)), `<failure message="1 mandatory violation(s) of automatic-failover" type="mandatory">`) {
		t.Errorf("JUnit:\n%s", mustRead(t, junitPath))
	}
}

func TestPolicyCheckUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"automatic-backups": {"minRetentionDays": 0}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"check"}, "-s: missing"},
		{[]string{"lint"}, "usage: rediskit policy check"},
		{[]string{"check", "-s", "nope"}, `reading stack "nope"`},
		{[]string{"check", "-s", "dev", "--config", bad}, "loading policy config " + bad + ": invalid policy pack config: automatic-backups.minRetentionDays: 0 is not allowed"},
	}
	for _, tc := range cases {
		err := runPolicy(append(tc.args, "-C", repoRoot), &bytes.Buffer{})
		var ee *exitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want exit 2 with %q", tc.args, err, tc.want)
		}
	}
}

type sarifDoc struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID string `json:"id"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			Level     string `json:"level"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
				} `json:"physicalLocation"`
			} `json:"locations"`
		} `json:"results"`
	} `json:"runs"`
}

func readSARIF(t *testing.T, path string) sarifDoc {
	t.Helper()
	var d sarifDoc
	if err := json.Unmarshal(mustRead(t, path), &d); err != nil {
		t.Fatalf("SARIF: %v", err)
	}
	return d
}

type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
}

func readJUnit(t *testing.T, path string) junitDoc {
	t.Helper()
	var d junitDoc
	if err := xml.Unmarshal(mustRead(t, path), &d); err != nil {
		t.Fatalf("JUnit: %v", err)
	}
	return d
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDocsRuleTable keeps docs/policies.md's rule table identical to the rules.
func TestDocsRuleTable(t *testing.T) {
	var table bytes.Buffer
	if err := runPolicy([]string{"docs"}, &table); err != nil {
		t.Fatal(err)
	}
	doc := string(mustRead(t, filepath.Join(repoRoot, "docs", "policies.md")))
	if !strings.Contains(doc, table.String()) {
		t.Errorf("docs/policies.md's rule table is out of date; regenerate it with `go run ./cmd/rediskit policy docs`")
	}
	for _, r := range policies.Rules() {
		if !strings.Contains(doc, "| `"+r.ID+"` |") {
			t.Errorf("docs/policies.md has no row for %s", r.ID)
		}
	}
}

// TestDocsConfigExample: the config example in docs/policies.md is a valid config.
func TestDocsConfigExample(t *testing.T) {
	doc := string(mustRead(t, filepath.Join(repoRoot, "docs", "policies.md")))
	start := strings.Index(doc, "```json\n")
	if start < 0 {
		t.Fatal("docs/policies.md has no JSON config example")
	}
	rest := doc[start+len("```json\n"):]
	example := rest[:strings.Index(rest, "```")]
	cfg, err := policies.ParseConfigJSON([]byte(example))
	if err != nil {
		t.Fatalf("the docs' example config is invalid: %v", err)
	}
	if cfg.MinSnapshotRetentionDays != 7 || cfg.Level(policies.RuleByID("customer-managed-kms-key")) != policies.Advisory ||
		cfg.Level(policies.RuleByID("final-snapshot")) != policies.Mandatory || cfg.Level(policies.RuleByID("log-delivery")) != policies.Disabled {
		t.Errorf("example parsed as %+v", cfg)
	}
}

// TestPolicyCheckBinaryExitCodes runs the built binary, as `make policy-check` and the
// workflow do (`go run` would turn every non-zero code into 1), on a project root holding our
// dev stack, a stack opening the cache port to the world, and a stack that cannot be planned.
func TestPolicyCheckBinaryExitCodes(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "rediskit")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building rediskit: %v\n%s", err, out)
	}
	root := filepath.Join(dir, "project")
	if err := os.MkdirAll(filepath.Join(root, "stacks"), 0o755); err != nil {
		t.Fatal(err)
	}
	dev := string(mustRead(t, filepath.Join(repoRoot, "stacks", "Pulumi.dev.yaml")))
	open := strings.Replace(dev, "  rediskit:network:\n", "  rediskit:network:\n    allowPublicIngress: true\n", 1)
	open = strings.Replace(open, "      vpc: 10.10.0.0/16\n", "      vpc: 10.10.0.0/16\n      anywhere: 0.0.0.0/0\n", 1)
	broken := strings.Replace(dev, "    mode: single\n", "    mode: single\n    replica: 2\n", 1)
	if open == dev || broken == dev {
		t.Fatal("Pulumi.dev.yaml changed shape; update the test stacks")
	}
	for name, content := range map[string]string{
		"Pulumi.yaml":               string(mustRead(t, filepath.Join(repoRoot, "Pulumi.yaml"))),
		"stacks/Pulumi.dev.yaml":    dev,
		"stacks/Pulumi.open.yaml":   open,
		"stacks/Pulumi.broken.yaml": broken,
		"mandatory-failover.json":   `{"automatic-failover": "mandatory"}`,
	} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name         string
		args         []string
		code         int
		stdout       string
		stderr       string
		sarifResults []string // rule=level of each SARIF result; nil: no reports written
		junitFails   int
	}{
		{name: "passing stack", args: []string{"policy", "check", "-s", "dev"}, code: 0,
			stdout:       "PASSED: 0 mandatory, 2 advisory violation(s)",
			sarifResults: []string{"automatic-failover=warning", "customer-managed-kms-key=warning"}},
		{name: "stack with a mandatory violation", args: []string{"policy", "check", "-s", "open"}, code: 1,
			stdout: "FAILED: 1 mandatory, 2 advisory violation(s)", stderr: "rediskit policy: stack open: 1 mandatory policy violation(s)",
			sarifResults: []string{"automatic-failover=warning", "customer-managed-kms-key=warning", "public-ingress=error"}, junitFails: 1},
		{name: "config making an advisory mandatory", args: []string{"policy", "check", "-s", "dev", "--config", filepath.Join(root, "mandatory-failover.json")}, code: 1,
			stdout: "FAILED: 1 mandatory, 1 advisory violation(s)", stderr: "rediskit policy: stack dev: 1 mandatory policy violation(s)",
			sarifResults: []string{"automatic-failover=error", "customer-managed-kms-key=warning"}, junitFails: 1},
		{name: "no stack", args: []string{"policy", "check"}, code: 2, stderr: "rediskit policy: -s: missing"},
		{name: "unknown subcommand", args: []string{"policy", "lint"}, code: 2, stderr: "usage: rediskit policy check"},
		{name: "unknown command", args: []string{"polcy"}, code: 2, stderr: `rediskit: unknown command "polcy"`},
		{name: "no such stack", args: []string{"policy", "check", "-s", "nope"}, code: 2, stderr: `reading stack "nope"`},
		{name: "unplannable stack", args: []string{"policy", "check", "-s", "broken"}, code: 2,
			stderr: `rediskit policy: planning stack "broken"`},
		{name: "invalid config", args: []string{"policy", "check", "-s", "dev", "--config", filepath.Join(root, "Pulumi.yaml")}, code: 2,
			stderr: "policy pack config is not a JSON object"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reports := filepath.Join(dir, fmt.Sprintf("reports-%d", i))
			if err := os.MkdirAll(reports, 0o755); err != nil {
				t.Fatal(err)
			}
			sarifPath, junitPath := filepath.Join(reports, "out.sarif"), filepath.Join(reports, "out.xml")
			args := tc.args
			if len(args) > 2 {
				args = append(slices.Clone(args), "-C", root, "--sarif", sarifPath, "--junit", junitPath)
			}
			cmd := exec.Command(bin, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("want stdout with %q and stderr with %q\nstdout:\n%s\nstderr:\n%s", tc.stdout, tc.stderr, stdout.String(), stderr.String())
			}
			if tc.sarifResults == nil {
				for _, p := range []string{sarifPath, junitPath} {
					if _, err := os.Stat(p); !os.IsNotExist(err) {
						t.Errorf("%s must not be written on a failed invocation (%v)", p, err)
					}
				}
				return
			}
			var got []string
			for _, r := range readSARIF(t, sarifPath).Runs[0].Results {
				got = append(got, r.RuleID+"="+r.Level)
			}
			sort.Strings(got)
			if !slices.Equal(got, tc.sarifResults) {
				t.Errorf("SARIF results %q, want %q", got, tc.sarifResults)
			}
			if ju := readJUnit(t, junitPath); ju.Tests != len(policies.Rules()) || ju.Failures != tc.junitFails {
				t.Errorf("JUnit tests=%d failures=%d, want %d and %d", ju.Tests, ju.Failures, len(policies.Rules()), tc.junitFails)
			}
		})
	}
}
