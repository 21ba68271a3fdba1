package elasticache

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elasticache"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/inputs"
	"github.com/rediskit/rediskit/components/spec"
)

// LogGroupName is where a cache's log of a kind (slow-log, engine-log) goes. It is fixed and
// explicit: log delivery refuses a destination that does not exist yet, and a name derived from
// anything that changes would recreate the group and lose its history.
func LogGroupName(c *spec.Cache, kind string) string {
	return fmt.Sprintf("/aws/elasticache/%s/%s", c.Name, kind)
}

// newLogDelivery creates the log groups and returns the replication group's delivery settings.
func newLogDelivery(ctx *pulumi.Context, name string, c *spec.Cache, w *inputs.Wired, parent pulumi.Resource) (elasticache.ReplicationGroupLogDeliveryConfigurationArray, []pulumi.Resource, error) {
	var out elasticache.ReplicationGroupLogDeliveryConfigurationArray
	var deps []pulumi.Resource
	for _, kind := range []struct {
		on   bool
		name string
	}{{spec.Bool(c.Logs.SlowLog), "slow-log"}, {spec.Bool(c.Logs.EngineLog), "engine-log"}} {
		if !kind.on {
			continue
		}
		if c.Logs.Destination == spec.LogsToFirehose {
			// The stream exists already (the stack names it); ElastiCache delivers both log
			// types into it, each record carrying its log type.
			out = append(out, elasticache.ReplicationGroupLogDeliveryConfigurationArgs{
				Destination:     w.String(inputs.FirehoseStream, c.Logs.FirehoseStream),
				DestinationType: pulumi.String(spec.LogsToFirehose),
				LogFormat:       pulumi.String(c.Logs.Format),
				LogType:         pulumi.String(kind.name),
			})
			continue
		}
		args := &cloudwatch.LogGroupArgs{
			Name:            pulumi.String(LogGroupName(c, kind.name)),
			RetentionInDays: pulumi.Int(c.Logs.RetentionDays),
			Tags:            tags(c, nil),
		}
		if c.Logs.KmsKeyID != "" {
			args.KmsKeyId = w.String(inputs.LogsKmsKeyID, c.Logs.KmsKeyID)
		}
		lg, err := cloudwatch.NewLogGroup(ctx, name+"-"+kind.name, args, pulumi.Parent(parent))
		if err != nil {
			return nil, nil, fmt.Errorf("creating %s log group: %w", kind.name, err)
		}
		deps = append(deps, lg)
		out = append(out, elasticache.ReplicationGroupLogDeliveryConfigurationArgs{
			Destination:     lg.Name,
			DestinationType: pulumi.String(spec.LogsToCloudWatch),
			LogFormat:       pulumi.String(c.Logs.Format),
			LogType:         pulumi.String(kind.name),
		})
	}
	return out, deps, nil
}
