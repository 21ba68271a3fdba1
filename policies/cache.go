package policies

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Cache roles tell rules what a cache resource can be asked for: a standalone node cannot be
// encrypted at rest or fail over; a replication group can.
const (
	RoleReplicationGroup = "replication-group"
	RoleStandalone       = "standalone-node"
	RoleServerless       = "serverless"
	RoleSelfHosted       = "self-hosted"
)

// Shard is one node group: its primary's zone and its replicas' zones, when pinned.
type Shard struct {
	Primary  string
	Replicas []string
}

// CacheView is the meaning of a cache resource, whatever its type. Adapters fill it from each
// type's inputs with that type's defaults already applied where the default is certain (an
// absent atRestEncryptionEnabled on a replication group means false), so rules never need to
// know the type.
type CacheView struct {
	Role string
	// Target is "kubernetes" for a self-hosted-role cache on Kubernetes ("" otherwise): the
	// same rules, in that target's words.
	Target            string
	Engine            optString
	EngineVersion     optString
	NodeType          optString
	AtRestEncryption  optBool
	KMSKeyID          optString
	TransitEncryption optBool
	TransitMode       optString // "required" or "preferred" when encryption is on
	AuthToken         optBool   // an AUTH token is configured (its value is never read)
	UserGroupIDs      []string
	AuthUnknown       bool
	SnapshotRetention optNumber
	// MetricsPort is where a self-hosted deployment serves its metrics (0: nowhere).
	MetricsPort          optNumber
	SnapshotWindow       optString
	MaintenanceWindow    optString
	AutoMinorUpgrade     optBool
	AutomaticFailover    optBool
	MultiAZ              optBool
	ClusterMode          bool
	NodeCount            optNumber // nodes per shard (1 = no replica)
	PreferredAZs         []string
	Shards               []Shard
	ParameterGroupName   optString
	SubnetGroupName      optString
	SubnetIDs            []string // serverless caches name subnets instead of a subnet group
	SubnetsUnknown       bool
	LogTypes             []string
	LogsUnknown          bool
	NotificationTopic    optString
	FinalSnapshot        optString
	ClassicSecurityNames []string
	Port                 optNumber
	// Persistence applies to self-hosted engines (RDB/AOF on); ElastiCache persists through
	// snapshots, which automatic-backups checks.
	Persistence optBool
}

// Adapter builds a CacheView from a resource's inputs; ok is false when the resource is not
// a cache the pack judges (a Memcached cluster, a member node of a replication group).
type Adapter func(inputs property.Map) (view CacheView, ok bool)

var adapters = map[string]Adapter{
	"aws:elasticache/replicationGroup:ReplicationGroup": replicationGroupView,
	"aws:elasticache/cluster:Cluster":                   clusterView,
	"aws:elasticache/serverlessCache:ServerlessCache":   serverlessView,
	TypeSelfHostedDeployment:                            SelfHostedDeploymentView,
	TypeKubernetesCache:                                 KubernetesCacheView,
}

// RegisterCacheType lets another target (the self-hosted engine) declare which of its
// resource types are caches and how to read them; every cache rule then applies to it.
func RegisterCacheType(resourceType string, a Adapter) { adapters[resourceType] = a }

// CacheOf returns the cache view of r, if r is a cache.
func CacheOf(r Resource) (CacheView, bool) {
	a, ok := adapters[r.Type]
	if !ok {
		return CacheView{}, false
	}
	return a(r.Inputs)
}

func isMemcached(e optString) bool { return e.Set && strings.EqualFold(e.Value, "memcached") }

func logTypes(in property.Map) ([]string, bool) {
	cfgs, unknown := getMaps(in, "logDeliveryConfigurations")
	var out []string
	for _, c := range cfgs {
		t := getString(c, "logType")
		if t.Unknown {
			unknown = true
		} else if t.Set {
			out = append(out, t.Value)
		}
	}
	return out, unknown
}

