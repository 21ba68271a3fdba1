// Package spec is rediskit's shared vocabulary for a cache deployment: the fields a stack sets
// (mode, engine, version, node type, shards, replicas, parameters, auth, encryption, snapshots,
// windows, logs, alarms, tags), their defaults and their validation. It is written once and used
// by every target: the ElastiCache components and the self-hosted engine take the same Cache.
package spec

import (
	"github.com/rediskit/rediskit/paramgroup"
)

// Target selects where a cache runs.
type Target string

const (
	TargetAWS        Target = "aws"
	TargetSelfHosted Target = "selfhosted"
	// TargetKubernetes runs the cache on a Kubernetes cluster, kept by the rediskit operator.
	TargetKubernetes Target = "kubernetes"
)

// Mode is an ElastiCache deployment mode.
type Mode string

const (
	ModeSingle      Mode = "single"      // one node (a one-node replication group, so TLS, auth and replicas can come later)
	ModeReplication Mode = "replication" // one primary and 1-5 replicas, automatic failover, Multi-AZ
	ModeCluster     Mode = "cluster"     // cluster mode enabled: 1-500 shards of one primary and 0-5 replicas
	ModeServerless  Mode = "serverless"  // ElastiCache Serverless: capacity by usage limits, no nodes to size
)

// Cache is one cache deployment. Zero values mean "use the default"; pointers distinguish an
// explicit false or 0 from an unset field.
type Cache struct {
	// Name is the replication group id (and the prefix of every resource name): <= 40 characters,
	// lowercase letters, digits and hyphens, starting with a letter.
	Name string `json:"name"`
	// Environment labels the stack (dev, staging, prod, ...) in tags and for the policy pack.
	Environment string `json:"environment,omitempty"`
	Mode        Mode   `json:"mode,omitempty"`

	Engine        paramgroup.Engine `json:"engine,omitempty"`
	EngineVersion string            `json:"engineVersion,omitempty"`
	// ParameterGroupFamily is optional; when set it must match the engine and version.
	ParameterGroupFamily paramgroup.Family `json:"parameterGroupFamily,omitempty"`
	NodeType             string            `json:"nodeType,omitempty"`
	// Shards is the number of node groups (cluster mode only).
	Shards *int `json:"shards,omitempty"`
	// Replicas is the number of replicas per shard (the replicas of the primary outside cluster mode).
	Replicas *int `json:"replicas,omitempty"`
	Port     int  `json:"port,omitempty"`
	// Parameters are parameter-group values, validated against the family's schema.
	Parameters map[string]string `json:"parameters,omitempty"`
	// Zones are the availability zones (self-hosted: zone labels) nodes are spread over.
	Zones []string `json:"zones,omitempty"`
	// NetworkType is ipv4 (default), dual_stack or ipv6: what the nodes accept connections on.
	// Set at creation only (AWS: "Choosing a network type"); AWS only.
	NetworkType string `json:"networkType,omitempty"`
	// IPDiscovery is the address family cluster discovery (CLUSTER SLOTS/SHARDS) advertises:
	// ipv4 or ipv6; default the network type's (ipv4 for dual_stack).
	IPDiscovery string `json:"ipDiscovery,omitempty"`

	AutomaticFailover *bool `json:"automaticFailover,omitempty"`
	MultiAZ           *bool `json:"multiAz,omitempty"`
	// ClusterModeTransition set to "compatible" runs the documented online migration of an
	// existing replication group to cluster mode (first step); leave empty otherwise.
	ClusterModeTransition string `json:"clusterModeTransition,omitempty"`

	Auth       Auth       `json:"auth,omitempty"`
	Encryption Encryption `json:"encryption,omitempty"`
	Snapshots  Snapshots  `json:"snapshots,omitempty"`

	// MaintenanceWindow is weekly, UTC: ddd:hh24:mi-ddd:hh24:mi.
	MaintenanceWindow       string `json:"maintenanceWindow,omitempty"`
	AutoMinorVersionUpgrade *bool  `json:"autoMinorVersionUpgrade,omitempty"`
	// ApplyImmediately applies changes now rather than in the maintenance window.
	ApplyImmediately *bool `json:"applyImmediately,omitempty"`
	DataTiering      bool  `json:"dataTiering,omitempty"`
	// NodeQuota is the account's node-per-cluster quota (ElastiCache's default is 90, up to 500).
	NodeQuota int `json:"nodeQuota,omitempty"`
	// AutoScaling lets Application Auto Scaling change the shard or replica count of a cluster-
	// mode group by target tracking (AWS only).
	AutoScaling AutoScaling `json:"autoScaling,omitempty"`

	Logs          Logs          `json:"logs,omitempty"`
	Alarms        Alarms        `json:"alarms,omitempty"`
	Dashboard     Dashboard     `json:"dashboard,omitempty"`
	Notifications Notifications `json:"notifications,omitempty"`
	// GlobalReplicationGroupID joins an existing global datastore as a secondary.
	GlobalReplicationGroupID string `json:"globalReplicationGroupId,omitempty"`
	// CreateGlobalDatastore makes this group the primary of a new global datastore.
	CreateGlobalDatastore bool `json:"createGlobalDatastore,omitempty"`
	// Serverless sets the usage limits of mode serverless.
	Serverless Serverless `json:"serverless,omitempty"`
	// SelfHosted holds what only the self-hosted target needs.
	SelfHosted SelfHosted `json:"selfHosted,omitempty"`

	Tags map[string]string `json:"tags,omitempty"`
}

