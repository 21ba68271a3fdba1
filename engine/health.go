package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// NodeStatus is the readiness view of one node.
type NodeStatus struct {
	ID        string `json:"id"`
	ShardID   string `json:"shardId"`
	Zone      string `json:"zone"`
	Addr      string `json:"addr"`
	Running   bool   `json:"running"`   // the runner has the process
	Reachable bool   `json:"reachable"` // it answered INFO as the admin
	Role      Role   `json:"role,omitempty"`
	// PrimaryAddr is the primary a replica follows; LinkUp its link state.
	PrimaryAddr string `json:"primaryAddr,omitempty"`
	LinkUp      bool   `json:"linkUp"`
	Offset      int64  `json:"offset"`
	// LagBytes is how far a replica's offset is behind its primary's (replicas only).
	LagBytes int64 `json:"lagBytes"`
	// LagSeconds is the time since the replica last heard from its primary.
	LagSeconds int64       `json:"lagSeconds"`
	Loading    bool        `json:"loading"`
	Keys       int64       `json:"keys"`
	Slots      []SlotRange `json:"slots,omitempty"`
	// ClusterState is cluster_state (cluster mode); PeersLinked says every known peer is
	// connected and none is flagged failing.
	ClusterState string   `json:"clusterState,omitempty"`
	PeersLinked  bool     `json:"peersLinked"`
	Ready        bool     `json:"ready"`
	Problems     []string `json:"problems,omitempty"`
}

// Status is the readiness view of a deployment.
type Status struct {
	Name  string `json:"name"`
	Mode  Mode   `json:"mode"`
	Ready bool   `json:"ready"`
	// Primary is the current primary's node id (replication and single mode).
	Primary      string       `json:"primary,omitempty"`
	SlotsCovered int          `json:"slotsCovered,omitempty"`
	Nodes        []NodeStatus `json:"nodes"`
	Problems     []string     `json:"problems,omitempty"`
}

// NodeStatus inspects one node.
func (e *Engine) NodeStatus(ctx context.Context, n *Node) NodeStatus {
	st := NodeStatus{ID: n.ID, ShardID: n.ShardID, Zone: n.Zone, Addr: n.Addr(), Running: e.Runner.Running(n.ID)}
	c := e.admin(n.Addr())
	defer c.Close()
	info, err := Info(ctx, c, "everything")
	if err != nil {
		st.Problems = append(st.Problems, fmt.Sprintf("not reachable: %v", err))
		return st
	}
	st.Reachable = true
	st.Loading = info["loading"] == "1"
	st.Offset, _ = strconv.ParseInt(info["master_repl_offset"], 10, 64)
	st.Keys = KeyCount(info)
	if info["role"] == "master" {
		st.Role = RolePrimary
	} else {
		st.Role = RoleReplica
		st.PrimaryAddr = info["master_host"] + ":" + info["master_port"]
		st.LinkUp = info["master_link_status"] == "up" && info["master_sync_in_progress"] == "0"
		st.Offset, _ = strconv.ParseInt(info["slave_repl_offset"], 10, 64)
		if st.LinkUp {
			st.LagSeconds, _ = strconv.ParseInt(info["master_last_io_seconds_ago"], 10, 64)
		} else {
			st.LagSeconds, _ = strconv.ParseInt(info["master_link_down_since_seconds"], 10, 64)
			st.Problems = append(st.Problems, "replication link down")
		}
	}
	if st.Loading {
		st.Problems = append(st.Problems, "loading data")
	}
	if e.Plan.Deployment.Mode == ModeCluster {
		if ci, err := c.ClusterInfo(ctx).Result(); err == nil {
			st.ClusterState = ParseInfo(ci)["cluster_state"]
		}
		if nodes, err := clusterNodes(ctx, c); err == nil {
			st.PeersLinked = true
			for _, cn := range nodes {
				if cn.Has("myself") {
					st.Slots = cn.Slots
					continue
				}
				if !cn.Connected || cn.Has("fail") || cn.Has("fail?") || cn.Has("handshake") {
					st.PeersLinked = false
					st.Problems = append(st.Problems, fmt.Sprintf("peer %s (%s) %s", cn.ID[:8], cn.Addr, strings.Join(cn.Flags, ",")))
				}
			}
		}
		if st.ClusterState != "ok" {
			st.Problems = append(st.Problems, "cluster state "+st.ClusterState)
		}
	} else {
		st.PeersLinked = true
	}
	st.Ready = st.Reachable && !st.Loading && (st.Role == RolePrimary || st.LinkUp) &&
		st.PeersLinked && (e.Plan.Deployment.Mode != ModeCluster || st.ClusterState == "ok")
	return st
}

// KeyCount sums the keys of every database in INFO keyspace.
func KeyCount(info map[string]string) int64 {
	var total int64
	for k, v := range info {
		if !strings.HasPrefix(k, "db") {
			continue
		}
		for _, f := range strings.Split(v, ",") {
			if n, ok := strings.CutPrefix(f, "keys="); ok {
				x, _ := strconv.ParseInt(n, 10, 64)
				total += x
			}
		}
	}
	return total
}

// Status inspects every node and judges the deployment: ready when every node is ready,
// every shard has exactly one primary, replicas follow it, all slots are served (cluster
// mode) and the sentinels agree on the primary (replication mode).
func (e *Engine) Status(ctx context.Context) *Status {
	p := e.Plan
	st := &Status{Name: p.Deployment.Name, Mode: p.Deployment.Mode, Ready: true}
	primaries := map[string][]NodeStatus{}
	for _, n := range p.Nodes {
		ns := e.NodeStatus(ctx, n)
		st.Nodes = append(st.Nodes, ns)
		if !ns.Ready {
			st.Ready = false
			st.Problems = append(st.Problems, fmt.Sprintf("node %s not ready: %s", n.ID, strings.Join(ns.Problems, "; ")))
		}
		if ns.Role == RolePrimary {
			primaries[n.ShardID] = append(primaries[n.ShardID], ns)
			for _, r := range ns.Slots {
				st.SlotsCovered += r.End - r.Start + 1
			}
		}
	}
	// Replica lag in bytes, against the primary it follows.
	for i := range st.Nodes {
		ns := &st.Nodes[i]
		for _, ps := range primaries[ns.ShardID] {
			if ns.Role == RoleReplica && ps.Addr == ns.PrimaryAddr {
				ns.LagBytes = ps.Offset - ns.Offset
			}
		}
	}
	for _, prim := range p.Primaries() {
		got := primaries[prim.ShardID]
		if len(got) != 1 {
			st.Ready = false
			st.Problems = append(st.Problems, fmt.Sprintf("shard %s has %d primaries", prim.ShardID, len(got)))
			continue
		}
		if p.Deployment.Mode != ModeCluster {
			st.Primary = got[0].ID
		}
	}
	switch p.Deployment.Mode {
	case ModeCluster:
		if st.SlotsCovered != TotalSlots {
			st.Ready = false
			st.Problems = append(st.Problems, fmt.Sprintf("%d of %d slots served", st.SlotsCovered, TotalSlots))
		}
	case ModeReplication:
		if prim, err := e.CurrentPrimary(ctx); err != nil {
			st.Ready = false
			st.Problems = append(st.Problems, err.Error())
		} else if prim.ID != st.Primary {
			st.Ready = false
			st.Problems = append(st.Problems, fmt.Sprintf("sentinels name %s, node %s acts as primary", prim.ID, st.Primary))
		}
	}
	return st
}
