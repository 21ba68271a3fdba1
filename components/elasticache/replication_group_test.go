package elasticache

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/pulumitest"
)

const (
	rgType    = "aws:elasticache/replicationGroup:ReplicationGroup"
	alarmType = "aws:cloudwatch/metricAlarm:MetricAlarm"
)

func ip(i int) *int { return &i }

func groupArgs3(c spec.Cache) *GroupArgs {
	return &GroupArgs{
		Cache:            c,
		SubnetGroupName:  pulumi.String("rk-subnets"),
		SecurityGroupIDs: pulumi.StringArray{pulumi.String("sg-0123456789abcdef0")},
	}
}

var zones = []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}

func TestSingleNode(t *testing.T) {
	m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewSingleNode(ctx, "rk-dev", groupArgs3(spec.Cache{Name: "rk-dev", NodeType: "cache.t4g.small", Zones: zones}))
		return err
	})
	rg := m.One(t, rgType)
	if rg.Num("numCacheClusters") != 1 || rg.Str("clusterMode") != "disabled" {
		t.Errorf("single node: numCacheClusters=%v clusterMode=%s", rg.Num("numCacheClusters"), rg.Str("clusterMode"))
	}
	if rg.Bool("automaticFailoverEnabled") || rg.Bool("multiAzEnabled") {
		t.Error("a single node cannot fail over or be Multi-AZ")
	}
	if !rg.Bool("transitEncryptionEnabled") || !rg.Bool("atRestEncryptionEnabled") {
		t.Error("encryption must be on by default")
	}
	if !rg.IsSecret("authToken") || rg.Str("authTokenUpdateStrategy") != "ROTATE" {
		t.Errorf("auth token must be a secret with ROTATE strategy: secret=%v strategy=%s", rg.IsSecret("authToken"), rg.Str("authTokenUpdateStrategy"))
	}
	if got := len(m.OfType(alarmType)); got != 4 {
		t.Errorf("one node without replicas: 4 alarms (no replication lag), got %d", got)
	}
}

func TestReplicationGroupSpreadsNodesOverZones(t *testing.T) {
	m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewReplicationGroup(ctx, "rk-stg", groupArgs3(spec.Cache{Name: "rk-stg", Mode: spec.ModeReplication, Replicas: ip(2), Zones: zones}))
		return err
	})
	rg := m.One(t, rgType)
	if rg.Num("numCacheClusters") != 3 || !rg.Bool("automaticFailoverEnabled") || !rg.Bool("multiAzEnabled") {
		t.Fatalf("1 primary + 2 replicas with failover and Multi-AZ expected: %v", rg.Inputs)
	}
	azs := rg.Strings("preferredCacheClusterAzs")
	if strings.Join(azs, ",") != strings.Join(zones, ",") {
		t.Errorf("nodes must land in distinct zones, primary first: %v", azs)
	}
	for _, a := range azs[1:] {
		if a == azs[0] {
			t.Errorf("a replica shares the primary's zone %s", a)
		}
	}
	// 3 nodes x 5 metrics, with ElastiCache's per-node dimensions.
	alarms := m.OfType(alarmType)
	if len(alarms) != 15 {
		t.Fatalf("want 15 alarms, got %d", len(alarms))
	}
	seen := map[string]bool{}
	for _, a := range alarms {
		dims := a.Inputs["dimensions"].ObjectValue()
		seen[dims["CacheClusterId"].StringValue()] = true
		if dims["CacheNodeId"].StringValue() != "0001" {
			t.Errorf("alarm %s: CacheNodeId %v", a.Name, dims["CacheNodeId"])
		}
	}
	for _, id := range []string{"rk-stg-001", "rk-stg-002", "rk-stg-003"} {
		if !seen[id] {
			t.Errorf("no alarm for node %s (have %v)", id, seen)
		}
	}
}

