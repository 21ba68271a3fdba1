// Package engine is rediskit's self-hosted Redis/Valkey engine: it turns a declarative
// Deployment (the ElastiCache vocabulary: single node, replication group, cluster mode, a
// parameter group, AUTH/RBAC users, in-transit encryption, snapshots) into a Plan, a data
// description of every node and its rendered configuration, and then carries the plan out
// through a Runner (local processes today; the same plan fits a container runner).
//
// The package is built so that the failures users of other self-hosted charts and operators
// report cannot happen: a node keeps its identity across restarts and address changes, a
// full restart re-forms the same topology, an old primary returns as a replica, a cluster
// bootstrap is all or nothing, and an empty node never replaces replicas that hold data.
package engine

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/rediskit/rediskit/internal/validate"
	"github.com/rediskit/rediskit/paramgroup"
	"github.com/rediskit/rediskit/window"
)

// Mode is the ElastiCache deployment mode.
type Mode string

const (
	// ModeSingle is one node without replicas (an ElastiCache single-node cluster).
	ModeSingle Mode = "single"
	// ModeReplication is a primary with 1-5 replicas and automatic failover
	// (a replication group with cluster mode disabled).
	ModeReplication Mode = "replication"
	// ModeCluster is 1..N shards of a primary and 0-5 replicas (cluster mode enabled).
	ModeCluster Mode = "cluster"
)

// Deployment is the declarative input of the engine. Field meanings follow ElastiCache's
// replication group so that the AWS-facing spec maps onto it one to one.
type Deployment struct {
	// Name is the replication group id: <= 40 chars, lowercase letters, digits, hyphens.
	Name string `json:"name"`
	Mode Mode   `json:"mode"`
	// Shards is NumNodeGroups (cluster mode only; 1 otherwise).
	Shards int `json:"shards,omitempty"`
	// ReplicasPerShard is ReplicasPerNodeGroup (0-5; replication mode needs >= 1).
	ReplicasPerShard int `json:"replicasPerShard,omitempty"`

	Engine        paramgroup.Engine `json:"engine"`
	EngineVersion string            `json:"engineVersion"`
	// Parameters is the parameter group: name -> value, validated against the family schema.
	Parameters map[string]string `json:"parameters,omitempty"`

	// Zones are the availability zones (failure domains) nodes are spread over, like
	// PreferredCacheClusterAZs. Replicas are placed in other zones than their primary.
	Zones []string `json:"zones,omitempty"`

	Auth        Auth        `json:"auth"`
	TLS         TLS         `json:"tls"`
	Persistence Persistence `json:"persistence"`
	Snapshot    Snapshot    `json:"snapshot"`

	// Host is the address nodes bind to and announce (127.0.0.1 for local processes), or a
	// hostname they announce (with BindAll: a process binds addresses, not names).
	Host string `json:"host,omitempty"`
	// BindAll makes every node listen on all interfaces instead of its host's address (and
	// loopback): for nodes that announce a hostname, such as pods of a StatefulSet.
	BindAll bool `json:"bindAll,omitempty"`
	// BasePort is the first port; nodes and sentinels take consecutive ports from it.
	BasePort int `json:"basePort"`
	// NodePorts overrides the port of single nodes by id (used to move a node).
	NodePorts map[string]int `json:"nodePorts,omitempty"`
	// NodeHosts gives nodes (and sentinels) by id their own address, e.g. each container's
	// IP on a private network; unset ones use Host.
	NodeHosts map[string]string `json:"nodeHosts,omitempty"`
	// DataDir is the root holding one directory per node.
	DataDir string `json:"dataDir"`
	// CredentialsInclude, when set, is a file every node's redis.conf includes for its
	// replication credential (CredentialsConf) instead of holding it inline, so the rendered
	// configuration can live where secrets do not (a Kubernetes ConfigMap, the file coming from
	// a Secret).
	CredentialsInclude string `json:"credentialsInclude,omitempty"`
	// NodeMemory is the memory of one node in bytes (the node type's memory). Zero means the
	// cgroup-aware limit of the machine, divided among the nodes that share it.
	NodeMemory int64 `json:"nodeMemory,omitempty"`

	// Timing of failure detection; zero values take production defaults.
	Timing Timing `json:"timing,omitempty"`
}

