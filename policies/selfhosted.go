package policies

import (
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// TypeSelfHostedDeployment is the self-hosted target's cache: the rediskit provider's
// deployment resource (provider/schema).
const TypeSelfHostedDeployment = "rediskit:index:Deployment"

// SelfHostedDeploymentView reads a rediskit:index:Deployment (inputs as in
// provider/schema.DeploymentArgs). Every cache rule that has a meaning for a self-hosted
// engine applies to it unchanged: TLS, AUTH, snapshots, final snapshot, engine version,
// replicas in other zones than their primary, persistence outside dev; cache-alarms asks for
// its metrics endpoint instead of CloudWatch alarms. The AWS-only ones (KMS, subnet groups,
// log delivery, SNS, windows) do not.
func SelfHostedDeploymentView(in property.Map) (CacheView, bool) {
	v := CacheView{Role: RoleSelfHosted}
	v.Engine = getString(in, "engine")
	v.EngineVersion = getString(in, "engineVersion")
	// Disk encryption is the host's business, not the deployment's: the rule cannot tell.
	v.AtRestEncryption = optBool{Unknown: true}
	v.TransitEncryption = defaultBool(getBool(in, "tls"), false)
	v.TransitMode = getString(in, "tlsMode")
	switch mode := getString(in, "authMode"); {
	case mode.Unknown:
		v.AuthUnknown = true
	default:
		// token (an AUTH token, generated when not given) or rbac (users); anything else,
		// "none" included, leaves the engine open.
		v.AuthToken = optBool{Set: true, Value: mode.Value == "token" || mode.Value == "rbac"}
	}
	v.SnapshotRetention = defaultNumber(getNumber(in, "snapshotRetentionDays"), 0)
	v.MetricsPort = defaultNumber(getNumber(in, "metricsPort"), 0)
	v.SnapshotWindow = getString(in, "snapshotWindow")
	if fs := getBool(in, "finalSnapshot"); fs.isTrue() {
		v.FinalSnapshot = optString{Set: true, Value: "final"}
	} else if fs.Unknown {
		v.FinalSnapshot = optString{Unknown: true}
	}
	v.AutoMinorUpgrade = optBool{Set: true, Value: true}
	switch p := getString(in, "persistence"); {
	case p.Unknown:
		v.Persistence = optBool{Unknown: true}
	case !p.Set:
		v.Persistence = optBool{Set: true, Value: true} // the default is rdb+aof
	default:
		// Only the values the provider accepts as durable persist (provider/schema's
		// persistenceModes); anything else, refused by its Check anyway, must not pass the
		// persistence rule as durable.
		v.Persistence = optBool{Set: true, Value: p.Value == "rdb" || p.Value == "aof" || p.Value == "rdb+aof"}
	}
	mode := getString(in, "mode")
	v.ClusterMode = mode.Set && mode.Value == "cluster"
	replicas := getNumber(in, "replicasPerShard")
	if replicas.Unknown {
		v.NodeCount = optNumber{Unknown: true}
	} else {
		v.NodeCount = optNumber{Set: true, Value: replicas.Value + 1}
	}
	v.AutomaticFailover = optBool{Set: true, Value: replicas.Value > 0}
	zones, _ := getStrings(in, "zones")
	v.MultiAZ = optBool{Set: true, Value: len(uniq(zones)) > 1}
	// Placement as the engine does it: primaries round-robin over the zones, each replica in
	// the next zones after its primary's. With one zone every replica shares its primary's.
	shards := 1
	if s := getNumber(in, "shards"); s.Set && s.Value > 1 {
		shards = int(s.Value)
	}
	if len(zones) > 0 && replicas.Set && replicas.Value > 0 {
		for i := 0; i < shards; i++ {
			s := Shard{Primary: zones[i%len(zones)]}
			for j := 1; j <= int(replicas.Value); j++ {
				s.Replicas = append(s.Replicas, zones[(i+j)%len(zones)])
			}
			v.Shards = append(v.Shards, s)
		}
	}
	return v, true
}
