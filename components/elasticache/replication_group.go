package elasticache

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elasticache"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/inputs"
	"github.com/rediskit/rediskit/components/spec"
)

// GroupArgs are the inputs of every deployment mode. Cache is the shared vocabulary (the same
// struct the self-hosted target takes); the rest wires the group into a network.
type GroupArgs struct {
	Cache spec.Cache
	// SubnetGroupName and SecurityGroupIDs are required: a cache never lands in the default
	// subnet group or the default security group.
	SubnetGroupName  pulumi.StringInput
	SecurityGroupIDs pulumi.StringArrayInput
	// ParameterGroupName uses an existing group; when nil the component creates its own.
	ParameterGroupName pulumi.StringInput
	// Inputs are cache values wired from the program's other resources (KMS keys, topic,
	// Firehose stream, restore sources, global datastore, AUTH token); network values go to
	// NewNetwork and NewSecurityGroup.
	Inputs inputs.Inputs
}

// ReplicationGroup is an ElastiCache replication group in one of the three modes, with its
// credentials, log delivery, event topic and per-node alarms.
//
// All three modes share this one component type and the same child name on purpose: ElastiCache
// models every mode as a replication group, so going from one node to replicas, or to cluster
// mode through "compatible", is an in-place update of the same resource. Separate component
// types would change the group's URN and make Pulumi replace it.
type ReplicationGroup struct {
	pulumi.ResourceState

	ReplicationGroupID    pulumi.StringOutput      `pulumi:"replicationGroupId"`
	Arn                   pulumi.StringOutput      `pulumi:"arn"`
	PrimaryEndpoint       pulumi.StringOutput      `pulumi:"primaryEndpoint"`
	ReaderEndpoint        pulumi.StringOutput      `pulumi:"readerEndpoint"`
	ConfigurationEndpoint pulumi.StringOutput      `pulumi:"configurationEndpoint"`
	Endpoint              pulumi.StringOutput      `pulumi:"endpoint"` // the one clients should use
	Port                  pulumi.IntOutput         `pulumi:"port"`
	TLSEnabled            pulumi.BoolOutput        `pulumi:"tlsEnabled"`
	ClusterModeEnabled    pulumi.BoolOutput        `pulumi:"clusterModeEnabled"`
	AuthMode              pulumi.StringOutput      `pulumi:"authMode"`
	AuthToken             pulumi.StringOutput      `pulumi:"authToken" provider:"secret"`
	AuthSecretArn         pulumi.StringOutput      `pulumi:"authSecretArn"`
	ParameterGroupName    pulumi.StringOutput      `pulumi:"parameterGroupName"`
	NotificationTopicArn  pulumi.StringOutput      `pulumi:"notificationTopicArn"`
	MemberClusters        pulumi.StringArrayOutput `pulumi:"memberClusters"`
	// ConnectionURL is redis:// or rediss:// host:port, without credentials.
	ConnectionURL pulumi.StringOutput `pulumi:"connectionUrl"`
	// GlobalReplicationGroupID is the global datastore the group belongs to, if any.
	GlobalReplicationGroupID pulumi.StringOutput `pulumi:"globalReplicationGroupId"`
}

// NewSingleNode creates a one-node replication group (not a bare cache cluster), so TLS, AUTH
// and later replicas work without a replacement.
func NewSingleNode(ctx *pulumi.Context, name string, args *GroupArgs, opts ...pulumi.ResourceOption) (*ReplicationGroup, error) {
	return newGroupInMode(ctx, name, spec.ModeSingle, args, opts...)
}

// NewShardedCluster creates a cluster-mode-enabled replication group.
func NewShardedCluster(ctx *pulumi.Context, name string, args *GroupArgs, opts ...pulumi.ResourceOption) (*ReplicationGroup, error) {
	return newGroupInMode(ctx, name, spec.ModeCluster, args, opts...)
}

// NewReplicationGroup creates a group in args.Cache.Mode (replication when unset).
func NewReplicationGroup(ctx *pulumi.Context, name string, args *GroupArgs, opts ...pulumi.ResourceOption) (*ReplicationGroup, error) {
	if args == nil {
		args = &GroupArgs{}
	}
	return newGroupInMode(ctx, name, args.Cache.Mode, args, opts...)
}

