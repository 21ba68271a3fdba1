package awsvalidate

import (
	"encoding/json"
	"fmt"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/infra/plan"
	"github.com/rediskit/rediskit/infra/program"
)

// RepoStacks are the stack files of the AWS target; each one's plan goes through the gate.
var RepoStacks = []string{"dev", "staging", "prod"}

// Generated is a stack the gate makes up so that every mode and option the components support
// reaches the provider, not only the combinations the repository's stacks happen to use.
type Generated struct {
	Name    string
	Why     string
	Cache   spec.Cache
	Network spec.Network
	// AuthToken, when set, is given as the secret rediskit:authToken (a user-chosen token).
	AuthToken string
}

func ip(i int) *int   { return &i }
func bp(b bool) *bool { return &b }
func zones(n int) []string {
	return []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}[:n]
}

var newVPC = spec.Network{CIDR: "10.40.0.0/16", AllowedCIDRs: map[string]string{"vpc": "10.40.0.0/16"}}

// existingVPC is a network given by id, with a security group as an ingress source besides a CIDR.
var existingVPC = spec.Network{
	VpcID:     "vpc-0123456789abcdef0",
	SubnetIDs: []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"},
	SubnetZones: map[string]string{
		"subnet-0123456789abcdef0": "eu-west-1a",
		"subnet-0123456789abcdef1": "eu-west-1b",
	},
	AllowedCIDRs:          map[string]string{"office": "192.0.2.0/24"},
	AllowedSecurityGroups: map[string]string{"api": "sg-0123456789abcdef0"},
}

