package policies

import (
	"slices"
	"testing"
)

// bruteAlarms is what the index must agree with: every alarm related to r, in stack order.
func bruteAlarms(r Resource, all []Resource) []string {
	var names []string
	ids := cacheIDs(r)
	for _, a := range all {
		if a.Type == TypeMetricAlarm && related(r, a, ids) {
			names = append(names, a.Name)
		}
	}
	return names
}

// The alarm index finds exactly the alarms related() finds, through each kind of relation.
func TestAlarmIndexAgreesWithRelated(t *testing.T) {
	const stackParent = "urn:pulumi:prod::rediskit::pulumi:pulumi:Stack::rediskit-prod"
	cache := func(name, parent string, deps ...string) Resource {
		return Resource{URN: "urn:cache:" + name, Type: rgType, Name: name, Parent: parent, DependsOn: deps,
			Inputs: props(map[string]any{"replicationGroupId": name})}
	}
	alarm := func(name, parent string, dims map[string]any, deps ...string) Resource {
		in := map[string]any{"metricName": "m-" + name}
		if dims != nil {
			in["dimensions"] = dims
		}
		return Resource{URN: "urn:alarm:" + name, Type: TypeMetricAlarm, Name: name, Parent: parent, DependsOn: deps, Inputs: props(in)}
	}
	all := []Resource{
		cache("a", "urn:comp:a"),
		cache("b", stackParent, "urn:alarm:b-needed"),
		cache("c", stackParent),
		alarm("a-dim", stackParent, map[string]any{"ReplicationGroupId": "a"}),
		alarm("a-dep", "", nil, "urn:cache:a"),
		alarm("a-sibling", "urn:comp:a", nil),
		alarm("b-needed", "", nil),
		alarm("stack-sibling", stackParent, nil),
		alarm("other", "urn:comp:z", map[string]any{"CacheClusterId": "zz"}),
		alarm("empty-dim", "", map[string]any{"CacheClusterId": ""}),
	}
	x := newAlarmIndex(all)
	for _, r := range all[:3] {
		var got []string
		metrics, found := x.metricsFor(r)
		for _, m := range metrics {
			got = append(got, m[len("m-"):])
		}
		want := bruteAlarms(r, all)
		if !slices.Equal(got, want) || found != (len(want) > 0) {
			t.Errorf("cache %s: index %v (found %v), related %v", r.Name, got, found, want)
		}
	}
	if got, _ := x.metricsFor(all[0]); len(got) != 3 {
		t.Errorf("cache a: want its dimension, dependency and sibling alarms, got %v", got)
	}
	if _, found := x.metricsFor(all[2]); found {
		t.Error("cache c: a sibling under the stack itself is not related")
	}
}
