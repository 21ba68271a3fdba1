package pack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/pkg/v3/resource/stack"
	"github.com/pulumi/pulumi/pkg/v3/secrets/passphrase"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/providers"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	pkgresource "github.com/pulumi/pulumi/pkg/v3/resource"

	"github.com/rediskit/rediskit/infra/plan"
	"github.com/rediskit/rediskit/policies"
)

// Our AWS stacks cannot be previewed here (no AWS provider plugin, and none may be faked), so
// they reach the real CLI the way an audit does: as a v3 stack export. planExport builds one
// from a stack's offline plan with the engine's own serializer: every resource with its
// inputs, parent, dependencies and provider (a default provider per package, as the engine
// registers one), unknown values as the engine's unknown sentinel, secrets encrypted with a
// passphrase secrets manager (the CLI decrypts them with PULUMI_CONFIG_PASSPHRASE, which
// cliEnv sets to the same phrase). Outputs are the inputs: what the provider would echo back
// before adding what only it knows, which stays unknown.

const exportPassphrase = "test" // cliEnv's PULUMI_CONFIG_PASSPHRASE

// providerVersions are the provider SDK versions the program is built with (from go.mod),
// for the default providers' names (default_6_83_4), as the engine names them.
func providerVersions() map[string]string {
	out := map[string]string{}
	mod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(mod), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		for _, pkg := range []string{"aws", "random"} {
			if strings.HasPrefix(f[0], "github.com/pulumi/pulumi-"+pkg+"/sdk/") {
				out[pkg] = strings.TrimPrefix(f[1], "v")
			}
		}
	}
	return out
}

