package cache

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/rediskit/rediskit/components/inputs"
	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/pulumitest"
)

// idMocks give the network resources a program creates the ids AWS would (vpc-..., subnet-...,
// sg-...), a name listed in ids the id given there, and during a preview an empty id (unknown,
// as a resource not created yet has) to those listed in unknown.
type idMocks struct {
	*pulumitest.Mocks
	ids     map[string]string
	unknown map[string]bool
	dryRun  bool
	mu      sync.Mutex // the SDK registers resources concurrently
	seq     int
	raw     map[string]*structpb.Struct // each registration's inputs as sent, unknowns included
}

func (m *idMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, state, err := m.Mocks.NewResource(args)
	if err != nil {
		return id, state, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if args.RegisterRPC != nil {
		if m.raw == nil {
			m.raw = map[string]*structpb.Struct{}
		}
		m.raw[args.Name] = args.RegisterRPC.GetObject()
	}
	if m.dryRun && m.unknown[args.Name] {
		return "", state, nil
	}
	if v, ok := m.ids[args.Name]; ok {
		return v, state, nil
	}
	prefix := map[string]string{"aws:ec2/vpc:Vpc": "vpc", "aws:ec2/subnet:Subnet": "subnet", "aws:ec2/securityGroup:SecurityGroup": "sg"}[args.TypeToken]
	if prefix != "" && !strings.HasPrefix(args.Name, "rk") {
		m.seq++
		return fmt.Sprintf("%s-0a1b2c3d4e5f6%04x", prefix, m.seq), state, nil
	}
	return id, state, nil
}

func runIDs(program pulumi.RunFunc, m *idMocks) error {
	if m.Mocks == nil {
		m.Mocks = &pulumitest.Mocks{}
	}
	return pulumi.RunErr(program, pulumi.WithMocks("rediskit", "test", m), func(info *pulumi.RunInfo) { info.DryRun = m.dryRun })
}

// ownNetwork is what a platform team's program has before it adds a cache: a VPC, one subnet
// per zone and the application's security group.
func ownNetwork(ctx *pulumi.Context, vpcName string, zones []string) (*ec2.Vpc, pulumi.StringArray, *ec2.SecurityGroup, error) {
	vpc, err := ec2.NewVpc(ctx, vpcName, &ec2.VpcArgs{CidrBlock: pulumi.String("10.20.0.0/16")})
	if err != nil {
		return nil, nil, nil, err
	}
	var subnets pulumi.StringArray
	for i, z := range zones {
		sn, err := ec2.NewSubnet(ctx, "app-"+z, &ec2.SubnetArgs{
			VpcId: vpc.ID(), CidrBlock: pulumi.Sprintf("10.20.%d.0/24", i), AvailabilityZone: pulumi.String(z),
		})
		if err != nil {
			return nil, nil, nil, err
		}
		subnets = append(subnets, sn.ID())
	}
	app, err := ec2.NewSecurityGroup(ctx, "app", &ec2.SecurityGroupArgs{VpcId: vpc.ID()})
	if err != nil {
		return nil, nil, nil, err
	}
	return vpc, subnets, app, nil
}

func TestCacheOnTheProgramsOwnNetwork(t *testing.T) {
	zones := []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}
	m := &idMocks{}
	var want struct{ vpc, sg string }
	err := runIDs(func(ctx *pulumi.Context) error {
		vpc, subnets, app, err := ownNetwork(ctx, "app", zones)
		if err != nil {
			return err
		}
		vpc.ID().ApplyT(func(id pulumi.ID) string { want.vpc = string(id); return "" })
		app.ID().ApplyT(func(id pulumi.ID) string { want.sg = string(id); return "" })
		_, err = NewCache(ctx, "rk", &CacheArgs{
			Cache:   spec.Cache{Name: "rk", Mode: spec.ModeReplication, Replicas: ip(2), Zones: zones},
			Network: spec.Network{AllowedCIDRs: map[string]string{"vpc": "10.20.0.0/16"}},
			Inputs: inputs.Inputs{
				VpcID:                 vpc.ID().ToStringOutput(),
				SubnetIDs:             subnets,
				AllowedSecurityGroups: map[string]pulumi.StringInput{"app": app.ID().ToStringOutput()},
			},
		})
		return err
	}, m)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m.OfType("aws:ec2/vpc:Vpc")); n != 1 {
		t.Errorf("the cache must adopt the program's VPC, not create one: %d VPCs", n)
	}
	if n := len(m.OfType("aws:ec2/subnet:Subnet")); n != 3 {
		t.Errorf("the cache must adopt the program's subnets: %d subnets", n)
	}
	subnetGroup := m.One(t, "aws:elasticache/subnetGroup:SubnetGroup")
	got := subnetGroup.Strings("subnetIds")
	if len(got) != 3 || !strings.HasPrefix(got[0], "subnet-0a1b2c3d4e5f6") {
		t.Errorf("the subnet group must take the program's subnets: %v", got)
	}
	for _, r := range m.OfType("aws:ec2/subnet:Subnet") {
		if r.Str("vpcId") != want.vpc {
			t.Errorf("subnet %s in %q, want %q", r.Name, r.Str("vpcId"), want.vpc)
		}
	}
	var cacheSG pulumitest.Registered
	for _, r := range m.OfType("aws:ec2/securityGroup:SecurityGroup") {
		if r.Name == "rk-sg" {
			cacheSG = r
		}
	}
	if cacheSG.Str("vpcId") != want.vpc || !strings.HasPrefix(want.vpc, "vpc-") {
		t.Errorf("the cache's security group must be in the program's VPC %q: %q", want.vpc, cacheSG.Str("vpcId"))
	}
	rule := ""
	for _, r := range m.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
		if r.Name == "rk-sg-sg-app" {
			rule = r.Str("referencedSecurityGroupId")
		}
	}
	if rule != want.sg || !strings.HasPrefix(rule, "sg-") {
		t.Errorf("the app's security group %q must reach the cache port: rule references %q", want.sg, rule)
	}
	rg := m.One(t, "aws:elasticache/replicationGroup:ReplicationGroup")
	if rg.Str("subnetGroupName") != subnetGroup.Str("name") {
		t.Errorf("the group must use the subnet group %q: %q", subnetGroup.Str("name"), rg.Str("subnetGroupName"))
	}
	noPlaceholder(t, m.Mocks)
}