func TestShardedCluster(t *testing.T) {
	m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewShardedCluster(ctx, "rk-prod", groupArgs3(spec.Cache{Name: "rk-prod", Shards: ip(3), Replicas: ip(2), Zones: zones}))
		return err
	})
	rg := m.One(t, rgType)
	if rg.Str("clusterMode") != "enabled" || rg.Num("numNodeGroups") != 3 || rg.Num("replicasPerNodeGroup") != 2 {
		t.Fatalf("cluster mode 3x2 expected: %v", rg.Inputs)
	}
	if _, ok := rg.Inputs["numCacheClusters"]; ok {
		t.Error("cluster mode must size by node groups, not numCacheClusters")
	}
	if !rg.Bool("multiAzEnabled") || !rg.Bool("automaticFailoverEnabled") {
		t.Error("cluster mode with replicas: Multi-AZ and failover on")
	}
	pg := m.One(t, "aws:elasticache/parameterGroup:ParameterGroup")
	if pg.Str("family") != "valkey8" || pg.Str("name") != "rk-prod-valkey8-cluster" {
		t.Errorf("parameter group: family %s name %s", pg.Str("family"), pg.Str("name"))
	}
	if !strings.Contains(fmt.Sprint(pg.Inputs["parameters"]), "cluster-enabled") || !strings.Contains(fmt.Sprint(pg.Inputs["parameters"]), "yes") {
		t.Errorf("cluster mode needs cluster-enabled yes: %v", pg.Inputs["parameters"])
	}
	alarms := m.OfType(alarmType)
	if len(alarms) != 9*5 {
		t.Fatalf("9 nodes x 5 metrics, got %d", len(alarms))
	}
	ids := map[string]bool{}
	for _, a := range alarms {
		ids[a.Inputs["dimensions"].ObjectValue()["CacheClusterId"].StringValue()] = true
	}
	if !ids["rk-prod-0001-001"] || !ids["rk-prod-0003-003"] || len(ids) != 9 {
		t.Errorf("cluster-mode node ids are <group>-<shard 4 digits>-<node 3 digits>: %v", ids)
	}
}

func TestLogsTopicSecretAndSnapshots(t *testing.T) {
	m := runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewReplicationGroup(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones}))
		return err
	})
	rg := m.One(t, rgType)
	logs := m.OfType("aws:cloudwatch/logGroup:LogGroup")
	if len(logs) != 2 {
		t.Fatalf("slow-log and engine-log groups expected, got %d", len(logs))
	}
	names := map[string]bool{}
	for _, l := range logs {
		names[l.Str("name")] = true
		if l.Num("retentionInDays") != 30 {
			t.Errorf("log group %s retention %v", l.Str("name"), l.Num("retentionInDays"))
		}
	}
	if !names["/aws/elasticache/rk/slow-log"] || !names["/aws/elasticache/rk/engine-log"] {
		t.Errorf("explicit log group names expected: %v", names)
	}
	delivery := fmt.Sprint(rg.Inputs["logDeliveryConfigurations"])
	for _, w := range []string{"slow-log", "engine-log", "cloudwatch-logs", "/aws/elasticache/rk/slow-log"} {
		if !strings.Contains(delivery, w) {
			t.Errorf("log delivery lacks %q: %s", w, delivery)
		}
	}
	topic := m.One(t, "aws:sns/topic:Topic")
	if rg.Str("notificationTopicArn") != "arn:aws:sns:eu-west-1:111122223333:rk-events" || topic.Name != "rk-events" {
		t.Errorf("events go to the cache's topic: %s", rg.Str("notificationTopicArn"))
	}
	sv := m.One(t, "aws:secretsmanager/secretVersion:SecretVersion")
	if !sv.IsSecret("secretString") || !strings.Contains(sv.Str("secretString"), `"authToken"`) {
		t.Errorf("the token must be stored as a secret: %v", sv.Inputs["secretString"])
	}
	if rg.Num("snapshotRetentionLimit") != 7 || rg.Str("snapshotWindow") != "03:00-04:00" || rg.Str("finalSnapshotIdentifier") != "rk-final-0a1b2c3d" {
		t.Errorf("snapshot defaults: %v %v %v", rg.Num("snapshotRetentionLimit"), rg.Str("snapshotWindow"), rg.Str("finalSnapshotIdentifier"))
	}
	if rg.Str("maintenanceWindow") != "sun:05:00-sun:06:00" || !rg.Bool("autoMinorVersionUpgrade") {
		t.Error("maintenance window and auto minor upgrades expected")
	}
}

