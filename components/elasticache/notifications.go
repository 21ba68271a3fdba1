package elasticache

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
)

// newNotificationTopic returns the topic for ElastiCache events and alarm actions: the given
// one, or a topic of the cache's own.
func newNotificationTopic(ctx *pulumi.Context, name string, c *spec.Cache, parent pulumi.Resource) (pulumi.StringOutput, error) {
	if c.Notifications.TopicArn != "" {
		return pulumi.String(c.Notifications.TopicArn).ToStringOutput(), nil
	}
	t, err := sns.NewTopic(ctx, name+"-events", &sns.TopicArgs{
		Name: pulumi.String(c.Name + "-events"),
		// Events and alarm states are operational data; keep them encrypted at rest.
		KmsMasterKeyId: pulumi.String("alias/aws/sns"),
		Tags:           tags(c, nil),
	}, pulumi.Parent(parent))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating notification topic: %w", err)
	}
	return t.Arn, nil
}
