package elasticache

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
)

func TestDualStackGroupAndNetwork(t *testing.T) {
	c := spec.Cache{Name: "rk", Zones: zones, NetworkType: "dual_stack", IPDiscovery: "ipv6"}
	m := runAWS(t, func(ctx *pulumi.Context) error {
		if _, err := NewNetwork(ctx, "rk-network", &NetworkArgs{Network: spec.Network{CIDR: "10.30.0.0/16"}, Zones: zones, Cache: spec.Defaults(c)}); err != nil {
			return err
		}
		_, err := NewReplicationGroup(ctx, "rk", groupArgs3(c))
		return err
	})
	rg := m.One(t, rgType)
	if rg.Str("networkType") != "dual_stack" || rg.Str("ipDiscovery") != "ipv6" {
		t.Fatalf("networkType %q ipDiscovery %q", rg.Str("networkType"), rg.Str("ipDiscovery"))
	}
	if !m.One(t, "aws:ec2/vpc:Vpc").Bool("assignGeneratedIpv6CidrBlock") {
		t.Fatal("the VPC needs an IPv6 block")
	}
	want := map[string]string{"eu-west-1a": "2a05:d018:c8e:3a00::/64", "eu-west-1b": "2a05:d018:c8e:3a01::/64", "eu-west-1c": "2a05:d018:c8e:3a02::/64"}
	for _, s := range m.OfType("aws:ec2/subnet:Subnet") {
		z := s.Str("availabilityZone")
		if s.Str("ipv6CidrBlock") != want[z] || s.Str("cidrBlock") == "" || !s.Bool("assignIpv6AddressOnCreation") || s.Bool("ipv6Native") {
			t.Errorf("dual-stack subnet in %s: %v", z, s.Inputs)
		}
	}
}

func TestIPv6OnlySubnets(t *testing.T) {
	c := spec.Defaults(spec.Cache{Name: "rk", Zones: zones, NetworkType: "ipv6"})
	if c.IPDiscovery != "ipv6" {
		t.Fatalf("ipDiscovery default %q", c.IPDiscovery)
	}
	m := runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewNetwork(ctx, "rk-network", &NetworkArgs{Network: spec.Network{CIDR: "10.30.0.0/16"}, Zones: zones, Cache: c})
		return err
	})
	for _, s := range m.OfType("aws:ec2/subnet:Subnet") {
		if !s.Bool("ipv6Native") || s.Str("cidrBlock") != "" || s.Str("ipv6CidrBlock") == "" {
			t.Errorf("IPv6-only subnet: %v", s.Inputs)
		}
	}
}

// An IPv4 group sends no network type, so groups created before the setting see no change.
func TestIPv4SendsNoNetworkType(t *testing.T) {
	m := runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewReplicationGroup(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones}))
		return err
	})
	rg := m.One(t, rgType)
	if _, set := rg.Inputs["networkType"]; set {
		t.Fatalf("networkType %v", rg.Inputs["networkType"])
	}
}
