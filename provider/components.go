package provider

import (
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/cache"
	"github.com/rediskit/rediskit/components/elasticache"
	"github.com/rediskit/rediskit/components/inputs"
	"github.com/rediskit/rediskit/components/spec"
)

// The components every Pulumi language gets from the plugin's schema. Each is the Go component
// of the same name, constructed inside the plugin: these types only say, for the schema, which
// arguments are the stack config's vocabulary (plain objects of package spec, checked by the same
// validation) and which are values from the program's other resources (Inputs, checked when they
// resolve). A Go program calls the Go constructors directly and needs none of this.

// CacheArgs are rediskit:index:Cache's inputs.
type CacheArgs struct {
	Target  string         `pulumi:"target,optional"`
	Cache   map[string]any `pulumi:"cache"`
	Network map[string]any `pulumi:"network,optional"`

	VpcID                    pulumi.StringInput            `pulumi:"vpcId,optional"`
	SubnetIDs                pulumi.StringArrayInput       `pulumi:"subnetIds,optional"`
	AllowedSecurityGroups    map[string]pulumi.StringInput `pulumi:"allowedSecurityGroups,optional"`
	KmsKeyID                 pulumi.StringInput            `pulumi:"kmsKeyId,optional"`
	LogsKmsKeyID             pulumi.StringInput            `pulumi:"logsKmsKeyId,optional"`
	SecretKmsKeyID           pulumi.StringInput            `pulumi:"secretKmsKeyId,optional"`
	NotificationTopicArn     pulumi.StringInput            `pulumi:"notificationTopicArn,optional"`
	FirehoseStream           pulumi.StringInput            `pulumi:"firehoseStream,optional"`
	RestoreFromSnapshot      pulumi.StringInput            `pulumi:"restoreFromSnapshot,optional"`
	RestoreFromRdb           pulumi.StringArrayInput       `pulumi:"restoreFromRdb,optional"`
	GlobalReplicationGroupID pulumi.StringInput            `pulumi:"globalReplicationGroupId,optional"`
	AuthToken                pulumi.StringInput            `pulumi:"authToken,optional" provider:"secret"`
	TLSCertificate           pulumi.StringInput            `pulumi:"tlsCertificate,optional"`
	TLSPrivateKey            pulumi.StringInput            `pulumi:"tlsPrivateKey,optional" provider:"secret"`
	TLSCACertificate         pulumi.StringInput            `pulumi:"tlsCaCertificate,optional"`
}

// Annotate describes the inputs in the schema, and so in every generated SDK.
func (a *CacheArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Target, "Where the cache runs: aws (ElastiCache, the default) or selfhosted (the rediskit engine on the machine running the deployment).")
	an.Describe(&a.Cache, "The cache, in the vocabulary of the rediskit:cache stack config (name, mode, engine, engineVersion, shards, replicas, zones, parameters, auth, encryption, snapshots, windows, tags, selfHosted). Every problem is reported at once, naming the field, before any resource is created.")
	an.Describe(&a.Network, "The network (AWS), in the vocabulary of the rediskit:network stack config: a new VPC's cidr, or vpcId + subnetIds of an existing one, allowedCidrs, allowedSecurityGroups.")
	an.Describe(&a.VpcID, "An existing VPC, for example another resource's id; in place of network.vpcId (AWS).")
	an.Describe(&a.SubnetIDs, "The existing private subnets, in place of network.subnetIds (AWS).")
	an.Describe(&a.AllowedSecurityGroups, "Security groups granted the cache port, keyed by a stable rule name, in place of network.allowedSecurityGroups (AWS).")
	an.Describe(&a.KmsKeyID, "The KMS key that encrypts the cache at rest, in place of cache.encryption.kmsKeyId (AWS).")
	an.Describe(&a.LogsKmsKeyID, "The KMS key ARN of the log groups, in place of cache.logs.kmsKeyId (AWS).")
	an.Describe(&a.SecretKmsKeyID, "The KMS key of the credentials secret, in place of cache.auth.secretKmsKeyId (AWS).")
	an.Describe(&a.NotificationTopicArn, "The SNS topic for events and alarms, in place of cache.notifications.topicArn (AWS).")
	an.Describe(&a.FirehoseStream, "The Kinesis Data Firehose stream logs go to, in place of cache.logs.firehoseStream (AWS).")
	an.Describe(&a.RestoreFromSnapshot, "A snapshot to create the cache from, in place of cache.snapshots.restoreFromSnapshot (AWS).")
	an.Describe(&a.RestoreFromRdb, "S3 ARNs of RDB files to create the cache from, in place of cache.snapshots.restoreFromRdb (AWS).")
	an.Describe(&a.GlobalReplicationGroupID, "A global datastore to join as a secondary, in place of cache.globalReplicationGroupId (AWS).")
	an.Describe(&a.AuthToken, "A chosen AUTH token (both targets); generated when not given. Kept as a secret.")
	an.Describe(&a.TLSCertificate, "Self-hosted: the nodes' certificate (PEM) from the team's own CA, for server and client use, naming the address clients use; in place of the generated CA. Given with tlsPrivateKey and tlsCaCertificate.")
	an.Describe(&a.TLSPrivateKey, "Self-hosted: the private key (PEM) of tlsCertificate. Kept as a secret.")
	an.Describe(&a.TLSCACertificate, "Self-hosted: the CA certificate(s) (PEM) that sign tlsCertificate; clients verify the nodes with it (the caFile output).")
}

