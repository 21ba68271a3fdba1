package policies

import (
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// SelfHostedDeploymentView reads a self-hosted deployment whose inputs follow the engine's
// Deployment (engine/deployment.go): mode, shards, replicasPerShard, engine, engineVersion,
// zones, auth{appToken, users}, tls{enabled, mode}, persistence{rdb, aof},
// snapshot{window, retentionDays}. The self-hosted provider's deployment resource registers
// it under its type token in adapters (cache.go), and every cache rule that has a meaning
// for it applies: TLS, AUTH, snapshots, engine version, replicas in other zones, persistence.
func SelfHostedDeploymentView(in property.Map) (CacheView, bool) {
	v := CacheView{Role: RoleSelfHosted}
	v.Engine = getString(in, "engine")
	v.EngineVersion = getString(in, "engineVersion")
	// Disk encryption is the host's business, not the deployment's: the rule cannot tell.
	v.AtRestEncryption = optBool{Unknown: true}
	v.TransitEncryption = defaultBool(getBool(in, "tls.enabled"), false)
	v.TransitMode = getString(in, "tls.mode")
	tok := lookup(in, "auth.appToken")
	v.AuthToken = optBool{Set: true, Value: tok.IsComputed() || (tok.IsString() && tok.AsString() != "")}
	if users, unknown := getMaps(in, "auth.users"); len(users) > 0 || unknown {
		v.AuthToken = optBool{Set: true, Value: true}
	}
	v.SnapshotRetention = defaultNumber(getNumber(in, "snapshot.retentionDays"), 0)
	v.SnapshotWindow = getString(in, "snapshot.window")
	v.AutoMinorUpgrade = optBool{Set: true, Value: true}
	rdb, aof := getBool(in, "persistence.rdb"), getBool(in, "persistence.aof")
	switch {
	case rdb.Unknown || aof.Unknown:
		v.Persistence = optBool{Unknown: true}
	default:
		v.Persistence = optBool{Set: true, Value: rdb.isTrue() || aof.isTrue()}
	}
	mode := getString(in, "mode")
	v.ClusterMode = mode.Set && mode.Value == "cluster"
	replicas := getNumber(in, "replicasPerShard")
	switch {
	case replicas.Unknown:
		v.NodeCount = optNumber{Unknown: true}
	default:
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