func planExport(t *testing.T, p *plan.Plan) string {
	t.Helper()
	ctx := context.Background()
	_, sm, err := passphrase.NewPassphraseSecretsManager(exportPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	stackURN := resource.DefaultRootStackURN(tokens.QName(p.Stack), tokens.PackageName(p.Project))
	states := []*pkgresource.State{{Type: resource.RootStackType, URN: stackURN, Created: &created, Modified: &created}}

	versions := providerVersions()
	refs := map[string]string{}
	providerRef := func(typ string) string {
		pkg := typ[:strings.Index(typ, ":")]
		if ref, ok := refs[pkg]; ok {
			return ref
		}
		name, inputs := "default", resource.PropertyMap{}
		if v := versions[pkg]; v != "" {
			name = "default_" + strings.NewReplacer(".", "_", "-", "_").Replace(v)
			inputs["version"] = resource.NewProperty(v)
		}
		if pkg == "aws" {
			inputs["region"] = resource.NewProperty("eu-west-1")
		}
		urn := resource.NewURN(tokens.QName(p.Stack), tokens.PackageName(p.Project), "", providers.MakeProviderType(tokens.Package(pkg)), name)
		id := resource.ID(fmt.Sprintf("%s-provider-%s", pkg, p.Stack))
		states = append(states, &pkgresource.State{Type: providers.MakeProviderType(tokens.Package(pkg)), URN: urn, Custom: true, ID: id,
			Inputs: inputs, Outputs: inputs, Created: &created, Modified: &created})
		ref, err := providers.NewReference(urn, id)
		if err != nil {
			t.Fatal(err)
		}
		refs[pkg] = ref.String()
		return refs[pkg]
	}

	for _, r := range p.Resources {
		props := resource.ToResourcePropertyMap(r.Inputs)
		st := &pkgresource.State{Type: tokens.Type(r.Type), URN: resource.URN(r.URN), Custom: r.Custom,
			Inputs: props, Outputs: props.Copy(), Parent: resource.URN(r.Parent),
			Protect: r.Options.Protect, RetainOnDelete: r.Options.RetainOnDelete,
			IgnoreChanges: r.Options.IgnoreChanges, ReplaceOnChanges: r.Options.ReplaceOnChanges,
			Created: &created, Modified: &created}
		for _, d := range r.DependsOn {
			st.Dependencies = append(st.Dependencies, resource.URN(d))
		}
		for _, k := range r.Options.AdditionalSecretOutputs {
			st.AdditionalSecretOutputs = append(st.AdditionalSecretOutputs, resource.PropertyKey(k))
		}
		if r.Custom {
			st.ID = resource.ID(r.Name)
			st.Provider = providerRef(r.Type)
		}
		states = append(states, st)
	}
	// Providers go before the resources that use them, after the stack.
	sort.SliceStable(states, func(i, j int) bool { return rank(states[i]) < rank(states[j]) })

	manifest := deploy.Manifest{Time: created, Version: "v3.274.1"}
	manifest.Magic = manifest.NewMagic()
	snap := deploy.NewSnapshot(manifest, sm, states, nil, deploy.SnapshotMetadata{}, nil, nil)
	dep, err := stack.SerializeDeployment(ctx, snap, false)
	if err != nil {
		t.Fatalf("serializing the %s export: %v", p.Stack, err)
	}
	raw, err := json.Marshal(dep)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(apitype.UntypedDeployment{Version: apitype.DeploymentSchemaVersionCurrent, Deployment: raw}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), p.Stack+"-export.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func rank(s *pkgresource.State) int {
	switch {
	case s.Type == resource.RootStackType:
		return 0
	case providers.IsProviderType(s.Type):
		return 1
	}
	return 2
}

// offlineEvents evaluates the pack on the plan as `rediskit policy check` does (with the
// stack's config) and renders the violations as analyze renders its events.
func offlineEvents(t *testing.T, p *plan.Plan) []string {
	t.Helper()
	cfg, _, _, err := plan.StackConfig(repoRoot, p.Stack)
	if err != nil {
		t.Fatal(err)
	}
	s := &policies.Stack{Name: p.Stack, Project: p.Project, Config: cfg}
	for _, r := range p.Resources {
		s.Resources = append(s.Resources, policies.Resource{URN: r.URN, Type: r.Type, Name: r.Name, Custom: r.Custom,
			Parent: r.Parent, Inputs: r.Inputs, DependsOn: r.DependsOn})
	}
	out := []string{}
	for _, v := range policies.Evaluate(s, policies.DefaultConfig()) {
		out = append(out, event{v.Rule, string(v.Level), v.URN[strings.LastIndex(v.URN, "::")+2:], v.Message}.String())
	}
	sort.Strings(out)
	return out
}

// TestPolicyAnalyzeOurStacks: the dev, staging and prod plans, exported, audited by the real
// `pulumi policy analyze` with the built pack, draw exactly the events of the offline check
// (cmd/rediskit's TestStackPlansAgainstPack): no mandatory violation, and the advisories
// docs/policies.md explains.
func TestPolicyAnalyzeOurStacks(t *testing.T) {
	needCLI(t)
	want := map[string][]string{
		"dev": {
			"automatic-failover advisory rediskit-dev: automaticFailoverEnabled is not true (and it needs at least one replica: the group has a single node)",
			"customer-managed-kms-key advisory rediskit-dev: kmsKeyId is not set: the AWS-managed key is used",
		},
		"staging": {"customer-managed-kms-key advisory rediskit-staging: kmsKeyId is not set: the AWS-managed key is used"},
		"prod":    {"customer-managed-kms-key advisory rediskit-prod: kmsKeyId is not set: the AWS-managed key is used"},
	}
	for _, name := range []string{"dev", "staging", "prod"} {
		t.Run(name, func(t *testing.T) {
			p, err := plan.Stack(repoRoot, name)
			if err != nil {
				t.Fatal(err)
			}
			if got := offlineEvents(t, p); !slices.Equal(got, want[name]) {
				t.Fatalf("offline check:\n got  %q\n want %q", got, want[name])
			}
			export := planExport(t, p)
			checkExport(t, export)
			got, stderr, err := analyze(t, export, "")
			if err != nil {
				t.Errorf("audit failed: %v\n%s", err, stderr)
			}
			if !slices.Equal(got, want[name]) {
				t.Errorf("policy analyze:\n got  %q\n want %q\n%s", got, want[name], stderr)
			}
			if strings.Contains(stderr, "could not decrypt secrets") {
				t.Errorf("the export's secrets must decrypt:\n%s", stderr)
			}
		})
	}
}

// TestPolicyAnalyzePlanWithViolation: the prod plan with TLS off and a burstable node, through
// the same export, fails the audit with exactly the offline check's events.
func TestPolicyAnalyzePlanWithViolation(t *testing.T) {
	needCLI(t)
	p, err := plan.Stack(repoRoot, "prod")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range p.Resources {
		if r.Type == "aws:elasticache/replicationGroup:ReplicationGroup" {
			p.Resources[i].Inputs = r.Inputs.Set("transitEncryptionEnabled", property.New(false)).Set("nodeType", property.New("cache.t3.medium"))
		}
	}
	want := []string{
		"customer-managed-kms-key advisory rediskit-prod: kmsKeyId is not set: the AWS-managed key is used",
		"encryption-in-transit mandatory rediskit-prod: transitEncryptionEnabled is not true",
		"production-node-types advisory rediskit-prod: nodeType cache.t3.medium is a burstable family (t3) in production",
	}
	if got := offlineEvents(t, p); !slices.Equal(got, want) {
		t.Fatalf("offline check:\n got  %q\n want %q", got, want)
	}
	got, stderr, err := analyze(t, planExport(t, p), "")
	if !slices.Equal(got, want) {
		t.Errorf("policy analyze:\n got  %q\n want %q\n%s", got, want, stderr)
	}
	if err == nil || !strings.Contains(stderr, "mandatory policy violations") {
		t.Errorf("want the audit to fail on the mandatory violation; err=%v\n%s", err, stderr)
	}
}

// checkExport asserts what makes the export faithful: secrets encrypted, unknowns as the
// engine's sentinel, every custom resource with a provider, parents and dependencies kept.
func checkExport(t *testing.T, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	var doc struct {
		Version    int `json:"version"`
		Deployment struct {
			SecretsProviders struct {
				Type string `json:"type"`
			} `json:"secrets_providers"`
			Resources []struct {
				URN          string         `json:"urn"`
				Type         string         `json:"type"`
				Custom       bool           `json:"custom"`
				Provider     string         `json:"provider"`
				Parent       string         `json:"parent"`
				Dependencies []string       `json:"dependencies"`
				Inputs       map[string]any `json:"inputs"`
			} `json:"resources"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != 3 || doc.Deployment.SecretsProviders.Type != "passphrase" {
		t.Errorf("version %d, secrets provider %q", doc.Version, doc.Deployment.SecretsProviders.Type)
	}
	// The default providers carry the SDK versions, as the engine names them.
	awsVersion := providerVersions()["aws"]
	if awsVersion == "" {
		t.Error("no pulumi-aws SDK version in the build info")
	}
	awsProvider := "::pulumi:providers:aws::default_" + strings.ReplaceAll(awsVersion, ".", "_")
	urns := map[string]bool{}
	var rg map[string]any
	for _, r := range doc.Deployment.Resources {
		urns[r.URN] = true
		if r.Custom && !strings.HasPrefix(r.Type, "pulumi:providers:") && r.Provider == "" {
			t.Errorf("%s has no provider", r.URN)
		}
		for _, u := range append([]string{r.Parent}, r.Dependencies...) {
			if u != "" && !urns[u] {
				t.Errorf("%s refers to %s, which is not before it in the export", r.URN, u)
			}
		}
		if r.Type == "aws:elasticache/replicationGroup:ReplicationGroup" {
			rg = r.Inputs
			if !strings.Contains(r.Provider, awsProvider+"::") {
				t.Errorf("replication group provider %q, want %s", r.Provider, awsProvider)
			}
		}
	}
	token, _ := rg["authToken"].(map[string]any)
	if token[resource.SigKey] != resource.SecretSig || token["ciphertext"] == nil {
		t.Errorf("authToken must be an encrypted secret: %v", rg["authToken"])
	}
	if !strings.Contains(text, `"04da6b54-80e4-46f7-96ec-b56ff0331ba9"`) {
		t.Error("unknown values must be the engine's unknown sentinel")
	}
}
