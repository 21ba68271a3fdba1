package spec

import (
	"fmt"

	"github.com/rediskit/rediskit/internal/validate"
	"github.com/rediskit/rediskit/paramgroup"
)

// Best-practice defaults. Each is overridable from stack config.
const (
	DefaultEngine            = paramgroup.Valkey
	DefaultPort              = 6379
	DefaultNodeType          = "cache.r7g.large"
	DefaultMaintenanceWindow = "sun:05:00-sun:06:00"
	DefaultSnapshotWindow    = "03:00-04:00"
	DefaultSnapshotRetention = 7
	DefaultLogRetentionDays  = 30
	DefaultNodeQuota         = 90
	DefaultShards            = 3
)

// Defaults returns a copy of c with every unset field filled in. It never fails: invalid values
// are kept as given so that Validate can name them.
func Defaults(c Cache) Cache {
	if c.Mode == "" {
		c.Mode = ModeReplication
	}
	if c.Engine == "" {
		c.Engine = DefaultEngine
	}
	if c.EngineVersion == "" {
		c.EngineVersion = paramgroup.DefaultVersion(c.Engine)
	}
	if c.NodeType == "" && c.Mode != ModeServerless {
		c.NodeType = DefaultNodeType
	}
	if c.Port == 0 {
		c.Port = DefaultPort
	}
	switch c.Mode {
	case ModeSingle:
		c.Shards = defaultInt(c.Shards, 1)
		c.Replicas = defaultInt(c.Replicas, 0)
	case ModeReplication:
		c.Shards = defaultInt(c.Shards, 1)
		c.Replicas = defaultInt(c.Replicas, 2)
	case ModeCluster:
		c.Shards = defaultInt(c.Shards, DefaultShards)
		c.Replicas = defaultInt(c.Replicas, 1)
	}
	hasReplicas := Int(c.Replicas) > 0
	if c.Mode == ModeServerless {
		return serverlessDefaults(c)
	}
	if c.AutomaticFailover == nil {
		// Cluster mode always runs with automatic failover on; AWS refuses it off.
		c.AutomaticFailover = ptr(hasReplicas || c.Mode == ModeCluster)
	}
	if c.MultiAZ == nil {
		c.MultiAZ = ptr(hasReplicas)
	}
	if c.MaintenanceWindow == "" {
		c.MaintenanceWindow = DefaultMaintenanceWindow
	}
	c.AutoMinorVersionUpgrade = defaultBool(c.AutoMinorVersionUpgrade, true)
	c.ApplyImmediately = defaultBool(c.ApplyImmediately, false)

	if c.Auth.Mode == "" {
		c.Auth.Mode = AuthToken
	}
	return commonDefaults(c)
}

// serverlessDefaults: serverless is always Multi-AZ and TLS-only, authenticates with RBAC only
// (no AUTH token), and has no maintenance window, parameter group or log delivery.
func serverlessDefaults(c Cache) Cache {
	if c.Auth.Mode == "" {
		c.Auth.Mode = AuthRBAC
	}
	c.Logs.SlowLog = defaultBool(c.Logs.SlowLog, false)
	c.Logs.EngineLog = defaultBool(c.Logs.EngineLog, false)
	return commonDefaults(c)
}

