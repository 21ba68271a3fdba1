package awsvalidate

import (
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/appautoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elasticache"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/rediskit/rediskit/infra/plan"
)

var (
	stacksOnce sync.Once
	allStacks  []Stack
	stacksErr  error
)

// stacks plans every stack once per test binary (about a second each).
func stacks(t *testing.T) []Stack {
	t.Helper()
	stacksOnce.Do(func() { allStacks, stacksErr = AllStacks("../..") })
	if stacksErr != nil {
		t.Fatalf("planning the stacks: %v", stacksErr)
	}
	return allStacks
}

// Every stack, the repository's and the generated ones, renders: each resource type the
// components create and each input they set is in the mapping.
func TestEveryStackRenders(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range stacks(t) {
		r, err := s.Render()
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		aws := 0
		for _, res := range s.Plan.Resources {
			if res.Custom && strings.HasPrefix(res.Type, "aws:") {
				aws++
				seen[res.Type] = true
			}
		}
		if len(r.Resources) != aws || aws == 0 {
			t.Errorf("stack %s: %d AWS resources in the plan, %d rendered", s.Name, aws, len(r.Resources))
		}
	}
	// The matrix reaches every mapped type: a type nothing creates any more is stale data.
	for typ := range Types {
		if !seen[typ] {
			t.Errorf("%s is mapped but no stack creates it: remove it or add a stack that does", typ)
		}
	}
}

// The option matrix covers what the issue asks for by name.
func TestMatrixCoversEveryModeAndOption(t *testing.T) {
	byStack := map[string]*plan.Plan{}
	for _, s := range stacks(t) {
		byStack[s.Name] = s.Plan
	}
	has := func(stack, typ, input string, want func(property.Value) bool) bool {
		p := byStack[stack]
		if p == nil {
			return false
		}
		for _, r := range p.ByType(typ) {
			if v, ok := r.Inputs.GetOk(input); ok && (want == nil || want(v)) {
				return true
			}
		}
		return false
	}
	isStr := func(s string) func(property.Value) bool {
		return func(v property.Value) bool { return v.IsString() && v.AsString() == s }
	}
	isTrue := func(v property.Value) bool { return v.IsBool() && v.AsBool() }
	rg := "aws:elasticache/replicationGroup:ReplicationGroup"
	for _, c := range []struct {
		what, stack, typ, input string
		want                    func(property.Value) bool
	}{
		{"single node", "dev", rg, "numCacheClusters", nil},
		{"replication group", "staging", rg, "multiAzEnabled", isTrue},
		{"cluster mode", "prod", rg, "clusterMode", isStr("enabled")},
		{"serverless", "gen-serverless", "aws:elasticache/serverlessCache:ServerlessCache", "cacheUsageLimits", nil},
		{"global datastore primary", "gen-global-primary", "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup", "primaryReplicationGroupId", nil},
		{"global datastore secondary", "gen-global-secondary", rg, "globalReplicationGroupId", nil},
		{"RBAC", "gen-rbac", rg, "userGroupIds", nil},
		{"IAM user", "gen-rbac", "aws:elasticache/user:User", "authenticationMode", func(v property.Value) bool {
			return v.IsMap() && v.AsMap().Get("type").IsString() && v.AsMap().Get("type").AsString() == "iam"
		}},
		{"data tiering", "gen-data-tiering", rg, "dataTieringEnabled", isTrue},
		{"restore from snapshot", "gen-restore-snapshot", rg, "snapshotName", nil},
		{"restore from RDB", "gen-restore-rdb", rg, "snapshotArns", nil},
		{"log delivery (CloudWatch)", "prod", rg, "logDeliveryConfigurations", nil},
		{"log delivery (Firehose)", "gen-logs-firehose", rg, "logDeliveryConfigurations", nil},
		{"autoscaling", "gen-autoscaling", "aws:appautoscaling/policy:Policy", "targetTrackingScalingPolicyConfiguration", nil},
		{"dual stack", "gen-dual-stack", rg, "networkType", isStr("dual_stack")},
		{"user-chosen token", "gen-replication-token", rg, "authTokenUpdateStrategy", isStr("SET")},
		{"transit mode preferred", "gen-transit-preferred", rg, "transitEncryptionMode", isStr("preferred")},
	} {
		if !has(c.stack, c.typ, c.input, c.want) {
			t.Errorf("%s: stack %s has no %s with %s as expected", c.what, c.stack, c.typ, c.input)
		}
	}
}

