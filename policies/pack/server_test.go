package pack

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/rediskit/rediskit/policies"
)

// The engine of `pulumi policy analyze` asks for plugin and analyzer info before any
// ConfigureStack (pulumi/pulumi#24646); the server must answer from the start.
func TestServerAnswersBeforeConfigureStack(t *testing.T) {
	ctx := context.Background()
	srv, err := NewServer()
	if err != nil {
		t.Fatal(err)
	}
	pi, err := srv.GetPluginInfo(ctx, &emptypb.Empty{})
	if err != nil || pi.GetVersion() != "0.1.0" {
		t.Fatalf("GetPluginInfo: %v %v", pi, err)
	}
	info, err := srv.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if info.GetName() != "rediskit" || len(info.GetPolicies()) != len(policies.Rules()) || !info.GetSupportsConfig() {
		t.Fatalf("analyzer info: %v", info)
	}
	byName := map[string]*pulumirpc.PolicyInfo{}
	for _, p := range info.GetPolicies() {
		byName[p.GetName()] = p
	}
	if p := byName["auth"]; p.GetEnforcementLevel() != pulumirpc.EnforcementLevel_MANDATORY || !strings.Contains(p.GetDescription(), "CKV_AWS_31") {
		t.Errorf("auth: %v", p)
	}
	if p := byName["cache-alarms"]; p.GetPolicyType() != pulumirpc.PolicyType_POLICY_TYPE_STACK {
		t.Errorf("cache-alarms type: %v", p.GetPolicyType())
	}
	def := byName["automatic-backups"].GetConfigSchema().GetProperties().GetFields()["minRetentionDays"].GetStructValue().GetFields()["default"]
	if def.GetNumberValue() != 1 {
		t.Errorf("minRetentionDays default in schema: %v", def)
	}
}

func TestServerConfigureRejectsInvalidConfig(t *testing.T) {
	srv, _ := NewServer()
	props, _ := structpb.NewStruct(map[string]any{"minRetentionDays": 99})
	_, err := srv.Configure(context.Background(), &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"automatic-backups": {EnforcementLevel: pulumirpc.EnforcementLevel_ADVISORY, Properties: props},
	}})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "automatic-backups.minRetentionDays: 99 is not allowed") {
		t.Fatalf("got %v", err)
	}
	_, err = srv.Configure(context.Background(), &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"auth": {EnforcementLevel: pulumirpc.EnforcementLevel_REMEDIATE},
	}})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "not supported by this pack") {
		t.Fatalf("remediate: got %v", err)
	}
}