func commonDefaults(c Cache) Cache {
	for _, p := range []**ScalingPolicy{&c.AutoScaling.Shards, &c.AutoScaling.Replicas} {
		if *p == nil {
			continue
		}
		sp := **p // a copy: the caller's policy stays as given
		if sp.Metric == "" {
			sp.Metric = "cpu"
		}
		if sp.Target == 0 {
			sp.Target = 60
		}
		*p = &sp
	}
	if c.NetworkType == "" {
		c.NetworkType = NetworkIPv4
	}
	if c.IPDiscovery == "" {
		c.IPDiscovery = NetworkIPv4
		if c.NetworkType == NetworkIPv6 {
			c.IPDiscovery = NetworkIPv6
		}
	}
	if c.SelfHosted.Driver == "" {
		c.SelfHosted.Driver = "process"
	}
	if c.SelfHosted.Host == "" {
		c.SelfHosted.Host = "127.0.0.1"
	}
	if c.SelfHosted.BasePort == 0 {
		c.SelfHosted.BasePort = 7000
	}
	if c.SelfHosted.Persistence == "" {
		c.SelfHosted.Persistence = "rdb+aof"
	}
	if c.NodeQuota == 0 {
		c.NodeQuota = DefaultNodeQuota
	}
	if c.Auth.UpdateStrategy == "" {
		c.Auth.UpdateStrategy = "rotate"
	}
	c.Encryption.AtRest = defaultBool(c.Encryption.AtRest, true)
	c.Encryption.InTransit = defaultBool(c.Encryption.InTransit, true)
	if c.Encryption.TransitMode == "" && Bool(c.Encryption.InTransit) {
		c.Encryption.TransitMode = "required"
		// A live group without TLS takes it in two updates: preferred first.
		if c.Encryption.DeployedTransitMode == "off" {
			c.Encryption.TransitMode = "preferred"
		}
	}

	c.Snapshots.RetentionDays = defaultInt(c.Snapshots.RetentionDays, DefaultSnapshotRetention)
	if c.Snapshots.Window == "" {
		c.Snapshots.Window = DefaultSnapshotWindow
	}
	c.Snapshots.FinalSnapshot = defaultBool(c.Snapshots.FinalSnapshot, true)

	c.Logs.SlowLog = defaultBool(c.Logs.SlowLog, true)
	c.Logs.EngineLog = defaultBool(c.Logs.EngineLog, true)
	if c.Logs.RetentionDays == 0 {
		c.Logs.RetentionDays = DefaultLogRetentionDays
	}
	if c.Logs.Format == "" {
		c.Logs.Format = "json"
	}
	if c.Logs.Destination == "" {
		c.Logs.Destination = LogsToCloudWatch
	}

	c.Alarms.Enabled = defaultBool(c.Alarms.Enabled, true)
	c.Dashboard.Enabled = defaultBool(c.Dashboard.Enabled, true)
	defaultFloat(&c.Alarms.CPUPercent, 75)
	defaultFloat(&c.Alarms.MemoryPercent, 80)
	defaultFloat(&c.Alarms.Evictions, 1000)
	defaultFloat(&c.Alarms.Connections, 5000)
	defaultFloat(&c.Alarms.ReplicationLagSeconds, 30)
	if c.Alarms.PeriodSeconds == 0 {
		c.Alarms.PeriodSeconds = 300
	}
	if c.Alarms.EvaluationPeriods == 0 {
		c.Alarms.EvaluationPeriods = 2
	}
	return c
}

func defaultInt(p *int, v int) *int {
	if p == nil {
		return ptr(v)
	}
	return p
}

func defaultBool(p *bool, v bool) *bool {
	if p == nil {
		return ptr(v)
	}
	return p
}

func defaultFloat(p *float64, v float64) {
	if *p == 0 {
		*p = v
	}
}

// Resolve applies the defaults and validates the result: the one call a target makes before it
// creates anything.
func Resolve(c Cache) (Cache, error) {
	r := Defaults(c)
	return r, r.Validate()
}

// ResolveAWS is Resolve plus what only ElastiCache enforces (ValidateAWS).
func ResolveAWS(c Cache) (Cache, error) {
	r := Defaults(c)
	ps := &validate.Problems{What: fmt.Sprintf("cache %q", r.Name)}
	if err := r.Validate(); err != nil {
		verr, ok := err.(*validate.Error)
		if !ok {
			return r, err
		}
		ps.List = append(ps.List, verr.Problems...)
	}
	ps.List = append(ps.List, r.ValidateAWS()...)
	return r, ps.Err()
}
