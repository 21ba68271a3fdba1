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
