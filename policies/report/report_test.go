package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/rediskit/rediskit/policies"
)

func result(t *testing.T) *Result {
	t.Helper()
	cfg, err := policies.ParseConfigJSON([]byte(`{"log-delivery": "disabled"}`))
	if err != nil {
		t.Fatal(err)
	}
	auth := policies.RuleByID("auth")
	backups := policies.RuleByID("automatic-backups")
	return &Result{Stack: "prod", Project: "rediskit", Source: "stacks/Pulumi.prod.yaml", Resources: 3, Config: cfg,
		Violations: []policies.Violation{
			{Rule: "automatic-backups", Level: policies.Advisory, URN: "urn:b", ResourceName: "rg", ResourceType: "t", Message: "no backups", Mapped: backups.Maps},
			{Rule: "auth", Level: policies.Mandatory, URN: "urn:a", ResourceName: "rg", ResourceType: "t", Message: "no auth", Mapped: auth.Maps},
		}}
}

func TestTextOrdersMandatoryFirst(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, result(t)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	a, bk := strings.Index(out, "MANDATORY  auth  rg (t)"), strings.Index(out, "ADVISORY   automatic-backups  rg (t)")
	if a < 0 || bk < 0 || a > bk {
		t.Fatalf("order or format:\n%s", out)
	}
	if !strings.Contains(out, "maps to: Checkov CKV_AWS_31; AWS Config elasticache-repl-grp-redis-auth-enabled, elasticache-rbac-auth-enabled; Security Hub ElastiCache.6") ||
		!strings.HasSuffix(out, "FAILED: 1 mandatory, 1 advisory violation(s)\n") {
		t.Fatalf("report:\n%s", out)
	}
}

func TestSARIFFingerprintsAreStable(t *testing.T) {
	render := func() map[string]any {
		var b bytes.Buffer
		if err := SARIF(&b, result(t)); err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		return doc
	}
	a, b := render(), render()
	fp := func(doc map[string]any) string {
		r := doc["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)
		return r["partialFingerprints"].(map[string]any)["rediskitViolation/v1"].(string)
	}
	if fp(a) == "" || fp(a) != fp(b) {
		t.Errorf("fingerprints %q %q", fp(a), fp(b))
	}
	first := a["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)
	if first["ruleId"] != "auth" || first["level"] != "error" {
		t.Errorf("first result %v", first)
	}
	rules := a["runs"].([]any)[0].(map[string]any)["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any)
	for _, r := range rules {
		rm := r.(map[string]any)
		if rm["id"] == "log-delivery" && rm["defaultConfiguration"].(map[string]any)["level"] != "none" {
			t.Errorf("disabled rule level %v", rm["defaultConfiguration"])
		}
		if rm["id"] == "auth" && rm["properties"].(map[string]any)["security-severity"] != "8.0" {
			t.Errorf("auth severity %v", rm["properties"])
		}
	}
}

func TestJUnitCases(t *testing.T) {
	var b bytes.Buffer
	if err := JUnit(&b, result(t)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		fmt.Sprintf(`<testsuites name="rediskit policy check" tests="%d" failures="1">`, len(policies.Rules())),
		`<testcase name="auth" classname="rediskit.policy.prod">`,
		`<failure message="1 mandatory violation(s) of auth" type="mandatory">rg (urn:a): no auth`,
		`<testcase name="log-delivery" classname="rediskit.policy.prod">` + "\n      <skipped></skipped>",
		"<system-out>advisory:&#xA;rg (urn:b): no backups</system-out>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("JUnit lacks %q:\n%s", want, out)
		}
	}
}