func newGroupInMode(ctx *pulumi.Context, name string, mode spec.Mode, args *GroupArgs, opts ...pulumi.ResourceOption) (*ReplicationGroup, error) {
	if args == nil {
		args = &GroupArgs{}
	}
	a := *args
	c, w, ps, err := resolveIn(a.Cache, mode, a.Inputs)
	if err != nil {
		return nil, err
	}
	a.Cache.Mode = mode
	if a.SubnetGroupName == nil {
		ps.Add("subnetGroupName", nil, "a subnet group of the cache's own is required (never the default one)")
	}
	if a.SecurityGroupIDs == nil {
		ps.Add("securityGroupIds", nil, "at least one security group is required")
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return newReplicationGroup(ctx, name, &c, w, &a, opts...)
}

// newReplicationGroup builds a group from a resolved, valid cache; w renders the values that
// resolve at deploy time.
func newReplicationGroup(ctx *pulumi.Context, name string, c *spec.Cache, w *inputs.Wired, a *GroupArgs, opts ...pulumi.ResourceOption) (*ReplicationGroup, error) {
	comp := &ReplicationGroup{}
	if err := ctx.RegisterComponentResource("rediskit:elasticache:ReplicationGroup", name, comp, opts...); err != nil {
		return nil, err
	}
	pgName := a.ParameterGroupName
	if pgName == nil {
		pg, err := newParameterGroup(ctx, name+"-params", c, pulumi.Parent(comp))
		if err != nil {
			return nil, err
		}
		pgName = pg.Name
	}
	cr, err := newCredentials(ctx, name, c, w, comp)
	if err != nil {
		return nil, err
	}
	logs, logDeps, err := newLogDelivery(ctx, name, c, w, comp)
	if err != nil {
		return nil, err
	}
	topic, err := newNotificationTopic(ctx, name, c, w, comp)
	if err != nil {
		return nil, err
	}

	rgArgs := groupArgs(c, w)
	rgArgs.SubnetGroupName = a.SubnetGroupName
	rgArgs.SecurityGroupIds = a.SecurityGroupIDs
	if c.GlobalReplicationGroupID == "" {
		rgArgs.ParameterGroupName = pgName
	}
	rgArgs.LogDeliveryConfigurations = logs
	rgArgs.NotificationTopicArn = topic
	switch c.Auth.Mode {
	case spec.AuthToken:
		rgArgs.AuthToken = cr.token
		rgArgs.AuthTokenUpdateStrategy = pulumi.String(strings.ToUpper(c.Auth.UpdateStrategy))
	case spec.AuthRBAC:
		// Moving a group from an AUTH token to RBAC removes the token, which AWS does only with
		// strategy DELETE ("Migrating from AUTH to RBAC"). The provider sends the strategy only
		// when the token changes, so it is harmless on a group that never had one.
		rgArgs.AuthTokenUpdateStrategy = pulumi.String("DELETE")
	}
	if len(cr.userGroupIDs) > 0 {
		rgArgs.UserGroupIds = cr.userGroupIDs
	}
	if spec.Bool(c.Snapshots.FinalSnapshot) {
		// A fixed name (<cache>-final) survives the group: after a delete, a second create and
		// delete of the same cache would fail on the snapshot that already exists. The suffix is
		// drawn once per group lifetime and kept in state, so it never changes on updates.
		suffix, err := random.NewRandomId(ctx, name+"-final-snapshot", &random.RandomIdArgs{
			ByteLength: pulumi.Int(4),
		}, pulumi.Parent(comp))
		if err != nil {
			return nil, fmt.Errorf("generating the final snapshot suffix: %w", err)
		}
		rgArgs.FinalSnapshotIdentifier = FinalSnapshotName(c, suffix.Hex)
	}
	ignore := append([]string{}, RestoreFields...)
	if c.CreateGlobalDatastore {
		ignore = append(ignore, GlobalManagedFields...)
	}
	ignore = append(ignore, AutoScaledFields(c)...)
	rg, err := elasticache.NewReplicationGroup(ctx, name, rgArgs,
		pulumi.Parent(comp), pulumi.DependsOn(logDeps), pulumi.IgnoreChanges(ignore))
	if err != nil {
		return nil, fmt.Errorf("creating replication group: %w", err)
	}

	cluster := c.Mode == spec.ModeCluster
	endpoint := rg.PrimaryEndpointAddress
	if cluster {
		endpoint = rg.ConfigurationEndpointAddress
	}
	secretArn, err := storeCredentials(ctx, name, c, w, cr, endpoint, comp)
	if err != nil {
		return nil, err
	}
	if _, err := newAlarms(ctx, name, c, topic, []pulumi.Resource{rg}, comp); err != nil {
		return nil, err
	}
	if err := newDashboard(ctx, name, c, rg.Arn, comp); err != nil {
		return nil, err
	}
	if err := newAutoScaling(ctx, name, c, rg.ReplicationGroupId, comp); err != nil {
		return nil, err
	}
	comp.GlobalReplicationGroupID = w.String(inputs.GlobalReplicationGroupID, c.GlobalReplicationGroupID).ToStringOutput()
	if c.CreateGlobalDatastore {
		ga := &elasticache.GlobalReplicationGroupArgs{
			GlobalReplicationGroupIdSuffix:    pulumi.String(c.Name),
			GlobalReplicationGroupDescription: pulumi.Sprintf("rediskit global datastore of %s", c.Name),
			PrimaryReplicationGroupId:         rg.ID().ToStringOutput(),
			// Once the group is in a global datastore, version, node type and shard count change
			// through the datastore, which applies them to every member; the member group
			// ignores them (GlobalManagedFields).
			EngineVersion: pulumi.String(c.EngineVersion),
			CacheNodeType: pulumi.String(c.NodeType),
		}
		if c.Mode == spec.ModeCluster {
			ga.NumNodeGroups = pulumi.Int(c.ShardCount())
		}
		g, err := elasticache.NewGlobalReplicationGroup(ctx, name+"-global", ga, pulumi.Parent(comp))
		if err != nil {
			return nil, fmt.Errorf("creating global datastore: %w", err)
		}
		comp.GlobalReplicationGroupID = g.GlobalReplicationGroupId
	}

	tls := spec.Bool(c.Encryption.InTransit)
	scheme := "redis"
	if tls {
		scheme = "rediss"
	}
	comp.ReplicationGroupID = rg.ReplicationGroupId
	comp.Arn = rg.Arn
	// Each endpoint as it applies: cluster mode has only the configuration endpoint, the other
	// modes a primary and a reader endpoint.
	none := pulumi.String("").ToStringOutput()
	if cluster {
		comp.PrimaryEndpoint, comp.ReaderEndpoint, comp.ConfigurationEndpoint = none, none, rg.ConfigurationEndpointAddress
	} else {
		comp.PrimaryEndpoint, comp.ReaderEndpoint, comp.ConfigurationEndpoint = rg.PrimaryEndpointAddress, rg.ReaderEndpointAddress, none
	}
	comp.Endpoint = endpoint
	comp.Port = pulumi.Int(c.Port).ToIntOutput()
	comp.TLSEnabled = pulumi.Bool(tls).ToBoolOutput()
	comp.ClusterModeEnabled = pulumi.Bool(cluster).ToBoolOutput()
	comp.AuthMode = pulumi.String(string(c.Auth.Mode)).ToStringOutput()
	if c.Auth.Mode == spec.AuthToken {
		comp.AuthToken = cr.token
	} else {
		comp.AuthToken = pulumi.String("").ToStringOutput()
	}
	comp.AuthSecretArn = secretArn
	comp.ParameterGroupName = pgName.ToStringOutput()
	comp.NotificationTopicArn = topic
	comp.MemberClusters = pulumi.ToStringArray(MemberClusterIDs(c)).ToStringArrayOutput()
	comp.ConnectionURL = pulumi.Sprintf("%s://%s:%d", scheme, endpoint, c.Port)
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"replicationGroupId":       comp.ReplicationGroupID,
		"arn":                      comp.Arn,
		"primaryEndpoint":          comp.PrimaryEndpoint,
		"readerEndpoint":           comp.ReaderEndpoint,
		"configurationEndpoint":    comp.ConfigurationEndpoint,
		"endpoint":                 comp.Endpoint,
		"port":                     comp.Port,
		"tlsEnabled":               comp.TLSEnabled,
		"clusterModeEnabled":       comp.ClusterModeEnabled,
		"authMode":                 comp.AuthMode,
		"authToken":                comp.AuthToken,
		"authSecretArn":            comp.AuthSecretArn,
		"parameterGroupName":       comp.ParameterGroupName,
		"notificationTopicArn":     comp.NotificationTopicArn,
		"memberClusters":           comp.MemberClusters,
		"connectionUrl":            comp.ConnectionURL,
		"globalReplicationGroupId": comp.GlobalReplicationGroupID,
	})
}