const kmsKey = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// GeneratedStacks is the option matrix: each mode, and each option in a mode where it applies.
var GeneratedStacks = []Generated{
	{Name: "gen-single-defaults", Why: "single node with every default",
		Cache: spec.Cache{Name: "rk-single", Mode: spec.ModeSingle, Zones: zones(2)}, Network: newVPC},
	{Name: "gen-replication-token", Why: "replication group, user-chosen AUTH token, KMS keys, parameters, windows",
		Cache: spec.Cache{Name: "rk-repl", Mode: spec.ModeReplication, Engine: "redis", EngineVersion: "7.1",
			NodeType: "cache.m7g.large", Replicas: ip(2), Zones: zones(3),
			Parameters:        map[string]string{"maxmemory-policy": "allkeys-lru", "timeout": "300"},
			Encryption:        spec.Encryption{KmsKeyID: kmsKey},
			Auth:              spec.Auth{SecretKmsKeyID: kmsKey, UpdateStrategy: "set"},
			Snapshots:         spec.Snapshots{RetentionDays: ip(35), Window: "22:30-23:30"},
			MaintenanceWindow: "sat:01:00-sat:02:00",
			Logs:              spec.Logs{Format: "text", RetentionDays: 365, KmsKeyID: kmsKey},
			Tags:              map[string]string{"team": "platform"}},
		Network: newVPC, AuthToken: "a-user-chosen-token-0123456789"},
	{Name: "gen-cluster-existing-vpc", Why: "cluster mode on an existing VPC, a security group as source, no alarms or dashboard, an existing topic",
		Cache: spec.Cache{Name: "rk-cluster", Mode: spec.ModeCluster, NodeType: "cache.r7g.large", Shards: ip(2), Replicas: ip(1),
			Zones: zones(2), Alarms: spec.Alarms{Enabled: bp(false)}, Dashboard: spec.Dashboard{Enabled: bp(false)},
			Notifications: spec.Notifications{TopicArn: "arn:aws:sns:eu-west-1:111122223333:ops-events"}},
		Network: existingVPC},
	{Name: "gen-cluster-no-replicas", Why: "cluster mode without replicas (no failover, no Multi-AZ), no auth, no TLS",
		Cache: spec.Cache{Name: "rk-cluster0", Mode: spec.ModeCluster, NodeType: "cache.t4g.medium", Shards: ip(3), Replicas: ip(0),
			Zones: zones(2), Auth: spec.Auth{Mode: spec.AuthNone}, Encryption: spec.Encryption{InTransit: bp(false)}},
		Network: newVPC},
	{Name: "gen-serverless", Why: "serverless with usage limits and RBAC users (password and IAM)",
		Cache: spec.Cache{Name: "rk-serverless", Mode: spec.ModeServerless, Zones: zones(3),
			Serverless: spec.Serverless{MaxDataStorageGB: 10, MaxECPUPerSecond: 5000},
			Auth:       spec.Auth{Mode: spec.AuthRBAC, Users: []spec.User{{Name: "app", Access: "on ~app:* +@read +@write"}, {Name: "svc", AuthenticationMode: "iam"}}}},
		Network: newVPC},
	{Name: "gen-serverless-restore", Why: "serverless restored from a snapshot ARN, without limits",
		Cache: spec.Cache{Name: "rk-sl-restore", Mode: spec.ModeServerless, Zones: zones(2), Auth: spec.Auth{Mode: spec.AuthRBAC},
			Snapshots: spec.Snapshots{RestoreFromRdb: []string{"arn:aws:elasticache:eu-west-1:111122223333:serverlesscachesnapshot:nightly"}}},
		Network: newVPC},
	{Name: "gen-global-primary", Why: "the primary of a new global datastore",
		Cache: spec.Cache{Name: "rk-global", Mode: spec.ModeCluster, NodeType: "cache.r7g.large", Shards: ip(2), Replicas: ip(1),
			Zones: zones(2), CreateGlobalDatastore: true},
		Network: newVPC},
	{Name: "gen-global-secondary", Why: "a secondary joining a global datastore (inherits engine, node type, encryption)",
		Cache: spec.Cache{Name: "rk-global-2", Mode: spec.ModeCluster, Replicas: ip(1), Zones: zones(2),
			GlobalReplicationGroupID: "ldgnf-rk-global", Encryption: spec.Encryption{KmsKeyID: kmsKey}},
		Network: newVPC},
	{Name: "gen-global-secondary-replication", Why: "a replication-mode secondary of a global datastore",
		Cache: spec.Cache{Name: "rk-global-3", Mode: spec.ModeReplication, Replicas: ip(1), Zones: zones(2),
			GlobalReplicationGroupID: "ldgnf-rk-global"},
		Network: newVPC},
	{Name: "gen-rbac", Why: "RBAC users, password and IAM, on a replication group",
		Cache: spec.Cache{Name: "rk-rbac", Mode: spec.ModeReplication, Replicas: ip(1), Zones: zones(2),
			Auth: spec.Auth{Mode: spec.AuthRBAC, Users: []spec.User{{Name: "app", Access: "on ~app:* +@all"}, {Name: "reader", Access: "on ~* +@read"}, {Name: "svc-iam", AuthenticationMode: "iam"}}}},
		Network: newVPC},
	{Name: "gen-data-tiering", Why: "data tiering on r6gd nodes in cluster mode",
		Cache: spec.Cache{Name: "rk-tiering", Mode: spec.ModeCluster, NodeType: "cache.r6gd.xlarge", Shards: ip(2), Replicas: ip(1),
			Zones: zones(2), DataTiering: true, Parameters: map[string]string{"maxmemory-policy": "volatile-lru"}},
		Network: newVPC},
	{Name: "gen-restore-snapshot", Why: "a group restored from an ElastiCache snapshot, no final snapshot",
		Cache: spec.Cache{Name: "rk-restore", Mode: spec.ModeReplication, Replicas: ip(1), Zones: zones(2),
			Snapshots: spec.Snapshots{RestoreFromSnapshot: "nightly-2026-01-01", FinalSnapshot: bp(false)}},
		Network: newVPC},
	{Name: "gen-restore-rdb", Why: "a group restored from RDB files in S3, no automatic snapshots",
		Cache: spec.Cache{Name: "rk-restore-rdb", Mode: spec.ModeSingle, Zones: zones(2),
			Snapshots: spec.Snapshots{RestoreFromRdb: []string{"arn:aws:s3:::rk-backups/dump.rdb"}, RetentionDays: ip(0)}},
		Network: newVPC},
	{Name: "gen-logs-firehose", Why: "log delivery to a Firehose stream",
		Cache: spec.Cache{Name: "rk-firehose", Mode: spec.ModeReplication, Replicas: ip(1), Zones: zones(2),
			Logs: spec.Logs{Destination: "kinesis-firehose", FirehoseStream: "rk-logs"}},
		Network: newVPC},
	{Name: "gen-logs-off", Why: "no log delivery",
		Cache:   spec.Cache{Name: "rk-nologs", Mode: spec.ModeSingle, Zones: zones(2), Logs: spec.Logs{SlowLog: bp(false), EngineLog: bp(false)}},
		Network: newVPC},
	{Name: "gen-autoscaling", Why: "cluster mode with shard and replica auto scaling",
		Cache: spec.Cache{Name: "rk-scaling", Mode: spec.ModeCluster, NodeType: "cache.r7g.large", Shards: ip(2), Replicas: ip(1), Zones: zones(3),
			AutoScaling: spec.AutoScaling{Shards: &spec.ScalingPolicy{Min: 2, Max: 8, Metric: "memory", Target: 65}, Replicas: &spec.ScalingPolicy{Min: 1, Max: 3}}},
		Network: newVPC},
	{Name: "gen-dual-stack", Why: "dual-stack network type in a new VPC",
		Cache: spec.Cache{Name: "rk-dual", Mode: spec.ModeCluster, NodeType: "cache.m7g.large", Shards: ip(1), Replicas: ip(1), Zones: zones(2),
			NetworkType: "dual_stack", IPDiscovery: "ipv6"},
		Network: newVPC},
	{Name: "gen-ipv6", Why: "IPv6-only network type in a new VPC",
		Cache:   spec.Cache{Name: "rk-ipv6", Mode: spec.ModeReplication, NodeType: "cache.m7g.large", Replicas: ip(1), Zones: zones(2), NetworkType: "ipv6"},
		Network: newVPC},
	{Name: "gen-transit-preferred", Why: "turning TLS on for a live group (transit mode preferred)",
		Cache: spec.Cache{Name: "rk-tls-on", Mode: spec.ModeReplication, Replicas: ip(1), Zones: zones(2),
			Encryption: spec.Encryption{DeployedTransitMode: "off"}},
		Network: newVPC},
	{Name: "gen-cluster-transition", Why: "the first step of moving a group to cluster mode (compatible)",
		Cache:   spec.Cache{Name: "rk-transition", Mode: spec.ModeCluster, Shards: ip(1), Replicas: ip(1), Zones: zones(2), ClusterModeTransition: "compatible"},
		Network: newVPC},
	{Name: "gen-valkey9", Why: "Valkey 9, a Redis OSS-compatible setting, the dashboard's and alarms' defaults",
		Cache: spec.Cache{Name: "rk-valkey9", Mode: spec.ModeCluster, EngineVersion: "9.0", Shards: ip(1), Replicas: ip(1), Zones: zones(2),
			Parameters: map[string]string{"extended-redis-compatibility": "yes"}},
		Network: newVPC},
}

