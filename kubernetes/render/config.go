package render

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/kubernetes/pod"
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

// configHash is a digest of a ConfigMap's data, stamped on the pod template so a changed
// configuration marks the shard's running pods as outdated.
func configHash(cm *corev1.ConfigMap) string {
	keys := make([]string, 0, len(cm.Data))
	for k := range cm.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(cm.Data[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
