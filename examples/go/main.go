// Command example is a Pulumi program in Go that a platform team can copy: it makes its own
// network (or uses none, on the self-hosted target) and wires a rediskit cache into it, passing
// its VPC, subnets and application security group as Inputs.
//
//	pulumi config set target aws          # or selfhosted: the rediskit engine on this machine
//	pulumi up
package main

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/rediskit/rediskit/components/cache"
	"github.com/rediskit/rediskit/components/inputs"
	"github.com/rediskit/rediskit/components/spec"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		return Program(Options{Target: cfg.Get("target"), BasePort: cfg.GetInt("basePort")})(ctx)
	})
}

// Options are what the program is configured with.
type Options struct {
	// Target is aws (default) or selfhosted.
	Target string
	// BasePort is the self-hosted nodes' first port (default 7000).
	BasePort int
	// Root is the project directory, under which the self-hosted nodes keep their data; the
	// CLI gives a program its own, an Automation API inline program needs it said.
	Root string
}

// Program is the Pulumi program: a cache in cluster mode, 3 shards of a primary and a replica
// over three zones, TLS and AUTH on, and its connection facts as stack outputs.
func Program(o Options) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		c := spec.Cache{
			Name:          "orders",
			Mode:          spec.ModeCluster,
			Engine:        "valkey",
			EngineVersion: "8.0",
			Shards:        pulumi.IntRef(3),
			Replicas:      pulumi.IntRef(1),
			Tags:          map[string]string{"team": "orders"},
		}
		args := &cache.CacheArgs{Cache: c, Root: o.Root}
		if o.Target == string(spec.TargetSelfHosted) {
			args.Target = spec.TargetSelfHosted
			args.Cache.NodeType = "cache.t4g.micro"
			args.Cache.SelfHosted = spec.SelfHosted{BasePort: o.BasePort, AutoRecover: true}
		} else {
			args.Target = spec.TargetAWS
			args.Cache.NodeType = "cache.r7g.large"
			args.Cache.Zones = []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}
			net, err := network(ctx, args.Cache.Zones)
			if err != nil {
				return err
			}
			args.Network = spec.Network{AllowedCIDRs: map[string]string{"vpc": net.cidr}}
			args.Inputs = inputs.Inputs{
				VpcID:                 net.vpc.ID().ToStringOutput(),
				SubnetIDs:             net.subnets,
				AllowedSecurityGroups: map[string]pulumi.StringInput{"api": net.app.ID().ToStringOutput()},
			}
		}
		orders, err := cache.NewCache(ctx, "orders", args)
		if err != nil {
			return err
		}
		ctx.Export("endpoint", orders.Endpoint)
		ctx.Export("configurationEndpoints", orders.ConfigurationEndpoints)
		ctx.Export("port", orders.Port)
		ctx.Export("authUser", orders.AuthUser)
		ctx.Export("authToken", orders.AuthToken)
		ctx.Export("caFile", orders.CAFile)
		ctx.Export("nodes", orders.Nodes)
		return nil
	}
}

// appNetwork is what the team's program had before it added a cache.
type appNetwork struct {
	cidr    string
	vpc     *ec2.Vpc
	subnets pulumi.StringArray
	app     *ec2.SecurityGroup
}

func network(ctx *pulumi.Context, zones []string) (*appNetwork, error) {
	n := &appNetwork{cidr: "10.40.0.0/16"}
	var err error
	if n.vpc, err = ec2.NewVpc(ctx, "app", &ec2.VpcArgs{CidrBlock: pulumi.String(n.cidr), EnableDnsHostnames: pulumi.Bool(true)}); err != nil {
		return nil, err
	}
	for i, z := range zones {
		sn, err := ec2.NewSubnet(ctx, "app-"+z, &ec2.SubnetArgs{
			VpcId: n.vpc.ID(), CidrBlock: pulumi.Sprintf("10.40.%d.0/24", i), AvailabilityZone: pulumi.String(z),
		})
		if err != nil {
			return nil, err
		}
		n.subnets = append(n.subnets, sn.ID())
	}
	if n.app, err = ec2.NewSecurityGroup(ctx, "api", &ec2.SecurityGroupArgs{VpcId: n.vpc.ID(), Description: pulumi.String("the orders API")}); err != nil {
		return nil, err
	}
	return n, nil
}
