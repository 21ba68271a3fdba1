package spec

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/rediskit/rediskit/internal/validate"
	"github.com/rediskit/rediskit/paramgroup"
	"github.com/rediskit/rediskit/window"
)

var (
	groupIDCharsRe = regexp.MustCompile(`^[a-z0-9-]+$`)
	userNameRe     = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*$`)
	// AUTH tokens: printable ASCII, and of the specials only these (AWS's rule).
	tokenRe = regexp.MustCompile(`^[A-Za-z0-9!&#$^<>-]+$`)
)

// MaxReplicas is ElastiCache's limit of replicas per primary.
const MaxReplicas = 5

// MaxShards is the largest shard count ElastiCache supports (Valkey 7.2+ / Redis OSS 5.0.6+).
const MaxShards = 500

// Validate checks a cache that Defaults has filled in. Every problem is reported, each naming
// the field as it is written in stack config under `rediskit:cache`.
func (c *Cache) Validate() error {
	ps := &validate.Problems{What: fmt.Sprintf("cache %q", c.Name)}
	c.validateIdentity(ps)
	c.validateTopology(ps)
	c.validateEngine(ps)
	c.validateSecurity(ps)
	c.validateOperations(ps)
	return ps.Err()
}

func (c *Cache) validateIdentity(ps *validate.Problems) {
	// Every broken rule of the group id is its own problem, so one edit fixes them all.
	if c.Name == "" {
		ps.Add("name", nil, "a replication group id is required: up to 40 lowercase letters, digits and hyphens, starting with a letter")
	} else {
		if len(c.Name) > 40 {
			ps.Add("name", c.Name, "at most 40 characters (it has %d)", len(c.Name))
		}
		if !groupIDCharsRe.MatchString(c.Name) {
			ps.Add("name", c.Name, "lowercase letters, digits and hyphens only, starting with a letter")
		}
		if first := c.Name[0]; !(first >= 'a' && first <= 'z' || first >= 'A' && first <= 'Z') {
			ps.Add("name", c.Name, "it must start with a letter, not %q", string(first))
		}
		if strings.Contains(c.Name, "--") {
			ps.Add("name", c.Name, "two consecutive hyphens are not allowed")
		}
		if strings.HasSuffix(c.Name, "-") {
			ps.Add("name", c.Name, "it must not end with a hyphen")
		}
	}
	for k, v := range c.Tags {
		if len(k) == 0 || len(k) > 128 || strings.HasPrefix(strings.ToLower(k), "aws:") {
			ps.Add("tags", k, "tag keys are 1-128 characters and may not start with aws:")
		}
		if len(v) > 256 {
			ps.Add("tags."+k, v, "tag values are at most 256 characters")
		}
	}
}

func (c *Cache) validateTopology(ps *validate.Problems) {
	if c.Mode == ModeServerless {
		c.validateServerless(ps)
		return
	}
	shards, replicas := Int(c.Shards), Int(c.Replicas)
	switch c.Mode {
	case ModeSingle:
		if replicas != 0 {
			ps.Add("replicas", replicas, "a single-node cache has 0 replicas; use mode replication for 1-5")
		}
		if shards != 1 {
			ps.Add("shards", shards, "a single-node cache has 1 shard; use mode cluster for more")
		}
	case ModeReplication:
		if replicas < 1 || replicas > MaxReplicas {
			ps.Add("replicas", replicas, "a replication group has 1-%d replicas", MaxReplicas)
		}
		if shards != 1 {
			ps.Add("shards", shards, "a replication group has 1 shard; use mode cluster for more")
		}
	case ModeCluster:
		if shards < 1 || shards > MaxShards {
			ps.Add("shards", shards, "cluster mode has 1-%d shards", MaxShards)
		}
		if replicas < 0 || replicas > MaxReplicas {
			ps.Add("replicas", replicas, "cluster mode has 0-%d replicas per shard", MaxReplicas)
		}
	default:
		ps.Add("mode", string(c.Mode), "one of single, replication, cluster, serverless")
	}
	if c.NodeQuota < 1 || c.NodeQuota > 500 {
		ps.Add("nodeQuota", c.NodeQuota, "1-500 (ElastiCache's default quota is 90 nodes per cluster)")
	} else if n := c.Nodes(); n > c.NodeQuota && shards >= 1 && replicas >= 0 {
		ps.Add("shards", shards, "shards x (replicas + 1) = %d nodes exceeds the node quota of %d; raise nodeQuota after raising the AWS quota", n, c.NodeQuota)
	}
	switch c.ClusterModeTransition {
	case "":
	case "compatible":
		if c.Mode != ModeCluster || shards != 1 {
			ps.Add("clusterModeTransition", c.ClusterModeTransition, `only with mode cluster and shards 1 (the first step of moving a replication group to cluster mode)`)
		}
		// "Modifying cluster mode": the group must have automatic failover on and a replica.
		if !Bool(c.AutomaticFailover) || replicas < 1 {
			ps.Add("clusterModeTransition", c.ClusterModeTransition, "cluster mode compatible needs automaticFailover true and at least 1 replica")
		}
	default:
		ps.Add("clusterModeTransition", c.ClusterModeTransition, `empty, or "compatible" while migrating a replication group to cluster mode`)
	}

	failover, multiAZ := Bool(c.AutomaticFailover), Bool(c.MultiAZ)
	if c.Mode == ModeCluster && !failover {
		ps.Add("automaticFailover", false, "cluster mode requires automatic failover")
	}
	if c.Mode != ModeCluster && failover && replicas == 0 {
		ps.Add("automaticFailover", true, "automatic failover needs at least 1 replica (2 nodes)")
	}
	if multiAZ && !failover {
		ps.Add("multiAz", true, "Multi-AZ requires automaticFailover true")
	}
	if multiAZ && replicas == 0 {
		ps.Add("multiAz", true, "Multi-AZ needs at least 1 replica per shard (2 nodes)")
	}
	if multiAZ && len(uniq(c.Zones)) == 1 {
		ps.Add("zones", c.Zones, "Multi-AZ needs at least 2 distinct zones")
	}
	if len(uniq(c.Zones)) != len(c.Zones) {
		ps.Add("zones", c.Zones, "zones must be distinct")
	}
	// More nodes per shard than zones is allowed with Multi-AZ: AWS places the replicas outside
	// the primary's zone where it can and lets nodes share zones ("Minimizing downtime with
	// Multi-AZ"); SpreadZones does the same for the replication group's placement.

	nt, known := LookupNodeType(c.NodeType)
	if !known {
		ps.Add("nodeType", c.NodeType, "%s", NodeFamilies())
	} else {
		if nt.FailoverUnsupported && failover {
			ps.Add("nodeType", c.NodeType, "AWS refuses automatic failover and Multi-AZ (needed by replicas with failover and by cluster mode) on %s nodes; use t2 or newer", nt.Family)
		}
		if c.DataTiering && !nt.DataTiering {
			ps.Add("dataTiering", true, "data tiering runs only on r6gd nodes, not %s", c.NodeType)
		}
	}
}

func (c *Cache) validateEngine(ps *validate.Problems) {
	// A bad engine or version does not stop the other checks: parameters are then checked
	// against every family the engine could mean, and the port regardless.
	fam, err := paramgroup.FamilyFor(c.Engine, c.EngineVersion)
	knownEngine := c.Engine == paramgroup.Valkey || c.Engine == paramgroup.Redis
	if err != nil {
		if !knownEngine {
			ps.Add("engine", string(c.Engine), "one of %s", strings.Join(paramgroup.Engines(), ", "))
		} else {
			ps.Add("engineVersion", c.EngineVersion, "%s versions: %s", c.Engine, strings.Join(paramgroup.Versions(c.Engine), ", "))
		}
	}
	if c.Mode == ModeServerless {
		if len(c.Parameters) > 0 {
			ps.Add("parameters", len(c.Parameters), "serverless caches take no parameter group")
		}
		return
	}
	if c.Port < 1024 || c.Port > 65535 {
		ps.Add("port", c.Port, "1024-65535")
	}
	if f := c.ParameterGroupFamily; f != "" && !knownFamily(f) {
		ps.Add("parameterGroupFamily", string(f), "one of %s", familyList())
	} else if f != "" && err == nil && f != fam {
		ps.Add("parameterGroupFamily", string(f), "%s %s belongs to family %s", c.Engine, c.EngineVersion, fam)
	}
	if c.DataTiering && c.Engine == paramgroup.Redis && c.EngineVersion < "6.2" {
		ps.Add("dataTiering", true, "data tiering needs Redis OSS 6.2 or later")
	}
	if err == nil {
		ps.Merge("", paramgroup.ValidateFor(paramgroup.Common, fam, "", c.Parameters))
		return
	}
	// The family is unknown: report a parameter only when no family it could be refuses it
	// less, i.e. every candidate family refuses it; the newest family's reason is given.
	var candidates []paramgroup.Family
	for _, f := range paramgroup.Families() {
		if !knownEngine || paramgroup.EngineOf(f) == c.Engine {
			candidates = append(candidates, f)
		}
	}
	for _, name := range SortedKeys(c.Parameters) {
		one := map[string]string{name: c.Parameters[name]}
		var first []validate.Problem
		refused := true
		for i := len(candidates) - 1; i >= 0; i-- {
			probs := paramgroup.ValidateFor(paramgroup.Common, candidates[i], "", one)
			if len(probs) == 0 {
				refused = false
				break
			}
			if first == nil {
				first = probs
			}
		}
		if refused {
			ps.Merge("", first)
		}
	}
}

func knownFamily(f paramgroup.Family) bool {
	for _, x := range paramgroup.Families() {
		if x == f {
			return true
		}
	}
	return false
}

func familyList() string {
	var fs []string
	for _, f := range paramgroup.Families() {
		fs = append(fs, string(f))
	}
	return strings.Join(fs, ", ")
}

func (c *Cache) validateSecurity(ps *validate.Problems) {
	transit := Bool(c.Encryption.InTransit)
	switch c.Encryption.TransitMode {
	case "required", "preferred":
		if !transit {
			ps.Add("encryption.transitMode", c.Encryption.TransitMode, "only with encryption.inTransit true")
		}
	case "":
	default:
		ps.Add("encryption.transitMode", c.Encryption.TransitMode, "required or preferred")
	}
	if c.Encryption.KmsKeyID != "" && !Bool(c.Encryption.AtRest) {
		ps.Add("encryption.kmsKeyId", c.Encryption.KmsKeyID, "a KMS key needs encryption.atRest true")
	}
	for _, k := range []struct{ field, v string }{{"encryption.kmsKeyId", c.Encryption.KmsKeyID}, {"auth.secretKmsKeyId", c.Auth.SecretKmsKeyID}} {
		if k.v != "" && !IsPending(k.v) && !kmsKeyRe.MatchString(k.v) {
			ps.Add(k.field, k.v, "a KMS key id, alias or ARN, e.g. arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")
		}
	}
	switch c.Auth.Mode {
	case AuthToken, AuthRBAC:
		if !transit {
			ps.Add("auth.mode", string(c.Auth.Mode), "authentication requires encryption.inTransit true (ElastiCache sends credentials only over TLS)")
		}
	case AuthNone:
	default:
		ps.Add("auth.mode", string(c.Auth.Mode), "token, rbac or none")
	}
	if t := c.Auth.Token; t != "" && !IsPending(t) {
		// The token is secret: name its length and the rule, never its value.
		if len(t) < 16 || len(t) > 128 {
			ps.Add("authToken", fmt.Sprintf("(secret, %d characters)", len(t)), "16-128 characters")
		}
		if !tokenRe.MatchString(t) {
			ps.Add("authToken", "(secret)", "letters, digits and only these specials: ! & # $ ^ < > -")
		}
	}
	if c.Auth.Token != "" && c.Auth.Mode != AuthToken {
		ps.Add("authToken", "(secret)", "only with auth.mode token")
	}
	switch c.Auth.UpdateStrategy {
	case "rotate", "set":
	default:
		ps.Add("auth.updateStrategy", c.Auth.UpdateStrategy, "rotate (old and new token both valid) or set (old token dropped)")
	}
	if c.Auth.Mode != AuthRBAC && len(c.Auth.Users) > 0 {
		ps.Add("auth.users", len(c.Auth.Users), "users are only used with auth.mode rbac")
	}
	seen := map[string]bool{}
	for i, u := range c.Auth.Users {
		f := fmt.Sprintf("auth.users[%d].name", i)
		switch {
		case !userNameRe.MatchString(u.Name) || len(u.Name) > 40:
			ps.Add(f, u.Name, "1-40 letters, digits and hyphens, starting with a letter")
		case strings.EqualFold(u.Name, "default"):
			ps.Add(f, u.Name, "the default user is managed by rediskit and always disabled")
		case seen[u.Name]:
			ps.Add(f, u.Name, "user names must be unique")
		}
		seen[u.Name] = true
		if u.Access != "" && !strings.HasPrefix(u.Access, "on") && !strings.HasPrefix(u.Access, "off") {
			ps.Add(fmt.Sprintf("auth.users[%d].access", i), u.Access, `an ACL access string starting with "on" or "off", e.g. "on ~app:* +@read"`)
		}
	}
}

func (c *Cache) validateOperations(ps *validate.Problems) {
	r := Int(c.Snapshots.RetentionDays)
	if r < 0 || r > 35 {
		ps.Add("snapshots.retentionDays", r, "0-35 days")
	}
	mw, errM := window.ParseWeekly(c.MaintenanceWindow)
	if errM == nil {
		errM = mw.CheckElastiCache()
	}
	if c.Mode == ModeServerless {
		errM = fmt.Errorf("none") // AWS maintains serverless caches without a window
	} else if errM != nil {
		ps.Add("maintenanceWindow", c.MaintenanceWindow, "%v", errM)
	}
	sw, errS := window.ParseDaily(c.Snapshots.Window)
	if errS == nil {
		errS = sw.CheckElastiCache()
	}
	if errS != nil {
		ps.Add("snapshots.window", c.Snapshots.Window, "%v", errS)
	}
	if errM == nil && errS == nil && window.Overlap(mw, sw) {
		ps.Add("snapshots.window", c.Snapshots.Window, "it overlaps the maintenance window %s; pick hours outside it", c.MaintenanceWindow)
	}
	if c.Snapshots.RestoreFromSnapshot != "" && len(c.Snapshots.RestoreFromRdb) > 0 {
		ps.Add("snapshots.restoreFromRdb", c.Snapshots.RestoreFromRdb, "restore from a snapshot name or from RDB files, not both")
	}
	for i, arn := range c.Snapshots.RestoreFromRdb {
		if IsPending(arn) {
			continue
		}
		// Serverless caches restore from ElastiCache snapshot ARNs (CreateServerlessCache's
		// SnapshotArnsToRestore); node-based groups from RDB files in S3.
		if c.Mode == ModeServerless && strings.HasPrefix(arn, "arn:aws") && strings.Contains(arn, ":elasticache:") {
			continue
		}
		if !strings.HasPrefix(arn, "arn:aws") || !strings.Contains(arn, ":s3:::") {
			ps.Add(fmt.Sprintf("snapshots.restoreFromRdb[%d]", i), arn, "an S3 object ARN, e.g. arn:aws:s3:::bucket/dump.rdb")
		}
	}
	if lr := c.Logs.RetentionDays; !validLogRetention[lr] {
		ps.Add("logs.retentionDays", lr, "one of CloudWatch's retention values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653")
	}
	if f := c.Logs.Format; f != "json" && f != "text" {
		ps.Add("logs.format", f, "json or text")
	}
	a := c.Alarms
	for _, p := range []struct {
		field string
		v     float64
		max   float64
	}{{"alarms.cpuPercent", a.CPUPercent, 100}, {"alarms.memoryPercent", a.MemoryPercent, 100}} {
		if p.v <= 0 || p.v > p.max {
			ps.Add(p.field, p.v, "a percentage above 0 and at most 100")
		}
	}
	if a.Evictions < 0 || a.Connections < 0 || a.ReplicationLagSeconds < 0 {
		ps.Add("alarms", fmt.Sprintf("%v/%v/%v", a.Evictions, a.Connections, a.ReplicationLagSeconds), "evictions, connections and replicationLagSeconds thresholds must not be negative")
	}
	if a.PeriodSeconds < 60 || a.PeriodSeconds%60 != 0 {
		ps.Add("alarms.periodSeconds", a.PeriodSeconds, "a multiple of 60, at least 60 (ElastiCache publishes metrics every 60 s)")
	}
	if a.EvaluationPeriods < 1 {
		ps.Add("alarms.evaluationPeriods", a.EvaluationPeriods, "at least 1")
	}
	if t := c.Notifications.TopicArn; t != "" && !IsPending(t) && !strings.HasPrefix(t, "arn:aws") {
		ps.Add("notifications.topicArn", t, "an SNS topic ARN (arn:aws:sns:...)")
	}
	if g := c.GlobalReplicationGroupID; g != "" && !IsPending(g) && !globalIDRe.MatchString(g) {
		ps.Add("globalReplicationGroupId", g, "a global datastore id: AWS's 5-letter region prefix, a hyphen and the datastore's suffix, e.g. ldgnf-my-cache")
	}
	if c.GlobalReplicationGroupID != "" && c.CreateGlobalDatastore {
		ps.Add("createGlobalDatastore", true, "either join a global datastore (globalReplicationGroupId) or create one, not both")
	}
	if c.GlobalReplicationGroupID != "" || c.CreateGlobalDatastore {
		if nt, ok := LookupNodeType(c.NodeType); ok && !nt.GlobalDatastore {
			ps.Add("nodeType", c.NodeType, "a global datastore runs on m5, m6g, m7g, r5, r6g, r6gd, r7g or c7gn nodes (large and up), not %s", nt.Family)
		}
		if c.Mode == ModeServerless {
			ps.Add("mode", string(c.Mode), "a serverless cache cannot be part of a global datastore")
		}
	}
	if g := c.GlobalReplicationGroupID; g != "" && (c.Snapshots.RestoreFromSnapshot != "" || len(c.Snapshots.RestoreFromRdb) > 0) {
		ps.Add("globalReplicationGroupId", g, "a secondary of a global datastore cannot be restored from a snapshot")
	}
}

// validateServerless checks what makes sense for ElastiCache Serverless, which has no nodes,
// shards, parameter group or maintenance window and accepts only TLS and RBAC.
func (c *Cache) validateServerless(ps *validate.Problems) {
	notFor := "serverless caches have no %s; remove it"
	if c.Shards != nil {
		ps.Add("shards", Int(c.Shards), notFor, "shards")
	}
	if c.Replicas != nil {
		ps.Add("replicas", Int(c.Replicas), notFor, "replicas")
	}
	if c.NodeType != "" {
		ps.Add("nodeType", c.NodeType, notFor, "node type (capacity follows serverless.maxDataStorageGb and maxEcpuPerSecond)")
	}
	if c.MaintenanceWindow != "" {
		ps.Add("maintenanceWindow", c.MaintenanceWindow, notFor, "maintenance window")
	}
	if c.AutomaticFailover != nil || c.MultiAZ != nil {
		ps.Add("multiAz", "set", notFor, "failover settings (they are always Multi-AZ)")
	}
	if c.DataTiering {
		ps.Add("dataTiering", true, notFor, "data tiering")
	}
	// A serverless cache restores from snapshot ARNs only (SnapshotArnsToRestore); a snapshot
	// name would be ignored.
	if n := c.Snapshots.RestoreFromSnapshot; n != "" {
		ps.Add("snapshots.restoreFromSnapshot", n, "a serverless cache restores from snapshot ARNs: list the snapshot's ARN under snapshots.restoreFromRdb instead")
	}
	if c.Auth.Mode == AuthToken {
		ps.Add("auth.mode", string(c.Auth.Mode), "serverless caches authenticate with rbac (or none), not an AUTH token")
	}
	if !Bool(c.Encryption.InTransit) {
		ps.Add("encryption.inTransit", false, "serverless caches always use TLS")
	}
	if Bool(c.Logs.SlowLog) || Bool(c.Logs.EngineLog) {
		ps.Add("logs", "on", "log delivery is not available for serverless caches")
	}
	if s := c.Serverless; s.MaxDataStorageGB < 0 || s.MaxDataStorageGB > 5000 {
		ps.Add("serverless.maxDataStorageGb", s.MaxDataStorageGB, "1-5000 GB, or 0 for no limit")
	}
	if s := c.Serverless; s.MaxECPUPerSecond != 0 && (s.MaxECPUPerSecond < 1000 || s.MaxECPUPerSecond > 15000000) {
		ps.Add("serverless.maxEcpuPerSecond", s.MaxECPUPerSecond, "1000-15000000, or 0 for no limit")
	}
	if len(c.Zones) == 1 {
		ps.Add("zones", c.Zones, "serverless caches need subnets in at least 2 zones")
	}
}

var validLogRetention = map[int]bool{1: true, 3: true, 5: true, 7: true, 14: true, 30: true, 60: true, 90: true,
	120: true, 150: true, 180: true, 365: true, 400: true, 545: true, 731: true, 1096: true, 1827: true,
	2192: true, 2557: true, 2922: true, 3288: true, 3653: true}

func uniq(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
