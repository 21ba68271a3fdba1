package elasticache

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/inputs"
	"github.com/rediskit/rediskit/components/spec"
)

// newNotificationTopic returns the topic for ElastiCache events and alarm actions: the given
// one, or a topic of the cache's own with a policy that lets both publishers in.
//
// The topic is not encrypted at rest, on purpose. ElastiCache cannot publish events to an
// encrypted topic, not even one under a customer-managed key: it marks the topic inactive and
// drops it from the group (AWS's "Event Notifications and Amazon SNS" requirements). And with
// the AWS-managed key alias/aws/sns, CloudWatch cannot publish alarms either, since that key's
// policy cannot grant cloudwatch.amazonaws.com. Events and alarm states carry no cache data.
func newNotificationTopic(ctx *pulumi.Context, name string, c *spec.Cache, w *inputs.Wired, parent pulumi.Resource) (pulumi.StringOutput, error) {
	if c.Notifications.TopicArn != "" {
		return w.String(inputs.NotificationTopicArn, c.Notifications.TopicArn).ToStringOutput(), nil
	}
	t, err := sns.NewTopic(ctx, name+"-events", &sns.TopicArgs{
		Name: pulumi.String(c.Name + "-events"),
		Tags: tags(c, nil),
	}, pulumi.Parent(parent))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating notification topic: %w", err)
	}
	policy := t.Arn.ApplyT(func(arn string) (string, error) { return TopicPolicy(c.Name, arn) }).(pulumi.StringOutput)
	if _, err := sns.NewTopicPolicy(ctx, name+"-events", &sns.TopicPolicyArgs{
		Arn:    t.Arn,
		Policy: policy,
	}, pulumi.Parent(parent)); err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating notification topic policy: %w", err)
	}
	return t.Arn, nil
}

// TopicPolicy is the access policy of a cache's event topic (ARN arn:<partition>:sns:<region>:
// <account>:<name>): the account keeps managing the topic, ElastiCache publishes events under the
// condition AWS documents for it (AWS:SourceOwner; it does not support aws:SourceAccount and
// would deactivate the topic), and CloudWatch publishes the state changes of this cache's
// alarms (<cache>-*) in this account only.
func TopicPolicy(cache, topicArn string) (string, error) {
	parts := strings.SplitN(topicArn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[4] == "" {
		return "", fmt.Errorf("building the policy of topic %q: not an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)", topicArn)
	}
	partition, region, account := parts[1], parts[3], parts[4]
	type obj = map[string]any
	doc := obj{
		"Version": "2012-10-17",
		"Id":      "rediskit-" + cache + "-events",
		"Statement": []obj{
			{
				"Sid":       "AccountManagesTopic",
				"Effect":    "Allow",
				"Principal": obj{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", partition, account)},
				"Action": []string{"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
					"SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"},
				"Resource": topicArn,
			},
			{
				"Sid":       "ElastiCacheEvents",
				"Effect":    "Allow",
				"Principal": obj{"AWS": "*"},
				"Action":    "SNS:Publish",
				"Resource":  topicArn,
				"Condition": obj{"StringEquals": obj{"AWS:SourceOwner": account}},
			},
			{
				"Sid":       "CloudWatchAlarms",
				"Effect":    "Allow",
				"Principal": obj{"Service": "cloudwatch.amazonaws.com"},
				"Action":    "SNS:Publish",
				"Resource":  topicArn,
				"Condition": obj{
					"StringEquals": obj{"aws:SourceAccount": account},
					"ArnLike":      obj{"aws:SourceArn": fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s-*", partition, region, account, cache)},
				},
			},
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("encoding the policy of topic %q: %w", topicArn, err)
	}
	return string(b), nil
}