// groupArgs renders the mode-dependent settings of the aws replication group. Shard and replica
// counts and the node type are plain updatable properties, so scaling out, adding replicas and
// vertical scaling are in-place updates (ElastiCache does them online).
func groupArgs(c *spec.Cache, w *inputs.Wired) *elasticache.ReplicationGroupArgs {
	a := &elasticache.ReplicationGroupArgs{
		ReplicationGroupId:       pulumi.String(c.Name),
		Description:              pulumi.Sprintf("rediskit %s cache %s (%s %s)", c.Mode, c.Name, c.Engine, c.EngineVersion),
		Engine:                   pulumi.String(string(c.Engine)),
		EngineVersion:            pulumi.String(c.EngineVersion),
		NodeType:                 pulumi.String(c.NodeType),
		Port:                     pulumi.Int(c.Port),
		AutomaticFailoverEnabled: pulumi.Bool(spec.Bool(c.AutomaticFailover)),
		MultiAzEnabled:           pulumi.Bool(spec.Bool(c.MultiAZ)),
		AtRestEncryptionEnabled:  pulumi.Bool(spec.Bool(c.Encryption.AtRest)),
		TransitEncryptionEnabled: pulumi.Bool(spec.Bool(c.Encryption.InTransit)),
		SnapshotRetentionLimit:   pulumi.Int(spec.Int(c.Snapshots.RetentionDays)),
		SnapshotWindow:           pulumi.String(c.Snapshots.Window),
		MaintenanceWindow:        pulumi.String(c.MaintenanceWindow),
		AutoMinorVersionUpgrade:  pulumi.Bool(spec.Bool(c.AutoMinorVersionUpgrade)),
		ApplyImmediately:         pulumi.Bool(spec.Bool(c.ApplyImmediately)),
		Tags:                     tags(c, nil),
	}
	if spec.Bool(c.Encryption.InTransit) {
		a.TransitEncryptionMode = pulumi.String(c.Encryption.TransitMode)
	}
	if c.Encryption.KmsKeyID != "" {
		a.KmsKeyId = w.String(inputs.KmsKeyID, c.Encryption.KmsKeyID)
	}
	if c.Snapshots.RestoreFromSnapshot != "" {
		a.SnapshotName = w.String(inputs.RestoreFromSnapshot, c.Snapshots.RestoreFromSnapshot)
	}
	if len(c.Snapshots.RestoreFromRdb) > 0 {
		a.SnapshotArns = w.Strings(inputs.RestoreFromRdb, c.Snapshots.RestoreFromRdb)
	}
	if c.DataTiering {
		a.DataTieringEnabled = pulumi.Bool(true)
	}
	// Sent only when not the default, so groups created before the setting existed see no
	// change: the provider replaces a group whose network type changes (AWS cannot switch it).
	if c.NetworkType != "" && c.NetworkType != spec.NetworkIPv4 {
		a.NetworkType = pulumi.String(c.NetworkType)
		a.IpDiscovery = pulumi.String(c.IPDiscovery)
	}
	if c.GlobalReplicationGroupID != "" {
		// A secondary inherits engine, version, node type, shard count and encryption from the
		// global datastore; the provider refuses them beside globalReplicationGroupId
		// (terraform-provider-aws replication_group.go: ConflictsWith) and AWS on the join.
		a.GlobalReplicationGroupId = w.String(inputs.GlobalReplicationGroupID, c.GlobalReplicationGroupID)
		a.Engine, a.EngineVersion, a.NodeType = nil, nil, nil
		a.AtRestEncryptionEnabled, a.TransitEncryptionEnabled, a.TransitEncryptionMode, a.KmsKeyId = nil, nil, nil, nil
	}
	if c.Mode == spec.ModeCluster {
		mode := "enabled"
		if c.ClusterModeTransition != "" {
			mode = c.ClusterModeTransition
		}
		a.ClusterMode = pulumi.String(mode)
		if c.GlobalReplicationGroupID == "" {
			a.NumNodeGroups = pulumi.Int(c.ShardCount())
		}
		a.ReplicasPerNodeGroup = pulumi.Int(spec.Int(c.Replicas))
	} else {
		a.ClusterMode = pulumi.String("disabled")
		a.NumCacheClusters = pulumi.Int(spec.Int(c.Replicas) + 1)
		if len(c.Zones) > 0 {
			a.PreferredCacheClusterAzs = pulumi.ToStringArray(SpreadZones(c.Zones, spec.Int(c.Replicas)+1))
		}
	}
	return a
}

