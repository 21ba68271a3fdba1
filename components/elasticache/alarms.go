package elasticache

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
)

// MemberClusterIDs are the node (cache cluster) ids ElastiCache gives a replication group's
// members: <group>-001.. outside cluster mode, <group>-0001-001.. (shard, node) in cluster
// mode. CloudWatch publishes per-node metrics under these ids, so alarms must use them.
func MemberClusterIDs(c *spec.Cache) []string {
	var ids []string
	if c.Mode == spec.ModeCluster {
		for s := 1; s <= c.ShardCount(); s++ {
			for n := 1; n <= spec.Int(c.Replicas)+1; n++ {
				ids = append(ids, fmt.Sprintf("%s-%04d-%03d", c.Name, s, n))
			}
		}
		return ids
	}
	for n := 1; n <= spec.Int(c.Replicas)+1; n++ {
		ids = append(ids, fmt.Sprintf("%s-%03d", c.Name, n))
	}
	return ids
}

// AlarmMetric is one alarm per node.
type AlarmMetric struct {
	Key, Metric, Statistic string
	Threshold              float64
	// Missing is CloudWatch's treatMissingData. ReplicationLag is only published by replicas,
	// and roles move on failover, so its absence must not read as a problem.
	Missing string
}

// AlarmMetrics lists the metrics alarmed on, with the cache's thresholds.
func AlarmMetrics(c *spec.Cache) []AlarmMetric {
	a := c.Alarms
	// Data tiering nodes are meant to fill their memory and spill to SSD, so their memory
	// percentage sits near 100 ("Data tiering"); DatabaseCapacityUsagePercentage counts memory
	// and SSD together and is the one to alarm on there.
	memory := "DatabaseMemoryUsagePercentage"
	if c.DataTiering {
		memory = "DatabaseCapacityUsagePercentage"
	}
	ms := []AlarmMetric{
		{"cpu", "EngineCPUUtilization", "Average", a.CPUPercent, "missing"},
		{"memory", memory, "Average", a.MemoryPercent, "missing"},
		{"evictions", "Evictions", "Sum", a.Evictions, "notBreaching"},
		{"connections", "CurrConnections", "Maximum", a.Connections, "missing"},
	}
	if spec.Int(c.Replicas) > 0 {
		ms = append(ms, AlarmMetric{"replication-lag", "ReplicationLag", "Maximum", a.ReplicationLagSeconds, "notBreaching"})
	}
	return ms
}

// newAlarms creates one alarm per node and metric, with ElastiCache's per-node dimensions.
func newAlarms(ctx *pulumi.Context, name string, c *spec.Cache, topic pulumi.StringOutput, deps []pulumi.Resource, parent pulumi.Resource) (int, error) {
	if !spec.Bool(c.Alarms.Enabled) {
		return 0, nil
	}
	count := 0
	for _, node := range MemberClusterIDs(c) {
		for _, m := range AlarmMetrics(c) {
			alarm := node + "-" + m.Key
			_, err := cloudwatch.NewMetricAlarm(ctx, alarm, &cloudwatch.MetricAlarmArgs{
				Name:               pulumi.String(alarm),
				AlarmDescription:   pulumi.Sprintf("rediskit: %s %s of node %s above %v", m.Statistic, m.Metric, node, m.Threshold),
				Namespace:          pulumi.String("AWS/ElastiCache"),
				MetricName:         pulumi.String(m.Metric),
				Statistic:          pulumi.String(m.Statistic),
				Dimensions:         pulumi.StringMap{"CacheClusterId": pulumi.String(node), "CacheNodeId": pulumi.String("0001")},
				ComparisonOperator: pulumi.String("GreaterThanThreshold"),
				Threshold:          pulumi.Float64(m.Threshold),
				Period:             pulumi.Int(c.Alarms.PeriodSeconds),
				EvaluationPeriods:  pulumi.Int(c.Alarms.EvaluationPeriods),
				TreatMissingData:   pulumi.String(m.Missing),
				AlarmActions:       pulumi.Array{topic},
				OkActions:          pulumi.Array{topic},
				Tags:               tags(c, nil),
			}, pulumi.Parent(parent), pulumi.DependsOn(deps))
			if err != nil {
				return count, fmt.Errorf("creating alarm %s: %w", alarm, err)
			}
			count++
		}
	}
	return count, nil
}
