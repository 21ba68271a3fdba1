package spec

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/rediskit/rediskit/internal/validate"
	"github.com/rediskit/rediskit/paramgroup"
)

// ValidateAWS checks what ElastiCache itself (or the AWS provider) refuses beyond Validate, the
// target-neutral check: parameters as AWS has them for the engine version, node-type and
// data-tiering rules, and the steps AWS requires to change in-transit encryption. Each rule
// names the AWS page it comes from. The self-hosted target never calls it.
func (c *Cache) ValidateAWS() []validate.Problem {
	ps := &validate.Problems{}
	c.validateAWSParameters(ps)
	c.validateDataTiering(ps)
	c.validateTransitChange(ps)
	c.validateTransitMode(ps)
	c.validateUsers(ps)
	c.validateLogDestination(ps)
	c.validateNetworkType(ps)
	c.validateAutoScaling(ps)
	return ps.List
}

// ScalingMetrics maps the scaling metrics rediskit offers to Application Auto Scaling's
// predefined metric types, per scaled dimension ("Target tracking scaling policies" for shards
// and for replicas: replicas track CPU only).
var ScalingMetrics = map[string]map[string]string{
	"shards": {
		"cpu":      "ElastiCachePrimaryEngineCPUUtilization",
		"memory":   "ElastiCacheDatabaseMemoryUsageCountedForEvictPercentage",
		"capacity": "ElastiCacheDatabaseCapacityUsageCountedForEvictPercentage",
	},
	"replicas": {"cpu": "ElastiCacheReplicaEngineCPUUtilization"},
}

// validateAutoScaling: cluster mode only, on the node families AWS scales, outside global
// datastores, targets 35-70 %, and the largest group it may grow to within the node quota.
func (c *Cache) validateAutoScaling(ps *validate.Problems) {
	as := c.AutoScaling
	if as.Shards == nil && as.Replicas == nil {
		return
	}
	if c.Mode != ModeCluster {
		ps.Add("autoScaling", string(c.Mode), "auto scaling changes shards and replicas of cluster mode groups only")
		return
	}
	if nt, ok := LookupNodeType(c.NodeType); ok && !nt.AutoScaling {
		ps.Add("autoScaling", c.NodeType, "AWS auto-scales m5, m6g, m7g, r5, r6g, r6gd, r7g and c7gn nodes (large and up), not %s", nt.Family)
	}
	if c.GlobalReplicationGroupID != "" || c.CreateGlobalDatastore {
		ps.Add("autoScaling", "set", "a member of a global datastore is scaled through the datastore, not by auto scaling")
	}
	maxShards, maxReplicas := c.ShardCount(), Int(c.Replicas)
	for _, d := range []struct {
		name     string
		p        *ScalingPolicy
		min, max int
	}{{"shards", as.Shards, 1, MaxShards}, {"replicas", as.Replicas, 0, MaxReplicas}} {
		if d.p == nil {
			continue
		}
		f := "autoScaling." + d.name
		if d.p.Min < d.min || d.p.Max > d.max || d.p.Min > d.p.Max {
			ps.Add(f, fmt.Sprintf("%d-%d", d.p.Min, d.p.Max), "min <= max within %d-%d", d.min, d.max)
		}
		if _, ok := ScalingMetrics[d.name][d.p.Metric]; !ok {
			allowed := "cpu, memory or capacity"
			if d.name == "replicas" {
				allowed = "cpu (replicas track CPU only)"
			}
			ps.Add(f+".metric", d.p.Metric, "%s", allowed)
		}
		if d.p.Metric == "memory" && c.DataTiering {
			ps.Add(f+".metric", d.p.Metric, "capacity on data tiering nodes (memory excludes the SSD)")
		}
		if d.p.Target < 35 || d.p.Target > 70 {
			ps.Add(f+".target", d.p.Target, "a percentage from 35 to 70")
		}
		if d.name == "shards" {
			maxShards = max(maxShards, d.p.Max)
		} else {
			maxReplicas = max(maxReplicas, d.p.Max)
		}
	}
	if n := maxShards * (maxReplicas + 1); n > c.NodeQuota {
		ps.Add("autoScaling", fmt.Sprintf("%d shards x %d nodes", maxShards, maxReplicas+1), "auto scaling may grow the group to %d nodes, beyond the node quota of %d; lower max or raise nodeQuota", n, c.NodeQuota)
	}
}