// Analyze uses the stack from ConfigureStack when there is one (production from config), and
// the configured levels.
func TestServerAnalyze(t *testing.T) {
	ctx := context.Background()
	srv, _ := NewServer()
	inputs := property.NewMap(map[string]property.Value{
		"engine": property.New("valkey"), "nodeType": property.New("cache.t4g.small"),
		"atRestEncryptionEnabled": property.New(true), "transitEncryptionEnabled": property.New(true),
		"kmsKeyId": property.New("k"), "authToken": property.New("x").WithSecret(true),
		"automaticFailoverEnabled": property.New(true), "multiAzEnabled": property.New(true), "numCacheClusters": property.New(2.0),
		"subnetGroupName": property.New("g"), "snapshotRetentionLimit": property.New(0.0), "maintenanceWindow": property.New("sun:05:00-sun:06:00"),
		"notificationTopicArn": property.New("t"), "finalSnapshotIdentifier": property.New("f"),
		"logDeliveryConfigurations": property.New([]property.Value{property.New(map[string]property.Value{"logType": property.New("slow-log")})}),
	})
	pm, err := plugin.MarshalProperties(resource.ToResourcePropertyMap(inputs), plugin.MarshalOptions{KeepSecrets: true, KeepUnknowns: true})
	if err != nil {
		t.Fatal(err)
	}
	req := &pulumirpc.AnalyzeRequest{Type: "aws:elasticache/replicationGroup:ReplicationGroup", Name: "rg",
		Urn: "urn:pulumi:eu-main::rediskit::aws:elasticache/replicationGroup:ReplicationGroup::rg", Properties: pm}
	run := func() []string {
		resp, err := srv.Analyze(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range resp.GetDiagnostics() {
			out = append(out, d.GetPolicyName()+" "+d.GetEnforcementLevel().String()+": "+d.GetMessage())
		}
		slices.Sort(out)
		return out
	}
	// Stack "eu-main" from the URN, no config: not production.
	if got, want := run(), []string{"automatic-backups ADVISORY: snapshotRetentionLimit is 0 days; at least 1 required"}; !slices.Equal(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
	if _, err := srv.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Stack: "eu-main", Project: "rediskit",
		Config: map[string]string{"rediskit:environment": "prod"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"automatic-backups": {EnforcementLevel: pulumirpc.EnforcementLevel_DISABLED},
	}}); err != nil {
		t.Fatal(err)
	}
	if got, want := run(), []string{"production-node-types ADVISORY: nodeType cache.t4g.small is a burstable family (t4g) in production"}; !slices.Equal(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
}

func marshal(t *testing.T, m map[string]property.Value) *structpb.Struct {
	t.Helper()
	pm, err := plugin.MarshalProperties(resource.ToResourcePropertyMap(property.NewMap(m)), plugin.MarshalOptions{KeepSecrets: true, KeepUnknowns: true})
	if err != nil {
		t.Fatal(err)
	}
	return pm
}

// diags renders diagnostics as "policy LEVEL resource-name: message", sorted.
func diags(t *testing.T) func(*pulumirpc.AnalyzeResponse, error) []string {
	return func(resp *pulumirpc.AnalyzeResponse, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, d := range resp.GetDiagnostics() {
			name := d.GetUrn()[strings.LastIndex(d.GetUrn(), "::")+2:]
			out = append(out, d.GetPolicyName()+" "+d.GetEnforcementLevel().String()+" "+name+": "+d.GetMessage())
		}
		slices.Sort(out)
		return out
	}
}

// compliantGroupInputs is a replication group that passes every resource rule in any stack.
func compliantGroupInputs() map[string]property.Value {
	return map[string]property.Value{
		"engine": property.New("valkey"), "engineVersion": property.New("8.2"), "nodeType": property.New("cache.r7g.large"),
		"atRestEncryptionEnabled": property.New(true), "transitEncryptionEnabled": property.New(true),
		"kmsKeyId": property.New("arn:aws:kms:eu-west-1:111122223333:key/k1"), "authToken": property.New("x").WithSecret(true),
		"automaticFailoverEnabled": property.New(true), "multiAzEnabled": property.New(true), "numCacheClusters": property.New(2.0),
		"subnetGroupName": property.New("g"), "snapshotRetentionLimit": property.New(7.0), "snapshotWindow": property.New("03:00-04:00"),
		"maintenanceWindow": property.New("sun:05:00-sun:06:00"), "notificationTopicArn": property.New("t"), "finalSnapshotIdentifier": property.New("f"),
		"logDeliveryConfigurations": property.New([]property.Value{property.New(map[string]property.Value{"logType": property.New("slow-log")})}),
	}
}

const (
	rgType   = "aws:elasticache/replicationGroup:ReplicationGroup"
	devStack = "urn:pulumi:dev::rediskit::"
)

// TestServerAnalyzeStackJoins: caches, alarms and parameter groups whose names and dimensions
// are unknown (a preview of new resources) are joined through Parent and Dependencies only.
func TestServerAnalyzeStackJoins(t *testing.T) {
	ctx := context.Background()
	srv, _ := NewServer()
	compA, compB := devStack+"rediskit:index:Cache::a", devStack+"rediskit:index:Cache::b"
	pgURN := devStack + "rediskit:index:Cache$aws:elasticache/parameterGroup:ParameterGroup::pg"
	group := func() map[string]property.Value {
		in := compliantGroupInputs()
		in["replicationGroupId"] = property.New(property.Computed)
		in["parameterGroupName"] = property.New(property.Computed)
		return in
	}
	res := func(typ, name, parent string, in map[string]property.Value, deps ...string) *pulumirpc.AnalyzerResource {
		return &pulumirpc.AnalyzerResource{Type: typ, Name: name, Urn: devStack + "rediskit:index:Cache$" + typ + "::" + name,
			Parent: parent, Dependencies: deps, Properties: marshal(t, in)}
	}
	req := &pulumirpc.AnalyzeStackRequest{Resources: []*pulumirpc.AnalyzerResource{
		// Cache a: its alarm is a sibling in component a (dimensions unknown), its parameter
		// group (name unknown, wrong family) is a dependency.
		res("aws:elasticache/parameterGroup:ParameterGroup", "pg", "", map[string]property.Value{
			"name": property.New(property.Computed), "family": property.New("redis7")}),
		res(rgType, "rg-a", compA, group(), pgURN),
		res("aws:cloudwatch/metricAlarm:MetricAlarm", "rg-a-cpu", compA, map[string]property.Value{
			"metricName": property.New("EngineCPUUtilization"), "dimensions": property.New(property.Computed)}),
		// Cache b: an alarm in another component that depends on nothing of b's.
		res(rgType, "rg-b", compB, group()),
		res("aws:cloudwatch/metricAlarm:MetricAlarm", "other-cpu", compA, map[string]property.Value{
			"metricName": property.New("CPUUtilization"), "dimensions": property.New(property.Computed)}),
	}}
	want := []string{
		"cache-alarms ADVISORY rg-b: no CloudWatch metric alarm watches this cache",
		"parameter-group-family ADVISORY rg-a: parameter group pg has family redis7; valkey 8.2 needs valkey8",
	}
	if got := diags(t)(srv.AnalyzeStack(ctx, req)); !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// Required metrics: the joined alarm of rg-a counts (its CPU metric is found), the
	// unrelated one does not.
	props, _ := structpb.NewStruct(map[string]any{"requiredMetrics": []any{"EngineCPUUtilization", "DatabaseMemoryUsagePercentage"}})
	if _, err := srv.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"cache-alarms": {EnforcementLevel: pulumirpc.EnforcementLevel_ADVISORY, Properties: props}}}); err != nil {
		t.Fatal(err)
	}
	want = []string{
		"cache-alarms ADVISORY rg-a: no alarm on DatabaseMemoryUsagePercentage",
		"cache-alarms ADVISORY rg-b: no CloudWatch metric alarm watches this cache",
		"parameter-group-family ADVISORY rg-a: parameter group pg has family redis7; valkey 8.2 needs valkey8",
	}
	if got := diags(t)(srv.AnalyzeStack(ctx, req)); !slices.Equal(got, want) {
		t.Errorf("required metrics:\n got  %q\nwant %q", got, want)
	}
	// Each resource alone draws nothing: the joins are the stack policies' business.
	for _, r := range req.GetResources() {
		got := diags(t)(srv.Analyze(ctx, &pulumirpc.AnalyzeRequest{Type: r.GetType(), Urn: r.GetUrn(), Name: r.GetName(), Properties: r.GetProperties()}))
		if len(got) != 0 {
			t.Errorf("%s alone: %q", r.GetName(), got)
		}
	}
}