// AutoScaling configures target tracking of shards and replicas per shard; each is off unless set.
type AutoScaling struct {
	Shards   *ScalingPolicy `json:"shards,omitempty"`
	Replicas *ScalingPolicy `json:"replicas,omitempty"`
}

// ScalingPolicy is one target-tracking policy: keep Metric near Target percent between Min and
// Max shards (or replicas per shard).
type ScalingPolicy struct {
	Min int `json:"min"`
	Max int `json:"max"`
	// Metric is cpu (default), memory or capacity (shards only; capacity counts SSD on r6gd).
	Metric string `json:"metric,omitempty"`
	// Target is the percentage to keep the metric at: 35-70 (default 60).
	Target float64 `json:"target,omitempty"`
}

// Serverless are the usage limits of a serverless cache; zero means no limit.
type Serverless struct {
	MaxDataStorageGB int `json:"maxDataStorageGb,omitempty"`
	MaxECPUPerSecond int `json:"maxEcpuPerSecond,omitempty"`
}

// SelfHosted configures the rediskit engine on machines that are not AWS.
type SelfHosted struct {
	// Driver runs nodes as local processes (process, the default) or as containers of the engine
	// image (docker).
	Driver string `json:"driver,omitempty"`
	// Host the nodes bind to and announce (default 127.0.0.1).
	Host string `json:"host,omitempty"`
	// BasePort is the first port; nodes and sentinels take consecutive ports (default 7000).
	BasePort int `json:"basePort,omitempty"`
	// DataDir holds one directory per node (default .rediskit/<cache> under the project).
	DataDir string `json:"dataDir,omitempty"`
	// Persistence is rdb, aof, rdb+aof (default) or none (dev only: an empty primary must never
	// restart and wipe its replicas).
	Persistence string `json:"persistence,omitempty"`
	// NodeMemoryMB caps each node's memory; default the node type's memory.
	NodeMemoryMB int `json:"nodeMemoryMb,omitempty"`
	// Image is the engine image the docker driver runs; by default the image `make image`
	// builds for the engine version (rediskit/engine:valkey-8.0, ...), whose labels must
	// name the same engine version.
	Image string `json:"image,omitempty"`
	// MetricsPort, when set, is where the deployment's controller serves /metrics (Prometheus,
	// under CloudWatch's metric names), /status and /healthz on Host; 0 serves none.
	MetricsPort int `json:"metricsPort,omitempty"`
	// AutoRecover makes the deployment's controller start a crashed node or sentinel again
	// within seconds, as ElastiCache replaces a failed node (a returning primary rejoins as a
	// replica); off, a dead node waits for the next `pulumi up`, which shows it as drift.
	AutoRecover bool `json:"autoRecover,omitempty"`
	// TLSCertificate, TLSPrivateKey and TLSCACertificate (PEM) are certificates the team
	// brings (its own CA) in place of the CA the engine generates. They never come from the
	// cache object in stack config (a private key would be in plain text there): a program
	// wires them as Inputs (inputs.Inputs, the component's tlsCertificate, ...).
	TLSCertificate   string `json:"-"`
	TLSPrivateKey    string `json:"-"`
	TLSCACertificate string `json:"-"`
}

