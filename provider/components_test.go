package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	pschema "github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/provider"
)

func server(t *testing.T, opts ...integration.ServerOption) integration.Server {
	t.Helper()
	prov, err := provider.New()
	if err != nil {
		t.Fatal(err)
	}
	s, err := integration.NewServer(context.Background(), provider.Name, semver.MustParse(provider.Version),
		append([]integration.ServerOption{integration.WithProvider(prov)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// boundSchema is the plugin's schema, bound (and so validated) as `pulumi package gen-sdk` does.
func boundSchema(t *testing.T) (pschema.PackageSpec, *pschema.Package) {
	t.Helper()
	r, err := server(t).GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatalf("GetSchema: %v", err)
	}
	var spec pschema.PackageSpec
	if err := json.Unmarshal([]byte(r.Schema), &spec); err != nil {
		t.Fatalf("reading the schema: %v", err)
	}
	pkg, diags, err := pschema.BindSpec(spec, noPackages{}, pschema.ValidationOptions{})
	if err != nil || diags.HasErrors() {
		t.Fatalf("binding the schema: %v %v", err, diags)
	}
	return spec, pkg
}

func TestSchemaHasTheComponents(t *testing.T) {
	spec, _ := boundSchema(t)
	for tok, required := range map[string][]string{
		"rediskit:index:Cache":                  {"cache"},
		"rediskit:elasticache:Network":          {"cache"},
		"rediskit:elasticache:SubnetGroup":      {"cache", "subnetIds"},
		"rediskit:elasticache:SecurityGroup":    {"cache", "vpcId"},
		"rediskit:elasticache:ParameterGroup":   {"cache"},
		"rediskit:elasticache:ReplicationGroup": {"cache", "securityGroupIds", "subnetGroupName"},
	} {
		r, ok := spec.Resources[tok]
		if !ok {
			t.Errorf("%s: not in the schema", tok)
			continue
		}
		if !r.IsComponent {
			t.Errorf("%s: not a component", tok)
		}
		got := append([]string(nil), r.RequiredInputs...)
		sort.Strings(got)
		if !reflect.DeepEqual(got, required) {
			t.Errorf("%s: required inputs %v, want %v", tok, got, required)
		}
		cache := r.InputProperties["cache"]
		if cache.Ref != "#/types/rediskit:spec:Cache" || !cache.Plain {
			t.Errorf("%s: cache is %+v, want a plain rediskit:spec:Cache", tok, cache.TypeSpec)
		}
	}
}

func TestSchemaCacheInputsAndOutputs(t *testing.T) {
	spec, _ := boundSchema(t)
	c := spec.Resources["rediskit:index:Cache"]
	// Values from other resources are inputs (not plain), so an output can be passed.
	for name, want := range map[string]string{
		"vpcId": "string", "subnetIds": "array", "allowedSecurityGroups": "object", "kmsKeyId": "string",
		"logsKmsKeyId": "string", "secretKmsKeyId": "string", "notificationTopicArn": "string",
		"firehoseStream": "string", "restoreFromSnapshot": "string", "restoreFromRdb": "array",
		"globalReplicationGroupId": "string", "authToken": "string", "target": "string",
		"tlsCertificate": "string", "tlsPrivateKey": "string", "tlsCaCertificate": "string",
	} {
		in, ok := c.InputProperties[name]
		switch {
		case !ok:
			t.Errorf("input %s: missing", name)
		case in.Type != want:
			t.Errorf("input %s: type %q, want %q", name, in.Type, want)
		case in.Plain && name != "target":
			t.Errorf("input %s: plain; another resource's output could not be passed", name)
		case in.Description == "":
			t.Errorf("input %s: no description", name)
		}
	}
	for _, secret := range []string{"authToken", "tlsPrivateKey"} {
		if !c.InputProperties[secret].Secret {
			t.Errorf("input %s is not secret", secret)
		}
	}
	for name, want := range map[string]string{
		"endpoint": "string", "port": "integer", "tlsEnabled": "boolean", "configurationEndpoints": "array",
		"sentinels": "array", "authToken": "string", "authUser": "string", "caFile": "string", "nodes": "array",
	} {
		if got := c.Properties[name].Type; got != want {
			t.Errorf("output %s: type %q, want %q", name, got, want)
		}
	}
	for _, tok := range []string{"rediskit:index:Cache", "rediskit:elasticache:ReplicationGroup"} {
		if !spec.Resources[tok].Properties["authToken"].Secret {
			t.Errorf("%s: output authToken is not secret", tok)
		}
	}
	if spec.Resources["rediskit:index:Cache"].Properties["endpoint"].Secret {
		t.Error("output endpoint is secret; only credentials are")
	}
}

func TestSchemaVocabularyTypes(t *testing.T) {
	spec, _ := boundSchema(t)
	prop := func(typ, name string) pschema.PropertySpec {
		t.Helper()
		ty, ok := spec.Types["rediskit:spec:"+typ]
		if !ok {
			t.Fatalf("type rediskit:spec:%s: missing", typ)
		}
		p, ok := ty.Properties[name]
		if !ok {
			t.Fatalf("rediskit:spec:%s.%s: missing", typ, name)
		}
		return p
	}
	for _, c := range []struct{ typ, name, want string }{
		{"Cache", "name", "string"}, {"Cache", "mode", "string"}, {"Cache", "shards", "integer"},
		{"Cache", "replicas", "integer"}, {"Cache", "zones", "array"}, {"Cache", "parameters", "object"},
		{"Cache", "tags", "object"}, {"Snapshots", "retentionDays", "integer"}, {"SelfHosted", "autoRecover", "boolean"},
		{"SelfHosted", "basePort", "integer"}, {"ScalingPolicy", "target", "number"}, {"Network", "subnetIds", "array"},
	} {
		if got := prop(c.typ, c.name).Type; got != c.want {
			t.Errorf("rediskit:spec:%s.%s: type %q, want %q", c.typ, c.name, got, c.want)
		}
	}
	for name, ref := range map[string]string{"auth": "Auth", "encryption": "Encryption", "snapshots": "Snapshots", "selfHosted": "SelfHosted"} {
		if got := prop("Cache", name).Ref; got != "#/types/rediskit:spec:"+ref {
			t.Errorf("rediskit:spec:Cache.%s: ref %q", name, got)
		}
	}
	if items := prop("Auth", "users").Items; items == nil || items.Ref != "#/types/rediskit:spec:User" {
		t.Errorf("rediskit:spec:Auth.users: items %+v", items)
	}
	// The token never comes from the cache object (authToken is a secret input instead).
	if _, ok := spec.Types["rediskit:spec:Auth"].Properties["token"]; ok {
		t.Error("rediskit:spec:Auth has a token property: a token would be plain text in the program")
	}
	// A component names its cache after itself: name is not required; a policy's bounds are.
	if req := spec.Types["rediskit:spec:Cache"].Required; len(req) != 0 {
		t.Errorf("rediskit:spec:Cache requires %v", req)
	}
	if req := spec.Types["rediskit:spec:ScalingPolicy"].Required; !reflect.DeepEqual(req, []string{"max", "min"}) {
		t.Errorf("rediskit:spec:ScalingPolicy requires %v, want [max min]", req)
	}
}

// The SDKs `pulumi package gen-sdk` makes for TypeScript and Python have the components, their
// inputs and their secret outputs.
func TestGeneratedSDKs(t *testing.T) {
	_, pkg := boundSchema(t)
	ts, err := nodejs.GeneratePackage("test", pkg, nil, nil, false, noPackages{})
	if err != nil {
		t.Fatalf("generating the TypeScript SDK: %v", err)
	}
	cacheTS := string(ts["cache.ts"])
	for _, want := range []string{
		"export class Cache extends pulumi.ComponentResource",
		`super(Cache.__pulumiType, name, resourceInputs, opts, true /*remote*/)`,
		`additionalSecretOutputs: ["authToken"]`,
		`resourceInputs["authToken"] = args?.authToken ? pulumi.secret(args.authToken) : undefined`,
		"vpcId?: pulumi.Input<string | undefined>",
		"subnetIds?: pulumi.Input<string[] | undefined>",
		"cache: inputs.spec.CacheArgs",
	} {
		if !strings.Contains(cacheTS, want) {
			t.Errorf("TypeScript cache.ts lacks %q", want)
		}
	}
	if !strings.Contains(string(ts["package.json"]), `"name": "@rediskit/rediskit"`) {
		t.Errorf("TypeScript package.json:\n%s", ts["package.json"])
	}
	if _, ok := ts["elasticache/replicationGroup.ts"]; !ok {
		t.Errorf("TypeScript SDK has no elasticache/replicationGroup.ts; files: %v", keys(ts))
	}
	py, err := python.GeneratePackage("test", pkg, nil, noPackages{})
	if err != nil {
		t.Fatalf("generating the Python SDK: %v", err)
	}
	cachePy := string(py["rediskit/cache.py"])
	for _, want := range []string{
		"class Cache(pulumi.ComponentResource):",
		`additional_secret_outputs=["authToken"]`,
		`pulumi.Output.secret(auth_token)`,
		"vpc_id: pulumi.Input[Optional[_builtins.str]] = None",
	} {
		if !strings.Contains(cachePy, want) {
			t.Errorf("Python cache.py lacks %q", want)
		}
	}
}

// noPackages is the schema loader of a package that refers to no other: rediskit's types are
// all its own, so any load is a dangling reference.
type noPackages struct{}

func (noPackages) LoadPackage(pkg string, _ *semver.Version) (*pschema.Package, error) {
	return nil, fmt.Errorf("the schema refers to package %q", pkg)
}

func (noPackages) LoadPackageV2(_ context.Context, d *pschema.PackageDescriptor) (*pschema.Package, error) {
	return nil, fmt.Errorf("the schema refers to package %q", d.Name)
}

func (noPackages) LoadPackageReference(pkg string, _ *semver.Version) (pschema.PackageReference, error) {
	return nil, fmt.Errorf("the schema refers to package %q", pkg)
}

func (noPackages) LoadPackageReferenceV2(_ context.Context, d *pschema.PackageDescriptor) (pschema.PackageReference, error) {
	return nil, fmt.Errorf("the schema refers to package %q", d.Name)
}

func keys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type noResources struct{ created []string }

func (m *noResources) NewResource(args pulumi.MockResourceArgs) (string, presource.PropertyMap, error) {
	m.created = append(m.created, args.TypeToken)
	return args.Name + "-id", args.Inputs, nil
}

func (m *noResources) Call(pulumi.MockCallArgs) (presource.PropertyMap, error) {
	return presource.PropertyMap{}, nil
}

// A component constructed from another language reads its cache strictly, like a stack's
// config: every unknown key and bad value is named with its path, and nothing is created.
func TestConstructReportsEveryProblem(t *testing.T) {
	mocks := &noResources{}
	s := server(t, integration.WithMocks(mocks))
	_, err := s.Construct(p.ConstructRequest{
		Urn: presource.CreateURN("bad", "rediskit:index:Cache", "", "proj", "dev"),
		Inputs: presource.FromResourcePropertyMap(presource.NewPropertyMapFromMap(map[string]any{
			"target": "aws",
			"cache": map[string]any{
				"mode": "cluster", "replica": 2, "shards": "three",
				"snapshots": map[string]any{"retentionDays": 40},
			},
		})),
	})
	if err == nil {
		t.Fatal("constructed a cache with a misspelt key and a string shard count")
	}
	for _, want := range []string{`cache.replica: 2`, `did you mean "replicas"`, `cache.shards: "three"`, "a whole number"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if len(mocks.created) != 0 {
		t.Errorf("created %v before the arguments were valid", mocks.created)
	}

	// Well-formed but invalid values: the shared validation, under the component's names.
	_, err = s.Construct(p.ConstructRequest{
		Urn: presource.CreateURN("Bad_Name", "rediskit:index:Cache", "", "proj", "dev"),
		Inputs: presource.FromResourcePropertyMap(presource.NewPropertyMapFromMap(map[string]any{
			"target": "aws",
			"cache":  map[string]any{"mode": "cluster", "snapshots": map[string]any{"retentionDays": 40}},
		})),
	})
	if err == nil {
		t.Fatal("constructed a cache named Bad_Name with 40 days of snapshots")
	}
	for _, want := range []string{`cache.name: "Bad_Name"`, "cache.snapshots.retentionDays: 40"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if len(mocks.created) != 0 {
		t.Errorf("created %v before the arguments were valid", mocks.created)
	}
}
