package policies

import (
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

func TestCompliantProductionStackHasNoViolation(t *testing.T) {
	if got := show(Evaluate(stackOf("prod", compliantGroup()), DefaultConfig())); len(got) != 0 {
		t.Fatalf("violations on a compliant stack:\n%v", got)
	}
}

// TestGroupRules changes one input of an otherwise compliant production replication group
// and expects exactly the listed violations.
func TestGroupRules(t *testing.T) {
	cases := []struct {
		name    string
		changes map[string]any
		want    []string
	}{
		{"no at-rest encryption", map[string]any{"atRestEncryptionEnabled": false},
			[]string{"encryption-at-rest mandatory rk-prod: atRestEncryptionEnabled is not true"}},
		{"at-rest absent means off", map[string]any{"atRestEncryptionEnabled": del, "kmsKeyId": del},
			[]string{"encryption-at-rest mandatory rk-prod: atRestEncryptionEnabled is not true"}},
		{"AWS-managed key", map[string]any{"kmsKeyId": del},
			[]string{"customer-managed-kms-key advisory rk-prod: kmsKeyId is not set: the AWS-managed key is used"}},
		{"no TLS", map[string]any{"transitEncryptionEnabled": false, "transitEncryptionMode": del},
			[]string{"encryption-in-transit mandatory rk-prod: transitEncryptionEnabled is not true"}},
		{"TLS preferred", map[string]any{"transitEncryptionMode": "preferred"},
			[]string{`encryption-in-transit mandatory rk-prod: transitEncryptionMode is "preferred", which still accepts plaintext connections; use "required" once clients use TLS`}},
		{"no auth", map[string]any{"authToken": del},
			[]string{"auth mandatory rk-prod: neither authToken nor userGroupIds is set"}},
		{"RBAC instead of token", map[string]any{"authToken": del, "userGroupIds": []string{"rk-users"}}, nil},
		{"generated token not known yet", map[string]any{"authToken": computed}, nil},
		{"no backups", map[string]any{"snapshotRetentionLimit": 0},
			[]string{"automatic-backups advisory rk-prod: snapshotRetentionLimit is 0 days; at least 1 required"}},
		{"minor upgrades off", map[string]any{"autoMinorVersionUpgrade": false},
			[]string{"auto-minor-version-upgrade advisory rk-prod: autoMinorVersionUpgrade is false"}},
		{"no failover", map[string]any{"automaticFailoverEnabled": false, "multiAzEnabled": false},
			[]string{"automatic-failover advisory rk-prod: automaticFailoverEnabled is not true",
				"production-multi-az advisory rk-prod: multiAzEnabled is not true"}},
		{"Multi-AZ on, failover off", map[string]any{"automaticFailoverEnabled": false},
			[]string{"automatic-failover advisory rk-prod: automaticFailoverEnabled is not true",
				"production-multi-az advisory rk-prod: automaticFailoverEnabled is not true (Multi-AZ requires it)"}},
		{"single node", map[string]any{"automaticFailoverEnabled": false, "multiAzEnabled": false, "numCacheClusters": 1, "preferredCacheClusterAzs": del},
			[]string{"automatic-failover advisory rk-prod: automaticFailoverEnabled is not true (and it needs at least one replica: the group has a single node)",
				"production-multi-az advisory rk-prod: no replica: Multi-AZ needs at least 2 nodes per shard"}},
		{"default subnet group", map[string]any{"subnetGroupName": "default"},
			[]string{`subnet-group advisory rk-prod: subnetGroupName is "default"`}},
		{"no subnet group", map[string]any{"subnetGroupName": del},
			[]string{"subnet-group advisory rk-prod: subnetGroupName is not set: the default subnet group is used"}},
		{"old redis", map[string]any{"engine": "redis", "engineVersion": "6.2", "parameterGroupName": "default.redis6.x"},
			[]string{`supported-engine-version advisory rk-prod: redis version "6.2" is not allowed; allowed: 7.1, 7.0`}},
		{"engine not allowed", map[string]any{"engine": "keydb", "engineVersion": "6.3"},
			[]string{`supported-engine-version advisory rk-prod: engine "keydb" is not allowed; allowed: valkey, redis`}},
		{"patch version accepted", map[string]any{"engine": "redis", "engineVersion": "7.1.0", "parameterGroupName": "default.redis7"}, nil},
		{"memcached is not judged", map[string]any{"engine": "memcached", "atRestEncryptionEnabled": false}, nil},
		{"no logs", map[string]any{"logDeliveryConfigurations": del},
			[]string{"log-delivery advisory rk-prod: logDeliveryConfigurations does not deliver slow-log"}},
		{"engine log only", map[string]any{"logDeliveryConfigurations": []map[string]any{{"logType": "engine-log"}}},
			[]string{"log-delivery advisory rk-prod: logDeliveryConfigurations does not deliver slow-log"}},
		{"no topic", map[string]any{"notificationTopicArn": del},
			[]string{"notification-topic advisory rk-prod: notificationTopicArn is not set"}},
		{"no final snapshot", map[string]any{"finalSnapshotIdentifier": del},
			[]string{"final-snapshot advisory rk-prod: finalSnapshotIdentifier is not set"}},
		{"windows overlap", map[string]any{"snapshotWindow": "05:30-06:30"},
			[]string{"maintenance-snapshot-windows advisory rk-prod: snapshotWindow 05:30-06:30 overlaps maintenanceWindow sun:05:00-sun:06:00"}},
		{"windows unset", map[string]any{"snapshotWindow": del, "maintenanceWindow": del},
			[]string{"maintenance-snapshot-windows advisory rk-prod: maintenanceWindow is not set: AWS picks one at random",
				"maintenance-snapshot-windows advisory rk-prod: snapshotWindow is not set: AWS picks one at random"}},
		{"bad window", map[string]any{"maintenanceWindow": "sunday 5am"},
			[]string{`maintenance-snapshot-windows advisory rk-prod: maintenanceWindow "sunday 5am": not in the form ddd:hh24:mi-ddd:hh24:mi in UTC, e.g. sun:05:00-sun:06:00`}},
		{"burstable in prod", map[string]any{"nodeType": "cache.t4g.medium"},
			[]string{"production-node-types advisory rk-prod: nodeType cache.t4g.medium is a burstable family (t4g) in production"}},
		{"previous generation in prod", map[string]any{"nodeType": "cache.r3.large"},
			[]string{"production-node-types advisory rk-prod: nodeType cache.r3.large is a previous-generation family (r3) in production"}},
		{"one AZ", map[string]any{"preferredCacheClusterAzs": []string{"eu-west-1a", "eu-west-1a"}},
			[]string{"production-distinct-azs advisory rk-prod: preferredCacheClusterAzs eu-west-1a, eu-west-1a put every node in one AZ"}},
		{"repeated AZ", map[string]any{"numCacheClusters": 3, "preferredCacheClusterAzs": []string{"eu-west-1a", "eu-west-1b", "eu-west-1a"}},
			[]string{"production-distinct-azs advisory rk-prod: preferredCacheClusterAzs eu-west-1a, eu-west-1b, eu-west-1a repeat an AZ; list one distinct AZ per node where the region has enough"}},
		{"wrong family", map[string]any{"engineVersion": "7.2"},
			[]string{"parameter-group-family advisory rk-prod: parameter group rk-prod-valkey8 has family valkey8; valkey 7.2 needs valkey7"}},
		{"cluster mode without cluster-enabled", map[string]any{"clusterMode": "enabled", "numNodeGroups": 2, "replicasPerNodeGroup": 1, "numCacheClusters": del, "preferredCacheClusterAzs": del},
			[]string{"parameter-group-family advisory rk-prod: cluster mode is enabled but parameter group rk-prod-valkey8 does not set cluster-enabled yes"}},
		{"default cluster group", map[string]any{"clusterMode": "enabled", "numNodeGroups": 2, "replicasPerNodeGroup": 1, "numCacheClusters": del,
			"preferredCacheClusterAzs": del, "parameterGroupName": "default.valkey8.cluster.on"}, nil},
		{"shards pinned badly", map[string]any{"clusterMode": "enabled", "numNodeGroups": 2, "replicasPerNodeGroup": 1, "numCacheClusters": del,
			"preferredCacheClusterAzs": del, "parameterGroupName": "default.valkey8.cluster.on",
			"nodeGroupConfigurations": []map[string]any{
				{"primaryAvailabilityZone": "eu-west-1a", "replicaAvailabilityZones": []string{"eu-west-1a"}},
				{"primaryAvailabilityZone": "eu-west-1a", "replicaAvailabilityZones": []string{"eu-west-1b"}}}},
			[]string{"production-distinct-azs advisory rk-prod: all 2 shard primaries are in eu-west-1a",
				"production-distinct-azs advisory rk-prod: shard 1 has a replica in its primary's AZ eu-west-1a"}},
		{"no alarm dimension match", map[string]any{"replicationGroupId": "rk-other"},
			[]string{"cache-alarms advisory rk-prod: no CloudWatch metric alarm watches this cache"}},
		{"unknown values stay silent", map[string]any{"atRestEncryptionEnabled": computed, "transitEncryptionEnabled": computed,
			"kmsKeyId": computed, "subnetGroupName": computed, "snapshotRetentionLimit": computed, "logDeliveryConfigurations": computed}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := show(Evaluate(stackOf("prod", with(compliantGroup(), tc.changes)), DefaultConfig()))
			want := tc.want
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("violations:\n got  %q\n want %q", got, want)
			}
		})
	}
}

