package policies

import (
	"fmt"
	"slices"
	"strings"
)

// productionRules apply only to production stacks (see the environment rule): what a dev
// stack may save money on, production may not.
func productionRules() []*Rule {
	return []*Rule{
		{
			ID:      "production-multi-az",
			Title:   "Production caches have a replica in another AZ with Multi-AZ enabled",
			Why:     "An AZ outage or a primary failure otherwise takes the cache down until a new node is built and warmed.",
			Level:   Advisory,
			Applies: "caches in production stacks",
			Maps:    Mapped{Note: "no equivalent in Checkov, tfsec, AWS Config or Security Hub (ElastiCache.3 covers failover only)"},
			CheckResource: cacheRule(func(c CacheView, ctx *Context) []string {
				if !ctx.Production {
					return nil
				}
				switch {
				case c.Role == RoleStandalone:
					return []string{"a standalone cache node has no replica; use a replication group with a replica and multiAzEnabled: true"}
				case c.NodeCount.Set && c.NodeCount.Value < 2:
					return []string{"no replica: Multi-AZ needs at least 2 nodes per shard"}
				case c.Role == RoleReplicationGroup && c.MultiAZ.isFalse():
					return []string{"multiAzEnabled is not true"}
				case c.Role == RoleReplicationGroup && c.AutomaticFailover.isFalse():
					return []string{"automaticFailoverEnabled is not true (Multi-AZ requires it)"}
				}
				return nil
			}),
		},
		{
			ID:    "subnet-group-multi-az",
			Title: "In production, cache subnet groups hold subnets in at least two AZs",
			Why:   "A subnet group with one subnet, or subnets all in one AZ, leaves no other zone for a replica: Multi-AZ is impossible until the group is changed.",
			Level: Advisory,
			Applies: "aws:elasticache/subnetGroup in production stacks; stack: the zones of the aws:ec2/subnet resources it depends on. " +
				"Whether a cache uses the default group is judged on the cache (subnet-group)",
			Maps: Mapped{Note: "no equivalent in Checkov, tfsec, AWS Config or Security Hub (CKV_AWS_323 and ElastiCache.7 judge a cache in the default group: see subnet-group)"},
			CheckResource: func(r Resource, ctx *Context) []Finding {
				if r.Type != TypeSubnetGroup || !ctx.Production {
					return nil
				}
				if ids, ok := singleSubnet(r); ok {
					return []Finding{{Message: fmt.Sprintf("subnetIds lists one subnet (%s): no other AZ for a replica; list private subnets in at least two AZs", ids[0])}}
				}
				return nil
			},
			// The subnets' zones are known from the subnet resources the group depends on,
			// often while their ids are still unknown.
			CheckStack: func(ctx *Context) []Finding {
				if !ctx.Production {
					return nil
				}
				var out []Finding
				subnets := map[string]Resource{}
				for _, sn := range ctx.Stack.Resources {
					if sn.Type == TypeSubnet {
						subnets[sn.URN] = sn
					}
				}
			groups:
				for _, g := range ctx.Stack.Resources {
					if g.Type != TypeSubnetGroup {
						continue
					}
					if _, reported := singleSubnet(g); reported {
						continue
					}
					var names, zones []string
					for _, dep := range uniq(g.DependsOn) {
						sn, ok := subnets[dep]
						if !ok {
							continue
						}
						az := getString(sn.Inputs, "availabilityZone")
						if !az.Set {
							continue groups // a zone that is unknown (or left to AWS) may differ
						}
						names, zones = append(names, sn.Name), append(zones, az.Value)
					}
					if len(zones) > 0 && len(uniq(zones)) == 1 {
						out = append(out, Finding{URN: g.URN, Message: fmt.Sprintf("its subnets (%s) are all in %s: no other AZ for a replica", strings.Join(names, ", "), zones[0])})
					}
				}
				return out
			},
		},
		{
			ID:      "production-distinct-azs",
			Title:   "In production, pinned replicas sit in other AZs than their primary and shards spread across AZs",
			Why:     "Replicas in the primary's zone fail with it; shards whose primaries share a zone lose the whole keyspace's writes together.",
			Level:   Advisory,
			Applies: "caches in production stacks",
			Maps:    Mapped{Note: "no equivalent in Checkov, tfsec, AWS Config or Security Hub"},
			CheckResource: cacheRule(func(c CacheView, ctx *Context) []string {
				if !ctx.Production {
					return nil
				}
				var out []string
				if len(c.PreferredAZs) > 0 {
					distinct := uniq(c.PreferredAZs)
					if len(distinct) == 1 && len(c.PreferredAZs) > 1 {
						out = append(out, fmt.Sprintf("preferredCacheClusterAzs %s put every node in one AZ", strings.Join(c.PreferredAZs, ", ")))
					} else if len(distinct) < len(c.PreferredAZs) {
						out = append(out, fmt.Sprintf("preferredCacheClusterAzs %s repeat an AZ; list one distinct AZ per node where the region has enough", strings.Join(c.PreferredAZs, ", ")))
					}
				}
				var primaries []string
				for i, s := range c.Shards {
					if s.Primary == "" {
						continue
					}
					primaries = append(primaries, s.Primary)
					if slices.Contains(s.Replicas, s.Primary) {
						out = append(out, fmt.Sprintf("shard %d has a replica in its primary's AZ %s", i+1, s.Primary))
					}
				}
				if len(primaries) > 1 && len(uniq(primaries)) == 1 {
					out = append(out, fmt.Sprintf("all %d shard primaries are in %s", len(primaries), primaries[0]))
				}
				return out
			}),
		},
		{
			ID:      "production-node-types",
			Title:   "Production caches use current-generation, non-burstable node types",
			Why:     "Burstable nodes (t2/t3/t4g) throttle when CPU credits run out; previous-generation nodes cost more for less and lose support.",
			Level:   Advisory,
			Applies: "caches in production stacks",
			Maps:    Mapped{Note: "no equivalent in Checkov, tfsec, AWS Config or Security Hub"},
			CheckResource: cacheRule(func(c CacheView, ctx *Context) []string {
				if !ctx.Production || !c.NodeType.Set {
					return nil
				}
				family, ok := NodeFamily(c.NodeType.Value)
				if !ok {
					return nil
				}
				cfg := ctx.Config
				if len(cfg.AllowedNodeFamilies) > 0 && !slices.Contains(cfg.AllowedNodeFamilies, family) {
					return []string{fmt.Sprintf("nodeType %s (family %s) is not allowed in production; allowed families: %s", c.NodeType.Value, family, strings.Join(cfg.AllowedNodeFamilies, ", "))}
				}
				if slices.Contains(cfg.DeniedNodeFamilies, family) {
					kind := "denied"
					switch {
					case slices.Contains(BurstableFamilies, family):
						kind = "burstable"
					case slices.Contains(PreviousGenerationFamilies, family):
						kind = "previous-generation"
					}
					return []string{fmt.Sprintf("nodeType %s is a %s family (%s) in production", c.NodeType.Value, kind, family)}
				}
				return nil
			}),
		},
	}
}

// Resource types the subnet-group rule reads.
const (
	TypeSubnetGroup = "aws:elasticache/subnetGroup:SubnetGroup"
	TypeSubnet      = "aws:ec2/subnet:Subnet"
)

// singleSubnet returns the subnet ids of a subnet group that lists fewer than two distinct
// known subnets (and no unknown one).
func singleSubnet(g Resource) ([]string, bool) {
	ids, unknown := getStrings(g.Inputs, "subnetIds")
	if unknown || len(uniq(ids)) != 1 {
		return nil, false
	}
	return ids, true
}

// NodeFamily extracts "r7g" from "cache.r7g.large".
func NodeFamily(nodeType string) (string, bool) {
	parts := strings.Split(nodeType, ".")
	if len(parts) != 3 || parts[0] != "cache" || !familyRE.MatchString(parts[1]) {
		return "", false
	}
	return parts[1], true
}

func uniq(list []string) []string {
	var out []string
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
