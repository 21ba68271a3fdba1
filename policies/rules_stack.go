package policies

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rediskit/rediskit/paramgroup"
)

// Resource types the stack rules join caches with.
const (
	TypeMetricAlarm    = "aws:cloudwatch/metricAlarm:MetricAlarm"
	TypeParameterGroup = "aws:elasticache/parameterGroup:ParameterGroup"
	TypeUser           = "aws:elasticache/user:User"
)

// stackRules need several resources side by side: a cache and its alarms, a cache and its
// parameter group.
func stackRules() []*Rule {
	return []*Rule{
		{
			ID:      "cache-alarms",
			Title:   "Every cache has CloudWatch alarms (on requiredMetrics when configured); a self-hosted one serves its metrics (metricsPort)",
			Why:     "Memory pressure, evictions and CPU saturation are silent until clients time out; alarms turn them into pages, and a self-hosted cache without a metrics endpoint cannot have any.",
			Level:   Advisory,
			Applies: "stack: caches and aws:cloudwatch/metricAlarm",
			Maps:    Mapped{Note: "no equivalent in Checkov, tfsec, AWS Config or Security Hub"},
			CheckStack: func(ctx *Context) []Finding {
				var out []Finding
				alarms := newAlarmIndex(ctx.Stack.Resources)
				for _, r := range ctx.Stack.Resources {
					c, ok := CacheOf(r)
					if !ok {
						continue
					}
					if c.Role == RoleSelfHosted {
						switch {
						case c.MetricsPort.Set && c.MetricsPort.Value == 0:
							out = append(out, Finding{URN: r.URN, Message: "no metrics endpoint: set selfHosted.metricsPort so that its metrics (CloudWatch's names) can be scraped and alarmed on"})
						}
						continue
					}
					metrics, found := alarms.metricsFor(r)
					if !found {
						out = append(out, Finding{URN: r.URN, Message: "no CloudWatch metric alarm watches this cache"})
						continue
					}
					var missing []string
					for _, m := range ctx.Config.RequiredAlarmMetrics {
						if !slices.Contains(metrics, m) {
							missing = append(missing, m)
						}
					}
					if len(missing) > 0 {
						out = append(out, Finding{URN: r.URN, Message: fmt.Sprintf("no alarm on %s", strings.Join(missing, ", "))})
					}
				}
				return out
			},
		},
		{
			ID:      "parameter-group-family",
			Title:   "A cache's parameter group matches its engine and version, and cluster mode uses cluster-enabled yes",
			Why:     "A family from another engine version fails the deploy or a later major upgrade (cloudposse#178); cluster mode on a group without cluster-enabled is rejected.",
			Level:   Advisory,
			Applies: "stack: caches and aws:elasticache/parameterGroup",
			Maps:    Mapped{Note: "no equivalent in Checkov, tfsec, AWS Config or Security Hub"},
			CheckStack: func(ctx *Context) []Finding {
				var out []Finding
				for _, r := range ctx.Stack.Resources {
					c, ok := CacheOf(r)
					if !ok || c.Role == RoleSelfHosted {
						continue
					}
					for _, m := range checkParameterGroup(r, c, ctx.Stack.Resources) {
						out = append(out, Finding{URN: r.URN, Message: m})
					}
				}
				return out
			},
		},
		environmentRule(),
	}
}

// related reports whether other belongs with the cache r: it names r's id, depends on it
// (or r on it), or both are children of the same component.
func related(r, other Resource, ids []string) bool {
	if slices.Contains(other.DependsOn, r.URN) || slices.Contains(r.DependsOn, other.URN) {
		return true
	}
	for _, id := range ids {
		if id != "" && slices.Contains(alarmDimensionValues(other), id) {
			return true
		}
	}
	return r.Parent != "" && other.Parent == r.Parent && !strings.Contains(r.Parent, "::pulumi:pulumi:Stack::")
}

func cacheIDs(r Resource) []string {
	var ids []string
	for _, k := range []string{"replicationGroupId", "clusterId"} {
		if s := getString(r.Inputs, k); s.Set {
			ids = append(ids, s.Value)
		}
	}
	if r.Type == "aws:elasticache/serverlessCache:ServerlessCache" {
		k := "name"
		if s := getString(r.Inputs, k); s.Set {
			ids = append(ids, s.Value)
		}
	}
	return ids
}

func alarmDimensionValues(a Resource) []string {
	v := lookup(a.Inputs, "dimensions")
	if !v.IsMap() {
		return nil
	}
	var out []string
	for _, d := range v.AsMap().AsMap() {
		if d.IsString() {
			out = append(out, d.AsString())
		}
	}
	return out
}

// alarmIndex finds the alarms related to a cache (see related) without scanning every
// alarm for every cache: a stack with thousands of caches and their alarms stays linear.
type alarmIndex struct {
	alarms   []Resource
	byURN    map[string]int
	byDep    map[string][]int // URN an alarm depends on -> alarms
	byDim    map[string][]int // dimension value -> alarms
	byParent map[string][]int
}