// TestProductionRulesOnlyInProduction: the same burstable single-AZ group draws production
// violations in prod and none in dev.
func TestProductionRulesOnlyInProduction(t *testing.T) {
	g := with(compliantGroup(), map[string]any{"nodeType": "cache.t4g.micro", "multiAzEnabled": false})
	prod := show(Evaluate(stackOf("prod", g), DefaultConfig()))
	want := []string{
		"production-multi-az advisory rk-prod: multiAzEnabled is not true",
		"production-node-types advisory rk-prod: nodeType cache.t4g.micro is a burstable family (t4g) in production",
	}
	if !slices.Equal(prod, want) {
		t.Errorf("prod:\n got  %q\n want %q", prod, want)
	}
	if dev := show(Evaluate(stackOf("dev", g), DefaultConfig())); len(dev) != 0 {
		t.Errorf("dev: %q", dev)
	}
	// A stack named otherwise but declaring prod in its config is production too.
	s := stackOf("eu-main", g)
	s.Config = map[string]string{"rediskit:environment": "prod"}
	if got := show(Evaluate(s, DefaultConfig())); !slices.Equal(got, want) {
		t.Errorf("declared prod:\n got  %q\n want %q", got, want)
	}
	// And a tag does it when configured as the environment key.
	s = stackOf("eu-main", g)
	s.Tags = map[string]string{"env": "production"}
	if got := show(Evaluate(s, mustConfig(t, `{"environment": {"environmentKeys": ["env"]}}`))); !slices.Equal(got, want) {
		t.Errorf("tagged production:\n got  %q\n want %q", got, want)
	}
}

