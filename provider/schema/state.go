package schema

// NodeStatus is one node as the provider last saw it.
type NodeStatus struct {
	ID    string `pulumi:"id"`
	Shard int    `pulumi:"shard"`
	// Role is the observed role: primary, replica, or down.
	Role string `pulumi:"role"`
	Zone string `pulumi:"zone"`
	Host string `pulumi:"host"`
	Port int    `pulumi:"port"`
	// PrimaryID is the node a replica follows (observed).
	PrimaryID string `pulumi:"primaryId,optional"`
	Alive     bool   `pulumi:"alive"`
}

// DeploymentState is the provider's checkpoint of a deployment: its inputs and what it found.
type DeploymentState struct {
	DeploymentArgs

	// Endpoint is the host clients connect to (with Port): a seed node in cluster mode (clients discover the rest),
	// the current primary otherwise.
	Endpoint string `pulumi:"endpoint"`
	Port     int    `pulumi:"port"`
	// ConfigurationEndpoints lists every node (host:port) in cluster mode: a cluster-aware
	// client seeded with them bootstraps while any one node is down.
	ConfigurationEndpoints []string `pulumi:"configurationEndpoints,optional"`
	// Sentinels are the sentinel addresses in replication mode (clients ask them for the primary).
	Sentinels []string     `pulumi:"sentinels,optional"`
	Nodes     []NodeStatus `pulumi:"nodes"`
	CAFile    string       `pulumi:"caFile,optional"`
	AppUser   string       `pulumi:"appUser"`
	// AppToken is the app user's credential (generated or given).
	AppToken string `pulumi:"appToken" provider:"secret"`
	// PreviousAppToken is the token a rotation keeps valid beside AppToken.
	PreviousAppToken string            `pulumi:"previousAppToken,optional" provider:"secret"`
	AdminPassword    string            `pulumi:"adminPassword" provider:"secret"`
	UserPasswords    map[string]string `pulumi:"userPasswords,optional" provider:"secret"`
	// Healthy is true when every node is alive and, in cluster mode, all 16384 slots are served.
	Healthy      bool   `pulumi:"healthy"`
	SlotsCovered int    `pulumi:"slotsCovered"`
	SnapshotDir  string `pulumi:"snapshotDir"`
	// NodePorts pins every node's and sentinel's port, so scaling never moves a running one.
	NodePorts map[string]int `pulumi:"nodePorts,optional"`
	// Network is the private Docker network of a docker-driver deployment, Subnet its /24
	// ("10.a.b.0/24"), and NodeHosts each container's address on it.
	Network   string            `pulumi:"network,optional"`
	Subnet    string            `pulumi:"subnet,optional"`
	NodeHosts map[string]string `pulumi:"nodeHosts,optional"`
	// ControllerRunning is true when the deployment's controller (automatic snapshots in the
	// window, pruned by retention) is alive; a deployment without retention runs none.
	ControllerRunning bool `pulumi:"controllerRunning"`
	// MetricsEndpoint is the controller's /metrics URL when metricsPort is set.
	MetricsEndpoint string `pulumi:"metricsEndpoint,optional"`
	// LastAutomaticSnapshot names the newest automatic snapshot, if any.
	LastAutomaticSnapshot string `pulumi:"lastAutomaticSnapshot,optional"`
	// FinalSnapshotPath is set once a delete has taken the final snapshot.
	FinalSnapshotPath string `pulumi:"finalSnapshotPath,optional"`
}

// Placement returns where the state's nodes live.
func (s *DeploymentState) Placement() Placement {
	return Placement{Ports: s.NodePorts, Hosts: s.NodeHosts, CertHosts: SubnetHosts(s.Subnet)}
}

// Secrets returns the credentials recorded in a state.
func (s *DeploymentState) Secrets() Secrets {
	return Secrets{AppToken: s.AppToken, PreviousAppToken: s.PreviousAppToken, AdminPassword: s.AdminPassword, UserPasswords: s.UserPasswords}
}