func newAlarmIndex(all []Resource) *alarmIndex {
	x := &alarmIndex{byURN: map[string]int{}, byDep: map[string][]int{}, byDim: map[string][]int{}, byParent: map[string][]int{}}
	for _, a := range all {
		if a.Type != TypeMetricAlarm {
			continue
		}
		i := len(x.alarms)
		x.alarms = append(x.alarms, a)
		x.byURN[a.URN] = i
		for _, d := range a.DependsOn {
			x.byDep[d] = append(x.byDep[d], i)
		}
		for _, v := range alarmDimensionValues(a) {
			if v != "" {
				x.byDim[v] = append(x.byDim[v], i)
			}
		}
		if a.Parent != "" {
			x.byParent[a.Parent] = append(x.byParent[a.Parent], i)
		}
	}
	return x
}

// metricsFor returns the metrics of the alarms watching cache r, in stack order, and whether
// there is any: the same alarms as related(r, alarm, cacheIDs(r)) selects.
func (x *alarmIndex) metricsFor(r Resource) (metrics []string, found bool) {
	hit := map[int]bool{}
	for _, i := range x.byDep[r.URN] {
		hit[i] = true
	}
	for _, d := range r.DependsOn {
		if i, ok := x.byURN[d]; ok {
			hit[i] = true
		}
	}
	for _, id := range cacheIDs(r) {
		for _, i := range x.byDim[id] {
			hit[i] = true
		}
	}
	if r.Parent != "" && !strings.Contains(r.Parent, "::pulumi:pulumi:Stack::") {
		for _, i := range x.byParent[r.Parent] {
			hit[i] = true
		}
	}
	idx := make([]int, 0, len(hit))
	for i := range hit {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	for _, i := range idx {
		a := x.alarms[i]
		found = true
		if m := getString(a.Inputs, "metricName"); m.Set {
			metrics = append(metrics, m.Value)
		}
		queries, _ := getMaps(a.Inputs, "metricQueries")
		for _, q := range queries {
			if m := getString(q, "metric.metricName"); m.Set {
				metrics = append(metrics, m.Value)
			}
		}
	}
	return metrics, found
}

// checkParameterGroup finds the cache's parameter group (a default one by its name, or one
// declared in the stack) and compares its family and cluster-enabled with the cache.
func checkParameterGroup(r Resource, c CacheView, all []Resource) []string {
	if !c.Engine.Set {
		return nil
	}
	engine := paramgroup.Engine(strings.ToLower(c.Engine.Value))
	version := c.EngineVersion.Value
	if !c.EngineVersion.Set {
		version = paramgroup.DefaultVersion(engine)
	}
	want, err := paramgroup.FamilyFor(engine, majorMinor(version))
	if err != nil {
		return nil // supported-engine-version reports it
	}
	var family string
	var clusterEnabled *bool
	var groupName string
	switch {
	case c.ParameterGroupName.Set && strings.HasPrefix(c.ParameterGroupName.Value, "default."):
		// default.<family>[.cluster.on]
		groupName = c.ParameterGroupName.Value
		rest := strings.TrimPrefix(groupName, "default.")
		on := strings.HasSuffix(rest, ".cluster.on")
		family, clusterEnabled = strings.TrimSuffix(rest, ".cluster.on"), &on
	default:
		pg, ok := findParameterGroup(r, c, all)
		if !ok {
			return nil
		}
		groupName = pg.Name
		f := getString(pg.Inputs, "family")
		if !f.Set {
			return nil
		}
		family = f.Value
		params, _ := getMaps(pg.Inputs, "parameters")
		off := false
		clusterEnabled = &off
		for _, p := range params {
			if n := getString(p, "name"); n.Set && n.Value == "cluster-enabled" {
				on := getString(p, "value").Value == "yes"
				clusterEnabled = &on
			}
		}
	}
	var out []string
	if family != string(want) {
		out = append(out, fmt.Sprintf("parameter group %s has family %s; %s %s needs %s", groupName, family, engine, version, want))
	}
	if clusterEnabled != nil && c.ClusterMode && !*clusterEnabled {
		out = append(out, fmt.Sprintf("cluster mode is enabled but parameter group %s does not set cluster-enabled yes", groupName))
	}
	if clusterEnabled != nil && !c.ClusterMode && *clusterEnabled && c.Role == RoleReplicationGroup {
		out = append(out, fmt.Sprintf("parameter group %s sets cluster-enabled yes but the cache is not in cluster mode", groupName))
	}
	return out
}

func findParameterGroup(r Resource, c CacheView, all []Resource) (Resource, bool) {
	var groups []Resource
	for _, pg := range all {
		if pg.Type == TypeParameterGroup {
			groups = append(groups, pg)
		}
	}
	if c.ParameterGroupName.Set {
		for _, pg := range groups {
			if n := getString(pg.Inputs, "name"); n.Set && n.Value == c.ParameterGroupName.Value {
				return pg, true
			}
		}
	}
	if !c.ParameterGroupName.Set && !c.ParameterGroupName.Unknown {
		return Resource{}, false // the engine's default group: right by construction
	}
	// An unknown name (a generated one, during a preview): join by dependency or component.
	var candidates []Resource
	for _, pg := range groups {
		if related(r, pg, nil) {
			candidates = append(candidates, pg)
		}
	}
	if len(candidates) == 1 {
		return candidates[0], true
	}
	return Resource{}, false
}