func replicationGroupView(in property.Map) (CacheView, bool) {
	v := CacheView{Role: RoleReplicationGroup}
	v.Engine = getString(in, "engine")
	if !v.Engine.Set && !v.Engine.Unknown {
		v.Engine = optString{Set: true, Value: "redis"} // the API's default
	}
	if isMemcached(v.Engine) {
		return v, false
	}
	v.EngineVersion = getString(in, "engineVersion")
	v.NodeType = getString(in, "nodeType")
	v.AtRestEncryption = defaultBool(getBool(in, "atRestEncryptionEnabled"), false)
	v.KMSKeyID = getString(in, "kmsKeyId")
	v.TransitEncryption = defaultBool(getBool(in, "transitEncryptionEnabled"), false)
	v.TransitMode = getString(in, "transitEncryptionMode")
	tok := lookup(in, "authToken")
	v.AuthToken = optBool{Set: true, Value: known(tok) && (!tok.IsString() || tok.AsString() != "")}
	if tok.IsComputed() {
		// A generated password is unknown until it exists; it is still a token.
		v.AuthToken = optBool{Set: true, Value: true}
	}
	v.UserGroupIDs, v.AuthUnknown = getStrings(in, "userGroupIds")
	v.SnapshotRetention = defaultNumber(getNumber(in, "snapshotRetentionLimit"), 0)
	v.SnapshotWindow = getString(in, "snapshotWindow")
	v.MaintenanceWindow = getString(in, "maintenanceWindow")
	v.AutoMinorUpgrade = defaultBool(getBool(in, "autoMinorVersionUpgrade"), true)
	v.AutomaticFailover = defaultBool(getBool(in, "automaticFailoverEnabled"), false)
	v.MultiAZ = defaultBool(getBool(in, "multiAzEnabled"), false)
	mode := getString(in, "clusterMode")
	groups := getNumber(in, "numNodeGroups")
	v.ClusterMode = (mode.Set && mode.Value == "enabled") || (groups.Set && groups.Value > 1)
	if n := getNumber(in, "numCacheClusters"); n.Set || n.Unknown {
		v.NodeCount = n
	} else if r := getNumber(in, "replicasPerNodeGroup"); r.Set {
		v.NodeCount = optNumber{Set: true, Value: r.Value + 1}
	} else if r.Unknown {
		v.NodeCount = optNumber{Unknown: true}
	}
	v.PreferredAZs, _ = getStrings(in, "preferredCacheClusterAzs")
	ngs, _ := getMaps(in, "nodeGroupConfigurations")
	for _, ng := range ngs {
		s := Shard{Primary: getString(ng, "primaryAvailabilityZone").Value}
		s.Replicas, _ = getStrings(ng, "replicaAvailabilityZones")
		v.Shards = append(v.Shards, s)
	}
	v.ParameterGroupName = getString(in, "parameterGroupName")
	v.SubnetGroupName = getString(in, "subnetGroupName")
	v.LogTypes, v.LogsUnknown = logTypes(in)
	v.NotificationTopic = getString(in, "notificationTopicArn")
	v.FinalSnapshot = getString(in, "finalSnapshotIdentifier")
	v.Port = getNumber(in, "port")
	return v, true
}

func clusterView(in property.Map) (CacheView, bool) {
	// A node that joins a replication group takes its settings from the group, which the
	// rules judge instead.
	if rg := getString(in, "replicationGroupId"); rg.Set || rg.Unknown {
		return CacheView{}, false
	}
	v := CacheView{Role: RoleStandalone}
	v.Engine = getString(in, "engine")
	if isMemcached(v.Engine) {
		return v, false
	}
	v.EngineVersion = getString(in, "engineVersion")
	v.NodeType = getString(in, "nodeType")
	// A standalone Redis OSS/Valkey cluster has no at-rest encryption, no TLS (the API takes
	// transitEncryptionEnabled for Memcached only), no AUTH and no failover: these are
	// known-false, which is exactly what the rules should say about it.
	v.AtRestEncryption = optBool{Set: true, Value: false}
	v.TransitEncryption = optBool{Set: true, Value: false}
	v.AuthToken = optBool{Set: true, Value: false}
	v.SnapshotRetention = defaultNumber(getNumber(in, "snapshotRetentionLimit"), 0)
	v.SnapshotWindow = getString(in, "snapshotWindow")
	v.MaintenanceWindow = getString(in, "maintenanceWindow")
	v.AutoMinorUpgrade = defaultBool(getBool(in, "autoMinorVersionUpgrade"), true)
	v.AutomaticFailover = optBool{Set: true, Value: false}
	v.MultiAZ = optBool{Set: true, Value: false}
	v.NodeCount = getNumber(in, "numCacheNodes")
	v.ParameterGroupName = getString(in, "parameterGroupName")
	v.SubnetGroupName = getString(in, "subnetGroupName")
	v.LogTypes, v.LogsUnknown = logTypes(in)
	v.NotificationTopic = getString(in, "notificationTopicArn")
	v.FinalSnapshot = getString(in, "finalSnapshotIdentifier")
	v.ClassicSecurityNames, _ = getStrings(in, "securityGroupNames")
	v.Port = getNumber(in, "port")
	return v, true
}

func defaultBool(b optBool, def bool) optBool {
	if !b.Set && !b.Unknown {
		return optBool{Set: true, Value: def}
	}
	return b
}

func defaultNumber(n optNumber, def float64) optNumber {
	if !n.Set && !n.Unknown {
		return optNumber{Set: true, Value: def}
	}
	return n
}

// serverlessView reads a serverless cache. ElastiCache Serverless always encrypts at rest and
// in transit, spreads over zones, fails over and patches itself; it has no node type,
// parameter group, maintenance window or log delivery. Those facts are set known-true here so
// that the rules about them stay silent, and the rules that do apply (AUTH, KMS key,
// snapshots, subnets, engine version) judge it like any cache.
func serverlessView(in property.Map) (CacheView, bool) {
	v := CacheView{Role: RoleServerless}
	v.Engine = getString(in, "engine")
	if isMemcached(v.Engine) {
		return v, false
	}
	v.EngineVersion = getString(in, "majorEngineVersion")
	v.AtRestEncryption = optBool{Set: true, Value: true}
	v.KMSKeyID = getString(in, "kmsKeyId")
	v.TransitEncryption = optBool{Set: true, Value: true}
	v.AuthToken = optBool{Set: true, Value: false}
	if g := getString(in, "userGroupId"); g.Set {
		v.UserGroupIDs = []string{g.Value}
	} else if g.Unknown {
		v.AuthUnknown = true
	}
	v.SnapshotRetention = defaultNumber(getNumber(in, "snapshotRetentionLimit"), 0)
	v.AutoMinorUpgrade = optBool{Set: true, Value: true}
	v.AutomaticFailover = optBool{Set: true, Value: true}
	v.MultiAZ = optBool{Set: true, Value: true}
	v.SubnetIDs, v.SubnetsUnknown = getStrings(in, "subnetIds")
	return v, true
}