// noPlaceholder fails when spec.Pending reached a resource: a deploy-time value must reach
// it as itself, never as the stand-in validation uses.
func noPlaceholder(t *testing.T, m *pulumitest.Mocks) {
	t.Helper()
	for _, r := range m.All {
		if s := fmt.Sprint(r.Inputs); strings.Contains(s, spec.Pending) {
			t.Errorf("%s %s was given the placeholder: %s", r.Type, r.Name, s)
		}
	}
}

func TestCacheOnAnExistingNetworkByID(t *testing.T) {
	net := spec.Network{VpcID: "vpc-0123456789abcdef0", SubnetIDs: []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"},
		AllowedSecurityGroups: map[string]string{"app": "sg-0123456789abcdef0"}}
	m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewCache(ctx, "rk", &CacheArgs{Cache: spec.Cache{Name: "rk", Mode: spec.ModeReplication, Replicas: ip(1), Zones: []string{"a1", "a2"}}, Network: net})
		return err
	})
	if got := m.One(t, "aws:elasticache/subnetGroup:SubnetGroup").Strings("subnetIds"); strings.Join(got, ",") != strings.Join(net.SubnetIDs, ",") {
		t.Errorf("subnet group: %v", got)
	}
	if got := m.One(t, "aws:ec2/securityGroup:SecurityGroup").Str("vpcId"); got != net.VpcID {
		t.Errorf("security group VPC: %q", got)
	}

	// The same ids given as plain Inputs are known now: validated with everything else.
	for name, in := range map[string]inputs.Inputs{
		"spec":   {},
		"inputs": {VpcID: pulumi.String("vpc-XYZ"), SubnetIDs: pulumi.StringArray{pulumi.String("subnet-0123456789abcdef0"), pulumi.String("subnet-nope")}},
	} {
		bad := net
		if name == "spec" {
			bad.VpcID, bad.SubnetIDs = "vpc-XYZ", []string{"subnet-0123456789abcdef0", "subnet-nope"}
		} else {
			bad.VpcID, bad.SubnetIDs = "", nil
		}
		m, err := pulumitest.RunE(func(ctx *pulumi.Context) error {
			_, err := NewCache(ctx, "rk", &CacheArgs{Cache: spec.Cache{Name: "rk", Mode: spec.ModeReplication, Replicas: ip(1), Zones: []string{"a1", "a2"}},
				Network: bad, Inputs: in})
			return err
		})
		if err == nil {
			t.Fatalf("%s: bad ids accepted", name)
		}
		for _, w := range []string{`network.vpcId: "vpc-XYZ" is not allowed; a VPC id like vpc-0123456789abcdef0`, `network.subnetIds[1]: "subnet-nope" is not allowed`} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: missing %q in:\n%v", name, w, err)
			}
		}
		if len(m.All) != 0 {
			t.Errorf("%s: %d resources registered before the ids were refused", name, len(m.All))
		}
	}
}

