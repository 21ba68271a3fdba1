package elasticache

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/appautoscaling"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
)

// Scalable dimensions of a replication group ("Registering a scalable target").
const (
	shardsDimension   = "elasticache:replication-group:NodeGroups"
	replicasDimension = "elasticache:replication-group:Replicas"
)

// AutoScaledFields are the replication group inputs Application Auto Scaling owns once a policy
// scales them: without ignoring them, every `pulumi up` would set the count back.
func AutoScaledFields(c *spec.Cache) []string {
	var out []string
	if c.AutoScaling.Shards != nil {
		out = append(out, "numNodeGroups")
	}
	if c.AutoScaling.Replicas != nil {
		out = append(out, "replicasPerNodeGroup")
	}
	return out
}

// newAutoScaling registers the group's shards and/or replicas as scalable targets, each with a
// target-tracking policy on the chosen predefined metric.
func newAutoScaling(ctx *pulumi.Context, name string, c *spec.Cache, groupID pulumi.StringOutput, parent pulumi.Resource) error {
	for _, d := range []struct {
		key, dimension string
		p              *spec.ScalingPolicy
	}{{"shards", shardsDimension, c.AutoScaling.Shards}, {"replicas", replicasDimension, c.AutoScaling.Replicas}} {
		if d.p == nil {
			continue
		}
		resourceID := pulumi.Sprintf("replication-group/%s", groupID)
		tgt, err := appautoscaling.NewTarget(ctx, name+"-scaling-"+d.key, &appautoscaling.TargetArgs{
			ServiceNamespace:  pulumi.String("elasticache"),
			ResourceId:        resourceID,
			ScalableDimension: pulumi.String(d.dimension),
			MinCapacity:       pulumi.Int(d.p.Min),
			MaxCapacity:       pulumi.Int(d.p.Max),
			Tags:              tags(c, nil),
		}, pulumi.Parent(parent))
		if err != nil {
			return fmt.Errorf("registering %s as a scalable target: %w", d.key, err)
		}
		if _, err := appautoscaling.NewPolicy(ctx, name+"-scaling-"+d.key, &appautoscaling.PolicyArgs{
			Name:              pulumi.Sprintf("%s-%s-%s", c.Name, d.key, d.p.Metric),
			PolicyType:        pulumi.String("TargetTrackingScaling"),
			ServiceNamespace:  tgt.ServiceNamespace,
			ResourceId:        tgt.ResourceId,
			ScalableDimension: tgt.ScalableDimension,
			TargetTrackingScalingPolicyConfiguration: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs{
				PredefinedMetricSpecification: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs{
					PredefinedMetricType: pulumi.String(spec.ScalingMetrics[d.key][d.p.Metric]),
				},
				TargetValue: pulumi.Float64(d.p.Target),
			},
		}, pulumi.Parent(parent)); err != nil {
			return fmt.Errorf("creating the %s scaling policy: %w", d.key, err)
		}
	}
	return nil
}
