package pod

// Facts is everything a pod's start decision depends on, gathered before it (Gather) and
// nothing else: Decide reads no file and asks no one.
type Facts struct {
	// Server is the server program (valkey-server or redis-server).
	Server string
	// Node is this pod's node (from nodes.json).
	Node Node
	// Conf is what the node's redis.conf (from the ConfigMap) says that matters here.
	Conf Conf
	// Volume is what the node's directory on its persistent volume holds.
	Volume Volume
	// Peers are the other nodes of the shard, each as it answered (or did not).
	Peers []Peer
}

// Conf is what pod-start reads from a node's rendered redis.conf.
type Conf struct {
	// Cluster: cluster-enabled yes.
	Cluster bool
	// Dir is the node's directory (dir): DataDir/<node id>.
	Dir string
	// Port is the port peers are reached at (tls-port when set, else port).
	Port int
	// BusPort is the cluster bus port (cluster-port).
	BusPort int
	// TLS is set when Port speaks TLS.
	TLS bool
	// CAFile verifies peers' certificates (tls-ca-cert-file).
	CAFile string
	// Persistent: the node writes its data to the volume (appendonly yes, or save rules),
	// so a node that served before should find data there.
	Persistent bool
}

// Volume is what the node's directory holds at this start.
type Volume struct {
	// Started: the volume has served this node before (StartedFile).
	Started bool
	// NodesConf: cluster mode's state file shows the node in a cluster (it knows another
	// node, or serves slots); the node keeps that identity (and, as far as it knows, its role
	// and slots).
	NodesConf bool
	// Data: an RDB file or an AOF is there; the node loads a dataset.
	Data bool
}

// PeerState says how a peer answered.
type PeerState string

const (
	// Answered: the peer told its role and replication.
	Answered PeerState = "answered"
	// Unreachable: nothing accepts connections at its name (its pod is not running, or
	// not yet its server: it is in its own pod-start).
	Unreachable PeerState = "unreachable"
	// Unknown: something answered but not usefully (loading its dataset, an error): it may
	// hold the shard's data and lead, so nothing is decided around it.
	Unknown PeerState = "unknown"
)

// Peer is another node of the shard as pod-start found it.
type Peer struct {
	Node  Node
	State PeerState
	// Err is why a peer is Unreachable or Unknown, for the log and a refusal.
	Err string
	// Role is INFO replication's role: master or slave.
	Role string
	// Offset is a replica's slave_repl_offset.
	Offset int64
	// Keys is how many keys it holds.
	Keys int64
	// Replicas is how many replicas are connected to it (a primary's connected_slaves).
	Replicas int
	// Slots is how many hash slots it serves (cluster mode; CLUSTER NODES, myself).
	Slots int
}

// leads reports whether the peer leads the shard now. In cluster mode that is a primary that
// serves slots: a node with no slots is a primary too, of nothing (a node just created, or
// one that lost its volume and came back under a new identity). In replication mode every
// node without replicaof is a primary; one leads when it has replicas or data: a node just
// started empty and alone leads nothing yet.
func (p Peer) leads(cluster bool) bool {
	if p.State != Answered || p.Role != "master" {
		return false
	}
	if cluster {
		return p.Slots > 0
	}
	return p.Replicas > 0 || p.Keys > 0
}

// replica reports whether the peer is a replica of the shard (it follows its primary, this
// node as far as it knows, or one that is gone).
func (p Peer) replica() bool { return p.State == Answered && p.Role == "slave" }
