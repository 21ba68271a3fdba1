package elasticache

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/pulumitest"
)

func TestNewVpcHasOnePrivateSubnetPerZone(t *testing.T) {
	m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewNetwork(ctx, "rk-network", &NetworkArgs{Network: spec.Network{CIDR: "10.30.0.0/16"}, Zones: zones, Cache: spec.Cache{Name: "rk"}})
		return err
	})
	if v := m.One(t, "aws:ec2/vpc:Vpc"); v.Str("cidrBlock") != "10.30.0.0/16" {
		t.Errorf("vpc cidr %s", v.Str("cidrBlock"))
	}
	subnets := m.OfType("aws:ec2/subnet:Subnet")
	want := map[string]string{"eu-west-1a": "10.30.0.0/18", "eu-west-1b": "10.30.64.0/18", "eu-west-1c": "10.30.128.0/18"}
	if len(subnets) != 3 {
		t.Fatalf("3 subnets expected, got %d", len(subnets))
	}
	for _, s := range subnets {
		if want[s.Str("availabilityZone")] != s.Str("cidrBlock") || s.Bool("mapPublicIpOnLaunch") {
			t.Errorf("subnet %s: %s in %s", s.Name, s.Str("cidrBlock"), s.Str("availabilityZone"))
		}
	}
	for _, typ := range []string{"aws:ec2/internetGateway:InternetGateway", "aws:ec2/natGateway:NatGateway"} {
		if len(m.OfType(typ)) != 0 {
			t.Errorf("a cache network needs no %s", typ)
		}
	}
}

func TestExistingVpcCreatesNothing(t *testing.T) {
	m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewNetwork(ctx, "rk-network", &NetworkArgs{Network: spec.Network{
			VpcID: "vpc-0123456789abcdef0", SubnetIDs: []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"}}})
		return err
	})
	for _, r := range m.All {
		if r.Type != "rediskit:elasticache:Network" {
			t.Errorf("an existing network must not create %s", r.Type)
		}
	}
}