func TestGivenTopicAndRestore(t *testing.T) {
	m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		c := spec.Cache{Name: "rk", Zones: zones,
			Notifications: spec.Notifications{TopicArn: "arn:aws:sns:eu-west-1:123456789012:ops"},
			Snapshots:     spec.Snapshots{RestoreFromRdb: []string{"arn:aws:s3:::bucket/dump.rdb"}},
			Encryption:    spec.Encryption{KmsKeyID: "arn:aws:kms:eu-west-1:123456789012:key/abc"}}
		_, err := NewReplicationGroup(ctx, "rk", groupArgs3(c))
		return err
	})
	if n := len(m.OfType("aws:sns/topic:Topic")); n != 0 {
		t.Errorf("a given topic must not create another, got %d", n)
	}
	rg := m.One(t, rgType)
	if rg.Str("notificationTopicArn") != "arn:aws:sns:eu-west-1:123456789012:ops" {
		t.Errorf("topic: %s", rg.Str("notificationTopicArn"))
	}
	if got := rg.Strings("snapshotArns"); len(got) != 1 || got[0] != "arn:aws:s3:::bucket/dump.rdb" {
		t.Errorf("restore from RDB: %v", got)
	}
	if rg.Str("kmsKeyId") == "" {
		t.Error("customer KMS key must be passed")
	}
}

func TestRBAC(t *testing.T) {
	m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		c := spec.Cache{Name: "rk", Zones: zones, Auth: spec.Auth{Mode: spec.AuthRBAC, Users: []spec.User{{Name: "app", Access: "on ~app:* +@read +@write"}}}}
		_, err := NewReplicationGroup(ctx, "rk", groupArgs3(c))
		return err
	})
	users := m.OfType("aws:elasticache/user:User")
	if len(users) != 2 {
		t.Fatalf("default + app users expected, got %d", len(users))
	}
	for _, u := range users {
		if u.Str("userName") == "default" && !strings.HasPrefix(u.Str("accessString"), "off") {
			t.Errorf("the default user must be disabled: %s", u.Str("accessString"))
		}
		if u.Str("engine") != "valkey" {
			t.Errorf("user engine %s", u.Str("engine"))
		}
	}
	rg := m.One(t, rgType)
	if _, ok := rg.Inputs["authToken"]; ok {
		t.Error("RBAC and an AUTH token are exclusive")
	}
	if got := rg.Strings("userGroupIds"); len(got) != 1 || got[0] != "rk-users" {
		t.Errorf("user group: %v", got)
	}
}

func TestInvalidInputRegistersNothing(t *testing.T) {
	m, err := pulumitest.RunE(func(ctx *pulumi.Context) error {
		_, err := NewShardedCluster(ctx, "rk", &GroupArgs{Cache: spec.Cache{Name: "rk", Shards: ip(0), Replicas: ip(7)}})
		return err
	})
	if err == nil {
		t.Fatal("expected a validation error")
	}
	for _, w := range []string{"shards: 0", "replicas: 7", "subnetGroupName: missing", "securityGroupIds: missing"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in %v", w, err)
		}
	}
	if len(m.All) != 0 {
		t.Errorf("nothing may be registered before validation passes, got %d", len(m.All))
	}
	_, err = pulumitest.RunE(func(ctx *pulumi.Context) error {
		_, err := NewSingleNode(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Mode: spec.ModeCluster}))
		return err
	})
	if err == nil || !strings.Contains(err.Error(), `this constructor builds mode "single"`) {
		t.Errorf("mode mismatch must be refused: %v", err)
	}
}