// Config is the stack config of a generated stack, as the Pulumi engine hands it to the program.
func (g Generated) Config() (cfg map[string]string, secretKeys []string, err error) {
	c := g.Cache
	c.Environment = g.Name
	cacheJSON, err := json.Marshal(c)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the cache of %s: %w", g.Name, err)
	}
	netJSON, err := json.Marshal(g.Network)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the network of %s: %w", g.Name, err)
	}
	cfg = map[string]string{
		"aws:region":           "eu-west-1",
		"rediskit:target":      string(spec.TargetAWS),
		"rediskit:environment": g.Name,
		"rediskit:cache":       string(cacheJSON),
		"rediskit:network":     string(netJSON),
	}
	if g.AuthToken != "" {
		cfg[program.AuthTokenKey] = g.AuthToken
		secretKeys = append(secretKeys, program.AuthTokenKey)
	}
	return cfg, secretKeys, nil
}

// Plan runs the program offline for a generated stack.
func (g Generated) Plan() (*plan.Plan, error) {
	cfg, secrets, err := g.Config()
	if err != nil {
		return nil, err
	}
	p, err := plan.Run(program.Run, "rediskit", g.Name, cfg, secrets)
	if err != nil {
		return nil, fmt.Errorf("planning generated stack %s (%s): %w", g.Name, g.Why, err)
	}
	return p, nil
}

// Stack is one stack's plan as the gate checks it.
type Stack struct {
	Name   string
	Region string
	Plan   *plan.Plan
}

// RepoStack plans a stack file of the repository (root holds Pulumi.yaml and stacks/).
func RepoStack(root, name string) (Stack, error) {
	cfg, _, _, err := plan.StackConfig(root, name)
	if err != nil {
		return Stack{}, err
	}
	p, err := plan.Stack(root, name)
	if err != nil {
		return Stack{}, err
	}
	return Stack{Name: name, Region: cfg["aws:region"], Plan: p}, nil
}

// Stack plans a generated stack.
func (g Generated) Stack() (Stack, error) {
	cfg, _, err := g.Config()
	if err != nil {
		return Stack{}, err
	}
	p, err := g.Plan()
	if err != nil {
		return Stack{}, err
	}
	return Stack{Name: g.Name, Region: cfg["aws:region"], Plan: p}, nil
}

// AllStacks plans every stack the gate checks: the repository's, then the generated ones.
func AllStacks(root string) ([]Stack, error) {
	var out []Stack
	for _, name := range RepoStacks {
		s, err := RepoStack(root, name)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	for _, g := range GeneratedStacks {
		s, err := g.Stack()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Render renders the stack's plan for the provider.
func (s Stack) Render() (*Rendered, error) {
	return Render(s.Name, s.Region, s.Plan.Resources)
}