// SpreadZones places n nodes over zones: the primary in the first zone and the replicas round
// robin over the others, so every node has a zone of its own while n <= len(zones) and no
// replica ever shares the primary's zone while there are >= 2 zones. Beyond the zones nodes
// share them, as AWS places them ("Minimizing downtime with Multi-AZ").
func SpreadZones(zones []string, n int) []string {
	out := make([]string, n)
	for i := range out {
		switch {
		case i == 0 || len(zones) == 1:
			out[i] = zones[0]
		default:
			out[i] = zones[1+(i-1)%(len(zones)-1)]
		}
	}
	return out
}

// RestoreFields are the replication group inputs that only matter when the group is created
// (restore from a snapshot name or RDB files in S3). AWS replaces a group when they change, so
// clearing restoreFromSnapshot after the restore would delete the restored data; they are
// ignored after creation.
var RestoreFields = []string{"snapshotName", "snapshotArns"}

// GlobalManagedFields are the inputs a global datastore's primary group leaves to the datastore
// once it exists: the pulumi-aws GlobalReplicationGroup docs require members to ignore
// engineVersion, and node type and shard count changes are the datastore's too
// ("Modifying a global datastore").
var GlobalManagedFields = []string{"engineVersion", "nodeType", "numNodeGroups"}

// FinalSnapshotName is the final snapshot's name, <cache>-final-<suffix>.
func FinalSnapshotName(c *spec.Cache, suffix pulumi.StringInput) pulumi.StringOutput {
	return pulumi.Sprintf("%s-final-%s", c.Name, suffix)
}
