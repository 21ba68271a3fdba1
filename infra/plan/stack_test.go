package plan

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

const rgType = "aws:elasticache/replicationGroup:ReplicationGroup"

func planStack(t *testing.T, stack string) *Plan {
	t.Helper()
	p, err := Stack("../..", stack)
	if err != nil {
		t.Fatalf("planning %s: %v", stack, err)
	}
	return p
}

func str(m property.Map, k string) string { return m.Get(k).AsString() }
func num(m property.Map, k string) float64 {
	v := m.Get(k)
	if !v.IsNumber() {
		return -1
	}
	return v.AsNumber()
}
func boolean(m property.Map, k string) bool { v := m.Get(k); return v.IsBool() && v.AsBool() }

func TestDevStack(t *testing.T) {
	p := planStack(t, "dev")
	rgs := p.ByType(rgType)
	if len(rgs) != 1 {
		t.Fatalf("one replication group, got %d", len(rgs))
	}
	in := rgs[0].Inputs
	if num(in, "numCacheClusters") != 1 || str(in, "nodeType") != "cache.t4g.small" || num(in, "snapshotRetentionLimit") != 1 {
		t.Errorf("dev is one small burstable node with short retention: %v", in)
	}
	if boolean(in, "multiAzEnabled") || !boolean(in, "applyImmediately") {
		t.Error("dev: no Multi-AZ, changes applied at once")
	}
}

func TestStagingStack(t *testing.T) {
	p := planStack(t, "staging")
	in := p.ByType(rgType)[0].Inputs
	if num(in, "numCacheClusters") != 3 || !boolean(in, "multiAzEnabled") || !boolean(in, "automaticFailoverEnabled") {
		t.Errorf("staging is 1 primary + 2 replicas, Multi-AZ: %v", in)
	}
	azs := in.Get("preferredCacheClusterAzs").AsArray()
	if azs.Len() != 3 || azs.Get(0).AsString() == azs.Get(1).AsString() || azs.Get(1).AsString() == azs.Get(2).AsString() {
		t.Errorf("nodes in distinct zones: %v", azs)
	}
	if n := len(p.ByType("aws:cloudwatch/metricAlarm:MetricAlarm")); n != 15 {
		t.Errorf("3 nodes x 5 alarms, got %d", n)
	}
}

func TestProdStack(t *testing.T) {
	p := planStack(t, "prod")
	in := p.ByType(rgType)[0].Inputs
	if str(in, "clusterMode") != "enabled" || num(in, "numNodeGroups") != 3 || num(in, "replicasPerNodeGroup") != 2 {
		t.Errorf("prod is cluster mode 3 x 2: %v", in)
	}
	if !strings.HasPrefix(str(in, "nodeType"), "cache.r7g.") || !boolean(in, "multiAzEnabled") {
		t.Errorf("prod: r7g nodes, Multi-AZ")
	}
	if !in.Get("authToken").Secret() || !boolean(in, "transitEncryptionEnabled") || !boolean(in, "atRestEncryptionEnabled") {
		t.Error("prod: auth token secret, encryption in transit and at rest")
	}
	if n := len(p.ByType("aws:cloudwatch/metricAlarm:MetricAlarm")); n != 45 {
		t.Errorf("9 nodes x 5 alarms, got %d", n)
	}
	if n := len(p.ByType("aws:ec2/subnet:Subnet")); n != 3 {
		t.Errorf("3 private subnets, got %d", n)
	}
}

// What only the provider can tell stays unknown, and secrets never show.
func TestPlanShowsUnknownsAndHidesSecrets(t *testing.T) {
	p := planStack(t, "prod")
	sg, ok := p.Find("aws:elasticache/subnetGroup:SubnetGroup", "rediskit-prod-subnets")
	if !ok {
		t.Fatal("no subnet group")
	}
	if !sg.Inputs.Get("subnetIds").IsComputed() {
		t.Errorf("subnet ids are only known after apply: %v", sg.Inputs.Get("subnetIds"))
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	if !strings.Contains(out, `"subnetIds":{"$unknown":true}`) || !strings.Contains(out, `"authToken":{"$secret":true}`) {
		t.Errorf("JSON must mark unknowns and secrets")
	}
	if strings.Contains(out, "generated") || strings.Contains(out, placeholderSecret) {
		t.Error("no invented or secret value may appear")
	}
}

func TestPlanRefusesUnknownConfigKeys(t *testing.T) {
	_, err := Run(programForTest, "rediskit", "t", map[string]string{"rediskit:cache": `{"name":"rk","replica":2}`}, nil)
	if err == nil || !strings.Contains(err.Error(), `rediskit:cache.replica: 2 is not allowed; "replica" is not a key of rediskit:cache (did you mean "replicas"?)`) {
		t.Fatalf("a misspelt key must be an error: %v", err)
	}
}

// What a reviewer sees of the replace-safety options and the notification wiring.
func TestPlanShowsLifecycleOptions(t *testing.T) {
	p := planStack(t, "prod")
	rg := p.ByType(rgType)[0]
	if got := strings.Join(rg.Options.IgnoreChanges, ","); got != "snapshotName,snapshotArns" {
		t.Errorf("restore fields must be ignored after creation: ignoreChanges %q", got)
	}
	if !rg.Inputs.Get("finalSnapshotIdentifier").IsComputed() {
		t.Errorf("the final snapshot name carries a suffix drawn at deploy time: %v", rg.Inputs.Get("finalSnapshotIdentifier"))
	}
	if n := len(p.ByType("random:index/randomId:RandomId")); n != 1 {
		t.Errorf("one final-snapshot suffix, got %d", n)
	}
	topic, ok := p.Find("aws:sns/topic:Topic", "rediskit-prod-events")
	if !ok {
		t.Fatal("no event topic")
	}
	if _, enc := topic.Inputs.GetOk("kmsMasterKeyId"); enc {
		t.Error("the event topic must not be encrypted: ElastiCache cannot publish to an encrypted topic")
	}
	if n := len(p.ByType("aws:sns/topicPolicy:TopicPolicy")); n != 1 {
		t.Errorf("one topic policy, got %d", n)
	}
	pg, ok := p.Find("aws:elasticache/parameterGroup:ParameterGroup", "rediskit-prod-params")
	if !ok || str(pg.Inputs, "description") != "rediskit: valkey8 parameters of cache rediskit-prod, cluster mode" {
		t.Errorf("parameter group description: %v", pg.Inputs.Get("description"))
	}
}

func TestPlanRefusesPlainTextToken(t *testing.T) {
	cfg, _, _, err := StackConfig("../..", "staging")
	if err != nil {
		t.Fatal(err)
	}
	cfg["rediskit:authToken"] = "Plain-Text-Token-1234"
	_, err = Run(programForTest, "rediskit", "staging", cfg, nil)
	if err == nil || !strings.Contains(err.Error(), `rediskit:authToken: "(plain text, 21 characters)" is not allowed; a secret`) {
		t.Fatalf("a plain-text token must be refused: %v", err)
	}
	if _, err := Run(programForTest, "rediskit", "staging", cfg, []string{"rediskit:authToken"}); err != nil {
		t.Errorf("the same token as a secret is fine: %v", err)
	}
}
