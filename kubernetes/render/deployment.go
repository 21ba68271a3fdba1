package render

import (
	"path"
	"time"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/kubernetes/pod"
)

// Credentials are the secrets the nodes' configuration needs: the operator generates them or
// reads them from kubernetes.authSecret, and passes them in; Render never invents one.
type Credentials struct {
	AppToken         string
	PreviousAppToken string
	AdminPassword    string
	UserPasswords    map[string]string
}

// Paths inside a node's pod: the pod package's contract.
const (
	DataDir         = pod.DataDir
	ConfigDir       = pod.ConfigDir
	CredentialsDir  = pod.CredentialsDir
	TLSDir          = pod.TLSDir
	CredentialsFile = pod.CredentialsFile
)

// defaultAccess is a user's access string when the spec gives none (the self-hosted target's
// too): every key and channel, every command but the restricted ones the engine denies.
const defaultAccess = "on ~* &* +@all"

// ClusterNodeTimeout is the nodes' cluster-node-timeout on Kubernetes. The cluster fails a
// lost primary over by itself about a second after this (no operator in the path, so it
// holds while the operator is down or being rescheduled); 5 s keeps a lost node or zone
// within the 10 s goal, where Redis's default of 15 s would not, while a pause shorter than
// it (a GC-less server's fork, a brief network blip) fails nothing over.
const ClusterNodeTimeout = 5 * time.Second

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
		Timing:             engine.Timing{ClusterNodeTimeout: ClusterNodeTimeout},
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

// Node is one node of the cache and the pod that runs it (a shard's nodes.json lists them).
type Node = pod.Node

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
		name := podName(r.Cache.Name, n.ShardID, ordinal[n.Shard])
		nodes = append(nodes, Node{ID: n.ID, Shard: n.Shard, ShardID: n.ShardID, Pod: name, Ordinal: ordinal[n.Shard], Host: podHost(r, name)})
		hosts[n.ID] = podHost(r, name)
		ordinal[n.Shard]++
	}
	p, err := engine.PlanFor(deploymentFor(r, cr, hosts))
	if err != nil {
		return nil, nil, err
	}
	return p, nodes, nil
}
