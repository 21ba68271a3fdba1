package elasticache

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/inputs"
	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/validate"
)

// NetworkArgs selects a new VPC with private subnets, or an existing VPC and subnets.
type NetworkArgs struct {
	Network spec.Network
	// Zones to put new subnets in (one subnet per zone).
	Zones []string
	// Cache supplies the name prefix and tags.
	Cache spec.Cache
	// VpcID and SubnetIDs take an existing network from the program's other resources (for
	// example vpc.ID() and subnet.ID() of its own ec2.Vpc and ec2.Subnet), in place of
	// Network.VpcID and Network.SubnetIDs.
	VpcID     pulumi.StringInput
	SubnetIDs pulumi.StringArrayInput
}

// Network is the VPC and private subnets a cache lives in. A new VPC has no internet gateway:
// a cache needs none.
type Network struct {
	pulumi.ResourceState

	VpcID     pulumi.StringOutput      `pulumi:"vpcId"`
	SubnetIDs pulumi.StringArrayOutput `pulumi:"subnetIds"`
	Zones     pulumi.StringArrayOutput `pulumi:"zones"`
}

// NewNetwork creates (or adopts) the network.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	if args == nil {
		args = &NetworkArgs{}
	}
	n, c := args.Network, args.Cache
	w, twice := inputs.Fold(&c, &n, inputs.Inputs{VpcID: args.VpcID, SubnetIDs: args.SubnetIDs}, inputs.Scope{})
	n = spec.NetworkDefaults(n)
	ps := &validate.Problems{What: fmt.Sprintf("network %q", name), List: twice}
	ps.Merge("", n.Validate(args.Zones))
	if err := ps.Err(); err != nil {
		return nil, err
	}
	zones := args.Zones
	w.Validate(inputs.Check{What: ps.What, Cache: c, Network: n,
		Problems: func(_ spec.Cache, n spec.Network) []validate.Problem { return n.Validate(zones) }})
	comp := &Network{}
	if err := ctx.RegisterComponentResource("rediskit:elasticache:Network", name, comp, opts...); err != nil {
		return nil, err
	}
	if n.VpcID != "" {
		if len(n.SubnetZones) == 0 && slices.Contains(n.SubnetIDs, spec.Pending) {
			_ = ctx.Log.Warn(fmt.Sprintf("the subnets come from other resources and network.subnetZones gives no zones, so zones %v are checked against them by AWS only", args.Zones),
				&pulumi.LogArgs{Resource: comp})
		} else if unknown := n.UnknownSubnetZones(); len(unknown) > 0 {
			// Said, not refused: the zones are checked where network.subnetZones gives them.
			_ = ctx.Log.Warn(fmt.Sprintf("the zones of subnets %s are not known, so zones %v cannot be checked against them; set network.subnetZones to check them before `pulumi up`",
				strings.Join(unknown, ", "), args.Zones), &pulumi.LogArgs{Resource: comp})
		}
		comp.VpcID = w.String(inputs.VpcID, n.VpcID).ToStringOutput()
		comp.SubnetIDs = w.Strings(inputs.SubnetIDs, n.SubnetIDs).ToStringArrayOutput()
		comp.Zones = pulumi.ToStringArray(args.Zones).ToStringArrayOutput()
	} else {
		netType := args.Cache.NetworkType
		ipv6 := netType == spec.NetworkDualStack || netType == spec.NetworkIPv6
		vpcArgs := &ec2.VpcArgs{
			CidrBlock:          pulumi.String(n.CIDR),
			EnableDnsHostnames: pulumi.Bool(true),
			EnableDnsSupport:   pulumi.Bool(true),
			Tags:               tags(&args.Cache, map[string]string{"Name": name}),
		}
		if ipv6 {
			// An Amazon-provided /56, from which each subnet takes a /64.
			vpcArgs.AssignGeneratedIpv6CidrBlock = pulumi.Bool(true)
		}
		vpc, err := ec2.NewVpc(ctx, name+"-vpc", vpcArgs, pulumi.Parent(comp))
		if err != nil {
			return nil, fmt.Errorf("creating VPC: %w", err)
		}
		blocks, err := subnetBlocks(n.CIDR, len(args.Zones))
		if err != nil {
			return nil, err
		}
		var ids pulumi.StringArray
		for i, zone := range args.Zones {
			// Named by zone, not index, so adding a zone never renames an existing subnet.
			sa := &ec2.SubnetArgs{
				VpcId:            vpc.ID(),
				CidrBlock:        pulumi.String(blocks[i]),
				AvailabilityZone: pulumi.String(zone),
				Tags:             tags(&args.Cache, map[string]string{"Name": name + "-" + zone, "rediskit:tier": "private"}),
			}
			// ElastiCache needs dual-stack subnets for dual stack and IPv6-only subnets for
			// IPv6 ("Choosing a network type": configuring subnets).
			if ipv6 {
				idx := i
				sa.Ipv6CidrBlock = vpc.Ipv6CidrBlock.ApplyT(func(b string) (string, error) { return subnetIPv6Block(b, idx) }).(pulumi.StringOutput)
				sa.AssignIpv6AddressOnCreation = pulumi.Bool(true)
			}
			if netType == spec.NetworkIPv6 {
				sa.CidrBlock = nil
				sa.Ipv6Native = pulumi.Bool(true)
				sa.EnableResourceNameDnsAaaaRecordOnLaunch = pulumi.Bool(true)
			}
			sn, err := ec2.NewSubnet(ctx, name+"-"+zone, sa, pulumi.Parent(comp))
			if err != nil {
				return nil, fmt.Errorf("creating subnet in %s: %w", zone, err)
			}
			ids = append(ids, sn.ID())
		}
		comp.VpcID = vpc.ID().ToStringOutput()
		comp.SubnetIDs = ids.ToStringArrayOutput()
		comp.Zones = pulumi.ToStringArray(args.Zones).ToStringArrayOutput()
	}
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"vpcId": comp.VpcID, "subnetIds": comp.SubnetIDs, "zones": comp.Zones,
	})
}

// subnetBlocks splits a VPC block into quarters, one per zone (at most 4 zones).
func subnetBlocks(cidr string, zones int) ([]string, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return nil, fmt.Errorf("parsing VPC CIDR %q: %w", cidr, err)
	}
	bits := p.Bits() + 2
	step := uint32(1) << (32 - bits)
	base := p.Masked().Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	var out []string
	for i := 0; i < zones; i++ {
		a := start + uint32(i)*step
		addr := netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)})
		out = append(out, netip.PrefixFrom(addr, bits).String())
	}
	return out, nil
}

// subnetIPv6Block is the i-th /64 of a VPC's /56 IPv6 block.
func subnetIPv6Block(vpcBlock string, i int) (string, error) {
	p, err := netip.ParsePrefix(vpcBlock)
	if err != nil || !p.Addr().Is6() || p.Bits() > 64-8 {
		return "", fmt.Errorf("the VPC's IPv6 block %q is not a /56 or wider", vpcBlock)
	}
	a := p.Masked().Addr().As16()
	a[7] += byte(i)
	return netip.PrefixFrom(netip.AddrFrom16(a), 64).String(), nil
}
