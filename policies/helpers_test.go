package policies

import (
	"fmt"
	"sort"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// secret marks a value as a secret, as the engine hands over an AUTH token.
type secret string

// computed is an unknown value, as in a preview of resources that do not exist yet.
var computed = struct{ computed bool }{true}

// val converts plain Go test values into property values.
func val(v any) property.Value {
	switch x := v.(type) {
	case nil:
		return property.New(property.Null)
	case property.Value:
		return x
	case secret:
		return property.New(string(x)).WithSecret(true)
	case string:
		return property.New(x)
	case bool:
		return property.New(x)
	case int:
		return property.New(float64(x))
	case float64:
		return property.New(x)
	case []string:
		out := make([]property.Value, len(x))
		for i, s := range x {
			out[i] = property.New(s)
		}
		return property.New(out)
	case []any:
		out := make([]property.Value, len(x))
		for i, e := range x {
			out[i] = val(e)
		}
		return property.New(out)
	case []map[string]any:
		out := make([]property.Value, len(x))
		for i, e := range x {
			out[i] = val(e)
		}
		return property.New(out)
	case map[string]any:
		return property.New(props(x))
	}
	if v == computed {
		return property.New(property.Computed)
	}
	panic(fmt.Sprintf("val: unsupported %T", v))
}

func props(m map[string]any) property.Map {
	out := map[string]property.Value{}
	for k, v := range m {
		out[k] = val(v)
	}
	return property.NewMap(out)
}

// with returns a copy of base with keys changed; a value of `del` removes the key.
var del = struct{ del bool }{true}

func with(base map[string]any, changes map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range changes {
		if v == del {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

const (
	urnPrefix = "urn:pulumi:prod::rediskit::"
	rgType    = "aws:elasticache/replicationGroup:ReplicationGroup"
	cacheComp = "urn:pulumi:prod::rediskit::rediskit:index:Cache::main"
)

func res(typ, name string, inputs map[string]any) Resource {
	short := typ
	return Resource{URN: urnPrefix + "rediskit:index:Cache$" + short + "::" + name, Type: typ, Name: name,
		Custom: true, Parent: cacheComp, Inputs: props(inputs)}
}

// compliantGroup is a replication group that passes every rule in production.
func compliantGroup() map[string]any {
	return map[string]any{
		"replicationGroupId":       "rk-prod",
		"engine":                   "valkey",
		"engineVersion":            "8.2",
		"nodeType":                 "cache.r7g.large",
		"atRestEncryptionEnabled":  true,
		"kmsKeyId":                 "arn:aws:kms:eu-west-1:111122223333:key/1234abcd",
		"transitEncryptionEnabled": true,
		"transitEncryptionMode":    "required",
		"authToken":                secret("a-very-long-auth-token-1234"),
		"snapshotRetentionLimit":   7,
		"snapshotWindow":           "03:00-04:00",
		"maintenanceWindow":        "sun:05:00-sun:06:00",
		"automaticFailoverEnabled": true,
		"multiAzEnabled":           true,
		"numCacheClusters":         2,
		"preferredCacheClusterAzs": []string{"eu-west-1a", "eu-west-1b"},
		"parameterGroupName":       "rk-prod-valkey8",
		"subnetGroupName":          "rk-prod",
		"notificationTopicArn":     "arn:aws:sns:eu-west-1:111122223333:rk-prod",
		"finalSnapshotIdentifier":  "rk-prod-final",
		"logDeliveryConfigurations": []map[string]any{{
			"logType": "slow-log", "destinationType": "cloudwatch-logs",
			"destination": "/rediskit/rk-prod/slow-log", "logFormat": "json",
		}},
	}
}

func compliantParamGroup() map[string]any {
	return map[string]any{"name": "rk-prod-valkey8", "family": "valkey8",
		"parameters": []map[string]any{{"name": "maxmemory-policy", "value": "allkeys-lru"}}}
}

func compliantAlarm() map[string]any {
	return map[string]any{"namespace": "AWS/ElastiCache", "metricName": "CPUUtilization",
		"dimensions": map[string]any{"ReplicationGroupId": "rk-prod"}, "threshold": 80}
}

func compliantSG() map[string]any {
	return map[string]any{"ingress": []map[string]any{{
		"protocol": "tcp", "fromPort": 6379, "toPort": 6379, "cidrBlocks": []string{"10.0.0.0/16"}}}}
}

// stackOf builds a stack with the given group inputs next to a compliant parameter group,
// alarm and security group; the alarm and group are found by name, not by parent, so tests
// place them outside the cache component.
func stackOf(name string, group map[string]any, extra ...Resource) *Stack {
	pg := res(TypeParameterGroup, "rk-prod-valkey8", compliantParamGroup())
	alarm := res(TypeMetricAlarm, "rk-prod-cpu", compliantAlarm())
	sg := res("aws:ec2/securityGroup:SecurityGroup", "rk-prod-sg", compliantSG())
	for _, r := range []*Resource{&pg, &alarm, &sg} {
		r.Parent = ""
	}
	rs := []Resource{res(rgType, "rk-prod", group), pg, alarm, sg}
	return &Stack{Name: name, Project: "rediskit", Resources: append(rs, extra...)}
}

// show renders violations as "rule level resource: message", sorted, for exact comparisons.
func show(vs []Violation) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, fmt.Sprintf("%s %s %s: %s", v.Rule, v.Level, v.ResourceName, v.Message))
	}
	sort.Strings(out)
	return out
}

func mustConfig(t *testing.T, js string) *Config {
	t.Helper()
	c, err := ParseConfigJSON([]byte(js))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return c
}
