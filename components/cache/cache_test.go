package cache

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/pulumitest"
)

func ip(i int) *int { return &i }

func TestCacheComposesEveryPiece(t *testing.T) {
	m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewCache(ctx, "rk", &CacheArgs{
			Cache:   spec.Cache{Name: "rk", Mode: spec.ModeCluster, Shards: ip(2), Replicas: ip(1), Zones: []string{"a1", "a2"}},
			Network: spec.Network{CIDR: "10.5.0.0/16", AllowedCIDRs: map[string]string{"vpc": "10.5.0.0/16"}},
		})
		return err
	})
	for _, typ := range []string{
		"rediskit:index:Cache", "rediskit:elasticache:Network", "rediskit:elasticache:SubnetGroup",
		"rediskit:elasticache:SecurityGroup", "rediskit:elasticache:ParameterGroup", "rediskit:elasticache:ReplicationGroup",
		"aws:elasticache/subnetGroup:SubnetGroup", "aws:ec2/securityGroup:SecurityGroup", "aws:elasticache/replicationGroup:ReplicationGroup",
	} {
		if len(m.OfType(typ)) != 1 {
			t.Errorf("want one %s, got %d", typ, len(m.OfType(typ)))
		}
	}
	rg := m.One(t, "aws:elasticache/replicationGroup:ReplicationGroup")
	if rg.Str("subnetGroupName") != "rk-subnets" || rg.Str("parameterGroupName") != "rk-valkey8-cluster" {
		t.Errorf("wiring: subnet group %q parameter group %q", rg.Str("subnetGroupName"), rg.Str("parameterGroupName"))
	}
	if got := rg.Strings("securityGroupIds"); len(got) != 1 || got[0] != "rk-sg-id" {
		t.Errorf("security group wiring: %v", got)
	}
	// The entry point must not create a second parameter group inside the replication group.
	if n := len(m.OfType("aws:elasticache/parameterGroup:ParameterGroup")); n != 1 {
		t.Errorf("one parameter group expected, got %d", n)
	}
	for _, r := range m.All {
		if r.Type != "rediskit:index:Cache" && r.Parent == "" {
			t.Errorf("%s %s has no parent", r.Type, r.Name)
		}
	}
}

func TestCacheValidatesEverythingBeforeCreatingAnything(t *testing.T) {
	m, err := pulumitest.RunE(func(ctx *pulumi.Context) error {
		_, err := NewCache(ctx, "rk", &CacheArgs{
			Target:  "gcp",
			Cache:   spec.Cache{Name: "rk", Mode: spec.ModeReplication, Replicas: ip(8), Zones: []string{"a1", "a2"}},
			Network: spec.Network{CIDR: "10.5.0.0/33", AllowedCIDRs: map[string]string{"world": "0.0.0.0/0"}},
		})
		return err
	})
	if err == nil {
		t.Fatal("expected an error")
	}
	for _, w := range []string{`target: "gcp"`, "cache.replicas: 8", `network.cidr: "10.5.0.0/33"`, `network.allowedCidrs.world: "0.0.0.0/0"`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
	if len(m.All) != 0 {
		t.Errorf("registered %d resources before failing", len(m.All))
	}
}
