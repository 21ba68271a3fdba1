package elasticache

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
)

// A global datastore secondary leaves everything it inherits unset: the provider refuses these
// inputs beside globalReplicationGroupId, so a real preview fails on them.
func TestGlobalSecondaryLeavesInheritedSettingsUnset(t *testing.T) {
	for _, mk := range []func(*pulumi.Context, string, *GroupArgs, ...pulumi.ResourceOption) (*ReplicationGroup, error){NewReplicationGroup, NewShardedCluster} {
		m := runAWS(t, func(ctx *pulumi.Context) error {
			_, err := mk(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones, GlobalReplicationGroupID: "ldgnf-rk-global",
				Encryption: spec.Encryption{KmsKeyID: "arn:aws:kms:eu-west-1:111122223333:key/abc"}}))
			return err
		})
		rg := m.One(t, rgType)
		if rg.Str("globalReplicationGroupId") != "ldgnf-rk-global" {
			t.Fatalf("globalReplicationGroupId %q", rg.Str("globalReplicationGroupId"))
		}
		for _, k := range []string{"nodeType", "atRestEncryptionEnabled", "transitEncryptionEnabled", "transitEncryptionMode",
			"kmsKeyId", "engine", "engineVersion", "parameterGroupName", "numNodeGroups"} {
			if _, set := rg.Inputs[resourceKey(k)]; set {
				t.Errorf("%s must be left to the global datastore, got %v", k, rg.Inputs[resourceKey(k)])
			}
		}
	}
}

// The group that creates a global datastore hands version, node type and shard count to it.
func TestCreateGlobalDatastoreManagesVersionNodeTypeAndShards(t *testing.T) {
	m := runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewShardedCluster(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones, CreateGlobalDatastore: true,
			EngineVersion: "8.1", NodeType: "cache.r7g.xlarge", Shards: ip(4)}))
		return err
	})
	g := m.One(t, "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup")
	if g.Str("engineVersion") != "8.1" || g.Str("cacheNodeType") != "cache.r7g.xlarge" || g.Num("numNodeGroups") != 4 {
		t.Fatalf("global group inputs: %v", g.Inputs)
	}
	if got := strings.Join(m.options(t, rgType, "rk").GetIgnoreChanges(), ","); got != "snapshotName,snapshotArns,engineVersion,nodeType,numNodeGroups" {
		t.Fatalf("ignoreChanges %s", got)
	}
	// A group outside a global datastore keeps managing them itself.
	m = runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewShardedCluster(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones}))
		return err
	})
	if got := strings.Join(m.options(t, rgType, "rk").GetIgnoreChanges(), ","); got != "snapshotName,snapshotArns" {
		t.Fatalf("ignoreChanges %s", got)
	}
}

// Switching a group from an AUTH token to RBAC must send strategy DELETE.
func TestRBACSendsTheDeleteTokenStrategy(t *testing.T) {
	m := runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewReplicationGroup(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones,
			Auth: spec.Auth{Mode: spec.AuthRBAC, Users: []spec.User{{Name: "app"}}}}))
		return err
	})
	rg := m.One(t, rgType)
	if rg.Str("authTokenUpdateStrategy") != "DELETE" || rg.Str("authToken") != "" {
		t.Fatalf("strategy %q token %q", rg.Str("authTokenUpdateStrategy"), rg.Str("authToken"))
	}
	if len(rg.Strings("userGroupIds")) != 1 {
		t.Fatalf("user groups %v", rg.Strings("userGroupIds"))
	}
}

// The credentials secret gets a unique name each time it is created, so re-creating a cache
// never meets the old secret in its recovery window.
func TestCredentialsSecretCanBeCreatedAgain(t *testing.T) {
	m := runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewReplicationGroup(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones}))
		return err
	})
	sec := m.One(t, "aws:secretsmanager/secret:Secret")
	if sec.Str("name") != "" || sec.Str("namePrefix") != "rediskit/rk/auth-" {
		t.Fatalf("name %q namePrefix %q", sec.Str("name"), sec.Str("namePrefix"))
	}
}

// An IAM user has its name as user id, no password, and is listed (without a secret) in the
// credentials secret.
func TestIAMAuthenticatedUsers(t *testing.T) {
	m := runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewReplicationGroup(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones,
			Auth: spec.Auth{Mode: spec.AuthRBAC, Users: []spec.User{{Name: "app"}, {Name: "reporting", AuthenticationMode: "iam", Access: "on ~* +@read"}}}}))
		return err
	})
	var iam, app bool
	for _, u := range m.OfType("aws:elasticache/user:User") {
		mode := u.Inputs["authenticationMode"].ObjectValue()
		switch u.Str("userName") {
		case "reporting":
			iam = true
			if u.Str("userId") != "reporting" || mode["type"].StringValue() != "iam" || mode.HasValue("passwords") {
				t.Errorf("IAM user: %v", u.Inputs)
			}
		case "app":
			app = mode["type"].StringValue() == "password"
		}
	}
	if !iam || !app {
		t.Fatalf("users iam=%v app=%v", iam, app)
	}
	for _, p := range m.OfType("random:index/randomPassword:RandomPassword") {
		if strings.Contains(p.Name, "reporting") {
			t.Errorf("an IAM user needs no password: %s", p.Name)
		}
	}
	if n := len(m.One(t, "aws:elasticache/userGroup:UserGroup").Strings("userIds")); n != 3 {
		t.Errorf("user group holds %d users, want default, app and reporting", n)
	}
}

// Logs can go to an existing Firehose delivery stream instead of log groups rediskit creates.
func TestLogsToFirehose(t *testing.T) {
	m := runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewReplicationGroup(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones,
			Logs: spec.Logs{Destination: "kinesis-firehose", FirehoseStream: "cache-logs"}}))
		return err
	})
	if n := len(m.OfType("aws:cloudwatch/logGroup:LogGroup")); n != 0 {
		t.Fatalf("%d log groups with Firehose delivery", n)
	}
	cfgs := m.One(t, rgType).Inputs["logDeliveryConfigurations"].ArrayValue()
	if len(cfgs) != 2 {
		t.Fatalf("%d delivery configurations", len(cfgs))
	}
	for i, want := range []string{"slow-log", "engine-log"} {
		c := cfgs[i].ObjectValue()
		if c["destinationType"].StringValue() != "kinesis-firehose" || c["destination"].StringValue() != "cache-logs" || c["logType"].StringValue() != want {
			t.Errorf("delivery %d: %v", i, c)
		}
	}
}
