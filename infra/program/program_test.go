package program_test

import (
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
