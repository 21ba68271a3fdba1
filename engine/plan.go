package engine

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"

	"github.com/rediskit/rediskit/paramgroup"
)

// TotalSlots is the number of hash slots of a Redis cluster.
const TotalSlots = 16384

// Role is a node's role in the plan (its role at creation; failovers change it later).
type Role string

const (
	RolePrimary Role = "primary"
	RoleReplica Role = "replica"
)

// SlotRange is an inclusive range of hash slots.
type SlotRange struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Node is one redis-server of the plan.
type Node struct {
	// ID follows ElastiCache's node naming: <group>-001 without cluster mode,
	// <group>-<shard:0001>-<node:001> with it, so metric dimensions look familiar.
	ID      string `json:"id"`
	Shard   int    `json:"shard"`   // 0-based shard index
	ShardID string `json:"shardId"` // ElastiCache node group id, "0001"
	Role    Role   `json:"role"`
	// PrimaryID is the planned primary of a replica.
	PrimaryID string `json:"primaryId,omitempty"`
	Zone      string `json:"zone"`
	Host      string `json:"host"`
	// PlainPort is the plaintext client port (0 when TLS is required), TLSPort the TLS one
	// (0 without TLS), BusPort the cluster bus (cluster mode only).
	PlainPort int         `json:"plainPort"`
	TLSPort   int         `json:"tlsPort,omitempty"`
	BusPort   int         `json:"busPort,omitempty"`
	Slots     []SlotRange `json:"slots,omitempty"`
	Dir       string      `json:"dir"`
	MaxMemory int64       `json:"maxMemory"`
}

// Port is the port clients use: the TLS port when TLS is on, the plaintext one otherwise.
func (n *Node) Port() int {
	if n.TLSPort != 0 {
		return n.TLSPort
	}
	return n.PlainPort
}

// Addr is host:Port().
func (n *Node) Addr() string { return net.JoinHostPort(n.Host, strconv.Itoa(n.Port())) }

// Sentinel is one redis-sentinel of a replication-mode plan.
type Sentinel struct {
	ID        string `json:"id"`
	Zone      string `json:"zone"`
	Host      string `json:"host"`
	PlainPort int    `json:"plainPort"`
	TLSPort   int    `json:"tlsPort,omitempty"`
	Dir       string `json:"dir"`
}

// Port is the port clients use.
func (s *Sentinel) Port() int {
	if s.TLSPort != 0 {
		return s.TLSPort
	}
	return s.PlainPort
}

// Addr is host:Port().
func (s *Sentinel) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port())) }

// TLSFiles are the certificate paths every process uses.
type TLSFiles struct {
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
	CAFile   string `json:"caFile"`
	// Generate is set when the engine creates them (local use).
	Generate bool `json:"generate"`
}

// Plan is everything the engine will run, as data. It is computed without side effects and
// can be inspected, tested and serialised before anything starts.
type Plan struct {
	Deployment Deployment        `json:"deployment"`
	Family     paramgroup.Family `json:"family"`
	// Params is the effective parameter group (ElastiCache defaults overlaid with the user's).
	Params    map[string]string `json:"params"`
	Nodes     []*Node           `json:"nodes"`
	Sentinels []*Sentinel       `json:"sentinels,omitempty"`
	// Quorum is the number of sentinels that must agree the primary is down.
	Quorum int       `json:"quorum,omitempty"`
	TLS    *TLSFiles `json:"tls,omitempty"`
	Timing Timing    `json:"timing"`
}