// Auth describes who may connect. The default user is always disabled.
type Auth struct {
	// AppUser and AppToken are the application's credentials: the AUTH token, given to a
	// named user ("app" unless set) because the default user stays disabled.
	AppUser  string `json:"appUser,omitempty"`
	AppToken string `json:"appToken"`
	// PreviousAppToken stays valid next to AppToken while clients move over: ElastiCache's
	// ROTATE update strategy. Clearing it is the SET strategy.
	PreviousAppToken string `json:"previousAppToken,omitempty"`
	// Users are RBAC-style users: a name, a password and an ElastiCache access string.
	Users []User `json:"users,omitempty"`
	// AdminPassword is the engine's own user; it replicates, runs sentinel and snapshots.
	AdminPassword string `json:"adminPassword"`
}

// User is an RBAC user as ElastiCache defines it.
type User struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	// AccessString is an ACL rule string such as "on ~app:* +@all"; restricted commands are
	// denied on top of it whatever it says.
	AccessString string `json:"accessString"`
}

// TLS is in-transit encryption.
type TLS struct {
	Enabled bool `json:"enabled"`
	// Mode is "required" (TLS only, plaintext port closed) or "preferred" (both, for migration).
	Mode string `json:"mode,omitempty"`
	// CertFile, KeyFile, CAFile are given certificates; when empty and Enabled, a CA and a
	// node certificate are generated under DataDir/tls for local use.
	CertFile string `json:"certFile,omitempty"`
	KeyFile  string `json:"keyFile,omitempty"`
	CAFile   string `json:"caFile,omitempty"`
	// Hosts are further names and addresses the generated node certificate is valid for, besides
	// localhost, Host and every NodeHosts address: a container deployment lists its whole
	// private subnet, so a node added later on a new address is covered by the same certificate.
	Hosts []string `json:"hosts,omitempty"`
}

// Persistence selects the on-disk formats.
type Persistence struct {
	RDB bool `json:"rdb"`
	AOF bool `json:"aof"`
}

// Snapshot is the automatic snapshot policy.
type Snapshot struct {
	// Window is the daily time (UTC, "hh:mm-hh:mm") automatic snapshots are taken in.
	Window string `json:"window,omitempty"`
	// RetentionDays keeps this many days of snapshots (0-35; 0 disables automatic ones).
	RetentionDays int `json:"retentionDays,omitempty"`
	// Dir receives snapshots; defaults to DataDir/snapshots.
	Dir string `json:"dir,omitempty"`
	// RestoreFrom is a snapshot directory to seed a new deployment with.
	RestoreFrom string `json:"restoreFrom,omitempty"`
}

// Timing tunes failure detection. Tests shorten it; production keeps the defaults.
type Timing struct {
	// DownAfter is how long a primary is unreachable before Sentinel fails it over.
	DownAfter time.Duration `json:"downAfter,omitempty"`
	// FailoverTimeout is Sentinel's failover-timeout.
	FailoverTimeout time.Duration `json:"failoverTimeout,omitempty"`
	// ClusterNodeTimeout is cluster-node-timeout.
	ClusterNodeTimeout time.Duration `json:"clusterNodeTimeout,omitempty"`
	// Detect is how long the deployment's controller must find a running primary
	// unreachable from a majority of its vantage points (itself and the primary's replicas)
	// before it fails the primary over; a primary whose process is gone is failed over at
	// once. Sentinel's DownAfter and the cluster's node timeout stay as the fallback when no
	// controller runs. A stall shorter than half of it never causes a failover.
	Detect time.Duration `json:"detect,omitempty"`
}