func TestABadResolvedValueFailsTheUpdateNamingTheField(t *testing.T) {
	zones := []string{"eu-west-1a", "eu-west-1b"}
	m := &idMocks{ids: map[string]string{"legacy": "not-a-vpc"}}
	err := runIDs(func(ctx *pulumi.Context) error {
		vpc, subnets, _, err := ownNetwork(ctx, "legacy", zones)
		if err != nil {
			return err
		}
		_, err = NewCache(ctx, "rk", &CacheArgs{
			Cache:  spec.Cache{Name: "rk", Mode: spec.ModeReplication, Replicas: ip(1), Zones: zones},
			Inputs: inputs.Inputs{VpcID: vpc.ID().ToStringOutput(), SubnetIDs: subnets},
		})
		return err
	}, m)
	if err == nil {
		t.Fatal("a VPC id resolving to not-a-vpc was accepted")
	}
	want := `invalid cache "rk": network.vpcId: "not-a-vpc" is not allowed; a VPC id like vpc-0123456789abcdef0`
	if !strings.Contains(err.Error(), want) {
		t.Errorf("want %q in:\n%v", want, err)
	}
	for _, r := range m.OfType("aws:ec2/securityGroup:SecurityGroup") {
		if r.Name == "rk-sg" {
			t.Errorf("the cache's security group was created in %q", r.Str("vpcId"))
		}
	}
}

func TestUnknownValuesStayUnknownInAPreview(t *testing.T) {
	zones := []string{"eu-west-1a", "eu-west-1b"}
	m := &idMocks{dryRun: true, unknown: map[string]bool{"app": true, "app-eu-west-1a": true, "app-eu-west-1b": true}}
	err := runIDs(func(ctx *pulumi.Context) error {
		vpc, subnets, app, err := ownNetwork(ctx, "app", zones)
		if err != nil {
			return err
		}
		_, err = NewCache(ctx, "rk", &CacheArgs{
			Cache: spec.Cache{Name: "rk", Mode: spec.ModeReplication, Replicas: ip(1), Zones: zones},
			Inputs: inputs.Inputs{VpcID: vpc.ID().ToStringOutput(), SubnetIDs: subnets,
				AllowedSecurityGroups: map[string]pulumi.StringInput{"app": app.ID().ToStringOutput()}},
		})
		return err
	}, m)
	if err != nil {
		t.Fatal(err)
	}
	if v := m.raw["rk-sg"].GetFields()["vpcId"]; v.GetStringValue() != plugin.UnknownStringValue {
		t.Errorf("an unknown VPC id reached the security group as %v", v)
	}
	// A list with unknown elements is sent as an unknown list.
	if v := m.raw["rk-subnets"].GetFields()["subnetIds"]; v.GetStringValue() != plugin.UnknownStringValue {
		t.Errorf("unknown subnet ids reached the subnet group as %v", v)
	}
	rule := m.raw["rk-sg-sg-app"].GetFields()["referencedSecurityGroupId"]
	if rule.GetStringValue() != plugin.UnknownStringValue {
		t.Errorf("an unknown security group reached the rule as %v", rule)
	}
	noPlaceholder(t, m.Mocks)
}

func TestAValueGivenTwiceIsRefused(t *testing.T) {
	_, _, err := Resolve(&CacheArgs{
		Cache:   spec.Cache{Name: "rk", Mode: spec.ModeReplication, Replicas: ip(1), Zones: []string{"a1", "a2"}},
		Network: spec.Network{VpcID: "vpc-0123456789abcdef0", SubnetIDs: []string{"subnet-0123456789abcdef0"}},
		Inputs:  inputs.Inputs{VpcID: pulumi.String("vpc-0123456789abcdef1")},
	})
	if err == nil || !strings.Contains(err.Error(), `network.vpcId: "vpc-0123456789abcdef0" is not allowed; set either the spec field or the input of the same name, not both`) {
		t.Errorf("got %v", err)
	}
}