// Node returns the node with the given id, or nil.
func (p *Plan) Node(id string) *Node {
	for _, n := range p.Nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

// ShardNodes returns the nodes of a shard, primary first.
func (p *Plan) ShardNodes(shard int) []*Node {
	var out []*Node
	for _, n := range p.Nodes {
		if n.Shard == shard {
			out = append(out, n)
		}
	}
	return out
}

// DefaultZones are used when a deployment names none: three logical failure domains.
var DefaultZones = []string{"zone-a", "zone-b", "zone-c"}

// PlanFor validates a deployment and computes its plan: the effective parameters, the TLS
// files, then each shard's nodes and the sentinels, in the order their ports are allocated.
func PlanFor(d Deployment) (*Plan, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	fam, _ := d.Family()
	if d.Host == "" {
		d.Host = "127.0.0.1"
	}
	p := &Plan{
		Deployment: d,
		Family:     fam,
		Params:     paramgroup.Effective(fam, d.Parameters, d.Mode == ModeCluster),
		Timing:     d.Timing.withDefaults(),
		TLS:        planTLS(d),
	}
	mem, err := nodeMemory(d)
	if err != nil {
		return nil, fmt.Errorf("sizing nodes: %w", err)
	}
	maxmem, err := maxMemory(mem, p.Params)
	if err != nil {
		return nil, err
	}
	zones := d.Zones
	if len(zones) == 0 {
		zones = DefaultZones
	}
	ports := newPortAllocator(d)
	for s := 0; s < d.shardCount(); s++ {
		p.planShard(s, zones, maxmem, ports)
	}
	if d.Mode == ModeReplication {
		p.planSentinels(zones, ports)
	}
	return p, nil
}

// planTLS names the certificate files: the user's, or ones the engine generates under the
// data directory.
func planTLS(d Deployment) *TLSFiles {
	switch {
	case !d.TLS.Enabled:
		return nil
	case d.TLS.CertFile != "":
		return &TLSFiles{CertFile: d.TLS.CertFile, KeyFile: d.TLS.KeyFile, CAFile: d.TLS.CAFile}
	default:
		dir := filepath.Join(d.DataDir, "tls")
		return &TLSFiles{CertFile: filepath.Join(dir, "node.crt"), KeyFile: filepath.Join(dir, "node.key"),
			CAFile: filepath.Join(dir, "ca.crt"), Generate: true}
	}
}

// portAllocator hands out ports from the base port in plan order. Sequential ports skip
// those pinned by NodePorts, so a node added next to pinned ones (scaling) never lands on a
// port a running process holds; a pinned node still uses up its own sequential position, so
// moving one node never shifts the ports of the others.
type portAllocator struct {
	next   int
	pinned map[int]bool
	tls    bool // TLS on
	both   bool // TLS preferred: a plaintext port and the TLS one after it
}

func newPortAllocator(d Deployment) *portAllocator {
	a := &portAllocator{next: d.BasePort, pinned: map[int]bool{}, tls: d.TLS.Enabled, both: d.TLS.Enabled && !d.tlsRequired()}
	for _, port := range d.NodePorts {
		a.pinned[port] = true
		if a.both {
			a.pinned[port+1] = true // a pinned port is the first of the two
		}
	}
	return a
}

// take returns the next free sequential port, or override (still using up a position).
func (a *portAllocator) take(override int) int {
	if override != 0 {
		a.next++
		return override
	}
	for a.pinned[a.next] {
		a.next++
	}
	port := a.next
	a.next++
	return port
}

// alloc returns the plaintext and TLS ports of one process (0 for the one it lacks).
func (a *portAllocator) alloc(override int) (plain, tls int) {
	switch {
	case !a.tls:
		return a.take(override), 0
	case !a.both:
		return 0, a.take(override)
	case override != 0:
		a.next += 2
		return override, override + 1
	default:
		plain = a.take(0)
		return plain, a.take(0)
	}
}

// planShard adds the nodes of shard s: its primary in zone s (round robin) and the replicas
// spread over the other zones.
func (p *Plan) planShard(s int, zones []string, maxmem int64, ports *portAllocator) {
	d := &p.Deployment
	shards := d.shardCount()
	primaryZone := s % len(zones)
	var others []string
	for i, z := range zones {
		if i != primaryZone {
			others = append(others, z)
		}
	}
	for r := 0; r <= d.ReplicasPerShard; r++ {
		n := &Node{Shard: s, ShardID: fmt.Sprintf("%04d", s+1), Host: d.Host, MaxMemory: maxmem}
		if d.Mode == ModeCluster {
			n.ID = fmt.Sprintf("%s-%04d-%03d", d.Name, s+1, r+1)
		} else {
			n.ID = fmt.Sprintf("%s-%03d", d.Name, r+1)
		}
		n.PlainPort, n.TLSPort = ports.alloc(d.NodePorts[n.ID])
		if h := d.NodeHosts[n.ID]; h != "" {
			n.Host = h
		}
		if r == 0 {
			n.Role, n.Zone = RolePrimary, zones[primaryZone]
			if d.Mode == ModeCluster {
				n.Slots = []SlotRange{{Start: s * TotalSlots / shards, End: (s+1)*TotalSlots/shards - 1}}
			}
		} else {
			n.Role, n.Zone = RoleReplica, others[(s+r-1)%len(others)]
			n.PrimaryID = p.ShardNodes(s)[0].ID
		}
		if d.Mode == ModeCluster {
			n.BusPort = n.Port() + BusOffset
		}
		n.Dir = filepath.Join(d.DataDir, n.ID)
		p.Nodes = append(p.Nodes, n)
	}
}

// planSentinels adds a replication group's sentinels: three, or five for more than three
// nodes, one per zone in turn, with a majority quorum.
func (p *Plan) planSentinels(zones []string, ports *portAllocator) {
	d := &p.Deployment
	count := 3
	if d.nodeCount() > 3 {
		count = 5
	}
	p.Quorum = count/2 + 1
	for i := 0; i < count; i++ {
		s := &Sentinel{ID: fmt.Sprintf("%s-sentinel-%d", d.Name, i+1), Zone: zones[i%len(zones)], Host: d.Host}
		s.PlainPort, s.TLSPort = ports.alloc(d.NodePorts[s.ID])
		if h := d.NodeHosts[s.ID]; h != "" {
			s.Host = h
		}
		s.Dir = filepath.Join(d.DataDir, s.ID)
		p.Sentinels = append(p.Sentinels, s)
	}
}

// WithNodePort plans the same deployment with one node (or sentinel) pinned to another port:
// the plan of moving it.
func (p *Plan) WithNodePort(id string, port int) (*Plan, error) {
	d := p.Deployment
	ports := map[string]int{}
	for k, v := range d.NodePorts {
		ports[k] = v
	}
	ports[id] = port
	d.NodePorts = ports
	return PlanFor(d)
}

// Primaries returns the planned primaries, one per shard.
func (p *Plan) Primaries() []*Node {
	var out []*Node
	for _, n := range p.Nodes {
		if n.Role == RolePrimary {
			out = append(out, n)
		}
	}
	return out
}
