package awsvalidate

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/rediskit/rediskit/infra/plan"
)

func sampleGroup() []plan.Resource {
	return []plan.Resource{{
		Type: rgType, Name: "rk", Custom: true, URN: "urn:pulumi:t::rediskit::" + rgType + "::rk",
		Inputs: property.NewMap(map[string]property.Value{
			"replicationGroupId": property.New("rk"),
			"description":        property.New("price: ${literal} and %{literal}"),
			"numCacheClusters":   property.New(2.0),
			"multiAzEnabled":     property.New(true),
			"authToken":          property.New(property.Computed).WithSecret(true),
			"securityGroupIds":   property.New([]property.Value{property.New(property.Computed)}),
			"snapshotArns":       property.New(property.Computed),
			"engineVersion":      property.New(property.Null),
			"logDeliveryConfigurations": property.New([]property.Value{
				property.New(map[string]property.Value{"destination": property.New("/aws/x"), "destinationType": property.New("cloudwatch-logs"), "logFormat": property.New("json"), "logType": property.New("slow-log")}),
				property.New(map[string]property.Value{"destination": property.New("/aws/y"), "destinationType": property.New("cloudwatch-logs"), "logFormat": property.New("json"), "logType": property.New("engine-log")}),
			}),
			"tags": property.New(map[string]property.Value{"team": property.New("platform")}),
		}),
	}}
}

// The configuration is what the provider expects: provider attribute names, literal strings
// kept literal, unknowns as unknown expressions of the attribute's kind, null inputs left out.
func TestRenderWritesTheProvidersConfiguration(t *testing.T) {
	r, err := Render("t", "eu-west-1", sampleGroup())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Provider map[string]map[string]any            `json:"provider"`
		Resource map[string]map[string]map[string]any `json:"resource"`
	}
	if err := json.Unmarshal(r.JSON, &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.JSON)
	}
	p := doc.Provider["aws"]
	if p["region"] != "eu-west-1" || p["skip_credentials_validation"] != true || p["skip_requesting_account_id"] != true || p["access_key"] != dummyKey {
		t.Errorf("provider block: %v", p)
	}
	if _, ok := doc.Resource["terraform_data"]["unknown"]; !ok {
		t.Error("an unknown needs the terraform_data resource")
	}
	g := doc.Resource["aws_elasticache_replication_group"]["rk"]
	for k, want := range map[string]any{
		"replication_group_id": "rk",
		"description":          "price: $${literal} and %%{literal}",
		"num_cache_clusters":   2.0,
		"multi_az_enabled":     true,
		"auth_token":           "${terraform_data.unknown.id}",
		"snapshot_arns":        `${split(",", terraform_data.unknown.id)}`,
	} {
		if g[k] != want {
			t.Errorf("%s = %#v, want %#v", k, g[k], want)
		}
	}
	if _, set := g["engine_version"]; set {
		t.Error("a null input must be left out")
	}
	if sg, _ := g["security_group_ids"].([]any); len(sg) != 1 || sg[0] != "${terraform_data.unknown.id}" {
		t.Errorf("security_group_ids = %#v", g["security_group_ids"])
	}
	if ldc, _ := g["log_delivery_configuration"].([]any); len(ldc) != 2 || ldc[1].(map[string]any)["log_type"] != "engine-log" {
		t.Errorf("log_delivery_configuration = %#v", g["log_delivery_configuration"])
	}
}