func TestSelfHostedTakesTheTokenFromAnInput(t *testing.T) {
	for _, tc := range []struct {
		token   string
		wantErr string
	}{{"a-token-from-the-program-0123", ""}, {"short", `authToken: "(secret, 5 characters)" is not allowed; 16-128 characters`}} {
		m, err := pulumitest.RunE(func(ctx *pulumi.Context) error {
			tok := pulumi.ToSecret(pulumi.String(tc.token).ToStringOutput()).(pulumi.StringOutput)
			_, err := NewCache(ctx, "rk", &CacheArgs{Target: spec.TargetSelfHosted, Root: t.TempDir(),
				Cache:  spec.Cache{Name: "rk", Mode: spec.ModeSingle},
				Inputs: inputs.Inputs{AuthToken: tok}})
			return err
		})
		if tc.wantErr == "" {
			if err != nil {
				t.Fatal(err)
			}
			d := m.One(t, "rediskit:index:Deployment")
			if !d.IsSecret("authToken") || d.Str("authToken") != tc.token {
				t.Errorf("the deployment's token: secret %v, %q", d.IsSecret("authToken"), d.Str("authToken"))
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("want %q, got %v", tc.wantErr, err)
		}
		if err != nil && strings.Contains(err.Error(), tc.token) {
			t.Errorf("the error shows the token: %v", err)
		}
	}
}

func TestSelfHostedRefusesAWSInputs(t *testing.T) {
	_, _, err := Resolve(&CacheArgs{Target: spec.TargetSelfHosted, Cache: spec.Cache{Name: "rk", Mode: spec.ModeSingle},
		Inputs: inputs.Inputs{KmsKeyID: pulumi.String("alias/x")}})
	if err == nil || !strings.Contains(err.Error(), "cache.inputs.encryption.kmsKeyId") && !strings.Contains(err.Error(), "inputs.encryption.kmsKeyId") {
		t.Errorf("got %v", err)
	}
}

func TestSecuritySourcesAreCheckedWhenTheyResolve(t *testing.T) {
	_, err := pulumitest.RunE(func(ctx *pulumi.Context) error {
		_, err := NewCache(ctx, "rk", &CacheArgs{
			Cache:           spec.Cache{Name: "rk", Mode: spec.ModeReplication, Replicas: ip(1), Zones: []string{"a1", "a2"}},
			SecuritySources: map[string]pulumi.StringInput{"worker": pulumi.String("not-an-sg").ToStringOutput()},
		})
		return err
	})
	want := `network.allowedSecurityGroups.worker: "not-an-sg" is not allowed; a security group id like sg-0123456789abcdef0`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("want %q, got %v", want, err)
	}
}

func TestServerlessTakesWiredValues(t *testing.T) {
	const key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	m := &idMocks{}
	err := runIDs(func(ctx *pulumi.Context) error {
		vpc, subnets, _, err := ownNetwork(ctx, "app", []string{"eu-west-1a", "eu-west-1b"})
		if err != nil {
			return err
		}
		_, err = NewCache(ctx, "rk", &CacheArgs{
			Cache: spec.Cache{Name: "rk", Mode: spec.ModeServerless, Zones: []string{"eu-west-1a", "eu-west-1b"}},
			Inputs: inputs.Inputs{VpcID: vpc.ID().ToStringOutput(), SubnetIDs: subnets,
				KmsKeyID:       vpc.ID().ApplyT(func(pulumi.ID) string { return key }).(pulumi.StringOutput),
				RestoreFromRdb: pulumi.StringArray{pulumi.Sprintf("arn:aws:elasticache:eu-west-1:111122223333:serverlesscachesnapshot:%s", vpc.ID())}},
		})
		return err
	}, m)
	if err != nil {
		t.Fatal(err)
	}
	sc := m.One(t, "aws:elasticache/serverlessCache:ServerlessCache")
	if sc.Str("kmsKeyId") != key {
		t.Errorf("kmsKeyId: %q", sc.Str("kmsKeyId"))
	}
	if got := sc.Strings("subnetIds"); len(got) != 2 || !strings.HasPrefix(got[0], "subnet-") {
		t.Errorf("subnetIds: %v", got)
	}
	if got := sc.Strings("snapshotArnsToRestores"); len(got) != 1 || !strings.HasPrefix(got[0], "arn:aws:elasticache:") {
		t.Errorf("snapshotArnsToRestores: %v", got)
	}
	noPlaceholder(t, m.Mocks)
}