func (a *CacheArgs) goArgs(name string) (*cache.CacheArgs, error) {
	c, n, err := decodeVocabulary(name, a.Cache, a.Network)
	if err != nil {
		return nil, err
	}
	return &cache.CacheArgs{Target: spec.Target(a.Target), Cache: c, Network: n, Inputs: inputs.Inputs{
		VpcID: a.VpcID, SubnetIDs: a.SubnetIDs, AllowedSecurityGroups: a.AllowedSecurityGroups,
		KmsKeyID: a.KmsKeyID, LogsKmsKeyID: a.LogsKmsKeyID, SecretKmsKeyID: a.SecretKmsKeyID,
		NotificationTopicArn: a.NotificationTopicArn, FirehoseStream: a.FirehoseStream,
		RestoreFromSnapshot: a.RestoreFromSnapshot, RestoreFromRdb: a.RestoreFromRdb,
		GlobalReplicationGroupID: a.GlobalReplicationGroupID, AuthToken: a.AuthToken,
		TLSCertificate: a.TLSCertificate, TLSPrivateKey: a.TLSPrivateKey, TLSCACertificate: a.TLSCACertificate,
	}}, nil
}

func newCache(ctx *pulumi.Context, name string, args CacheArgs, opts ...pulumi.ResourceOption) (*cache.Cache, error) {
	a, err := args.goArgs(name)
	if err != nil {
		return nil, err
	}
	return cache.NewCache(ctx, name, a, opts...)
}

// NetworkArgs are rediskit:elasticache:Network's inputs.
type NetworkArgs struct {
	Cache     map[string]any          `pulumi:"cache"`
	Network   map[string]any          `pulumi:"network,optional"`
	Zones     []string                `pulumi:"zones,optional"`
	VpcID     pulumi.StringInput      `pulumi:"vpcId,optional"`
	SubnetIDs pulumi.StringArrayInput `pulumi:"subnetIds,optional"`
}

// Annotate describes the inputs in the schema.
func (a *NetworkArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Cache, "The cache the network is for: its name prefixes the resources and its tags are applied.")
	an.Describe(&a.Network, "A new VPC's cidr, or vpcId + subnetIds of an existing one.")
	an.Describe(&a.Zones, "The availability zones of a new VPC's subnets (2-3), one subnet each.")
	an.Describe(&a.VpcID, "An existing VPC, in place of network.vpcId.")
	an.Describe(&a.SubnetIDs, "Its private subnets, in place of network.subnetIds.")
}

func newNetwork(ctx *pulumi.Context, name string, args NetworkArgs, opts ...pulumi.ResourceOption) (*elasticache.Network, error) {
	c, n, err := decodeVocabulary(name, args.Cache, args.Network)
	if err != nil {
		return nil, err
	}
	return elasticache.NewNetwork(ctx, name, &elasticache.NetworkArgs{Cache: c, Network: n, Zones: args.Zones, VpcID: args.VpcID, SubnetIDs: args.SubnetIDs}, opts...)
}

// SubnetGroupArgs are rediskit:elasticache:SubnetGroup's inputs.
type SubnetGroupArgs struct {
	Cache     map[string]any          `pulumi:"cache"`
	SubnetIDs pulumi.StringArrayInput `pulumi:"subnetIds"`
}

// Annotate describes the inputs in the schema.
func (a *SubnetGroupArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Cache, "The cache the subnet group is for (its name and tags).")
	an.Describe(&a.SubnetIDs, "The private subnets of the cache.")
}

func newSubnetGroup(ctx *pulumi.Context, name string, args SubnetGroupArgs, opts ...pulumi.ResourceOption) (*elasticache.SubnetGroup, error) {
	c, _, err := decodeVocabulary(name, args.Cache, nil)
	if err != nil {
		return nil, err
	}
	return elasticache.NewSubnetGroup(ctx, name, &elasticache.SubnetGroupArgs{Cache: c, SubnetIDs: args.SubnetIDs}, opts...)
}

// SecurityGroupArgs are rediskit:elasticache:SecurityGroup's inputs.
type SecurityGroupArgs struct {
	Cache   map[string]any                `pulumi:"cache"`
	Network map[string]any                `pulumi:"network,optional"`
	VpcID   pulumi.StringInput            `pulumi:"vpcId"`
	Sources map[string]pulumi.StringInput `pulumi:"sources,optional"`
}

// Annotate describes the inputs in the schema.
func (a *SecurityGroupArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Cache, "The cache the group is for (port, name and tags).")
	an.Describe(&a.Network, "allowedCidrs, allowedSecurityGroups and allowPublicIngress.")
	an.Describe(&a.VpcID, "The cache's VPC.")
	an.Describe(&a.Sources, "Security groups granted the cache port, keyed by a stable rule name.")
}

