package elasticache

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
)

func TestAutoScalingShardsAndReplicas(t *testing.T) {
	m := runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewShardedCluster(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones, Shards: ip(3), Replicas: ip(1),
			AutoScaling: spec.AutoScaling{
				Shards:   &spec.ScalingPolicy{Min: 2, Max: 10, Metric: "memory", Target: 65},
				Replicas: &spec.ScalingPolicy{Min: 1, Max: 3},
			}}))
		return err
	})
	targets := map[string]bool{}
	for _, tg := range m.OfType("aws:appautoscaling/target:Target") {
		if tg.Str("serviceNamespace") != "elasticache" || tg.Str("resourceId") != "replication-group/rk" {
			t.Errorf("target %v", tg.Inputs)
		}
		targets[tg.Str("scalableDimension")+" "+tg.Str("minCapacity")+"-"+tg.Str("maxCapacity")] = true
	}
	if !targets["elasticache:replication-group:NodeGroups 2-10"] || !targets["elasticache:replication-group:Replicas 1-3"] {
		t.Fatalf("targets %v", targets)
	}
	policies := map[string]string{}
	for _, p := range m.OfType("aws:appautoscaling/policy:Policy") {
		cfg := p.Inputs["targetTrackingScalingPolicyConfiguration"].ObjectValue()
		policies[p.Str("scalableDimension")] = cfg["predefinedMetricSpecification"].ObjectValue()["predefinedMetricType"].StringValue() + " " + p.Str("policyType") + " " + cfg["targetValue"].String()
	}
	if policies["elasticache:replication-group:NodeGroups"] != "ElastiCacheDatabaseMemoryUsageCountedForEvictPercentage TargetTrackingScaling {65}" ||
		policies["elasticache:replication-group:Replicas"] != "ElastiCacheReplicaEngineCPUUtilization TargetTrackingScaling {60}" {
		t.Fatalf("policies %v", policies)
	}
	// The counts are auto scaling's now: the group must not set them back on the next up.
	if got := strings.Join(m.options(t, rgType, "rk").GetIgnoreChanges(), ","); got != "snapshotName,snapshotArns,numNodeGroups,replicasPerNodeGroup" {
		t.Fatalf("ignoreChanges %s", got)
	}
}
