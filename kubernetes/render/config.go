package render

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	corev1 "k8s.io/api/core/v1"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/kubernetes/pod"
	"github.com/rediskit/rediskit/paramgroup"
)

// NodesKey is the key of a shard's ConfigMap that maps its pods to their nodes.
const NodesKey = pod.NodesKey

// shardConfig is a shard's ConfigMap: each node's redis.conf as the engine renders it for a
// first start (the announced hostname, ports, TLS files, users file, parameter group; the
// replication credential only by include), and the pod-to-node map. One per shard keeps each
// well under a ConfigMap's 1 MiB at 500 shards.
func shardConfig(r *Resolved, p *engine.Plan, shard []Node) (*corev1.ConfigMap, error) {
	data := map[string]string{}
	for _, n := range shard {
		conf, err := p.RedisConf(n.ID)
		if err != nil {
			return nil, err
		}
		data[pod.ConfKey(n.Pod)] = conf
	}
	b, err := json.MarshalIndent(shard, "", "  ")
	if err != nil {
		return nil, err
	}
	data[NodesKey] = string(b)
	shardID := shard[0].ShardID
	return &corev1.ConfigMap{
		TypeMeta:   typeMeta("v1", "ConfigMap"),
		ObjectMeta: meta(r, configName(r.Cache.Name, shardID), map[string]string{LabelShard: shardID}),
		Data:       data,
	}, nil
}

// credentialsSecret holds what the nodes' configuration must not: the users file (the engine's
// ACL: hashed passwords, the default user off, the restricted commands denied to the app and
// RBAC users) and the replication credential the configuration includes.
func credentialsSecret(r *Resolved, p *engine.Plan) *corev1.Secret {
	return &corev1.Secret{
		TypeMeta:   typeMeta("v1", "Secret"),
		ObjectMeta: meta(r, credentialsName(r.Cache.Name), nil),
		Type:       corev1.SecretTypeOpaque,
		Data: map[string][]byte{
			engine.ACLFile:  []byte(p.ACL()),
			CredentialsFile: []byte(engine.CredentialsConf(&p.Deployment)),
		},
	}
}

// restartHash is a digest of what a node takes only at a restart: its configuration as
// rendered with only the parameters that need a restart (restartConf, the shard's first
// node's: every node of a shard differs only in its own names), and its pod spec, less the
// zone spread (which counts the shard's pods, so a replica added or removed restarts nothing).
func restartHash(restartConf string, spec corev1.PodSpec) string {
	spec.TopologySpreadConstraints = nil
	b, _ := json.Marshal(spec) // a PodSpec always marshals
	h := sha256.New()
	h.Write([]byte(restartConf))
	h.Write([]byte{0})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// restartPlan is the plan as if the cache's parameter group set only the parameters that
// need a restart: two configurations that differ only in parameters a running node takes with
// CONFIG SET render the same restart plan.
func restartPlan(r *Resolved, cr Credentials, p *engine.Plan) (*engine.Plan, error) {
	schema := paramgroup.Schema(p.Family)
	only := *r
	only.Cache.Parameters = map[string]string{}
	for name, v := range r.Cache.Parameters {
		if schema[name].Apply == paramgroup.ApplyRestart {
			only.Cache.Parameters[name] = v
		}
	}
	rp, _, err := planFor(&only, cr)
	return rp, err
}
