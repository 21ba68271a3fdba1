package elasticache

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elasticache"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/inputs"
	"github.com/rediskit/rediskit/components/spec"
)

// ServerlessArgs are the inputs of a serverless cache.
type ServerlessArgs struct {
	Cache            spec.Cache
	SubnetIDs        pulumi.StringArrayInput
	SecurityGroupIDs pulumi.StringArrayInput
	// Inputs are cache values wired from the program's other resources (KMS keys, topic,
	// restore sources); network values go to NewNetwork and NewSecurityGroup.
	Inputs inputs.Inputs
}

// ServerlessCache is an ElastiCache Serverless cache with RBAC users, its credentials secret, an
// event topic and alarms on its usage limits.
type ServerlessCache struct {
	pulumi.ResourceState

	Arn                  pulumi.StringOutput `pulumi:"arn"`
	Endpoint             pulumi.StringOutput `pulumi:"endpoint"`
	ReaderEndpoint       pulumi.StringOutput `pulumi:"readerEndpoint"`
	Port                 pulumi.IntOutput    `pulumi:"port"`
	AuthSecretArn        pulumi.StringOutput `pulumi:"authSecretArn"`
	NotificationTopicArn pulumi.StringOutput `pulumi:"notificationTopicArn"`
	ConnectionURL        pulumi.StringOutput `pulumi:"connectionUrl"`
}

// NewServerlessCache creates a serverless cache.
func NewServerlessCache(ctx *pulumi.Context, name string, args *ServerlessArgs, opts ...pulumi.ResourceOption) (*ServerlessCache, error) {
	if args == nil {
		args = &ServerlessArgs{}
	}
	a := *args
	c, w, ps, err := resolveIn(a.Cache, spec.ModeServerless, a.Inputs)
	if err != nil {
		return nil, err
	}
	a.Cache.Mode = spec.ModeServerless
	if a.SubnetIDs == nil {
		ps.Add("subnetIds", nil, "the private subnets of the cache are required")
	}
	if a.SecurityGroupIDs == nil {
		ps.Add("securityGroupIds", nil, "at least one security group is required")
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return newServerless(ctx, name, &c, w, &a, opts...)
}

func newServerless(ctx *pulumi.Context, name string, c *spec.Cache, w *inputs.Wired, a *ServerlessArgs, opts ...pulumi.ResourceOption) (*ServerlessCache, error) {
	comp := &ServerlessCache{}
	if err := ctx.RegisterComponentResource("rediskit:elasticache:ServerlessCache", name, comp, opts...); err != nil {
		return nil, err
	}
	cr, err := newCredentials(ctx, name, c, w, comp)
	if err != nil {
		return nil, err
	}
	topic, err := newNotificationTopic(ctx, name, c, w, comp)
	if err != nil {
		return nil, err
	}
	major := strings.SplitN(c.EngineVersion, ".", 2)[0]
	sa := &elasticache.ServerlessCacheArgs{
		Name:                   pulumi.String(c.Name),
		Description:            pulumi.Sprintf("rediskit serverless cache %s (%s %s)", c.Name, c.Engine, major),
		Engine:                 pulumi.String(string(c.Engine)),
		MajorEngineVersion:     pulumi.String(major),
		SubnetIds:              a.SubnetIDs,
		SecurityGroupIds:       a.SecurityGroupIDs,
		SnapshotRetentionLimit: pulumi.Int(spec.Int(c.Snapshots.RetentionDays)),
		DailySnapshotTime:      pulumi.String(strings.SplitN(c.Snapshots.Window, "-", 2)[0]),
		Tags:                   tags(c, nil),
	}
	if c.Encryption.KmsKeyID != "" {
		sa.KmsKeyId = w.String(inputs.KmsKeyID, c.Encryption.KmsKeyID)
	}
	if len(cr.userGroupIDs) > 0 {
		sa.UserGroupId = cr.userGroupIDs[0]
	}
	if rdb := c.Snapshots.RestoreFromRdb; len(rdb) > 0 {
		sa.SnapshotArnsToRestores = w.Strings(inputs.RestoreFromRdb, rdb)
	}
	limits := &elasticache.ServerlessCacheCacheUsageLimitsArgs{}
	if gb := c.Serverless.MaxDataStorageGB; gb > 0 {
		limits.DataStorage = &elasticache.ServerlessCacheCacheUsageLimitsDataStorageArgs{Maximum: pulumi.Int(gb), Unit: pulumi.String("GB")}
	}
	if e := c.Serverless.MaxECPUPerSecond; e > 0 {
		limits.EcpuPerSeconds = elasticache.ServerlessCacheCacheUsageLimitsEcpuPerSecondArray{
			elasticache.ServerlessCacheCacheUsageLimitsEcpuPerSecondArgs{Maximum: pulumi.Int(e)}}
	}
	if limits.DataStorage != nil || limits.EcpuPerSeconds != nil {
		sa.CacheUsageLimits = limits
	}
	// Like a replication group's, the restore source only matters at creation; a change would
	// replace the cache.
	sc, err := elasticache.NewServerlessCache(ctx, name, sa, pulumi.Parent(comp), pulumi.IgnoreChanges([]string{"snapshotArnsToRestores"}))
	if err != nil {
		return nil, fmt.Errorf("creating serverless cache: %w", err)
	}
	endpoint := sc.Endpoints.ApplyT(func(es []elasticache.ServerlessCacheEndpoint) string {
		if len(es) == 0 {
			return ""
		}
		return es[0].Address
	}).(pulumi.StringOutput)
	reader := sc.ReaderEndpoints.ApplyT(func(es []elasticache.ServerlessCacheReaderEndpoint) string {
		if len(es) == 0 {
			return ""
		}
		return es[0].Address
	}).(pulumi.StringOutput)
	secretArn, err := storeCredentials(ctx, name, c, w, cr, endpoint, comp)
	if err != nil {
		return nil, err
	}
	if err := newServerlessAlarms(ctx, name, c, topic, sc, comp); err != nil {
		return nil, err
	}
	if err := newDashboard(ctx, name, c, sc.Arn, comp); err != nil {
		return nil, err
	}
	comp.Arn = sc.Arn
	comp.Endpoint = endpoint
	comp.ReaderEndpoint = reader
	comp.Port = pulumi.Int(c.Port).ToIntOutput()
	comp.AuthSecretArn = secretArn
	comp.NotificationTopicArn = topic
	comp.ConnectionURL = pulumi.Sprintf("rediss://%s:%d", endpoint, c.Port)
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"arn": comp.Arn, "endpoint": comp.Endpoint, "readerEndpoint": comp.ReaderEndpoint, "port": comp.Port,
		"authSecretArn": comp.AuthSecretArn, "notificationTopicArn": comp.NotificationTopicArn, "connectionUrl": comp.ConnectionURL,
	})
}