func TestEnvironmentRule(t *testing.T) {
	got := show(Evaluate(stackOf("feature-42", compliantGroup()), DefaultConfig()))
	want := []string{`environment advisory stack feature-42: environment "feature-42" (from stack name) is not one of dev, staging, prod, local; set rediskit:environment to one of them so that production rules apply when they should`}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	s := stackOf("feature-42", compliantGroup())
	s.Config = map[string]string{"rediskit:environment": "dev"}
	if got := show(Evaluate(s, DefaultConfig())); len(got) != 0 {
		t.Errorf("declared dev: %q", got)
	}
}

func TestStandaloneCluster(t *testing.T) {
	cluster := Resource{URN: urnPrefix + "aws:elasticache/cluster:Cluster::solo", Type: "aws:elasticache/cluster:Cluster", Name: "solo",
		Inputs: props(map[string]any{"clusterId": "solo", "engine": "redis", "engineVersion": "7.1", "nodeType": "cache.t3.micro",
			"numCacheNodes": 1, "subnetGroupName": "rk", "snapshotRetentionLimit": 1, "snapshotWindow": "03:00-04:00",
			"maintenanceWindow": "sun:05:00-sun:06:00", "notificationTopicArn": "arn:aws:sns:eu-west-1:1:t", "finalSnapshotIdentifier": "solo-final",
			"transitEncryptionEnabled": true, "securityGroupNames": []string{"classic"},
			"logDeliveryConfigurations": []map[string]any{{"logType": "slow-log"}}})}
	alarm := Resource{URN: urnPrefix + "alarm", Type: TypeMetricAlarm, Name: "solo-cpu",
		Inputs: props(map[string]any{"metricName": "CPUUtilization", "dimensions": map[string]any{"CacheClusterId": "solo"}})}
	got := show(Evaluate(&Stack{Name: "prod", Resources: []Resource{cluster, alarm}}, DefaultConfig()))
	want := []string{
		"auth mandatory solo: a standalone cache cluster supports neither AUTH tokens nor RBAC; use a replication group with authToken or userGroupIds",
		"encryption-at-rest mandatory solo: a standalone cache cluster cannot be encrypted at rest; use a replication group with atRestEncryptionEnabled: true",
		"encryption-in-transit mandatory solo: a standalone Redis OSS/Valkey cache cluster cannot use TLS; use a replication group with transitEncryptionEnabled: true",
		"no-cache-security-groups advisory solo: securityGroupNames classic are EC2-Classic cache security groups; use securityGroupIds",
		"production-multi-az advisory solo: a standalone cache node has no replica; use a replication group with a replica and multiAzEnabled: true",
		"production-node-types advisory solo: nodeType cache.t3.micro is a burstable family (t3) in production",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// A member node of a replication group is judged through its group only.
	member := Resource{URN: urnPrefix + "m", Type: "aws:elasticache/cluster:Cluster", Name: "m",
		Inputs: props(map[string]any{"replicationGroupId": "rk-prod"})}
	if got := show(CheckResource(member, NewContext(&Stack{Name: "prod"}, DefaultConfig()))); len(got) != 0 {
		t.Errorf("member node: %q", got)
	}
}

func TestPublicIngress(t *testing.T) {
	world := []string{"0.0.0.0/0"}
	cases := []struct {
		name   string
		typ    string
		inputs map[string]any
		want   []string
	}{
		{"inline tcp 6379 from world", "aws:ec2/securityGroup:SecurityGroup",
			map[string]any{"ingress": []map[string]any{{"protocol": "tcp", "fromPort": 6379, "toPort": 6379, "cidrBlocks": world}}},
			[]string{"public-ingress mandatory sg: ingress from 0.0.0.0/0 to port 6379 reaches cache port 6379"}},
		{"inline all protocols from ::/0", "aws:ec2/securityGroup:SecurityGroup",
			map[string]any{"ingress": []map[string]any{{"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": []string{"::/0"}}}},
			[]string{"public-ingress mandatory sg: ingress from ::/0 to all ports reaches cache port 6379"}},
		{"inline other port from world", "aws:ec2/securityGroup:SecurityGroup",
			map[string]any{"ingress": []map[string]any{{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": world}}}, nil},
		{"inline private source", "aws:ec2/securityGroup:SecurityGroup",
			map[string]any{"ingress": []map[string]any{{"protocol": "tcp", "fromPort": 6379, "toPort": 6379, "cidrBlocks": []string{"10.0.0.0/8"}}}}, nil},
		{"rule with a range", "aws:ec2/securityGroupRule:SecurityGroupRule",
			map[string]any{"type": "ingress", "protocol": "tcp", "fromPort": 6000, "toPort": 7000, "cidrBlocks": world},
			[]string{"public-ingress mandatory sg: ingress from 0.0.0.0/0 to ports 6000-7000 reaches cache port 6379"}},
		{"egress rule is fine", "aws:ec2/securityGroupRule:SecurityGroupRule",
			map[string]any{"type": "egress", "protocol": "tcp", "fromPort": 6379, "toPort": 6379, "cidrBlocks": world}, nil},
		{"vpc ingress rule", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
			map[string]any{"ipProtocol": "tcp", "fromPort": 6379, "toPort": 6379, "cidrIpv6": "::/0"},
			[]string{"public-ingress mandatory sg: ingress from ::/0 to port 6379 reaches cache port 6379"}},
		{"vpc ingress rule udp", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
			map[string]any{"ipProtocol": "udp", "fromPort": 6379, "toPort": 6379, "cidrIpv4": "0.0.0.0/0"}, nil},
		{"unknown source is silent", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
			map[string]any{"ipProtocol": "tcp", "fromPort": 6379, "toPort": 6379, "cidrIpv4": computed}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Resource{URN: urnPrefix + "sg", Type: tc.typ, Name: "sg", Inputs: props(tc.inputs)}
			got := show(CheckResource(r, NewContext(&Stack{Name: "dev"}, DefaultConfig())))
			want := tc.want
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
	// A cache listening on another port makes that port a cache port.
	g := with(compliantGroup(), map[string]any{"port": 7000})
	sg := res("aws:ec2/securityGroupRule:SecurityGroupRule", "open", map[string]any{"type": "ingress", "protocol": "tcp",
		"fromPort": 7000, "toPort": 7000, "cidrBlocks": world})
	got := show(Evaluate(stackOf("dev", g, sg), DefaultConfig()))
	if !slices.Equal(got, []string{"public-ingress mandatory open: ingress from 0.0.0.0/0 to port 7000 reaches cache port 7000"}) {
		t.Errorf("own port: %q", got)
	}
	// Which part finds it: the rule alone does not know port 7000 (a preview or an audit
	// analyzes each resource alone); the stack part, which sees the cache, does.
	stack := stackOf("dev", g, sg)
	rule := RuleByID("public-ingress")
	if f := rule.CheckResource(sg, NewContext(&Stack{Name: "dev", Resources: []Resource{sg}}, DefaultConfig())); len(f) != 0 {
		t.Errorf("resource part: %v", f)
	}
	want := []Finding{{URN: sg.URN, Message: "ingress from 0.0.0.0/0 to port 7000 reaches cache port 7000"}}
	if f := rule.CheckStack(NewContext(stack, DefaultConfig())); !slices.Equal(f, want) {
		t.Errorf("stack part: %v, want %v", f, want)
	}
	// A range reaching a configured port and the cache's own port is reported once, for the
	// configured port, by the resource part.
	wide := res("aws:ec2/securityGroupRule:SecurityGroupRule", "wide", map[string]any{"type": "ingress", "protocol": "tcp",
		"fromPort": 6000, "toPort": 7000, "cidrBlocks": world})
	got = show(Evaluate(stackOf("dev", g, wide), DefaultConfig()))
	if !slices.Equal(got, []string{"public-ingress mandatory wide: ingress from 0.0.0.0/0 to ports 6000-7000 reaches cache port 6379"}) {
		t.Errorf("range: %q", got)
	}
}

func TestAlarmsAndRequiredMetrics(t *testing.T) {
	cfg := mustConfig(t, `{"cache-alarms": {"requiredMetrics": ["CPUUtilization", "DatabaseMemoryUsagePercentage"]}}`)
	got := show(Evaluate(stackOf("prod", compliantGroup()), cfg))
	want := []string{"cache-alarms advisory rk-prod: no alarm on DatabaseMemoryUsagePercentage"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
	// An alarm that is a sibling in the same component counts even when its dimensions are unknown.
	s := stackOf("prod", compliantGroup())
	s.Resources[2] = res(TypeMetricAlarm, "mem", map[string]any{"metricName": "DatabaseMemoryUsagePercentage", "dimensions": computed})
	s.Resources = append(s.Resources, res(TypeMetricAlarm, "cpu", map[string]any{"metricName": "CPUUtilization"}))
	if got := show(Evaluate(s, cfg)); len(got) != 0 {
		t.Errorf("siblings: %q", got)
	}
}

func TestConfigThresholds(t *testing.T) {
	g := with(compliantGroup(), map[string]any{"snapshotRetentionLimit": 3})
	cfg := mustConfig(t, `{"automatic-backups": {"enforcementLevel": "mandatory", "minRetentionDays": 7}}`)
	got := show(Evaluate(stackOf("prod", g), cfg))
	if want := []string{"automatic-backups mandatory rk-prod: snapshotRetentionLimit is 3 days; at least 7 required"}; !slices.Equal(got, want) {
		t.Errorf("retention: %q", got)
	}
	cfg = mustConfig(t, `{"encryption-at-rest": {"approvedKmsKeyIds": ["arn:aws:kms:eu-west-1:111122223333:key/other"]}}`)
	got = show(Evaluate(stackOf("prod", compliantGroup()), cfg))
	if want := []string{`encryption-at-rest mandatory rk-prod: kmsKeyId "arn:aws:kms:eu-west-1:111122223333:key/1234abcd" is not an approved key; approved: arn:aws:kms:eu-west-1:111122223333:key/other`}; !slices.Equal(got, want) {
		t.Errorf("kms: %q", got)
	}
	cfg = mustConfig(t, `{"encryption-at-rest": {"approvedKmsKeyIds": ["1234abcd"]}}`)
	if got := show(Evaluate(stackOf("prod", compliantGroup()), cfg)); len(got) != 0 {
		t.Errorf("key id matches ARN: %q", got)
	}
	cfg = mustConfig(t, `{"production-node-types": {"allowedFamilies": ["r7g"]}}`)
	got = show(Evaluate(stackOf("prod", with(compliantGroup(), map[string]any{"nodeType": "cache.m7g.large"})), cfg))
	if want := []string{"production-node-types advisory rk-prod: nodeType cache.m7g.large (family m7g) is not allowed in production; allowed families: r7g"}; !slices.Equal(got, want) {
		t.Errorf("allowed families: %q", got)
	}
	cfg = mustConfig(t, `{"supported-engine-version": {"allowedEngines": ["valkey"], "allowedVersions": {"valkey": ["8.1"]}}}`)
	got = show(Evaluate(stackOf("prod", compliantGroup()), cfg))
	if want := []string{`supported-engine-version advisory rk-prod: valkey version "8.2" is not allowed; allowed: 8.1`}; !slices.Equal(got, want) {
		t.Errorf("versions: %q", got)
	}
	// Levels: "all" then a rule's own level; disabled rules do not run.
	cfg = mustConfig(t, `{"all": "advisory", "auth": "disabled", "encryption-in-transit": "mandatory"}`)
	got = show(Evaluate(stackOf("prod", with(compliantGroup(), map[string]any{"authToken": del, "transitEncryptionEnabled": false, "atRestEncryptionEnabled": false})), cfg))
	want := []string{"encryption-at-rest advisory rk-prod: atRestEncryptionEnabled is not true",
		"encryption-in-transit mandatory rk-prod: transitEncryptionEnabled is not true"}
	if !slices.Equal(got, want) {
		t.Errorf("levels: %q", got)
	}
}

// A self-hosted target registers its own type; the cache rules apply to it unchanged.
func TestSelfHostedAdapter(t *testing.T) {
	RegisterCacheType("rediskit:selfhosted:TestCache", func(in property.Map) (CacheView, bool) {
		return CacheView{Role: RoleSelfHosted, TransitEncryption: getBool(in, "tls"), AuthToken: getBool(in, "auth"),
			Persistence: getBool(in, "persistence"), NodeCount: getNumber(in, "nodes"), AtRestEncryption: optBool{Set: true, Value: true},
			SnapshotRetention: optNumber{Set: true, Value: 1}, AutoMinorUpgrade: optBool{Set: true, Value: true},
			FinalSnapshot: optString{Set: true, Value: "f"}}, true
	})
	t.Cleanup(func() { delete(adapters, "rediskit:selfhosted:TestCache") })
	r := Resource{URN: "urn:pulumi:staging::rediskit::rediskit:selfhosted:TestCache::local", Type: "rediskit:selfhosted:TestCache", Name: "local",
		Inputs: props(map[string]any{"tls": false, "auth": false, "persistence": false, "nodes": 1})}
	got := show(Evaluate(&Stack{Name: "staging", Resources: []Resource{r}}, DefaultConfig()))
	want := []string{
		"auth mandatory local: authentication is not enabled",
		"encryption-in-transit mandatory local: TLS is not enabled",
		`persistence advisory local: persistence is off in environment "staging"; only dev may run without it`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// dev may run without persistence: only the security rules remain.
	got = show(Evaluate(&Stack{Name: "dev", Resources: []Resource{r}}, DefaultConfig()))
	want = []string{
		"auth mandatory local: authentication is not enabled",
		"encryption-in-transit mandatory local: TLS is not enabled",
	}
	if !slices.Equal(got, want) {
		t.Errorf("dev:\n got  %q\nwant %q", got, want)
	}
}

func TestServerlessCache(t *testing.T) {
	typ := "aws:elasticache/serverlessCache:ServerlessCache"
	good := map[string]any{"name": "rk-sls", "engine": "valkey", "majorEngineVersion": "8", "kmsKeyId": "arn:aws:kms:eu-west-1:1:key/k",
		"subnetIds": []string{"subnet-1", "subnet-2"}, "securityGroupIds": []string{"sg-1"}, "snapshotRetentionLimit": 7,
		"dailySnapshotTime": "03:00", "userGroupId": "rk-users"}
	alarm := Resource{URN: urnPrefix + "a", Type: TypeMetricAlarm, Name: "rk-sls-ecpu",
		Inputs: props(map[string]any{"metricName": "ElastiCacheProcessingUnits", "dimensions": map[string]any{"clusterId": "rk-sls"}})}
	cases := []struct {
		name    string
		changes map[string]any
		want    []string
	}{
		{"compliant", nil, []string{}},
		{"no user group", map[string]any{"userGroupId": del},
			[]string{"auth mandatory rk-sls: neither authToken nor userGroupIds is set"}},
		{"default subnets", map[string]any{"subnetIds": del},
			[]string{"subnet-group advisory rk-sls: subnetIds is not set: the default VPC's subnets are used"}},
		{"AWS-managed key, no snapshots", map[string]any{"kmsKeyId": del, "snapshotRetentionLimit": del},
			[]string{"automatic-backups advisory rk-sls: snapshotRetentionLimit is 0 days; at least 1 required",
				"customer-managed-kms-key advisory rk-sls: kmsKeyId is not set: the AWS-managed key is used"}},
		{"old major", map[string]any{"engine": "redis", "majorEngineVersion": "6"},
			[]string{`supported-engine-version advisory rk-sls: redis version "6" is not allowed; allowed: 7.1, 7.0`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Resource{URN: urnPrefix + typ + "::rk-sls", Type: typ, Name: "rk-sls", Inputs: props(with(good, tc.changes))}
			got := show(Evaluate(&Stack{Name: "prod", Resources: []Resource{r, alarm}}, DefaultConfig()))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestParameterGroupJoins(t *testing.T) {
	// The group's name is unknown (generated during a preview): it is found through the
	// cache's dependency on it.
	g := with(compliantGroup(), map[string]any{"parameterGroupName": computed})
	s := stackOf("prod", g)
	s.Resources[1] = res(TypeParameterGroup, "pg", map[string]any{"name": computed, "family": "redis7"})
	s.Resources[1].Parent = ""
	s.Resources[0].DependsOn = []string{s.Resources[1].URN}
	want := []string{"parameter-group-family advisory rk-prod: parameter group pg has family redis7; valkey 8.2 needs valkey8"}
	if got := show(Evaluate(s, DefaultConfig())); !slices.Equal(got, want) {
		t.Errorf("by dependency: got %q want %q", got, want)
	}
	// A default group names its family.
	g = with(compliantGroup(), map[string]any{"parameterGroupName": "default.redis7"})
	want = []string{"parameter-group-family advisory rk-prod: parameter group default.redis7 has family redis7; valkey 8.2 needs valkey8"}
	if got := show(Evaluate(stackOf("prod", g), DefaultConfig())); !slices.Equal(got, want) {
		t.Errorf("default group: got %q want %q", got, want)
	}
	// cluster-enabled yes on a cache that is not in cluster mode.
	s = stackOf("prod", compliantGroup())
	s.Resources[1].Inputs = props(with(compliantParamGroup(), map[string]any{"parameters": []map[string]any{{"name": "cluster-enabled", "value": "yes"}}}))
	want = []string{"parameter-group-family advisory rk-prod: parameter group rk-prod-valkey8 sets cluster-enabled yes but the cache is not in cluster mode"}
	if got := show(Evaluate(s, DefaultConfig())); !slices.Equal(got, want) {
		t.Errorf("cluster-enabled without cluster mode: got %q want %q", got, want)
	}
	// No parameter group at all: the engine's default group is right by construction.
	if got := show(Evaluate(stackOf("prod", with(compliantGroup(), map[string]any{"parameterGroupName": del})), DefaultConfig())); len(got) != 0 {
		t.Errorf("no group: %q", got)
	}
}

func TestClassicCacheSecurityGroupResource(t *testing.T) {
	r := Resource{URN: urnPrefix + "csg", Type: "aws:elasticache/securityGroup:SecurityGroup", Name: "classic",
		Inputs: props(map[string]any{"securityGroupNames": []string{"default"}})}
	got := show(CheckResource(r, NewContext(&Stack{Name: "dev"}, DefaultConfig())))
	want := []string{"no-cache-security-groups advisory classic: an ElastiCache (EC2-Classic) security group is declared; use a VPC security group"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
}

func TestEnvironmentFromResourceTags(t *testing.T) {
	g := with(compliantGroup(), map[string]any{"nodeType": "cache.t3.small", "tags": map[string]any{"rediskit:environment": "prod"}})
	got := show(Evaluate(stackOf("eu-main", g), DefaultConfig()))
	want := []string{"production-node-types advisory rk-prod: nodeType cache.t3.small is a burstable family (t3) in production"}
	if !slices.Equal(got, want) {
		t.Errorf("tagged prod: got %q want %q", got, want)
	}
	// Resources that disagree decide nothing: the stack name does.
	other := res(TypeMetricAlarm, "x", map[string]any{"tags": map[string]any{"rediskit:environment": "dev"}})
	got = show(Evaluate(stackOf("dev", g, other), DefaultConfig()))
	if len(got) != 0 {
		t.Errorf("disagreeing tags: %q", got)
	}
}

func TestSelfHostedDeploymentView(t *testing.T) {
	typ := TypeSelfHostedDeployment
	good := map[string]any{"name": "rk-local", "mode": "cluster", "shards": 3, "replicasPerShard": 1, "engine": "valkey", "engineVersion": "8.0",
		"zones": []string{"zone-a", "zone-b", "zone-c"}, "authMode": "token", "authToken": secret("0123456789abcdef0123"),
		"tls": true, "tlsMode": "required", "persistence": "rdb+aof", "snapshotRetentionDays": 7, "snapshotWindow": "03:00-04:00",
		"finalSnapshot": true, "driver": "process", "metricsPort": 9121}
	cases := []struct {
		name, stack string
		changes     map[string]any
		want        []string
	}{
		{"compliant prod", "prod", nil, []string{}},
		{"unknown persistence in prod", "prod", map[string]any{"persistence": "sometimes"},
			[]string{`persistence advisory rk-local: persistence is off in environment "prod"; only dev may run without it`}},
		{"TLS off in prod", "prod", map[string]any{"tls": false, "tlsMode": del},
			[]string{"encryption-in-transit mandatory rk-local: TLS is not enabled"}},
		{"TLS preferred", "dev", map[string]any{"tlsMode": "preferred"},
			[]string{`encryption-in-transit mandatory rk-local: tlsMode is "preferred", which still accepts plaintext connections; use "required" once clients use TLS`}},
		{"no auth", "dev", map[string]any{"authMode": "none", "authToken": del},
			[]string{"auth mandatory rk-local: authentication is not enabled"}},
		{"RBAC users count as auth", "dev", map[string]any{"authMode": "rbac", "authToken": del}, []string{}},
		{"no persistence in staging", "staging", map[string]any{"persistence": "none"},
			[]string{`persistence advisory rk-local: persistence is off in environment "staging"; only dev may run without it`}},
		{"no persistence in dev", "dev", map[string]any{"persistence": "none"}, []string{}},
		{"one zone in prod", "prod", map[string]any{"zones": []string{"zone-a"}},
			[]string{"production-distinct-azs advisory rk-local: all 3 shard primaries are in zone-a",
				"production-distinct-azs advisory rk-local: shard 1 has a replica in its primary's AZ zone-a",
				"production-distinct-azs advisory rk-local: shard 2 has a replica in its primary's AZ zone-a",
				"production-distinct-azs advisory rk-local: shard 3 has a replica in its primary's AZ zone-a"}},
		{"no replica in prod", "prod", map[string]any{"replicasPerShard": 0},
			[]string{"production-multi-az advisory rk-local: no replica: Multi-AZ needs at least 2 nodes per shard"}},
		{"no snapshots, no final snapshot", "dev", map[string]any{"snapshotRetentionDays": 0, "finalSnapshot": false},
			[]string{"automatic-backups advisory rk-local: snapshotRetentionDays is 0 days; at least 1 required",
				"final-snapshot advisory rk-local: finalSnapshot is not true"}},
		{"no metrics endpoint", "dev", map[string]any{"metricsPort": del},
			[]string{"cache-alarms advisory rk-local: no metrics endpoint: set selfHosted.metricsPort so that its metrics (CloudWatch's names) can be scraped and alarmed on"}},
		{"metrics port 0", "prod", map[string]any{"metricsPort": 0},
			[]string{"cache-alarms advisory rk-local: no metrics endpoint: set selfHosted.metricsPort so that its metrics (CloudWatch's names) can be scraped and alarmed on"}},
		{"old engine", "dev", map[string]any{"engine": "redis", "engineVersion": "6.2"},
			[]string{`supported-engine-version advisory rk-local: redis version "6.2" is not allowed; allowed: 7.1, 7.0`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Resource{URN: "urn:pulumi:" + tc.stack + "::rediskit::" + typ + "::rk-local", Type: typ, Name: "rk-local", Inputs: props(with(good, tc.changes))}
			got := show(Evaluate(&Stack{Name: tc.stack, Resources: []Resource{r}}, DefaultConfig()))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestEnvironmentFromSelfHostedDeployment(t *testing.T) {
	r := Resource{URN: "urn:pulumi:eu-box::rediskit::" + TypeSelfHostedDeployment + "::rk", Type: TypeSelfHostedDeployment, Name: "rk",
		Inputs: props(map[string]any{"environment": "prod", "authMode": "token", "tls": true, "persistence": "rdb", "snapshotRetentionDays": 1,
			"finalSnapshot": true, "replicasPerShard": 0, "metricsPort": 9121})}
	got := show(Evaluate(&Stack{Name: "eu-box", Resources: []Resource{r}}, DefaultConfig()))
	want := []string{"production-multi-az advisory rk: no replica: Multi-AZ needs at least 2 nodes per shard"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
}

// TestConfigEffects: one exact case for each setting not covered by TestConfigThresholds.
func TestConfigEffects(t *testing.T) {
	world := []string{"0.0.0.0/0"}
	open6380 := res("aws:ec2/securityGroupRule:SecurityGroupRule", "open", map[string]any{"type": "ingress", "protocol": "tcp",
		"fromPort": 6380, "toPort": 6380, "cidrBlocks": world})
	open6379 := res("aws:ec2/securityGroupRule:SecurityGroupRule", "open", map[string]any{"type": "ingress", "protocol": "tcp",
		"fromPort": 6379, "toPort": 6379, "cidrBlocks": world})
	burstable := with(compliantGroup(), map[string]any{"nodeType": "cache.t4g.small"})
	selfHosted := Resource{URN: "urn:pulumi:dev::rediskit::" + TypeSelfHostedDeployment + "::rk", Type: TypeSelfHostedDeployment, Name: "rk",
		Inputs: props(map[string]any{"authMode": "token", "tls": true, "persistence": "none", "snapshotRetentionDays": 1,
			"finalSnapshot": true, "replicasPerShard": 1, "zones": []string{"a", "b"}, "metricsPort": 9121})}
	cases := []struct {
		name, config string
		stack        *Stack
		want         []string
	}{
		{"allowPreferredMode accepts preferred", `{"encryption-in-transit": {"allowPreferredMode": true}}`,
			stackOf("prod", with(compliantGroup(), map[string]any{"transitEncryptionMode": "preferred"})), []string{}},
		{"public-ingress.ports names another port", `{"public-ingress": {"ports": [6380]}}`,
			stackOf("dev", compliantGroup(), open6380),
			[]string{"public-ingress mandatory open: ingress from 0.0.0.0/0 to port 6380 reaches cache port 6380"}},
		{"public-ingress.ports replaces the default", `{"public-ingress": {"ports": [6380]}}`,
			stackOf("dev", compliantGroup(), open6379), []string{}},
		{"requiredLogTypes adds the engine log", `{"log-delivery": {"requiredLogTypes": ["slow-log", "engine-log"]}}`,
			stackOf("prod", compliantGroup()),
			[]string{"log-delivery advisory rk-prod: logDeliveryConfigurations does not deliver engine-log"}},
		{"deniedFamilies changed", `{"production-node-types": {"deniedFamilies": ["r7g"]}}`,
			stackOf("prod", compliantGroup()),
			[]string{"production-node-types advisory rk-prod: nodeType cache.r7g.large is a denied family (r7g) in production"}},
		{"deniedFamilies without t4g allows it", `{"production-node-types": {"deniedFamilies": ["t2"]}}`,
			stackOf("prod", burstable), []string{}},
		{"productionStacks names another stack", `{"environment": {"productionStacks": ["eu-main"]}}`,
			stackOf("eu-main", burstable),
			[]string{"production-node-types advisory rk-prod: nodeType cache.t4g.small is a burstable family (t4g) in production"}},
		{"productionEnvironments names another environment", `{"environment": {"productionEnvironments": ["live"], "knownEnvironments": ["dev", "live"]}}`,
			&Stack{Name: "eu-main", Config: map[string]string{"rediskit:environment": "live"}, Resources: stackOf("eu-main", burstable).Resources},
			[]string{"production-node-types advisory rk-prod: nodeType cache.t4g.small is a burstable family (t4g) in production"}},
		{"knownEnvironments without staging", `{"environment": {"knownEnvironments": ["dev", "qa"]}}`,
			stackOf("staging", compliantGroup()),
			[]string{`environment advisory stack staging: environment "staging" (from stack name) is not one of dev, qa; set rediskit:environment to one of them so that production rules apply when they should`}},
		{"nonPersistentEnvironments without dev", `{"persistence": {"nonPersistentEnvironments": ["staging"]}}`,
			&Stack{Name: "dev", Resources: []Resource{selfHosted}},
			[]string{`persistence advisory rk: persistence is off in environment "dev"; only staging may run without it`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := show(Evaluate(tc.stack, mustConfig(t, tc.config)))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	// The same stacks under the default config, so each case above shows a change.
	for _, tc := range []struct {
		stack *Stack
		want  []string
	}{
		{stackOf("prod", with(compliantGroup(), map[string]any{"transitEncryptionMode": "preferred"})),
			[]string{`encryption-in-transit mandatory rk-prod: transitEncryptionMode is "preferred", which still accepts plaintext connections; use "required" once clients use TLS`}},
		{stackOf("dev", compliantGroup(), open6380), []string{}},
		{stackOf("eu-main", burstable),
			[]string{`environment advisory stack eu-main: environment "eu-main" (from stack name) is not one of dev, staging, prod, local; set rediskit:environment to one of them so that production rules apply when they should`}},
		{&Stack{Name: "dev", Resources: []Resource{selfHosted}}, []string{}},
	} {
		if got := show(Evaluate(tc.stack, DefaultConfig())); !slices.Equal(got, tc.want) {
			t.Errorf("default config on %s:\n got  %q\nwant %q", tc.stack.Name, got, tc.want)
		}
	}
}

func TestSubnetGroupMultiAZ(t *testing.T) {
	subnet := func(name, az string) Resource {
		r := res(TypeSubnet, name, map[string]any{"availabilityZone": az, "cidrBlock": "10.0.0.0/24"})
		if az == "" {
			r.Inputs = props(map[string]any{"availabilityZone": computed})
		}
		return r
	}
	group := func(ids any, deps ...Resource) Resource {
		g := res(TypeSubnetGroup, "rk-subnets", map[string]any{"name": "rk-prod", "subnetIds": ids})
		for _, d := range deps {
			g.DependsOn = append(g.DependsOn, d.URN)
		}
		return g
	}
	a, a2, b, unknownAZ := subnet("net-a", "eu-west-1a"), subnet("net-a2", "eu-west-1a"), subnet("net-b", "eu-west-1b"), subnet("net-x", "")
	cases := []struct {
		name, stack string
		extra       []Resource
		want        []string
	}{
		{"two subnets", "prod", []Resource{group([]string{"subnet-1", "subnet-2"})}, []string{}},
		{"one subnet", "prod", []Resource{group([]string{"subnet-1"})},
			[]string{"subnet-group-multi-az advisory rk-subnets: subnetIds lists one subnet (subnet-1): no other AZ for a replica; list private subnets in at least two AZs"}},
		{"one subnet twice", "prod", []Resource{group([]string{"subnet-1", "subnet-1"})},
			[]string{"subnet-group-multi-az advisory rk-subnets: subnetIds lists one subnet (subnet-1): no other AZ for a replica; list private subnets in at least two AZs"}},
		{"one subnet in dev", "dev", []Resource{group([]string{"subnet-1"})}, []string{}},
		{"unknown ids, subnets in one AZ", "prod", []Resource{a, a2, group(computed, a, a2)},
			[]string{"subnet-group-multi-az advisory rk-subnets: its subnets (net-a, net-a2) are all in eu-west-1a: no other AZ for a replica"}},
		{"one subnet and its one AZ: reported once", "prod", []Resource{a, group([]string{"subnet-1"}, a)},
			[]string{"subnet-group-multi-az advisory rk-subnets: subnetIds lists one subnet (subnet-1): no other AZ for a replica; list private subnets in at least two AZs"}},
		{"unknown ids, subnets in two AZs", "prod", []Resource{a, b, group(computed, a, b)}, []string{}},
		{"an unknown AZ says nothing", "prod", []Resource{a, unknownAZ, group(computed, a, unknownAZ)}, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := show(Evaluate(stackOf(tc.stack, compliantGroup(), tc.extra...), DefaultConfig()))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// In production, password users draw an advisory to move to IAM; IAM users, the disabled
// default user and non-production stacks do not.
func TestIAMUsersPreferredInProduction(t *testing.T) {
	pw := res(TypeUser, "app", map[string]any{"userName": "app", "authenticationMode": map[string]any{"type": "password"}})
	iam := res(TypeUser, "reporting", map[string]any{"userName": "reporting", "authenticationMode": map[string]any{"type": "iam"}})
	def := res(TypeUser, "default", map[string]any{"userName": "default", "authenticationMode": map[string]any{"type": "password"}})
	got := show(Evaluate(stackOf("prod", compliantGroup(), pw, iam, def), DefaultConfig()))
	if !slices.Equal(got, []string{"iam-users advisory app: user app authenticates with a password; prefer authenticationMode iam"}) {
		t.Errorf("prod: %q", got)
	}
	if got := show(Evaluate(stackOf("dev", compliantGroup(), pw), DefaultConfig())); len(got) != 0 {
		t.Errorf("dev: %q", got)
	}
}