// A mode change must be an update of the same aws resource, never a replacement: same type,
// same name and the same parent type chain in every mode.
func TestModesShareTheResourceIdentity(t *testing.T) {
	var parents []string
	for _, mk := range []func(*pulumi.Context, string, *GroupArgs, ...pulumi.ResourceOption) (*ReplicationGroup, error){
		NewSingleNode, NewReplicationGroup, NewShardedCluster,
	} {
		m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
			_, err := mk(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones}))
			return err
		})
		rg := m.One(t, rgType)
		parent := rg.Parent[:strings.LastIndex(rg.Parent, "::")]
		parents = append(parents, parent[strings.LastIndex(parent, "::")+2:]+"::"+rg.Name)
	}
	if parents[0] != parents[1] || parents[1] != parents[2] {
		t.Errorf("the replication group's identity differs between modes: %v", parents)
	}
}

// ElastiCache cannot publish to an encrypted topic, and CloudWatch not to one under the
// AWS-managed key: the topic is unencrypted and its policy lets exactly these publishers in.
func TestNotificationTopicPolicy(t *testing.T) {
	m := runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewReplicationGroup(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones}))
		return err
	})
	topic := m.One(t, "aws:sns/topic:Topic")
	if _, enc := topic.Inputs["kmsMasterKeyId"]; enc {
		t.Errorf("the event topic must not be encrypted (ElastiCache deactivates encrypted topics): %v", topic.Inputs["kmsMasterKeyId"])
	}
	pol := m.One(t, "aws:sns/topicPolicy:TopicPolicy")
	arn := "arn:aws:sns:eu-west-1:111122223333:rk-events"
	if pol.Str("arn") != arn {
		t.Errorf("policy attached to %q, want %q", pol.Str("arn"), arn)
	}
	var doc struct {
		Statement []struct {
			Sid       string
			Principal map[string]string
			Action    any
			Resource  string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(pol.Str("policy")), &doc); err != nil {
		t.Fatalf("policy is not JSON: %v\n%s", err, pol.Str("policy"))
	}
	got := map[string]string{}
	for _, st := range doc.Statement {
		got[st.Sid] = fmt.Sprint(st.Principal, " ", st.Action, " ", st.Resource, " ", st.Condition)
	}
	want := map[string]string{
		"AccountManagesTopic": "map[AWS:arn:aws:iam::111122223333:root] [SNS:GetTopicAttributes SNS:SetTopicAttributes SNS:AddPermission SNS:RemovePermission SNS:DeleteTopic SNS:Subscribe SNS:ListSubscriptionsByTopic SNS:Publish] " + arn + " map[]",
		"ElastiCacheEvents":   "map[AWS:*] SNS:Publish " + arn + " map[StringEquals:map[AWS:SourceOwner:111122223333]]",
		"CloudWatchAlarms":    "map[Service:cloudwatch.amazonaws.com] SNS:Publish " + arn + " map[ArnLike:map[aws:SourceArn:arn:aws:cloudwatch:eu-west-1:111122223333:alarm:rk-*] StringEquals:map[aws:SourceAccount:111122223333]]",
	}
	if len(got) != len(want) {
		t.Errorf("statements %v, want %v", got, want)
	}
	for sid, w := range want {
		if got[sid] != w {
			t.Errorf("statement %s:\n got %s\nwant %s", sid, got[sid], w)
		}
	}
	// Every alarm the policy lets publish is named <cache>-*.
	for _, a := range m.OfType(alarmType) {
		if !strings.HasPrefix(a.Str("name"), "rk-") {
			t.Errorf("alarm %s is outside the policy's rk-* pattern", a.Str("name"))
		}
	}
	if _, err := TopicPolicy("rk", "not-an-arn"); err == nil || !strings.Contains(err.Error(), `topic "not-an-arn": not an SNS topic ARN`) {
		t.Errorf("a malformed ARN must be refused: %v", err)
	}
}

