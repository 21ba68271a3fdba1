// Package elasticache holds rediskit's Pulumi components for AWS ElastiCache (Redis OSS and
// Valkey): the network, subnet group, security group and parameter group a cache needs, and the
// replication group in each deployment mode with its auth, log delivery, notifications and
// alarms. Every constructor resolves and validates its spec before it registers anything.
package elasticache

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
)

// tags are the tags every resource of a cache carries, user tags last so they win.
func tags(c *spec.Cache, extra map[string]string) pulumi.StringMap {
	t := pulumi.StringMap{
		"rediskit:cache":      pulumi.String(c.Name),
		"rediskit:managed-by": pulumi.String("rediskit"),
	}
	if c.Environment != "" {
		t["rediskit:environment"] = pulumi.String(c.Environment)
	}
	for k, v := range extra {
		t[k] = pulumi.String(v)
	}
	for k, v := range c.Tags {
		t[k] = pulumi.String(v)
	}
	return t
}