// A diagnostic's line leads back to the resource and the input, in both namings.
func TestDiagnosticsAreReadBackOntoThePlan(t *testing.T) {
	r, err := Render("t", "eu-west-1", sampleGroup())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(r.JSON), "\n")
	lineOf := func(s string) int {
		for i, l := range lines {
			if strings.Contains(l, s) {
				return i + 1
			}
		}
		t.Fatalf("no line with %q", s)
		return 0
	}
	at := func(line int, address string) Finding {
		d := diagnostic{Severity: "error", Summary: "Invalid value", Detail: "the provider's words", Address: address}
		if line > 0 {
			d.Range = &struct {
				Filename string `json:"filename"`
				Start    struct {
					Line int `json:"line"`
				} `json:"start"`
			}{Filename: configFile}
			d.Range.Start.Line = line
		}
		return r.finding(d)
	}
	f := at(lineOf(`"engine-log"`), "")
	if f.Resource != "rk" || f.Type != rgType || f.Attribute != "logDeliveryConfigurations[1].logType" || f.TFAttribute != "log_delivery_configuration[1].log_type" {
		t.Errorf("nested input: %+v", f)
	}
	if got := f.String(); got != `stack t, resource `+rgType+` "rk" (aws_elasticache_replication_group.rk), input logDeliveryConfigurations[1].logType (log_delivery_configuration[1].log_type): Invalid value: the provider's words` {
		t.Errorf("report line: %s", got)
	}
	f = at(lineOf(`"multi_az_enabled"`), "")
	if f.Attribute != "multiAzEnabled" {
		t.Errorf("top-level input: %+v", f)
	}
	// A plan-time check points at the resource; the inputs its message names are listed.
	d := diagnostic{Severity: "error", Summary: "automatic_failover_enabled must be true if multi_az_enabled is true", Address: "aws_elasticache_replication_group.rk"}
	f = r.finding(d)
	if f.Resource != "rk" || f.Attribute != "" || strings.Join(f.Mentioned, ";") != "automaticFailoverEnabled (automatic_failover_enabled);multiAzEnabled (multi_az_enabled)" {
		t.Errorf("resource-level finding: %+v", f)
	}
	// Without a position or an address, the finding still names the stack and the message.
	f = at(0, "")
	if f.Stack != "t" || f.Resource != "" || !strings.Contains(f.String(), "the provider's words") {
		t.Errorf("stack-level finding: %+v", f)
	}
}

// The schema check finds each kind of mismatch.
func TestCheckMappingFindsMismatches(t *testing.T) {
	str := SchemaAttr{Type: json.RawMessage(`"string"`), Optional: true}
	sch := &Schema{Resources: map[string]SchemaBlock{
		"aws_thing": {
			Attributes: map[string]SchemaAttr{
				"name":  str,
				"arn":   {Type: json.RawMessage(`"string"`), Computed: true},
				"count": {Type: json.RawMessage(`"number"`), Optional: true},
				"old":   {Type: json.RawMessage(`"string"`), Optional: true, Deprecated: true},
				"ids":   {Type: json.RawMessage(`["set","string"]`), Optional: true},
			},
			BlockTypes: map[string]SchemaBlockType{"rule": {NestingMode: "list", Block: SchemaBlock{Attributes: map[string]SchemaAttr{"value": str}}}},
		},
	}}
	types := map[string]Type{
		"aws:x/thing:Thing": {TF: "aws_thing", Attrs: map[string]Attr{
			"name":  s("name"),
			"arn":   s("arn"),
			"count": s("count"),
			"old":   s("old"),
			"ids":   set("ids"),
			"gone":  s("gone"),
			"rules": block("rule", map[string]Attr{"value": s("value"), "typo": s("valu")}),
		}},
		"aws:x/other:Other": {TF: "aws_other"},
	}
	got := strings.Join(CheckMapping(types, sch), "\n")
	for _, want := range []string{
		"aws:x/other:Other: the provider has no resource type aws_other",
		"input arn -> arn: computed only in the provider",
		"input count -> count: a number in the provider, mapped as string",
		"input old -> old: deprecated by the provider; say so in its Note",
		"input gone -> gone: no such attribute or block in the provider",
		"input rules -> rule: input typo -> valu: no such attribute or block",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "input name ") || strings.Contains(got, "input ids ") {
		t.Errorf("correct entries reported:\n%s", got)
	}
}
