package elasticache

import (
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/pulumitest"
)

func TestSecurityGroupRulesAreSeparateAndStable(t *testing.T) {
	m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewSecurityGroup(ctx, "rk-sg", &SecurityGroupArgs{
			VpcID: pulumi.String("vpc-0123456789abcdef0"),
			Network: spec.Network{
				AllowedCIDRs:          map[string]string{"office": "10.1.0.0/16", "apps": "10.2.0.0/16", "v6": "2001:db8::/32"},
				AllowedSecurityGroups: map[string]string{"api": "sg-0123456789abcdef0"},
			},
			Sources: map[string]pulumi.StringInput{"worker": pulumi.String("sg-0fedcba9876543210")},
			Cache:   spec.Cache{Name: "rk", Port: 6380},
		})
		return err
	})
	sg := m.One(t, "aws:ec2/securityGroup:SecurityGroup")
	if _, inline := sg.Inputs["ingress"]; inline {
		t.Error("no inline ingress: rules are separate resources")
	}
	rules := m.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
	var names []string
	for _, r := range rules {
		names = append(names, r.Name)
		if r.Num("fromPort") != 6380 || r.Num("toPort") != 6380 || r.Str("ipProtocol") != "tcp" {
			t.Errorf("rule %s must open only the cache port: %v", r.Name, r.Inputs)
		}
	}
	sort.Strings(names)
	want := "rk-sg-cidr-apps rk-sg-cidr-office rk-sg-cidr-v6 rk-sg-sg-api rk-sg-sg-worker"
	if strings.Join(names, " ") != want {
		t.Errorf("rule names %v, want %s (named by key)", names, want)
	}
	for _, r := range rules {
		if r.Name == "rk-sg-cidr-v6" && r.Str("cidrIpv6") != "2001:db8::/32" {
			t.Errorf("IPv6 rule: %v", r.Inputs)
		}
	}
}

func TestSecurityGroupRefusesPublicIngress(t *testing.T) {
	m, err := pulumitest.RunE(func(ctx *pulumi.Context) error {
		_, err := NewSecurityGroup(ctx, "rk-sg", &SecurityGroupArgs{
			VpcID:   pulumi.String("vpc-0123456789abcdef0"),
			Network: spec.Network{AllowedCIDRs: map[string]string{"world": "0.0.0.0/0"}},
			Cache:   spec.Cache{Name: "rk"},
		})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), `allowedCidrs.world: "0.0.0.0/0"`) {
		t.Fatalf("0.0.0.0/0 must be refused: %v", err)
	}
	if len(m.All) != 0 {
		t.Errorf("nothing may be registered: %d", len(m.All))
	}
}
