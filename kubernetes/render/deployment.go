package render

import (
	"path"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/engine"
)

// Credentials are the secrets the nodes' configuration needs: the operator generates them or
// reads them from kubernetes.authSecret, and passes them in; Render never invents one.
type Credentials struct {
	AppToken         string
	PreviousAppToken string
	AdminPassword    string
	UserPasswords    map[string]string
}

// Paths inside a node's pod.
const (
	// DataDir is the node's persistent volume; the node's files are in DataDir/<node id>,
	// where the engine keeps them on a machine too.
	DataDir = "/data"
	// ConfigDir holds the shard's ConfigMap: <pod name>.conf for each of its nodes.
	ConfigDir = "/etc/rediskit/config"
	// CredentialsDir holds the engine Secret: users.acl and credentials.conf.
	CredentialsDir = "/etc/rediskit/credentials"
	// TLSDir holds the TLS Secret: tls.crt, tls.key and ca.crt.
	TLSDir = "/etc/rediskit/tls"
	// CredentialsFile is the file a node's redis.conf includes for the replication credential.
	CredentialsFile = "credentials.conf"
)

// defaultAccess is a user's access string when the spec gives none (the self-hosted target's
// too): every key and channel, every command but the restricted ones the engine denies.
const defaultAccess = "on ~* &* +@all"

// deploymentFor is the engine deployment the pods run: every node on the cache's port in its
// own pod, announcing its pod's DNS name (hosts, by node id) and listening on every interface,
// with its files under DataDir and its secrets in mounted files.
func deploymentFor(r *Resolved, cr Credentials, hosts map[string]string) engine.Deployment {
	c := &r.Cache
	d := engine.Deployment{
		Name:             c.Name,
		Mode:             engine.Mode(c.Mode),
		ReplicasPerShard: spec.Int(c.Replicas),
		Engine:           c.Engine,
		EngineVersion:    c.EngineVersion,
		Parameters:       c.Parameters,
		Zones:            c.Zones,
		Auth: engine.Auth{AppToken: cr.AppToken, PreviousAppToken: cr.PreviousAppToken,
			AdminPassword: cr.AdminPassword},
		Persistence: r.Persistence,
		Snapshot:    engine.Snapshot{RetentionDays: spec.Int(c.Snapshots.RetentionDays), Window: c.Snapshots.Window},
		BindAll:     true,
		BasePort:    c.Port,
		NodeHosts:   hosts,
		DataDir:     DataDir,
		NodeMemory:  r.NodeMemory,
		// The configuration goes into a ConfigMap; the credential stays in the Secret.
		CredentialsInclude: path.Join(CredentialsDir, CredentialsFile),
	}
	if c.Mode == spec.ModeCluster {
		d.Shards = c.ShardCount()
	}
	if spec.Bool(c.Encryption.InTransit) {
		d.TLS = engine.TLS{Enabled: true, Mode: c.Encryption.TransitMode,
			CertFile: path.Join(TLSDir, "tls.crt"), KeyFile: path.Join(TLSDir, "tls.key"), CAFile: path.Join(TLSDir, "ca.crt")}
	}
	for _, u := range c.Auth.Users {
		access := u.Access
		if access == "" {
			access = defaultAccess
		}
		d.Auth.Users = append(d.Auth.Users, engine.User{Name: u.Name, Password: cr.UserPasswords[u.Name], AccessString: access})
	}
	if len(hosts) > 0 {
		// Each node has a pod, and so an address, of its own: all take the same port.
		d.NodePorts = map[string]int{}
		for id := range hosts {
			d.NodePorts[id] = c.Port
		}
	}
	return d
}

// Node is one node of the cache and the pod that runs it.
type Node struct {
	ID      string `json:"id"`
	Shard   int    `json:"shard"`
	ShardID string `json:"shardId"`
	Pod     string `json:"pod"`
	Ordinal int    `json:"ordinal"`
	// Host is the pod's DNS name, which the node announces.
	Host string `json:"host"`
}

// planFor plans the deployment the pods run. The engine names the nodes; a first plan gives
// their ids, the second places each in its pod (the pod's DNS name, the cache's port).
func planFor(r *Resolved, cr Credentials) (*engine.Plan, []Node, error) {
	first, err := engine.PlanFor(deploymentFor(r, cr, nil))
	if err != nil {
		return nil, nil, err
	}
	hosts := map[string]string{}
	var nodes []Node
	ordinal := map[int]int{}
	for _, n := range first.Nodes {
		pod := podName(r.Cache.Name, n.ShardID, ordinal[n.Shard])
		nodes = append(nodes, Node{ID: n.ID, Shard: n.Shard, ShardID: n.ShardID, Pod: pod, Ordinal: ordinal[n.Shard], Host: podHost(r, pod)})
		hosts[n.ID] = podHost(r, pod)
		ordinal[n.Shard]++
	}
	p, err := engine.PlanFor(deploymentFor(r, cr, hosts))
	if err != nil {
		return nil, nil, err
	}
	return p, nodes, nil
}
