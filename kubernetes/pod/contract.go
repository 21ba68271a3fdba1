package pod

// The contract between the rendered objects and a node's pod: render mounts and sets these,
// pod-start reads them. One definition each; render refers to them.

// Subcommand is the engine binary's subcommand a node's container runs (render.StartCommand).
const Subcommand = "pod-start"

// Paths inside a node's pod.
const (
	// DataDir is the node's persistent volume; the node's files are in DataDir/<node id>,
	// where the engine keeps them on a machine too.
	DataDir = "/data"
	// ConfigDir holds the shard's ConfigMap: <pod name>.conf for each of its nodes, and
	// NodesKey.
	ConfigDir = "/etc/rediskit/config"
	// CredentialsDir holds the engine Secret: users.acl and CredentialsFile.
	CredentialsDir = "/etc/rediskit/credentials"
	// TLSDir holds the TLS Secret: tls.crt, tls.key and ca.crt.
	TLSDir = "/etc/rediskit/tls"
	// CredentialsFile is the file a node's redis.conf includes for the replication credential
	// (engine.CredentialsConf: "masterauth <admin password>"); pod-start reads the admin
	// password from it to ask the shard's other nodes.
	CredentialsFile = "credentials.conf"
	// NodesKey is the key of a shard's ConfigMap that maps its pods to their nodes (JSON, a
	// list of Node): how a pod's start learns which node it is and who its peers are.
	NodesKey = "nodes.json"
	// StartedFile, in the node's directory, records that this volume has served the node: a
	// node with it and no data was emptied, one without it is new.
	StartedFile = "rediskit-pod.json"
)

// ConfKey is the file (ConfigMap key) of a pod's redis.conf in its shard's ConfigMap.
func ConfKey(pod string) string { return pod + ".conf" }

// Environment of a node's container.
const (
	EnvPodName        = "RK_POD_NAME"
	EnvConfigDir      = "RK_CONFIG_DIR"
	EnvDataDir        = "RK_DATA_DIR"
	EnvCredentialsDir = "RK_CREDENTIALS_DIR"
	// EnvServer names the server program (valkey-server or redis-server, by the cache's
	// engine: engine.ProgramsFor).
	EnvServer = "RK_SERVER"
)

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