// AuthMode is how clients authenticate.
type AuthMode string

const (
	AuthToken AuthMode = "token" // Redis AUTH token, generated unless given
	AuthRBAC  AuthMode = "rbac"  // ElastiCache users and a user group; the default user is disabled
	AuthNone  AuthMode = "none"
)

// Auth configures authentication.
type Auth struct {
	Mode AuthMode `json:"mode,omitempty"`
	// Token is a user-supplied AUTH token. It never comes from the cache object in stack config
	// (that would put it in plain text in the stack file): set it with `pulumi config set --secret
	// rediskit:authToken`. When empty a token is generated at deploy time.
	Token string `json:"-"`
	// TokenRevision: change it to rotate a generated token.
	TokenRevision string `json:"tokenRevision,omitempty"`
	// UpdateStrategy for a token change: rotate (old and new both valid) or set (old one dropped).
	UpdateStrategy string `json:"updateStrategy,omitempty"`
	// Users are the RBAC users created besides the disabled default user.
	Users []User `json:"users,omitempty"`
	// SecretKmsKeyID encrypts the Secrets Manager secret holding the credentials.
	SecretKmsKeyID string `json:"secretKmsKeyId,omitempty"`
}

// User is an RBAC user; its password is generated and kept as a Pulumi secret.
type User struct {
	Name string `json:"name"`
	// Access is a Redis ACL access string, for example "on ~app:* +@read +@write".
	Access string `json:"access,omitempty"`
	// AuthenticationMode is password (default: generated, kept as a Pulumi secret) or iam:
	// clients sign a short-lived token with AWS credentials allowed elasticache:Connect
	// ("Authenticating with IAM"). AWS only.
	AuthenticationMode string `json:"authenticationMode,omitempty"`
}

// UserIAM tells whether a user authenticates with IAM.
func (u User) UserIAM() bool { return u.AuthenticationMode == "iam" }

// Encryption configures encryption at rest and in transit.
type Encryption struct {
	AtRest    *bool  `json:"atRest,omitempty"`
	KmsKeyID  string `json:"kmsKeyId,omitempty"`
	InTransit *bool  `json:"inTransit,omitempty"`
	// TransitMode is required (TLS only) or preferred (TLS and plain text, for migrating clients).
	// Default required, or preferred while DeployedTransitMode is off.
	TransitMode string `json:"transitMode,omitempty"`
	// DeployedTransitMode is what the existing group runs now: off, preferred or required. A
	// program cannot read its group's previous state, so a stack that changes in-transit
	// encryption of a live group says where it starts from: AWS turns TLS on (and off) only
	// through preferred, one update per step ("Modifying in-transit encryption"). Empty: a new
	// group, or no change of in-transit encryption.
	DeployedTransitMode string `json:"deployedTransitMode,omitempty"`
}