// Anything the mapping does not know is an error naming it, never dropped; resources outside
// the gate are listed with why.
func TestUnmappedTypeOrInputIsAnError(t *testing.T) {
	res := []plan.Resource{
		{Type: "aws:elasticache/subnetGroup:SubnetGroup", Name: "sg", Custom: true, Inputs: property.NewMap(map[string]property.Value{
			"name": property.New("rk-subnets"), "subnetIds": property.New([]property.Value{property.New("subnet-1")}),
			"descriptionTypo": property.New("x"),
		})},
		{Type: "aws:elasticache/cluster:Cluster", Name: "memcached", Custom: true, Inputs: property.Map{}},
		{Type: "tls:index/privateKey:PrivateKey", Name: "key", Custom: true, Inputs: property.Map{}},
		{Type: "random:index/randomId:RandomId", Name: "suffix", Custom: true, Inputs: property.Map{}},
		{Type: "rediskit:elasticache:Network", Name: "net", Inputs: property.Map{}},
	}
	_, err := Render("t", "eu-west-1", res)
	if err == nil {
		t.Fatal("rendering unmapped types and inputs must fail")
	}
	for _, want := range []string{
		"3 problems",
		"aws:elasticache/subnetGroup:SubnetGroup sg: input descriptionTypo: not in the mapping",
		"aws:elasticache/cluster:Cluster memcached: resource type not in the mapping",
		"tls:index/privateKey:PrivateKey key: resource type not in the mapping",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	r, err := Render("t", "eu-west-1", res[3:])
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Skipped) != 1 || !strings.Contains(r.Skipped[0], "random:index/randomId:RandomId suffix: the random provider") {
		t.Errorf("skipped: %v", r.Skipped)
	}
	// A nested input is checked too.
	_, err = Render("t", "eu-west-1", []plan.Resource{{Type: "aws:elasticache/parameterGroup:ParameterGroup", Name: "pg", Custom: true,
		Inputs: property.NewMap(map[string]property.Value{"parameters": property.New([]property.Value{
			property.New(map[string]property.Value{"name": property.New("timeout"), "value": property.New("0"), "applyMethod": property.New("immediate")}),
		})})}})
	if err == nil || !strings.Contains(err.Error(), "input parameters[0].applyMethod: not in the mapping") {
		t.Errorf("nested unmapped input: %v", err)
	}
}

// pulumiArgs are pulumi-aws v6.83.4's argument types, whose fields carry the input names.
var pulumiArgs = map[string]reflect.Type{
	"aws:appautoscaling/policy:Policy":                              appautoscaling.PolicyArgs{}.ElementType(),
	"aws:appautoscaling/target:Target":                              appautoscaling.TargetArgs{}.ElementType(),
	"aws:cloudwatch/dashboard:Dashboard":                            cloudwatch.DashboardArgs{}.ElementType(),
	"aws:cloudwatch/logGroup:LogGroup":                              cloudwatch.LogGroupArgs{}.ElementType(),
	"aws:cloudwatch/metricAlarm:MetricAlarm":                        cloudwatch.MetricAlarmArgs{}.ElementType(),
	"aws:ec2/securityGroup:SecurityGroup":                           ec2.SecurityGroupArgs{}.ElementType(),
	"aws:ec2/subnet:Subnet":                                         ec2.SubnetArgs{}.ElementType(),
	"aws:ec2/vpc:Vpc":                                               ec2.VpcArgs{}.ElementType(),
	"aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": elasticache.GlobalReplicationGroupArgs{}.ElementType(),
	"aws:elasticache/parameterGroup:ParameterGroup":                 elasticache.ParameterGroupArgs{}.ElementType(),
	"aws:elasticache/replicationGroup:ReplicationGroup":             elasticache.ReplicationGroupArgs{}.ElementType(),
	"aws:elasticache/serverlessCache:ServerlessCache":               elasticache.ServerlessCacheArgs{}.ElementType(),
	"aws:elasticache/subnetGroup:SubnetGroup":                       elasticache.SubnetGroupArgs{}.ElementType(),
	"aws:elasticache/user:User":                                     elasticache.UserArgs{}.ElementType(),
	"aws:elasticache/userGroup:UserGroup":                           elasticache.UserGroupArgs{}.ElementType(),
	"aws:secretsmanager/secret:Secret":                              secretsmanager.SecretArgs{}.ElementType(),
	"aws:secretsmanager/secretVersion:SecretVersion":                secretsmanager.SecretVersionArgs{}.ElementType(),
	"aws:sns/topic:Topic":                                           sns.TopicArgs{}.ElementType(),
	"aws:sns/topicPolicy:TopicPolicy":                               sns.TopicPolicyArgs{}.ElementType(),
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":     vpc.SecurityGroupIngressRuleArgs{}.ElementType(),
}

// The Pulumi side of the mapping is pulumi-aws v6.83.4's own: every mapped input, nested ones
// included, is an input of that SDK's argument type, so the table cannot drift into names the
// components could never send.
func TestMappingUsesPulumiAWSInputNames(t *testing.T) {
	for typ, m := range Types {
		args, ok := pulumiArgs[typ]
		if !ok {
			t.Errorf("%s: no pulumi-aws argument type to check it against", typ)
			continue
		}
		checkPulumiFields(t, typ, args, m.Attrs)
	}
}

func checkPulumiFields(t *testing.T, where string, st reflect.Type, attrs map[string]Attr) {
	t.Helper()
	fields := map[string]reflect.Type{}
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		if name := f.Tag.Get("pulumi"); name != "" {
			fields[name] = f.Type
		}
	}
	for name, a := range attrs {
		ft, ok := fields[name]
		if !ok {
			t.Errorf("%s: input %s is not an input of pulumi-aws v6.83.4", where, name)
			continue
		}
		if a.Kind == Block {
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() != reflect.Struct {
				t.Errorf("%s: input %s is mapped as a block but is a %s in pulumi-aws", where, name, ft)
				continue
			}
			checkPulumiFields(t, where+"."+name, ft, a.Fields)
		}
	}
}