// TestServerPublicIngressStackPart: a rule opening a cache's own (non-default) port is found
// when the stack is analyzed, not when the rule is analyzed alone; under the rule's own name
// and level.
func TestServerPublicIngressStackPart(t *testing.T) {
	ctx := context.Background()
	srv, _ := NewServer()
	cache := compliantGroupInputs()
	cache["port"] = property.New(7000.0)
	cache["parameterGroupName"] = property.New("default.valkey8")
	ruleType := "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	open := &pulumirpc.AnalyzerResource{Type: ruleType, Name: "open", Urn: devStack + ruleType + "::open", Properties: marshal(t, map[string]property.Value{
		"ipProtocol": property.New("tcp"), "fromPort": property.New(7000.0), "toPort": property.New(7000.0), "cidrIpv4": property.New("0.0.0.0/0")})}
	alarm := &pulumirpc.AnalyzerResource{Type: "aws:cloudwatch/metricAlarm:MetricAlarm", Name: "cpu", Urn: devStack + "alarm::cpu",
		Properties: marshal(t, map[string]property.Value{"metricName": property.New("CPUUtilization"),
			"dimensions": property.New(map[string]property.Value{"ReplicationGroupId": property.New("rk")})})}
	cache["replicationGroupId"] = property.New("rk")
	rg := &pulumirpc.AnalyzerResource{Type: rgType, Name: "rk", Urn: devStack + rgType + "::rk", Properties: marshal(t, cache)}
	if got := diags(t)(srv.Analyze(ctx, &pulumirpc.AnalyzeRequest{Type: ruleType, Urn: open.GetUrn(), Name: "open", Properties: open.GetProperties()})); len(got) != 0 {
		t.Errorf("the rule alone: %q", got)
	}
	got := diags(t)(srv.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{Resources: []*pulumirpc.AnalyzerResource{rg, alarm, open}}))
	want := []string{"public-ingress MANDATORY open: ingress from 0.0.0.0/0 to port 7000 reaches cache port 7000"}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// Disabled by config, the stack part is silent too.
	if _, err := srv.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"public-ingress": {EnforcementLevel: pulumirpc.EnforcementLevel_DISABLED}}}); err != nil {
		t.Fatal(err)
	}
	if got := diags(t)(srv.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{Resources: []*pulumirpc.AnalyzerResource{rg, alarm, open}})); len(got) != 0 {
		t.Errorf("disabled: %q", got)
	}
}

