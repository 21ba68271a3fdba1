package elasticache

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elasticache"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/validate"
	"github.com/rediskit/rediskit/paramgroup"
)

// ParameterGroupArgs: the cache (engine, version, mode and parameter overrides).
type ParameterGroupArgs struct {
	Cache spec.Cache
}

// ParameterGroup is the cache's parameter group.
//
// Its AWS name carries the family and the cluster flag (<cache>-valkey8-cluster). A major
// upgrade, an engine change (Redis OSS -> Valkey) or a mode change therefore yields a new name,
// which Pulumi replaces create-before-destroy: the new group exists before the replication group
// moves to it, and the old one is deleted only once it is no longer in use. A fixed name would
// force delete-before-create, which AWS refuses for a group in use.
type ParameterGroup struct {
	pulumi.ResourceState

	Name   pulumi.StringOutput `pulumi:"name"`
	Family pulumi.StringOutput `pulumi:"family"`
}

// ParameterGroupName is the AWS name of a cache's parameter group.
func ParameterGroupName(c *spec.Cache) string {
	n := fmt.Sprintf("%s-%s", c.Name, c.Family())
	if c.Mode == spec.ModeCluster {
		n += "-cluster"
	}
	return n
}

// ParameterGroupDescription is the AWS description of a cache's parameter group. AWS cannot
// change a parameter group's name, family or description in place: a change of any of them
// replaces the group. So the description is built from exactly what the name is built from
// (cache name, family, cluster flag): whatever replaces the group also renames it, and
// create-before-destroy never meets a group of the same name that is still in use. The engine
// version and the mode beyond the cluster flag stay out of it, so a minor upgrade (8.0 -> 8.1)
// or single -> replication keeps the group.
func ParameterGroupDescription(c *spec.Cache) string {
	d := fmt.Sprintf("rediskit: %s parameters of cache %s", c.Family(), c.Name)
	if c.Mode == spec.ModeCluster {
		d += ", cluster mode"
	}
	return d
}

// Parameters are what rediskit sends to AWS: the user's overrides and cluster-enabled from the
// mode. Everything else keeps ElastiCache's defaults (e.g. maxmemory-policy volatile-lru).
func Parameters(c *spec.Cache) map[string]string {
	out := map[string]string{}
	for k, v := range c.Parameters {
		out[k] = v
	}
	if c.Mode == spec.ModeCluster {
		out["cluster-enabled"] = "yes"
	} else {
		out["cluster-enabled"] = "no"
	}
	return out
}

// NewParameterGroup creates the parameter group of a cache.
func NewParameterGroup(ctx *pulumi.Context, name string, args *ParameterGroupArgs, opts ...pulumi.ResourceOption) (*ParameterGroup, error) {
	if args == nil {
		args = &ParameterGroupArgs{}
	}
	c, err := spec.ResolveAWS(args.Cache)
	if err != nil {
		return nil, err
	}
	return newParameterGroup(ctx, name, &c, opts...)
}

func newParameterGroup(ctx *pulumi.Context, name string, c *spec.Cache, opts ...pulumi.ResourceOption) (*ParameterGroup, error) {
	fam := c.Family()
	ps := &validate.Problems{What: fmt.Sprintf("parameter group %q", name)}
	ps.Merge("", paramgroup.ValidateFor(paramgroup.ElastiCache, fam, c.EngineVersion, c.Parameters))
	if err := ps.Err(); err != nil {
		return nil, err
	}
	comp := &ParameterGroup{}
	if err := ctx.RegisterComponentResource("rediskit:elasticache:ParameterGroup", name, comp, opts...); err != nil {
		return nil, err
	}
	params := Parameters(c)
	var list elasticache.ParameterGroupParameterArray
	for _, k := range spec.SortedKeys(params) {
		list = append(list, elasticache.ParameterGroupParameterArgs{Name: pulumi.String(k), Value: pulumi.String(params[k])})
	}
	pg, err := elasticache.NewParameterGroup(ctx, name, &elasticache.ParameterGroupArgs{
		Name:        pulumi.String(ParameterGroupName(c)),
		Family:      pulumi.String(string(fam)),
		Description: pulumi.String(ParameterGroupDescription(c)),
		Parameters:  list,
		Tags:        tags(c, nil),
	}, pulumi.Parent(comp), pulumi.DeleteBeforeReplace(false))
	if err != nil {
		return nil, fmt.Errorf("creating parameter group: %w", err)
	}
	comp.Name, comp.Family = pg.Name, pg.Family
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{"name": comp.Name, "family": comp.Family})
}
