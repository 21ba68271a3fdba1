package engine

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Metrics serves the deployment's metrics in the Prometheus text format under the names
// ElastiCache publishes to CloudWatch (EngineCPUUtilization, DatabaseMemoryUsagePercentage,
// Evictions, CurrConnections, ReplicationLag, CacheHits, CacheMisses, ...), so the alarms
// people already know carry over. Every series carries ElastiCache's dimensions:
// CacheClusterId is the node id (rg-0001-001 in cluster mode), CacheNodeId "0001", plus
// ReplicationGroupId, so per-node alarms find their data.
type Metrics struct {
	// Engine is the deployment whose nodes are read; or, without it, Group names the
	// replication group and Sources give the nodes (a node's own pod reads only its node).
	Engine  *Engine
	Group   string
	Sources []MetricsSource

	mu   sync.Mutex
	prev map[string]cpuSample
}

// MetricsSource is one node the metrics are read from, and how to reach it as the admin user.
type MetricsSource struct {
	Node   *Node
	Client func() *redis.Client
}

// sources are the nodes to read: the engine's plan's, or those given.
func (m *Metrics) sources() (string, []MetricsSource) {
	if m.Engine == nil {
		return m.Group, m.Sources
	}
	p := m.Engine.Plan
	var out []MetricsSource
	for _, n := range p.Nodes {
		out = append(out, MetricsSource{Node: n, Client: func() *redis.Client { return m.Engine.admin(n.Addr()) }})
	}
	return p.Deployment.Name, out
}

type cpuSample struct {
	cpu float64 // used_cpu_sys + used_cpu_user, seconds
	at  time.Time
}

// metric is one exported series family.
type metric struct {
	name, help, typ string
	value           func(info map[string]string, n *Node) (float64, bool)
}

func num(info map[string]string, key string) (float64, bool) {
	v, err := strconv.ParseFloat(info[key], 64)
	return v, err == nil
}

func (m *Metrics) families() []metric {
	return []metric{
		{"EngineCPUUtilization", "CPU utilisation of the engine (redis-server) process, percent.", "gauge", m.cpu},
		{"DatabaseMemoryUsagePercentage", "used_memory as a percentage of maxmemory.", "gauge",
			func(info map[string]string, _ *Node) (float64, bool) {
				used, ok1 := num(info, "used_memory")
				max, ok2 := num(info, "maxmemory")
				if !ok1 || !ok2 || max == 0 {
					return 0, false
				}
				return used / max * 100, true
			}},
		{"BytesUsedForCache", "used_memory in bytes.", "gauge", func(i map[string]string, _ *Node) (float64, bool) { return num(i, "used_memory") }},
		{"Evictions", "Keys evicted because of maxmemory (cumulative).", "counter", func(i map[string]string, _ *Node) (float64, bool) { return num(i, "evicted_keys") }},
		{"Reclaimed", "Keys expired (cumulative).", "counter", func(i map[string]string, _ *Node) (float64, bool) { return num(i, "expired_keys") }},
		{"CurrConnections", "Client connections, excluding replicas.", "gauge", func(i map[string]string, _ *Node) (float64, bool) { return num(i, "connected_clients") }},
		{"NewConnections", "Connections accepted (cumulative).", "counter", func(i map[string]string, _ *Node) (float64, bool) { return num(i, "total_connections_received") }},
		{"CacheHits", "Successful key lookups (cumulative).", "counter", func(i map[string]string, _ *Node) (float64, bool) { return num(i, "keyspace_hits") }},
		{"CacheMisses", "Unsuccessful key lookups (cumulative).", "counter", func(i map[string]string, _ *Node) (float64, bool) { return num(i, "keyspace_misses") }},
		{"CurrItems", "Keys in all databases.", "gauge", func(i map[string]string, _ *Node) (float64, bool) { return float64(KeyCount(i)), true }},
		{"IsMaster", "1 when the node is a primary.", "gauge", func(i map[string]string, _ *Node) (float64, bool) {
			if i["role"] == "master" {
				return 1, true
			}
			return 0, true
		}},
		{"ReplicationBytes", "Primary: replication offset in bytes.", "gauge", func(i map[string]string, _ *Node) (float64, bool) {
			if i["role"] != "master" {
				return 0, false
			}
			return num(i, "master_repl_offset")
		}},
		{"ReplicationLag", "Replica: seconds since the last interaction with the primary (link down: seconds down).", "gauge",
			func(i map[string]string, _ *Node) (float64, bool) {
				if i["role"] != "slave" {
					return 0, false
				}
				if i["master_link_status"] == "up" {
					return num(i, "master_last_io_seconds_ago")
				}
				return num(i, "master_link_down_since_seconds")
			}},
	}
}

// cpu is the process's CPU share since the previous scrape (or since it started, on the
// first scrape), like CloudWatch's per-minute average.
func (m *Metrics) cpu(info map[string]string, n *Node) (float64, bool) {
	sys, ok1 := num(info, "used_cpu_sys")
	usr, ok2 := num(info, "used_cpu_user")
	up, ok3 := num(info, "uptime_in_seconds")
	if !ok1 || !ok2 || !ok3 {
		return 0, false
	}
	now := time.Now()
	cur := cpuSample{cpu: sys + usr, at: now}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.prev == nil {
		m.prev = map[string]cpuSample{}
	}
	prev, ok := m.prev[n.ID]
	m.prev[n.ID] = cur
	if ok && cur.cpu >= prev.cpu && now.Sub(prev.at) > 100*time.Millisecond {
		return (cur.cpu - prev.cpu) / now.Sub(prev.at).Seconds() * 100, true
	}
	if up < 1 {
		up = 1
	}
	return cur.cpu / up * 100, true
}

// Gather returns the exposition text for every reachable node.
func (m *Metrics) Gather(ctx context.Context) string {
	group, sources := m.sources()
	type row struct {
		labels string
		info   map[string]string
		node   *Node
	}
	var rows []row
	for _, src := range sources {
		n := src.Node
		c := src.Client()
		info, err := Info(ctx, c, "everything")
		c.Close()
		if err != nil {
			continue
		}
		labels := fmt.Sprintf(`CacheClusterId=%q,CacheNodeId="0001",ReplicationGroupId=%q,Role=%q,Zone=%q`,
			n.ID, group, roleOf(info), n.Zone)
		rows = append(rows, row{labels, info, n})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# HELP NodesUp Nodes answering as the engine's admin user.\n# TYPE NodesUp gauge\nNodesUp{ReplicationGroupId=%q} %d\n", group, len(rows))
	for _, f := range m.families() {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", f.name, f.help, f.name, f.typ)
		var lines []string
		for _, r := range rows {
			if v, ok := f.value(r.info, r.node); ok {
				lines = append(lines, fmt.Sprintf("%s{%s} %s", f.name, r.labels, strconv.FormatFloat(v, 'g', -1, 64)))
			}
		}
		sort.Strings(lines)
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func roleOf(info map[string]string) string {
	if info["role"] == "master" {
		return "primary"
	}
	return "replica"
}

// ServeHTTP implements http.Handler for a /metrics endpoint.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write([]byte(m.Gather(ctx)))
}