// Restore sources only matter when the group is created; clearing them later must not replace
// (and so empty) the group.
func TestRestoreFieldsAreIgnoredAfterCreation(t *testing.T) {
	m := runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewReplicationGroup(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones,
			Snapshots: spec.Snapshots{RestoreFromSnapshot: "rk-nightly"}}))
		return err
	})
	if rg := m.One(t, rgType); rg.Str("snapshotName") != "rk-nightly" {
		t.Errorf("restore source: %q", rg.Str("snapshotName"))
	}
	if got := m.options(t, rgType, "rk").GetIgnoreChanges(); strings.Join(got, ",") != "snapshotName,snapshotArns" {
		t.Errorf("ignoreChanges %v, want [snapshotName snapshotArns]", got)
	}
	// The option is there without a restore too: it must already be in place when the user
	// clears restoreFromSnapshot.
	m = runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewReplicationGroup(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones}))
		return err
	})
	if got := m.options(t, rgType, "rk").GetIgnoreChanges(); strings.Join(got, ",") != "snapshotName,snapshotArns" {
		t.Errorf("ignoreChanges without a restore: %v", got)
	}
	m = runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewServerlessCache(ctx, "rk-sl", &ServerlessArgs{
			Cache:     spec.Cache{Name: "rk-sl", Zones: []string{"a", "b"}, Snapshots: spec.Snapshots{RestoreFromRdb: []string{"arn:aws:s3:::b/dump.rdb"}}},
			SubnetIDs: pulumi.StringArray{pulumi.String("subnet-1")}, SecurityGroupIDs: pulumi.StringArray{pulumi.String("sg-1")},
		})
		return err
	})
	if got := m.options(t, "aws:elasticache/serverlessCache:ServerlessCache", "rk-sl").GetIgnoreChanges(); strings.Join(got, ",") != "snapshotArnsToRestores" {
		t.Errorf("serverless ignoreChanges %v", got)
	}
}

func TestSpreadZones(t *testing.T) {
	for _, tc := range []struct {
		zones []string
		n     int
		want  string
	}{
		{[]string{"a", "b", "c"}, 1, "a"},
		{[]string{"a", "b", "c"}, 3, "a,b,c"},
		{[]string{"a", "b"}, 2, "a,b"},
		// Beyond the zones (AWS lets nodes share zones, with or without Multi-AZ), replicas
		// still never share the primary's zone.
		{[]string{"a", "b", "c"}, 6, "a,b,c,b,c,b"},
		{[]string{"a", "b"}, 4, "a,b,b,b"},
		{[]string{"a"}, 2, "a,a"},
	} {
		if got := strings.Join(SpreadZones(tc.zones, tc.n), ","); got != tc.want {
			t.Errorf("SpreadZones(%v, %d) = %s, want %s", tc.zones, tc.n, got, tc.want)
		}
	}
}

// Multi-AZ with more nodes per shard than zones is what AWS does too (nodes share zones): it is
// accepted, and no replica is placed in the primary's zone.
func TestMultiAZAllowsMoreReplicasThanZones(t *testing.T) {
	m := runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewReplicationGroup(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Replicas: ip(3), Zones: zones}))
		return err
	})
	rg := m.One(t, "aws:elasticache/replicationGroup:ReplicationGroup")
	if !rg.Bool("multiAzEnabled") {
		t.Fatal("Multi-AZ must stay on")
	}
	if got := strings.Join(rg.Strings("preferredCacheClusterAzs"), ","); got != "eu-west-1a,eu-west-1b,eu-west-1c,eu-west-1b" {
		t.Fatalf("placement %s", got)
	}
	runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewShardedCluster(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Replicas: ip(3), Zones: zones}))
		return err
	})
}