// TestServerAnalyzeUnknownSecrets: a generated AUTH token (a secret not known yet) and a KMS
// key created in the same preview draw no violation, even with approved keys configured.
func TestServerAnalyzeUnknownSecrets(t *testing.T) {
	ctx := context.Background()
	srv, _ := NewServer()
	props, _ := structpb.NewStruct(map[string]any{"approvedKmsKeyIds": []any{"arn:aws:kms:eu-west-1:111122223333:key/k1"}})
	if _, err := srv.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"encryption-at-rest": {EnforcementLevel: pulumirpc.EnforcementLevel_MANDATORY, Properties: props}}}); err != nil {
		t.Fatal(err)
	}
	in := compliantGroupInputs()
	in["authToken"] = property.New(property.Computed).WithSecret(true)
	in["kmsKeyId"] = property.New(property.Computed)
	req := &pulumirpc.AnalyzeRequest{Type: rgType, Name: "rg", Urn: devStack + rgType + "::rg", Properties: marshal(t, in)}
	if got := diags(t)(srv.Analyze(ctx, req)); len(got) != 0 {
		t.Errorf("unknown token and key: %q", got)
	}
	// The same group with a known key that is not approved, and no token, is reported: the
	// silence above comes from the unknowns.
	in["kmsKeyId"] = property.New("arn:aws:kms:eu-west-1:111122223333:key/k2")
	delete(in, "authToken")
	req.Properties = marshal(t, in)
	want := []string{
		"auth MANDATORY rg: neither authToken nor userGroupIds is set",
		`encryption-at-rest MANDATORY rg: kmsKeyId "arn:aws:kms:eu-west-1:111122223333:key/k2" is not an approved key; approved: arn:aws:kms:eu-west-1:111122223333:key/k1`,
	}
	if got := diags(t)(srv.Analyze(ctx, req)); !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestServerStackTagsMarkProduction: a stack tag sent with ConfigureStack names the
// environment when the config does not.
func TestServerStackTagsMarkProduction(t *testing.T) {
	ctx := context.Background()
	srv, _ := NewServer()
	in := compliantGroupInputs()
	in["nodeType"] = property.New("cache.t3.medium")
	req := &pulumirpc.AnalyzeRequest{Type: rgType, Name: "rg", Urn: "urn:pulumi:eu-main::rediskit::" + rgType + "::rg", Properties: marshal(t, in)}
	if got := diags(t)(srv.Analyze(ctx, req)); len(got) != 0 {
		t.Errorf("before ConfigureStack (not production): %q", got)
	}
	if _, err := srv.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Stack: "eu-main", Project: "rediskit",
		Tags: map[string]string{"rediskit:environment": "prod"}}); err != nil {
		t.Fatal(err)
	}
	want := []string{"production-node-types ADVISORY rg: nodeType cache.t3.medium is a burstable family (t3) in production"}
	if got := diags(t)(srv.Analyze(ctx, req)); !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// The stack policies see the same stack: a production stack draws no environment advisory.
	got := diags(t)(srv.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{}))
	if len(got) != 0 {
		t.Errorf("stack: %q", got)
	}
}