// newServerlessAlarms watches the cache against its own usage limits: a serverless cache that
// reaches them is throttled. Serverless metrics carry the cache name as dimension clusterId.
func newServerlessAlarms(ctx *pulumi.Context, name string, c *spec.Cache, topic pulumi.StringOutput, sc pulumi.Resource, parent pulumi.Resource) error {
	if !spec.Bool(c.Alarms.Enabled) {
		return nil
	}
	type alarm struct {
		key, metric, stat string
		threshold         float64
	}
	var alarms []alarm
	if gb := c.Serverless.MaxDataStorageGB; gb > 0 {
		alarms = append(alarms, alarm{"storage", "BytesUsedForCache", "Maximum", float64(gb) * 1e9 * c.Alarms.MemoryPercent / 100})
	}
	if e := c.Serverless.MaxECPUPerSecond; e > 0 {
		alarms = append(alarms, alarm{"ecpu", "ElastiCacheProcessingUnits", "Sum", float64(e) * float64(c.Alarms.PeriodSeconds) * c.Alarms.CPUPercent / 100})
	}
	for _, a := range alarms {
		n := c.Name + "-" + a.key
		if _, err := cloudwatch.NewMetricAlarm(ctx, n, &cloudwatch.MetricAlarmArgs{
			Name:               pulumi.String(n),
			AlarmDescription:   pulumi.Sprintf("rediskit: %s of serverless cache %s near its usage limit", a.metric, c.Name),
			Namespace:          pulumi.String("AWS/ElastiCache"),
			MetricName:         pulumi.String(a.metric),
			Statistic:          pulumi.String(a.stat),
			Dimensions:         pulumi.StringMap{"clusterId": pulumi.String(c.Name)},
			ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			Threshold:          pulumi.Float64(a.threshold),
			Period:             pulumi.Int(c.Alarms.PeriodSeconds),
			EvaluationPeriods:  pulumi.Int(c.Alarms.EvaluationPeriods),
			AlarmActions:       pulumi.Array{topic},
			OkActions:          pulumi.Array{topic},
			Tags:               tags(c, nil),
		}, pulumi.Parent(parent), pulumi.DependsOn([]pulumi.Resource{sc})); err != nil {
			return fmt.Errorf("creating alarm %s: %w", n, err)
		}
	}
	return nil
}