func TestFinalSnapshot(t *testing.T) {
	m := runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewReplicationGroup(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones}))
		return err
	})
	id := m.One(t, "random:index/randomId:RandomId")
	if id.Name != "rk-final-snapshot" || id.Num("byteLength") != 4 {
		t.Errorf("suffix generator: %s %v", id.Name, id.Inputs)
	}
	if _, keepers := id.Inputs["keepers"]; keepers {
		t.Error("the suffix must not depend on anything that changes during the group's life")
	}
	if got := m.One(t, rgType).Str("finalSnapshotIdentifier"); got != "rk-final-0a1b2c3d" {
		t.Errorf("final snapshot %q", got)
	}
	off := false
	m = runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewReplicationGroup(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones, Snapshots: spec.Snapshots{FinalSnapshot: &off}}))
		return err
	})
	if n := len(m.OfType("random:index/randomId:RandomId")); n != 0 {
		t.Errorf("no final snapshot, no suffix: %d", n)
	}
	if _, ok := m.One(t, rgType).Inputs["finalSnapshotIdentifier"]; ok {
		t.Error("finalSnapshot false must not set finalSnapshotIdentifier")
	}
}

// Rotation: a new auth.tokenRevision changes the password's keepers, which makes the random
// provider draw a new token for the same resource; the group applies it with ROTATE, so the old
// token stays valid until the user switches to SET.
func TestTokenRevisionRotatesToken(t *testing.T) {
	run := func(rev, strategy string) (token, keeper, name, got string) {
		m := runAWS(t, func(ctx *pulumi.Context) error {
			_, err := NewReplicationGroup(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones,
				Auth: spec.Auth{TokenRevision: rev, UpdateStrategy: strategy}}))
			return err
		})
		pw := m.One(t, "random:index/randomPassword:RandomPassword")
		rg := m.One(t, rgType)
		if !rg.IsSecret("authToken") {
			t.Errorf("revision %q: the token must stay a secret", rev)
		}
		return rg.Str("authToken"), pw.Inputs["keepers"].ObjectValue()["revision"].StringValue(), pw.Name, rg.Str("authTokenUpdateStrategy")
	}
	tok1, keep1, name1, strat1 := run("2024-01", "")
	tok2, keep2, name2, strat2 := run("2024-06", "")
	if keep1 != "2024-01" || keep2 != "2024-06" {
		t.Errorf("keepers carry the revision: %q, %q", keep1, keep2)
	}
	if name1 != "rk-auth-token" || name2 != name1 {
		t.Errorf("the same password resource is replaced, not a second one added: %s, %s", name1, name2)
	}
	if tok1 != "generated-rk-auth-token-rev-2024-01" || tok2 != "generated-rk-auth-token-rev-2024-06" {
		t.Errorf("a new revision must reach the group as a new token: %q, %q", tok1, tok2)
	}
	if strat1 != "ROTATE" || strat2 != "ROTATE" {
		t.Errorf("token changes apply with ROTATE by default: %q, %q", strat1, strat2)
	}
	if _, _, _, strat := run("2024-06", "set"); strat != "SET" {
		t.Errorf("auth.updateStrategy set: %q", strat)
	}
}

// Each endpoint as it applies: cluster mode has only the configuration endpoint.
func TestEndpointsPerMode(t *testing.T) {
	for _, tc := range []struct {
		mode                           spec.Mode
		primary, reader, configuration string
	}{
		{spec.ModeReplication, "master.rk.cache.amazonaws.com", "replica.rk.cache.amazonaws.com", ""},
		{spec.ModeCluster, "", "", "clustercfg.rk.cache.amazonaws.com"},
	} {
		var got []string
		runAWS(t, func(ctx *pulumi.Context) error {
			rg, err := NewReplicationGroup(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Mode: tc.mode, Zones: zones}))
			if err != nil {
				return err
			}
			pulumi.All(rg.PrimaryEndpoint, rg.ReaderEndpoint, rg.ConfigurationEndpoint, rg.Endpoint).ApplyT(func(v []any) error {
				for _, x := range v {
					got = append(got, x.(string))
				}
				return nil
			})
			return nil
		})
		endpoint := tc.primary
		if tc.mode == spec.ModeCluster {
			endpoint = tc.configuration
		}
		want := []string{tc.primary, tc.reader, tc.configuration, endpoint}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: endpoints %q, want %q", tc.mode, got, want)
		}
	}
}
