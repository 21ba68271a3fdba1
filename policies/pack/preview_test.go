package pack_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elasticache"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/infra/plan"
	"github.com/rediskit/rediskit/infra/program"
)

// TestPreviewOurStacks runs `pulumi preview --policy-pack` on the real rediskit program for
// each of our stacks, with stand-in AWS/random plugins: every ElastiCache resource reaches the
// pack as the engine would send it. They pass every mandatory rule; the advisories are the
// expected ones (docs/policies.md, "Our stacks").
func TestPreviewOurStacks(t *testing.T) {
	needCLI(t)
	want := map[string][]string{
		"dev": {
			"automatic-failover advisory: automaticFailoverEnabled is not true (and it needs at least one replica: the group has a single node)",
			"customer-managed-kms-key advisory: kmsKeyId is not set: the AWS-managed key is used",
		},
		"staging": {"customer-managed-kms-key advisory: kmsKeyId is not set: the AWS-managed key is used"},
		"prod":    {"customer-managed-kms-key advisory: kmsKeyId is not set: the AWS-managed key is used"},
	}
	for _, stack := range []string{"dev", "staging", "prod"} {
		t.Run(stack, func(t *testing.T) {
			cfg, secrets, _, err := plan.StackConfig(repoRoot, stack)
			if err != nil {
				t.Fatal(err)
			}
			cm := auto.ConfigMap{}
			for k, v := range cfg {
				cm[k] = auto.ConfigValue{Value: v, Secret: slices.Contains(secrets, k)}
			}
			got, err := previewProgram(t, stack, program.Run, cm, "")
			if err != nil {
				t.Fatalf("preview: %v", err)
			}
			if !slices.Equal(got, want[stack]) {
				t.Errorf("events:\n got  %q\n want %q", got, want[stack])
			}
		})
	}
}

// TestPreviewBlocksInsecureCache: a replication group without encryption or AUTH, declared
// directly with the AWS SDK, fails the preview on the mandatory rules.
func TestPreviewBlocksInsecureCache(t *testing.T) {
	needCLI(t)
	prog := func(ctx *pulumi.Context) error {
		_, err := elasticache.NewReplicationGroup(ctx, "legacy", &elasticache.ReplicationGroupArgs{
			Description:        pulumi.String("hand-made"),
			Engine:             pulumi.String("redis"),
			EngineVersion:      pulumi.String("7.1"),
			NodeType:           pulumi.String("cache.t3.micro"),
			NumCacheClusters:   pulumi.Int(1),
			SubnetGroupName:    pulumi.String("legacy"),
			SnapshotWindow:     pulumi.String("03:00-04:00"),
			MaintenanceWindow:  pulumi.String("sun:03:30-sun:04:30"),
			ParameterGroupName: pulumi.String("default.redis7"),
		})
		return err
	}
	got, err := previewProgram(t, "prod", prog, nil, "")
	want := []string{
		"auth mandatory: neither authToken nor userGroupIds is set",
		"automatic-backups advisory: snapshotRetentionLimit is 0 days; at least 1 required",
		"automatic-failover advisory: automaticFailoverEnabled is not true (and it needs at least one replica: the group has a single node)",
		"cache-alarms advisory: no CloudWatch metric alarm watches this cache",
		"encryption-at-rest mandatory: atRestEncryptionEnabled is not true",
		"encryption-in-transit mandatory: transitEncryptionEnabled is not true",
		"final-snapshot advisory: finalSnapshotIdentifier is not set",
		"log-delivery advisory: logDeliveryConfigurations does not deliver slow-log",
		"notification-topic advisory: notificationTopicArn is not set",
		"production-multi-az advisory: no replica: Multi-AZ needs at least 2 nodes per shard",
		"production-node-types advisory: nodeType cache.t3.micro is a burstable family (t3) in production",
	}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n got  %q\n want %q", got, want)
	}
	if err == nil || !strings.Contains(err.Error(), "mandatory") {
		t.Errorf("want the preview to fail on mandatory violations, got %v", err)
	}
}
