package elasticache

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elasticache"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
)

// SubnetGroupArgs are the subnets a cache may use.
type SubnetGroupArgs struct {
	SubnetIDs pulumi.StringArrayInput
	Cache     spec.Cache
}

// SubnetGroup is the cache's own subnet group: rediskit never uses the default one.
type SubnetGroup struct {
	pulumi.ResourceState

	Name pulumi.StringOutput `pulumi:"name"`
}

// NewSubnetGroup creates the subnet group <cache>-subnets.
func NewSubnetGroup(ctx *pulumi.Context, name string, args *SubnetGroupArgs, opts ...pulumi.ResourceOption) (*SubnetGroup, error) {
	if args == nil || args.SubnetIDs == nil {
		return nil, fmt.Errorf("subnet group %q: subnetIds: missing; the ids of the private subnets are required", name)
	}
	comp := &SubnetGroup{}
	if err := ctx.RegisterComponentResource("rediskit:elasticache:SubnetGroup", name, comp, opts...); err != nil {
		return nil, err
	}
	sg, err := elasticache.NewSubnetGroup(ctx, name, &elasticache.SubnetGroupArgs{
		Name:        pulumi.String(name),
		Description: pulumi.String("rediskit: private subnets of cache " + args.Cache.Name),
		SubnetIds:   args.SubnetIDs,
		Tags:        tags(&args.Cache, nil),
	}, pulumi.Parent(comp))
	if err != nil {
		return nil, fmt.Errorf("creating subnet group: %w", err)
	}
	comp.Name = sg.Name
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{"name": comp.Name})
}