// DefaultDetect is the controller's detection time: short enough for failovers within the
// issue's goals (cluster <= 3 s, replication <= 2 s from a failure to the first write on the
// new primary), long enough that a loaded machine's scheduling hiccups (hundreds of
// milliseconds) are not mistaken for a dead primary.
const DefaultDetect = 2 * time.Second

func (t Timing) withDefaults() Timing {
	if t.DownAfter == 0 {
		t.DownAfter = 5 * time.Second
	}
	if t.FailoverTimeout == 0 {
		t.FailoverTimeout = 60 * time.Second
	}
	if t.ClusterNodeTimeout == 0 {
		t.ClusterNodeTimeout = 15 * time.Second
	}
	if t.Detect == 0 {
		t.Detect = DefaultDetect
	}
	return t
}

// RestrictedCommands are the commands ElastiCache does not let users run; the engine denies
// them to every user but its own admin.
var RestrictedCommands = []string{
	"bgrewriteaof", "bgsave", "config", "debug", "migrate",
	"replicaof", "save", "slaveof", "shutdown", "sync",
}

// AdminUser is the name of the engine's internal user.
const AdminUser = "rediskit-admin"

var (
	nameRe     = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	userNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,39}$`)
)

// Family returns the parameter-group family of the deployment's engine version.
func (d *Deployment) Family() (paramgroup.Family, error) {
	return paramgroup.FamilyFor(d.Engine, d.EngineVersion)
}

// AppUserName returns the application user's name ("app" unless set).
func (d *Deployment) AppUserName() string {
	if d.Auth.AppUser == "" {
		return "app"
	}
	return d.Auth.AppUser
}

// Validate returns every problem with the deployment as one error, or nil.
func (d *Deployment) Validate() error {
	ps := validate.Problems{What: fmt.Sprintf("deployment %q", d.Name)}
	switch {
	case len(d.Name) == 0 || len(d.Name) > 40 || !nameRe.MatchString(d.Name) ||
		strings.HasSuffix(d.Name, "-") || strings.Contains(d.Name, "--"):
		ps.Add("name", d.Name, "1-40 lowercase letters, digits and hyphens, starting with a letter, no trailing hyphen or \"--\"")
	}
	switch d.Mode {
	case ModeSingle:
		if d.ReplicasPerShard != 0 {
			ps.Add("replicasPerShard", d.ReplicasPerShard, "0 in single mode")
		}
		if d.Shards > 1 {
			ps.Add("shards", d.Shards, "1 (or unset) outside cluster mode")
		}
	case ModeReplication:
		if d.ReplicasPerShard < 1 || d.ReplicasPerShard > 5 {
			ps.Add("replicasPerShard", d.ReplicasPerShard, "1-5 in replication mode (automatic failover needs a replica)")
		}
		if d.Shards > 1 {
			ps.Add("shards", d.Shards, "1 (or unset) outside cluster mode")
		}
	case ModeCluster:
		if d.Shards < 1 || d.Shards > 500 {
			ps.Add("shards", d.Shards, "1-500 in cluster mode")
		}
		if d.ReplicasPerShard < 0 || d.ReplicasPerShard > 5 {
			ps.Add("replicasPerShard", d.ReplicasPerShard, "0-5")
		}
		if d.Shards*(1+d.ReplicasPerShard) > 500 {
			ps.Add("shards", d.Shards, "at most 500 nodes in all (shards x (1 + replicasPerShard))")
		}
	default:
		ps.Add("mode", string(d.Mode), "one of single, replication, cluster")
	}
	fam, err := d.Family()
	if err != nil {
		ps.Add("engineVersion", d.EngineVersion, "%v", err)
	} else {
		ps.Merge("", paramgroup.Validate(fam, d.Parameters))
	}
	if d.Parameters["appendonly"] == "yes" && !d.Persistence.AOF {
		ps.Add("parameters.appendonly", "yes", "set persistence.aof instead, so the engine knows the deployment is durable")
	}
	zones := map[string]bool{}
	for i, z := range d.Zones {
		if z == "" || zones[z] {
			ps.Add(fmt.Sprintf("zones[%d]", i), z, "distinct non-empty zone names")
		}
		zones[z] = true
	}
	if d.Mode == ModeReplication && len(d.Zones) > 0 && len(d.Zones) < 3 {
		// With two zones one of them holds a majority of the sentinels: losing it stops
		// every failover, and a partition could let it elect alone.
		ps.Add("zones", d.Zones, "at least 3 distinct zones in replication mode, so that no zone holds a quorum of the sentinels (or none, for the default zone-a, zone-b, zone-c)")
	} else if d.ReplicasPerShard > 0 && len(d.Zones) == 1 {
		ps.Add("zones", d.Zones, "at least 2 zones when there are replicas, so a replica survives its primary's zone (or none, for the default a, b, c)")
	}
	d.validateAuth(&ps)
	d.validateTLS(&ps)
	if top := d.highestBasePort(); d.BasePort < MinPort || d.BasePort > top {
		ps.Add("basePort", d.BasePort, "%d-%d: unprivileged, with room after it for every node, sentinel and cluster bus port (+10000)", MinPort, top)
	}
	for id, p := range d.NodePorts {
		if p < 1 || p > 55535 {
			ps.Add("nodePorts."+id, p, "a port from 1 to 55535 (the cluster bus uses port+10000)")
		}
	}
	for id, h := range d.NodeHosts {
		if h == "" || strings.ContainsAny(h, " \t/:") {
			ps.Add("nodeHosts."+id, h, "an IPv4 address or host name")
		} else if isHostname(h) && !d.BindAll {
			ps.Add("nodeHosts."+id, h, "an address, or a host name with bindAll (a node binds addresses and announces the name)")
		}
	}
	if isHostname(d.Host) && !d.BindAll {
		ps.Add("host", d.Host, "an address, or a host name with bindAll (a node binds addresses and announces the name)")
	}
	if f := d.CredentialsInclude; f != "" && (!strings.HasPrefix(f, "/") || strings.ContainsAny(f, " \t\n")) {
		ps.Add("credentialsInclude", f, "an absolute path without spaces (redis.conf's include takes one word)")
	}
	if d.DataDir == "" {
		ps.Add("dataDir", nil, "a directory for the nodes' data")
	}
	if d.NodeMemory < 0 || (d.NodeMemory > 0 && d.NodeMemory < 32<<20) {
		ps.Add("nodeMemory", d.NodeMemory, "0 (detect) or at least 32 MiB")
	}
	if d.Snapshot.RetentionDays < 0 || d.Snapshot.RetentionDays > 35 {
		ps.Add("snapshot.retentionDays", d.Snapshot.RetentionDays, "0-35 days")
	}
	if d.Snapshot.Window != "" {
		if _, err := window.ParseDaily(d.Snapshot.Window); err != nil {
			ps.Add("snapshot.window", d.Snapshot.Window, "%v", err)
		}
	}
	return ps.Err()
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return false
		}
	}
	return true
}

// validSecret follows ElastiCache's AUTH token rules: 16-128 printable characters without
// spaces, '"', '/' or '@'. '>' '<' '#' are refused too since they are ACL rule prefixes.
func validSecret(s string) bool {
	return len(s) >= 16 && len(s) <= 128 && printable(s) && !strings.ContainsAny(s, "\"/@<>#")
}

const secretRule = "16-128 printable characters without spaces, \", /, @, <, > or #"

func (d *Deployment) validateAuth(ps *validate.Problems) {
	if !validSecret(d.Auth.AppToken) {
		ps.Add("auth.appToken", redact(d.Auth.AppToken), secretRule)
	}
	if d.Auth.PreviousAppToken != "" && !validSecret(d.Auth.PreviousAppToken) {
		ps.Add("auth.previousAppToken", redact(d.Auth.PreviousAppToken), secretRule)
	}
	if !validSecret(d.Auth.AdminPassword) {
		ps.Add("auth.adminPassword", redact(d.Auth.AdminPassword), secretRule)
	}
	names := map[string]bool{"default": true, AdminUser: true}
	app := d.AppUserName()
	if !userNameRe.MatchString(app) || names[app] {
		ps.Add("auth.appUser", app, "a user name (letters, digits, _ and -, starting with a letter) other than default and %s", AdminUser)
	}
	names[app] = true
	for i, u := range d.Auth.Users {
		f := fmt.Sprintf("auth.users[%d]", i)
		if !userNameRe.MatchString(u.Name) || names[u.Name] {
			ps.Add(f+".name", u.Name, "a unique user name other than default, %s and the app user", AdminUser)
		}
		names[u.Name] = true
		if !validSecret(u.Password) {
			ps.Add(f+".password", redact(u.Password), secretRule)
		}
		if msg := checkAccessString(u.AccessString); msg != "" {
			ps.Add(f+".accessString", u.AccessString, "%s", msg)
		}
	}
}

// checkAccessString accepts ElastiCache access strings: ACL rules without password or
// user-management tokens (passwords are given separately, and resets would undo the
// engine's restrictions).
func checkAccessString(s string) string {
	if strings.TrimSpace(s) == "" {
		return "an access string such as \"on ~* +@all\""
	}
	for _, tok := range strings.Fields(s) {
		l := strings.ToLower(tok)
		switch {
		case strings.HasPrefix(tok, ">") || strings.HasPrefix(tok, "<") || strings.HasPrefix(tok, "#") || strings.HasPrefix(tok, "!"):
			return "no password rules (>, <, #, !): the password is a separate field"
		case l == "nopass" || l == "resetpass" || l == "reset":
			return "no nopass, resetpass or reset: every user needs a password"
		case l == "on" || l == "off" || l == "allkeys" || l == "allchannels" || l == "resetkeys" || l == "resetchannels" || l == "allcommands" || l == "nocommands":
		case strings.HasPrefix(tok, "~") || strings.HasPrefix(tok, "%") || strings.HasPrefix(tok, "&") ||
			strings.HasPrefix(tok, "+") || strings.HasPrefix(tok, "-"):
			if len(tok) < 2 || !printable(tok) {
				return fmt.Sprintf("rule %q is incomplete", tok)
			}
		default:
			return fmt.Sprintf("rule %q is not an ACL rule (on, off, ~pattern, &channel, +command, -@category, ...)", tok)
		}
	}
	return ""
}

func redact(s string) string {
	if s == "" {
		return s
	}
	return fmt.Sprintf("<%d characters>", len(s))
}

func (d *Deployment) validateTLS(ps *validate.Problems) {
	t := d.TLS
	if !t.Enabled {
		if t.Mode != "" {
			ps.Add("tls.mode", t.Mode, "empty unless tls.enabled")
		}
		return
	}
	if t.Mode != "" && t.Mode != "required" && t.Mode != "preferred" {
		ps.Add("tls.mode", t.Mode, "required or preferred")
	}
	given := 0
	for _, f := range []string{t.CertFile, t.KeyFile, t.CAFile} {
		if f != "" {
			given++
		}
	}
	if given != 0 && given != 3 {
		ps.Add("tls.certFile", t.CertFile, "certFile, keyFile and caFile together, or none to generate them")
	}
}

// tlsRequired reports whether the plaintext port is closed.
func (d *Deployment) tlsRequired() bool { return d.TLS.Enabled && d.TLS.Mode != "preferred" }

func (d *Deployment) shardCount() int {
	if d.Mode == ModeCluster {
		return d.Shards
	}
	return 1
}

// MinPort is the lowest port a node takes: the engine never asks for a privileged one.
const MinPort = 1024

// highestBasePort leaves room above the base port for every node and sentinel (two ports
// each with TLS preferred) and, in cluster mode, their cluster bus ports, BusOffset higher.
func (d *Deployment) highestBasePort() int {
	top := 65535 - 2*(d.nodeCount()+5)
	if d.Mode == ModeCluster {
		top -= BusOffset
	}
	return top
}

func (d *Deployment) nodeCount() int { return d.shardCount() * (1 + d.ReplicasPerShard) }