func newSecurityGroup(ctx *pulumi.Context, name string, args SecurityGroupArgs, opts ...pulumi.ResourceOption) (*elasticache.SecurityGroup, error) {
	c, n, err := decodeVocabulary(name, args.Cache, args.Network)
	if err != nil {
		return nil, err
	}
	return elasticache.NewSecurityGroup(ctx, name, &elasticache.SecurityGroupArgs{Cache: c, Network: n, VpcID: args.VpcID, Sources: args.Sources}, opts...)
}

// ParameterGroupArgs are rediskit:elasticache:ParameterGroup's inputs.
type ParameterGroupArgs struct {
	Cache map[string]any `pulumi:"cache"`
}

// Annotate describes the inputs in the schema.
func (a *ParameterGroupArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Cache, "The cache: engine, engineVersion (the family), mode (cluster-enabled) and parameters, checked against the family's schema.")
}

func newParameterGroup(ctx *pulumi.Context, name string, args ParameterGroupArgs, opts ...pulumi.ResourceOption) (*elasticache.ParameterGroup, error) {
	c, _, err := decodeVocabulary(name, args.Cache, nil)
	if err != nil {
		return nil, err
	}
	return elasticache.NewParameterGroup(ctx, name, &elasticache.ParameterGroupArgs{Cache: c}, opts...)
}

// ReplicationGroupArgs are rediskit:elasticache:ReplicationGroup's inputs.
type ReplicationGroupArgs struct {
	Cache              map[string]any          `pulumi:"cache"`
	SubnetGroupName    pulumi.StringInput      `pulumi:"subnetGroupName"`
	SecurityGroupIDs   pulumi.StringArrayInput `pulumi:"securityGroupIds"`
	ParameterGroupName pulumi.StringInput      `pulumi:"parameterGroupName,optional"`

	KmsKeyID                 pulumi.StringInput      `pulumi:"kmsKeyId,optional"`
	LogsKmsKeyID             pulumi.StringInput      `pulumi:"logsKmsKeyId,optional"`
	SecretKmsKeyID           pulumi.StringInput      `pulumi:"secretKmsKeyId,optional"`
	NotificationTopicArn     pulumi.StringInput      `pulumi:"notificationTopicArn,optional"`
	FirehoseStream           pulumi.StringInput      `pulumi:"firehoseStream,optional"`
	RestoreFromSnapshot      pulumi.StringInput      `pulumi:"restoreFromSnapshot,optional"`
	RestoreFromRdb           pulumi.StringArrayInput `pulumi:"restoreFromRdb,optional"`
	GlobalReplicationGroupID pulumi.StringInput      `pulumi:"globalReplicationGroupId,optional"`
	AuthToken                pulumi.StringInput      `pulumi:"authToken,optional" provider:"secret"`
}

// Annotate describes the inputs in the schema.
func (a *ReplicationGroupArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Cache, "The cache; its mode (single, replication or cluster) picks the group's shape.")
	an.Describe(&a.SubnetGroupName, "The cache's own subnet group (never the default one).")
	an.Describe(&a.SecurityGroupIDs, "The cache's security groups.")
	an.Describe(&a.ParameterGroupName, "An existing parameter group; when not given the component creates its own.")
	an.Describe(&a.AuthToken, "A chosen AUTH token; generated when not given. Kept as a secret.")
}

func newReplicationGroup(ctx *pulumi.Context, name string, args ReplicationGroupArgs, opts ...pulumi.ResourceOption) (*elasticache.ReplicationGroup, error) {
	c, _, err := decodeVocabulary(name, args.Cache, nil)
	if err != nil {
		return nil, err
	}
	return elasticache.NewReplicationGroup(ctx, name, &elasticache.GroupArgs{
		Cache: c, SubnetGroupName: args.SubnetGroupName, SecurityGroupIDs: args.SecurityGroupIDs,
		ParameterGroupName: args.ParameterGroupName,
		Inputs: inputs.Inputs{
			KmsKeyID: args.KmsKeyID, LogsKmsKeyID: args.LogsKmsKeyID, SecretKmsKeyID: args.SecretKmsKeyID,
			NotificationTopicArn: args.NotificationTopicArn, FirehoseStream: args.FirehoseStream,
			RestoreFromSnapshot: args.RestoreFromSnapshot, RestoreFromRdb: args.RestoreFromRdb,
			GlobalReplicationGroupID: args.GlobalReplicationGroupID, AuthToken: args.AuthToken,
		},
	}, opts...)
}

func components() []infer.InferredComponent {
	return []infer.InferredComponent{
		infer.ComponentF(newCache),
		infer.ComponentF(newNetwork),
		infer.ComponentF(newSubnetGroup),
		infer.ComponentF(newSecurityGroup),
		infer.ComponentF(newParameterGroup),
		infer.ComponentF(newReplicationGroup),
	}
}
