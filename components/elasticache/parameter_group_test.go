package elasticache

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/pulumitest"
	"github.com/rediskit/rediskit/paramgroup"
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

// AWS replaces a parameter group when its name, family or description changes, keeping the
// name. A replacement under the same name collides with the group still in use, so whatever
// changes the description or the family must change the name too; a minor upgrade must change
// none of them.
func TestParameterGroupReplacementAlwaysRenames(t *testing.T) {
	type ident struct{ name, desc, family string }
	of := func(c spec.Cache) ident {
		r := spec.Defaults(c)
		return ident{ParameterGroupName(&r), ParameterGroupDescription(&r), string(r.Family())}
	}
	v80 := of(spec.Cache{Name: "rk", Engine: "valkey", EngineVersion: "8.0", Mode: spec.ModeReplication})
	v81 := of(spec.Cache{Name: "rk", Engine: "valkey", EngineVersion: "8.1", Mode: spec.ModeReplication})
	if v80 != v81 || v80.desc != "rediskit: valkey8 parameters of cache rk" || v80.name != "rk-valkey8" {
		t.Errorf("8.0 -> 8.1 must keep name and description: %+v vs %+v", v80, v81)
	}
	if single := of(spec.Cache{Name: "rk", Engine: "valkey", EngineVersion: "8.2", Mode: spec.ModeSingle}); single != v80 {
		t.Errorf("single -> replication must keep the group: %+v vs %+v", single, v80)
	}
	cl := of(spec.Cache{Name: "rk", Engine: "valkey", EngineVersion: "8.0", Mode: spec.ModeCluster})
	if cl.desc != "rediskit: valkey8 parameters of cache rk, cluster mode" || cl.name != "rk-valkey8-cluster" {
		t.Errorf("cluster mode: %+v", cl)
	}
	var all []ident
	for _, name := range []string{"rk", "rk2"} {
		for _, ev := range [][2]string{{"redis", "7.0"}, {"redis", "7.1"}, {"valkey", "7.2"}, {"valkey", "8.0"}, {"valkey", "8.1"}, {"valkey", "8.2"}} {
			for _, mode := range []spec.Mode{spec.ModeSingle, spec.ModeReplication, spec.ModeCluster} {
				all = append(all, of(spec.Cache{Name: name, Engine: paramgroup.Engine(ev[0]), EngineVersion: ev[1], Mode: mode}))
			}
		}
	}
	for _, a := range all {
		for _, b := range all {
			if (a.desc != b.desc || a.family != b.family) && a.name == b.name {
				t.Errorf("%+v -> %+v replaces the group under the same name %q", a, b, a.name)
			}
		}
	}
}

func TestParameterGroupDescriptionRegistered(t *testing.T) {
	m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewParameterGroup(ctx, "rk-params", &ParameterGroupArgs{Cache: spec.Cache{Name: "rk", Mode: spec.ModeCluster, EngineVersion: "8.1"}})
		return err
	})
	pg := m.One(t, "aws:elasticache/parameterGroup:ParameterGroup")
	if pg.Str("description") != "rediskit: valkey8 parameters of cache rk, cluster mode" || pg.Str("name") != "rk-valkey8-cluster" {
		t.Errorf("description %q name %q", pg.Str("description"), pg.Str("name"))
	}
}
