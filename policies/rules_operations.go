package policies

import (
	"fmt"
	"slices"
	"strings"
)

// operationsRules keep a cache recoverable and maintainable: advisory by default.
func operationsRules() []*Rule {
	return []*Rule{
		{
			ID:      "automatic-backups",
			Title:   "Caches keep automatic snapshots for at least minRetentionDays",
			Why:     "Without automatic snapshots a bad deploy, FLUSHALL or a lost node group cannot be undone.",
			Level:   Advisory,
			Applies: "caches",
			Maps: Mapped{Checkov: []string{"CKV_AWS_134"}, Tfsec: []string{"AVD-AWS-0050"},
				AWSConfig: []string{"elasticache-redis-cluster-automatic-backup-check"}, SecurityHub: []string{"ElastiCache.1"}},
			CheckResource: cacheRule(func(c CacheView, ctx *Context) []string {
				min := float64(ctx.Config.MinSnapshotRetentionDays)
				field := "snapshotRetentionLimit"
				if c.Role == RoleSelfHosted {
					field = "snapshotRetentionDays"
				}
				if c.SnapshotRetention.Set && c.SnapshotRetention.Value < min {
					return []string{fmt.Sprintf("%s is %g days; at least %g required", field, c.SnapshotRetention.Value, min)}
				}
				return nil
			}),
		},
		{
			ID:      "auto-minor-version-upgrade",
			Title:   "Caches take minor engine upgrades automatically",
			Why:     "Minor versions carry security fixes; AWS applies them in the maintenance window.",
			Level:   Advisory,
			Applies: "caches",
			Maps: Mapped{Checkov: []string{"CKV_AWS_322"}, AWSConfig: []string{"elasticache-auto-minor-version-upgrade-check"},
				SecurityHub: []string{"ElastiCache.2"}},
			CheckResource: cacheRule(func(c CacheView, ctx *Context) []string {
				if c.AutoMinorUpgrade.isFalse() {
					return []string{"autoMinorVersionUpgrade is false"}
				}
				return nil
			}),
		},
		{
			ID:      "automatic-failover",
			Title:   "Replication groups fail over automatically",
			Why:     "Without automatic failover a failed primary stays down until someone promotes a replica by hand.",
			Level:   Advisory,
			Applies: "replication groups",
			Maps: Mapped{Checkov: []string{"CKV2_AWS_50"}, AWSConfig: []string{"elasticache-repl-grp-auto-failover-enabled"},
				SecurityHub: []string{"ElastiCache.3"}},
			CheckResource: cacheRule(func(c CacheView, ctx *Context) []string {
				if c.Role != RoleReplicationGroup || !c.AutomaticFailover.isFalse() {
					return nil
				}
				if c.NodeCount.Set && c.NodeCount.Value < 2 {
					return []string{"automaticFailoverEnabled is not true (and it needs at least one replica: the group has a single node)"}
				}
				return []string{"automaticFailoverEnabled is not true"}
			}),
		},
		{
			ID:      "subnet-group",
			Title:   "Caches run in a VPC subnet group of their own, not the default one",
			Why:     "The default subnet group spans the default VPC's public subnets; a dedicated group keeps the cache in private subnets you chose.",
			Level:   Advisory,
			Applies: "caches",
			Maps: Mapped{Checkov: []string{"CKV_AWS_323"}, AWSConfig: []string{"elasticache-subnet-group-check"},
				SecurityHub: []string{"ElastiCache.7"}},
			CheckResource: cacheRule(func(c CacheView, ctx *Context) []string {
				switch {
				case c.Role == RoleServerless:
					if len(c.SubnetIDs) == 0 && !c.SubnetsUnknown {
						return []string{"subnetIds is not set: the default VPC's subnets are used"}
					}
					return nil
				case c.Role == RoleSelfHosted || c.SubnetGroupName.Unknown:
					return nil
				case !c.SubnetGroupName.Set:
					return []string{"subnetGroupName is not set: the default subnet group is used"}
				case strings.EqualFold(c.SubnetGroupName.Value, "default"):
					return []string{"subnetGroupName is \"default\""}
				}
				return nil
			}),
		},
		{
			ID:      "supported-engine-version",
			Title:   "Caches run an allowed engine and a supported engine version",
			Why:     "Old versions lose security fixes and extended support costs extra; unknown engines escape the parameter-group checks.",
			Level:   Advisory,
			Applies: "caches",
			Maps:    Mapped{AWSConfig: []string{"elasticache-supported-engine-version"}},
			CheckResource: cacheRule(func(c CacheView, ctx *Context) []string {
				if !c.Engine.Set {
					return nil
				}
				engine := strings.ToLower(c.Engine.Value)
				if !slices.Contains(ctx.Config.AllowedEngines, engine) {
					return []string{fmt.Sprintf("engine %q is not allowed; allowed: %s", c.Engine.Value, strings.Join(ctx.Config.AllowedEngines, ", "))}
				}
				if !c.EngineVersion.Set {
					return nil
				}
				allowed := ctx.Config.AllowedVersions[engine]
				if !versionAllowed(c.EngineVersion.Value, allowed) {
					return []string{fmt.Sprintf("%s version %q is not allowed; allowed: %s", engine, c.EngineVersion.Value, strings.Join(allowed, ", "))}
				}
				return nil
			}),
		},
		{
			ID:      "no-cache-security-groups",
			Title:   "No EC2-Classic cache security groups",
			Why:     "EC2-Classic is retired; cache security groups give no VPC isolation. Use VPC security groups (securityGroupIds).",
			Level:   Advisory,
			Applies: "caches, aws:elasticache/securityGroup",
			Maps:    Mapped{Checkov: []string{"CKV_AWS_196"}, Tfsec: []string{"AVD-AWS-0049"}},
			CheckResource: func(r Resource, ctx *Context) []Finding {
				if r.Type == "aws:elasticache/securityGroup:SecurityGroup" {
					return []Finding{{Message: "an ElastiCache (EC2-Classic) security group is declared; use a VPC security group"}}
				}
				if c, ok := CacheOf(r); ok && len(c.ClassicSecurityNames) > 0 {
					return []Finding{{Message: fmt.Sprintf("securityGroupNames %s are EC2-Classic cache security groups; use securityGroupIds", strings.Join(c.ClassicSecurityNames, ", "))}}
				}
				return nil
			},
		},
		{
			ID:      "log-delivery",
			Title:   "Caches deliver their logs (the slow log at least) to CloudWatch Logs or Firehose",
			Why:     "The slow log is the first thing needed when latency spikes; it is lost on failover unless delivered.",
			Level:   Advisory,
			Applies: "caches",
			Maps:    Mapped{Note: "no equivalent in Checkov, tfsec, AWS Config or Security Hub"},
			CheckResource: cacheRule(func(c CacheView, ctx *Context) []string {
				if c.LogsUnknown || c.Role == RoleSelfHosted || c.Role == RoleServerless {
					return nil
				}
				var missing []string
				for _, t := range ctx.Config.RequiredLogTypes {
					if !slices.Contains(c.LogTypes, t) {
						missing = append(missing, t)
					}
				}
				if len(missing) > 0 {
					return []string{fmt.Sprintf("logDeliveryConfigurations does not deliver %s", strings.Join(missing, ", "))}
				}
				return nil
			}),
		},
		{
			ID:      "notification-topic",
			Title:   "Caches send events (failover, node replacement, snapshot failure) to an SNS topic",
			Why:     "Failovers and failed snapshots otherwise go unnoticed.",
			Level:   Advisory,
			Applies: "caches",
			Maps:    Mapped{Note: "no equivalent in Checkov, tfsec, AWS Config or Security Hub"},
			CheckResource: cacheRule(func(c CacheView, ctx *Context) []string {
				if c.Role != RoleSelfHosted && c.Role != RoleServerless && !c.NotificationTopic.Set && !c.NotificationTopic.Unknown {
					return []string{"notificationTopicArn is not set"}
				}
				return nil
			}),
		},
		{
			ID:      "final-snapshot",
			Title:   "Caches take a final snapshot when deleted",
			Why:     "A deleted cache without a final snapshot is gone for good, including by an accidental replacement.",
			Level:   Advisory,
			Applies: "caches",
			Maps:    Mapped{Note: "no equivalent in Checkov, tfsec, AWS Config or Security Hub"},
			CheckResource: cacheRule(func(c CacheView, ctx *Context) []string {
				if c.Role == RoleServerless || c.FinalSnapshot.Set || c.FinalSnapshot.Unknown {
					return nil
				}
				switch {
				case c.Target == "kubernetes":
					return []string{"snapshots.finalSnapshot is false: the operator deletes the cache without a snapshot (and its volumes unless keepVolumes is true)"}
				case c.Role == RoleSelfHosted:
					return []string{"finalSnapshot is not true"}
				}
				return []string{"finalSnapshotIdentifier is not set"}
			}),
		},
		{
			ID:      "maintenance-snapshot-windows",
			Title:   "Caches set a maintenance window and a snapshot window that do not overlap",
			Why:     "Left unset, AWS picks windows at random; a snapshot during maintenance is skipped or slows the upgrade.",
			Level:   Advisory,
			Applies: "caches",
			Maps:    Mapped{Note: "no equivalent in Checkov, tfsec, AWS Config or Security Hub"},
			CheckResource: cacheRule(func(c CacheView, ctx *Context) []string {
				if c.Role == RoleSelfHosted || c.Role == RoleServerless || c.MaintenanceWindow.Unknown || c.SnapshotWindow.Unknown {
					return nil
				}
				snapshots := !(c.SnapshotRetention.Set && c.SnapshotRetention.Value == 0)
				var out []string
				if !c.MaintenanceWindow.Set {
					out = append(out, "maintenanceWindow is not set: AWS picks one at random")
				}
				if snapshots && !c.SnapshotWindow.Set {
					out = append(out, "snapshotWindow is not set: AWS picks one at random")
				}
				if len(out) > 0 || !snapshots {
					return out
				}
				overlap, err := windowsOverlap(c.MaintenanceWindow.Value, c.SnapshotWindow.Value)
				if err != nil {
					return []string{err.Error()}
				}
				if overlap {
					return []string{fmt.Sprintf("snapshotWindow %s overlaps maintenanceWindow %s", c.SnapshotWindow.Value, c.MaintenanceWindow.Value)}
				}
				return nil
			}),
		},
		{
			ID:      "persistence",
			Title:   "Self-hosted caches persist data (RDB or AOF) outside the environments allowed to lose it",
			Why:     "A primary that restarts empty without persistence is replicated as empty: its replicas wipe themselves (bitnami/charts#11083).",
			Level:   Advisory,
			Applies: "self-hosted caches",
			Maps:    Mapped{Note: "no equivalent in Checkov, tfsec, AWS Config or Security Hub"},
			CheckResource: cacheRule(func(c CacheView, ctx *Context) []string {
				if c.Role != RoleSelfHosted || !c.Persistence.isFalse() || slices.Contains(ctx.Config.NonPersistentEnvironments, ctx.Environment) {
					return nil
				}
				return []string{fmt.Sprintf("persistence is off in environment %q; only %s may run without it", ctx.Environment, strings.Join(ctx.Config.NonPersistentEnvironments, ", "))}
			}),
		},
	}
}

// versionAllowed matches "7.1.0" and "7.1" against "7.1"; a bare major version ("8", as
// serverless caches name theirs) matches when any allowed version has that major.
func versionAllowed(v string, allowed []string) bool {
	if !strings.Contains(v, ".") {
		return slices.ContainsFunc(allowed, func(a string) bool { return strings.HasPrefix(a, v+".") })
	}
	return slices.Contains(allowed, majorMinor(v))
}

// majorMinor reduces "7.1.0" or "7.1" to "7.1".
func majorMinor(v string) string {
	parts := strings.Split(v, ".")
	if len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return v
}
