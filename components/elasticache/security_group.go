package elasticache

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/inputs"
	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/validate"
)

// SecurityGroupArgs grant access to the cache port.
type SecurityGroupArgs struct {
	VpcID pulumi.StringInput
	// Network carries allowedCidrs, allowedSecurityGroups and allowPublicIngress.
	Network spec.Network
	// Sources adds security groups from the program's other resources (sg.ID()), keyed by a
	// stable rule name: the Input form of Network.AllowedSecurityGroups, validated the same way
	// (when they resolve, for values known only then).
	Sources map[string]pulumi.StringInput
	Cache   spec.Cache // port, name and tags
}

// SecurityGroup is the cache's security group. It has no inline rules: each source is its own
// rule resource, named by its key, so reordering or adding a source never rewrites the others.
type SecurityGroup struct {
	pulumi.ResourceState

	ID pulumi.StringOutput `pulumi:"securityGroupId"`
}

// NewSecurityGroup creates the group and one ingress rule per source on the cache port.
func NewSecurityGroup(ctx *pulumi.Context, name string, args *SecurityGroupArgs, opts ...pulumi.ResourceOption) (*SecurityGroup, error) {
	if args == nil || args.VpcID == nil {
		return nil, fmt.Errorf("security group %q: vpcId: missing; the VPC of the cache is required", name)
	}
	ps := &validate.Problems{What: fmt.Sprintf("security group %q", name)}
	n, c := args.Network, args.Cache
	if n.VpcID == "" && n.CIDR == "" {
		n.CIDR = spec.DefaultVpcCIDR // only the rule checks below matter here
	}
	for k := range args.Sources {
		if _, dup := n.AllowedSecurityGroups[k]; dup && !spec.IsPending(n.AllowedSecurityGroups[k]) {
			ps.Add("sources", k, "a source key must not repeat a key of allowedSecurityGroups")
		}
	}
	w, twice := inputs.Fold(&c, &n, inputs.Inputs{AllowedSecurityGroups: args.Sources}, inputs.Scope{})
	if len(ps.List) == 0 {
		ps.List = append(ps.List, twice...)
	}
	ps.List = append(ps.List, ruleProblems(n)...)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	w.Validate(inputs.Check{What: ps.What, Cache: c, Network: n,
		Problems: func(_ spec.Cache, n spec.Network) []validate.Problem { return ruleProblems(n) }})
	port := args.Cache.Port
	if port == 0 {
		port = spec.DefaultPort
	}
	comp := &SecurityGroup{}
	if err := ctx.RegisterComponentResource("rediskit:elasticache:SecurityGroup", name, comp, opts...); err != nil {
		return nil, err
	}
	sg, err := ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
		Name:        pulumi.String(name),
		Description: pulumi.String("rediskit: access to cache " + args.Cache.Name),
		VpcId:       args.VpcID,
		Tags:        tags(&args.Cache, map[string]string{"Name": name}),
	}, pulumi.Parent(comp))
	if err != nil {
		return nil, fmt.Errorf("creating security group: %w", err)
	}
	rule := func(key, desc string, a *vpc.SecurityGroupIngressRuleArgs) error {
		a.SecurityGroupId = sg.ID()
		a.IpProtocol = pulumi.String("tcp")
		a.FromPort = pulumi.Int(port)
		a.ToPort = pulumi.Int(port)
		a.Description = pulumi.String(desc)
		a.Tags = tags(&args.Cache, nil)
		if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-"+key, a, pulumi.Parent(comp)); err != nil {
			return fmt.Errorf("creating ingress rule %s: %w", key, err)
		}
		return nil
	}
	for _, k := range spec.SortedKeys(n.AllowedCIDRs) {
		cidr := n.AllowedCIDRs[k]
		a := &vpc.SecurityGroupIngressRuleArgs{}
		if p := netip.MustParsePrefix(cidr); p.Addr().Is4() {
			a.CidrIpv4 = pulumi.String(p.Masked().String())
		} else {
			a.CidrIpv6 = pulumi.String(p.Masked().String())
		}
		if err := rule("cidr-"+k, fmt.Sprintf("%s: %s to the cache port", k, cidr), a); err != nil {
			return nil, err
		}
	}
	for _, k := range spec.SortedKeys(n.AllowedSecurityGroups) {
		a := &vpc.SecurityGroupIngressRuleArgs{ReferencedSecurityGroupId: w.SecurityGroup(k, n.AllowedSecurityGroups[k])}
		if err := rule("sg-"+k, k+": security group to the cache port", a); err != nil {
			return nil, err
		}
	}
	comp.ID = sg.ID().ToStringOutput()
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{"securityGroupId": comp.ID})
}

// ruleProblems are the network's problems a security group answers for: its ingress sources.
func ruleProblems(n spec.Network) []validate.Problem {
	var out []validate.Problem
	for _, p := range n.Validate([]string{"-"}) {
		if p.Field == "vpcId" || p.Field == "subnetIds" || p.Field == "cidr" || p.Field == "zones" || strings.HasPrefix(p.Field, "subnet") {
			continue
		}
		out = append(out, p)
	}
	return out
}