// Network types ("Choosing a network type in ElastiCache").
const (
	NetworkIPv4      = "ipv4"
	NetworkIPv6      = "ipv6"
	NetworkDualStack = "dual_stack"
)

// validateNetworkType: IPv6 and dual stack run on Nitro nodes only; an IPv4-only group
// discovers IPv4 and an IPv6-only one IPv6; pulumi-aws v6.83.4's ServerlessCache takes no
// network type.
func (c *Cache) validateNetworkType(ps *validate.Problems) {
	switch c.NetworkType {
	case NetworkIPv4, NetworkIPv6, NetworkDualStack:
	default:
		ps.Add("networkType", c.NetworkType, "ipv4, dual_stack or ipv6")
		return
	}
	switch c.IPDiscovery {
	case NetworkIPv4, NetworkIPv6:
	default:
		ps.Add("ipDiscovery", c.IPDiscovery, "ipv4 or ipv6")
		return
	}
	if c.NetworkType != NetworkDualStack && c.IPDiscovery != c.NetworkType {
		ps.Add("ipDiscovery", c.IPDiscovery, "%s with networkType %s (only dual_stack chooses)", c.NetworkType, c.NetworkType)
	}
	if c.NetworkType == NetworkIPv4 {
		return
	}
	if c.Mode == ModeServerless {
		ps.Add("networkType", c.NetworkType, "ipv4 for serverless caches: pulumi-aws v6.83.4's ServerlessCache has no networkType")
		return
	}
	if nt, ok := LookupNodeType(c.NodeType); ok && nt.NotNitro {
		ps.Add("networkType", c.NetworkType, "IPv6 and dual stack need a Nitro node type; %s is not one (use t3/t4g, m5/r5 or newer)", c.NodeType)
	}
}

// Log destinations ElastiCache delivers to (LogDeliveryConfigurationRequest: DestinationType).
const (
	LogsToCloudWatch = "cloudwatch-logs"
	LogsToFirehose   = "kinesis-firehose"
)

// firehoseNameRe is a Firehose delivery stream name (CreateDeliveryStream: 1-64 of
// [a-zA-Z0-9_.-]).
var firehoseNameRe = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)

func (c *Cache) validateLogDestination(ps *validate.Problems) {
	switch c.Logs.Destination {
	case LogsToCloudWatch:
		if c.Logs.FirehoseStream != "" {
			ps.Add("logs.firehoseStream", c.Logs.FirehoseStream, "only with logs.destination kinesis-firehose")
		}
		if k := c.Logs.KmsKeyID; k != "" && !IsPending(k) && !kmsKeyArnRe.MatchString(k) {
			ps.Add("logs.kmsKeyId", k, "a KMS key's ARN (a CloudWatch log group takes no key id or alias), e.g. arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")
		}
	case LogsToFirehose:
		if !IsPending(c.Logs.FirehoseStream) && !firehoseNameRe.MatchString(c.Logs.FirehoseStream) {
			ps.Add("logs.firehoseStream", c.Logs.FirehoseStream, "the name of an existing Firehose delivery stream (1-64 letters, digits, _ . -)")
		}
		if c.Logs.KmsKeyID != "" {
			ps.Add("logs.kmsKeyId", c.Logs.KmsKeyID, "only for CloudWatch log groups; Firehose encrypts with the stream's own settings")
		}
	default:
		ps.Add("logs.destination", c.Logs.Destination, "cloudwatch-logs or kinesis-firehose")
	}
}

// validateUsers checks the RBAC users' authentication modes ("Authenticating with IAM": IAM
// users need TLS, which RBAC already requires, and their user id equals their user name, so
// the name is unique among the account's ElastiCache users in the region).
func (c *Cache) validateUsers(ps *validate.Problems) {
	for i, u := range c.Auth.Users {
		switch u.AuthenticationMode {
		case "", "password", "iam":
		default:
			ps.Add(fmt.Sprintf("auth.users[%d].authenticationMode", i), u.AuthenticationMode, "password (default) or iam")
		}
	}
}

