package program_test

import (
	"strings"
	"testing"

	"github.com/rediskit/rediskit/infra/plan"
	"github.com/rediskit/rediskit/infra/program"
	"github.com/rediskit/rediskit/internal/pulumitest"
)

// Each stack file runs through the program under the SDK's mocks (the offline planner covers
// the same stacks against its own monitor in infra/plan).
func TestStacksUnderMocks(t *testing.T) {
	cases := []struct {
		stack                   string
		clusterMode             string
		nodes, groups, replicas float64
		alarms                  int
	}{
		{"dev", "disabled", 1, -1, -1, 4},
		{"staging", "disabled", 3, -1, -1, 15},
		{"prod", "enabled", -1, 3, 2, 45},
	}
	for _, tc := range cases {
		t.Run(tc.stack, func(t *testing.T) {
			cfg, secrets, _, err := plan.StackConfig("../..", tc.stack)
			if err != nil {
				t.Fatal(err)
			}
			m, err := pulumitest.RunStackE(program.Run, tc.stack, cfg, secrets)
			if err != nil {
				t.Fatal(err)
			}
			rg := m.One(t, "aws:elasticache/replicationGroup:ReplicationGroup")
			if rg.Str("clusterMode") != tc.clusterMode || rg.Num("numCacheClusters") != tc.nodes ||
				rg.Num("numNodeGroups") != tc.groups || rg.Num("replicasPerNodeGroup") != tc.replicas {
				t.Errorf("topology: clusterMode=%s numCacheClusters=%v numNodeGroups=%v replicasPerNodeGroup=%v",
					rg.Str("clusterMode"), rg.Num("numCacheClusters"), rg.Num("numNodeGroups"), rg.Num("replicasPerNodeGroup"))
			}
			if rg.Str("replicationGroupId") != "rediskit-"+tc.stack {
				t.Errorf("group id %s", rg.Str("replicationGroupId"))
			}
			if n := len(m.OfType("aws:cloudwatch/metricAlarm:MetricAlarm")); n != tc.alarms {
				t.Errorf("alarms: %d, want %d", n, tc.alarms)
			}
			if !rg.IsSecret("authToken") {
				t.Error("the AUTH token must reach the group as a secret")
			}
		})
	}
}

func stagingConfig(t *testing.T) map[string]string {
	t.Helper()
	cfg, _, _, err := plan.StackConfig("../..", "staging")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// A token that is not a config secret was in the stack file in plain text: refused, unechoed,
// before anything is registered.
func TestPlainTextAuthTokenIsRefused(t *testing.T) {
	cfg := stagingConfig(t)
	cfg[program.AuthTokenKey] = "Plain-Text-Token-1234"
	m, err := pulumitest.RunStackE(program.Run, "staging", cfg, nil)
	want := "invalid stack config of \"staging\": rediskit:authToken: \"(plain text, 21 characters)\" is not allowed; a secret: set it with `pulumi config set --secret rediskit:authToken <token>` so the stack file holds it encrypted"
	// The SDK wraps the program's error; its text is in there whole.
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	if strings.Contains(err.Error(), "Plain-Text") {
		t.Error("the token must not be echoed")
	}
	if len(m.All) != 0 {
		t.Errorf("nothing may be registered: %d", len(m.All))
	}
	m, err = pulumitest.RunStackE(program.Run, "staging", cfg, []string{program.AuthTokenKey})
	if err != nil {
		t.Fatal(err)
	}
	rg := m.One(t, "aws:elasticache/replicationGroup:ReplicationGroup")
	if !rg.IsSecret("authToken") || rg.Str("authToken") != "Plain-Text-Token-1234" {
		t.Errorf("a secret token reaches the group as a secret: secret=%v", rg.IsSecret("authToken"))
	}
	if n := len(m.OfType("random:index/randomPassword:RandomPassword")); n != 0 {
		t.Errorf("a given token is not generated: %d passwords", n)
	}
}

// Keys and types in rediskit:cache / rediskit:network: every problem, with its path, the value
// as written and what the field takes.
func TestConfigTypeErrorsNameFieldAndAllowed(t *testing.T) {
	cfg := map[string]string{
		"rediskit:cache":   `{"name":"rk","replicas":"two","shards":1.5,"engineVersion":8,"zones":"eu-west-1a","snapshots":{"retentionDays":true},"replica":2,"tags":{"team":1}}`,
		"rediskit:network": `{"cidr":10,"allowedCidrs":["10.0.0.0/8"]}`,
	}
	m, err := pulumitest.RunStackE(program.Run, "t", cfg, nil)
	want := `invalid stack config of "t": 9 problems:
  - rediskit:cache.engineVersion: 8 is not allowed; a string (quote numbers in YAML, e.g. "8.0")
  - rediskit:cache.replica: 2 is not allowed; "replica" is not a key of rediskit:cache (did you mean "replicas"?); its keys are ` + cacheKeys + `
  - rediskit:cache.replicas: "two" is not allowed; a whole number
  - rediskit:cache.shards: 1.5 is not allowed; a whole number
  - rediskit:cache.snapshots.retentionDays: true is not allowed; a whole number
  - rediskit:cache.tags.team: 1 is not allowed; a string (quote numbers in YAML, e.g. "8.0")
  - rediskit:cache.zones: "eu-west-1a" is not allowed; a list of strings
  - rediskit:network.allowedCidrs: ["10.0.0.0/8"] is not allowed; an object (a YAML map) of strings
  - rediskit:network.cidr: 10 is not allowed; a string (quote numbers in YAML, e.g. "8.0")`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got:\n%v\nwant:\n%s", err, want)
	}
	if len(m.All) != 0 {
		t.Errorf("nothing may be registered: %d", len(m.All))
	}
	// The AUTH token is no key of the cache object: it would sit in the stack file in the clear.
	_, err = pulumitest.RunStackE(program.Run, "t", map[string]string{"rediskit:cache": `{"name":"rk","auth":{"token":"abcdefghijklmnopq"}}`}, nil)
	if err == nil || !strings.Contains(err.Error(), `rediskit:cache.auth.token: "abcdefghijklmnopq" is not allowed; "token" is not a key of rediskit:cache.auth`) {
		t.Errorf("auth.token in the cache object must be refused: %v", err)
	}
}

const cacheKeys = "alarms, applyImmediately, auth, autoMinorVersionUpgrade, autoScaling, automaticFailover, clusterModeTransition, createGlobalDatastore, dashboard, dataTiering, encryption, engine, engineVersion, environment, globalReplicationGroupId, ipDiscovery, logs, maintenanceWindow, mode, multiAz, name, networkType, nodeQuota, nodeType, notifications, parameterGroupFamily, parameters, port, replicas, selfHosted, serverless, shards, snapshots, tags, zones"