// Snapshots configures automatic and final snapshots and restores.
type Snapshots struct {
	RetentionDays *int `json:"retentionDays,omitempty"`
	// Window is daily, UTC: hh24:mi-hh24:mi, and must not overlap the maintenance window.
	Window        string `json:"window,omitempty"`
	FinalSnapshot *bool  `json:"finalSnapshot,omitempty"`
	// RestoreFromSnapshot creates the group from an ElastiCache snapshot name.
	RestoreFromSnapshot string `json:"restoreFromSnapshot,omitempty"`
	// RestoreFromRdb creates the group from RDB files in S3 (ARNs).
	RestoreFromRdb []string `json:"restoreFromRdb,omitempty"`
}

// Logs configures slow-log and engine-log delivery into log groups rediskit creates.
type Logs struct {
	SlowLog       *bool  `json:"slowLog,omitempty"`
	EngineLog     *bool  `json:"engineLog,omitempty"`
	RetentionDays int    `json:"retentionDays,omitempty"`
	Format        string `json:"format,omitempty"` // json or text
	KmsKeyID      string `json:"kmsKeyId,omitempty"`
	// Destination is cloudwatch-logs (default: log groups rediskit creates, kept RetentionDays)
	// or kinesis-firehose (FirehoseStream, an existing delivery stream; AWS only).
	Destination    string `json:"destination,omitempty"`
	FirehoseStream string `json:"firehoseStream,omitempty"`
}

// Alarms configures one CloudWatch alarm per node and metric.
type Alarms struct {
	Enabled *bool `json:"enabled,omitempty"`
	// CPUPercent is the EngineCPUUtilization threshold.
	CPUPercent float64 `json:"cpuPercent,omitempty"`
	// MemoryPercent is the DatabaseMemoryUsagePercentage threshold.
	MemoryPercent float64 `json:"memoryPercent,omitempty"`
	// Evictions per period above which the alarm fires.
	Evictions float64 `json:"evictions,omitempty"`
	// Connections is the CurrConnections threshold.
	Connections float64 `json:"connections,omitempty"`
	// ReplicationLagSeconds is the ReplicationLag threshold.
	ReplicationLagSeconds float64 `json:"replicationLagSeconds,omitempty"`
	// PeriodSeconds and EvaluationPeriods shape every alarm.
	PeriodSeconds     int `json:"periodSeconds,omitempty"`
	EvaluationPeriods int `json:"evaluationPeriods,omitempty"`
}

// Dashboard configures the CloudWatch dashboard of a cache (AWS only: the self-hosted target
// serves the same metrics on selfHosted.metricsPort).
type Dashboard struct {
	// Enabled creates the dashboard; default true.
	Enabled *bool `json:"enabled,omitempty"`
}

// Notifications configures the SNS topic that receives ElastiCache events and alarm actions.
type Notifications struct {
	// TopicArn uses an existing topic; when empty rediskit creates one.
	TopicArn string `json:"topicArn,omitempty"`
}

// Bool reads an optional flag that Defaults has set.
func Bool(b *bool) bool { return b != nil && *b }

// Int reads an optional number that Defaults has set.
func Int(i *int) int {
	if i == nil {
		return 0
	}
	return *i
}

func ptr[T any](v T) *T { return &v }

// Nodes is the total node count.
func (c *Cache) Nodes() int { return c.ShardCount() * (Int(c.Replicas) + 1) }

// ShardCount is 1 outside cluster mode (and 0 for serverless, which has no nodes to count).
func (c *Cache) ShardCount() int {
	switch c.Mode {
	case ModeCluster:
		return Int(c.Shards)
	case ModeServerless:
		return 0
	}
	return 1
}

// Family is the parameter-group family of the resolved engine and version.
func (c *Cache) Family() paramgroup.Family {
	f, _ := paramgroup.FamilyFor(c.Engine, c.EngineVersion)
	return f
}

// AuthOn tells whether clients must authenticate.
func (c *Cache) AuthOn() bool { return c.Auth.Mode == AuthToken || c.Auth.Mode == AuthRBAC }
