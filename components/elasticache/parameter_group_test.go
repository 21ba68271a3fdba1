package elasticache

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/pulumitest"
)

// An upgrade across families or an engine change must produce a new AWS name, so Pulumi creates
// the new group before it deletes the one in use.
func TestParameterGroupNameFollowsFamilyAndMode(t *testing.T) {
	name := func(c spec.Cache) string {
		r := spec.Defaults(c)
		return ParameterGroupName(&r)
	}
	base := spec.Cache{Name: "rk", Engine: "redis", EngineVersion: "7.1"}
	valkey7 := base
	valkey7.Engine, valkey7.EngineVersion = "valkey", "7.2"
	valkey8 := valkey7
	valkey8.EngineVersion = "8.0"
	cluster := valkey8
	cluster.Mode = spec.ModeCluster
	got := []string{name(base), name(valkey7), name(valkey8), name(cluster)}
	want := []string{"rk-redis7", "rk-valkey7", "rk-valkey8", "rk-valkey8-cluster"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("names %v, want %v", got, want)
	}
	minor := valkey8
	minor.EngineVersion = "8.1"
	if name(minor) != name(valkey8) {
		t.Error("a minor upgrade within a family keeps the group (an in-place update)")
	}
}

func TestParameterGroupSendsOnlyOverrides(t *testing.T) {
	m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewParameterGroup(ctx, "rk-params", &ParameterGroupArgs{Cache: spec.Cache{
			Name: "rk", Mode: spec.ModeSingle, Parameters: map[string]string{"maxmemory-policy": "allkeys-lru", "timeout": "300"}}})
		return err
	})
	pg := m.One(t, "aws:elasticache/parameterGroup:ParameterGroup")
	params := pg.Inputs["parameters"].ArrayValue()
	var got []string
	for _, p := range params {
		o := p.ObjectValue()
		got = append(got, o["name"].StringValue()+"="+o["value"].StringValue())
	}
	if strings.Join(got, ",") != "cluster-enabled=no,maxmemory-policy=allkeys-lru,timeout=300" {
		t.Errorf("parameters (sorted, overrides + cluster-enabled only): %v", got)
	}
}

func TestParameterGroupRejectsBadParameters(t *testing.T) {
	m, err := pulumitest.RunE(func(ctx *pulumi.Context) error {
		_, err := NewParameterGroup(ctx, "rk-params", &ParameterGroupArgs{Cache: spec.Cache{
			Name: "rk", Mode: spec.ModeSingle, Parameters: map[string]string{"maxmemory-policy": "lru-ish", "cluster-enabled": "yes"}}})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "parameters.maxmemory-policy") || !strings.Contains(err.Error(), "parameters.cluster-enabled") {
		t.Fatalf("bad values and the mode-owned cluster-enabled must be refused: %v", err)
	}
	if len(m.All) != 0 {
		t.Errorf("nothing may be registered: %d", len(m.All))
	}
}