// validateAWSParameters reports what ElastiCache refuses in the parameter group and the
// target-neutral check did not already report: parameters ElastiCache fixes but the
// self-hosted engine honours (appendonly, appendfsync, activerehashing), parameters a later
// version of the family added, sizes written with units.
func (c *Cache) validateAWSParameters(ps *validate.Problems) {
	if c.Mode == ModeServerless || len(c.Parameters) == 0 {
		return
	}
	fam, err := paramgroup.FamilyFor(c.Engine, c.EngineVersion)
	if err != nil {
		return // Validate names the engine or version
	}
	seen := map[string]bool{}
	for _, p := range paramgroup.ValidateFor(paramgroup.Common, fam, "", c.Parameters) {
		seen[p.Field] = true
	}
	for _, p := range paramgroup.ValidateFor(paramgroup.ElastiCache, fam, c.EngineVersion, c.Parameters) {
		if !seen[p.Field] {
			ps.List = append(ps.List, p)
		}
	}
}

// validateDataTiering: r6gd nodes exist only with data tiering, and data tiering allows only
// three eviction policies ("Data tiering in ElastiCache": prerequisites; "Redis OSS 6.x
// parameter changes" note on r6gd).
func (c *Cache) validateDataTiering(ps *validate.Problems) {
	if c.Mode == ModeServerless {
		return
	}
	nt, known := LookupNodeType(c.NodeType)
	if known && nt.DataTiering && !c.DataTiering {
		ps.Add("dataTiering", false, "%s nodes run only with data tiering: set dataTiering true, or pick an r6g/r7g node", c.NodeType)
	}
	if !c.DataTiering {
		return
	}
	policy := c.Parameters["maxmemory-policy"]
	if policy == "" {
		policy = paramgroup.Schema(c.Family())["maxmemory-policy"].Default
	}
	if policy != "" && !slices.Contains(paramgroup.DataTieringEvictionPolicies, policy) {
		ps.Add("parameters.maxmemory-policy", policy, "data tiering allows only %s", strings.Join(paramgroup.DataTieringEvictionPolicies, ", "))
	}
}

// transitModes are what encryption.deployedTransitMode may say about a live group.
var transitModes = []string{"off", "preferred", "required"}

// validateTransitChange enforces "Modifying in-transit encryption": a live group turns TLS on
// with transit mode preferred, and only a later update moves it to required; turning TLS off
// goes back through preferred the same way.
func (c *Cache) validateTransitChange(ps *validate.Problems) {
	from := c.Encryption.DeployedTransitMode
	if from == "" {
		return
	}
	if !slices.Contains(transitModes, from) {
		ps.Add("encryption.deployedTransitMode", from, "off, preferred or required: what the existing group runs now")
		return
	}
	on := Bool(c.Encryption.InTransit)
	to := "off"
	if on {
		to = c.Encryption.TransitMode
	}
	switch {
	case c.Mode == ModeServerless:
		ps.Add("encryption.deployedTransitMode", from, "serverless caches are always TLS; remove it")
	case from == "off" && to == "required":
		ps.Add("encryption.transitMode", to, "a group without TLS turns it on in two updates: transitMode preferred now (the default), required once every client uses TLS")
	case from == "required" && to == "off":
		ps.Add("encryption.inTransit", false, "a group with TLS required turns it off in two updates: transitMode preferred first, then inTransit false")
	}
}

// validateTransitMode: preferred (TLS optional) does not go with RBAC user groups, which AWS
// attaches only once in-transit encryption is required ("User group based access control
// requires encryption-in-transit", terraform-provider-aws #42966), nor with the primary of a
// global datastore.
func (c *Cache) validateTransitMode(ps *validate.Problems) {
	if !Bool(c.Encryption.InTransit) || c.Encryption.TransitMode != "preferred" || c.Mode == ModeServerless {
		return
	}
	if c.Auth.Mode == AuthRBAC {
		ps.Add("encryption.transitMode", "preferred", "required with auth.mode rbac: AWS attaches user groups only to groups that require TLS (move to required first, then to rbac)")
	}
	if c.CreateGlobalDatastore {
		ps.Add("encryption.transitMode", "preferred", "required for the primary of a global datastore")
	}
}
