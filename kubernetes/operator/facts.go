package operator

import (
	"context"
	"strconv"
	"sync"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/kubernetes/render"
)

// target is where one of the cache's nodes is reached now.
type target struct {
	Node render.Node
	// IP is its pod's address ("" while the pod has none: not scheduled, not started).
	IP string
	// Zone is the zone label of the Kubernetes node its pod runs on ("" when unknown).
	Zone string
	// Port is the port the operator speaks to (TLS when the cache has TLS), Bus the cluster
	// bus port (cluster mode), both as the engine's plan has them.
	Port, Bus int
	// Outdated: its pod was made from an older template of its StatefulSet than the current
	// one in what takes a restart (render.AnnotationConfigHash).
	Outdated bool
	// Leaving: its ordinal is beyond the spec's replicas (replicas being removed): it hands
	// any primary role over, then its pod and volume go.
	Leaving bool
	// Down: Kubernetes holds its pod not serving: missing, being deleted, not running, or
	// not ready (its kubelet's probe got no answer, or its machine stopped reporting).
	Down bool
}

// nodeFacts is what one node reported in this pass. Nothing here is remembered between
// passes: every decision is made again from what the nodes say now.
type nodeFacts struct {
	target
	// Err is why the node did not answer ("" when it did).
	Err string
	// ID is its cluster node id (cluster mode).
	ID string
	// Role is "master" or "slave", as INFO replication says.
	Role string
	// Primary is, for a replica, its primary: the cluster id (cluster mode) or the host it
	// replicates (replication mode).
	Primary string
	// PrimaryPort is the port a replication-mode replica replicates its primary at.
	PrimaryPort int
	// LinkUp: a replica's link to its primary is up and not in a full sync.
	LinkUp bool
	// Offset is its replication offset; NowMS its own clock (Unix ms, from TIME), against
	// which its view's ping and pong times are read.
	Offset int64
	NowMS  int64
	// Silent is how long a replica has not heard its primary, in seconds: since its link
	// went down, or since the last byte on a link that looks up (a stopped machine's
	// connections stay open until repl-timeout; a primary pings its replicas every
	// repl-ping-replica-period, 10 s by default).
	Silent   int
	Replicas int
	Keys     int64
	// Slots is how many slots it serves itself; View is its CLUSTER NODES, State and SlotsOK
	// its CLUSTER INFO's cluster_state and cluster_slots_ok.
	Slots   int
	View    []engine.ClusterNode
	State   string
	SlotsOK int
}

func (f *nodeFacts) answered() bool { return f.Err == "" }

// sees is f's view of the node with cluster id id (nil when f does not know it).
func (f *nodeFacts) sees(id string) *engine.ClusterNode {
	for i := range f.View {
		if f.View[i].ID == id {
			return &f.View[i]
		}
	}
	return nil
}

// gather asks every node at once what it is; a node without an address or that does not
// answer is recorded with why.
func gather(ctx context.Context, d *dialer, cluster bool, targets []target) []nodeFacts {
	out := make([]nodeFacts, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		out[i].target = t
		if t.IP == "" {
			out[i].Err = "its pod has no address yet"
			continue
		}
		wg.Add(1)
		go func(f *nodeFacts) {
			defer wg.Done()
			ask(ctx, d, cluster, f)
		}(&out[i])
	}
	wg.Wait()
	return out
}

func ask(ctx context.Context, d *dialer, cluster bool, f *nodeFacts) {
	c := d.client(f.Node.Host, f.IP, f.Port)
	defer c.Close()
	fail := func(err error) { f.Err = err.Error() }
	rep, err := engine.Info(ctx, c, "replication")
	if err != nil {
		fail(err)
		return
	}
	ks, err := engine.Info(ctx, c, "keyspace")
	if err != nil {
		fail(err)
		return
	}
	f.Role = rep["role"]
	f.Replicas, _ = strconv.Atoi(rep["connected_slaves"])
	f.Keys = engine.KeyCount(ks)
	f.LinkUp = rep["master_link_status"] == "up" && rep["master_sync_in_progress"] == "0"
	f.Offset, _ = strconv.ParseInt(rep["slave_repl_offset"], 10, 64)
	if f.Role == "slave" {
		if rep["master_link_status"] == "down" {
			f.Silent, _ = strconv.Atoi(rep["master_link_down_since_seconds"])
		} else {
			f.Silent, _ = strconv.Atoi(rep["master_last_io_seconds_ago"])
		}
	}
	if !cluster {
		if f.Role == "slave" {
			f.Primary = rep["master_host"]
			f.PrimaryPort, _ = strconv.Atoi(rep["master_port"])
		}
		return
	}
	now, err := c.Time(ctx).Result()
	if err != nil {
		fail(err)
		return
	}
	f.NowMS = now.UnixMilli()
	nodes, err := c.ClusterNodes(ctx).Result()
	if err != nil {
		fail(err)
		return
	}
	if f.View, err = engine.ParseClusterNodes(nodes); err != nil {
		fail(err)
		return
	}
	for _, cn := range f.View {
		if cn.Has("myself") {
			f.ID = cn.ID
			f.Primary = cn.MasterID
			for _, r := range cn.Slots {
				f.Slots += r.End - r.Start + 1
			}
		}
	}
	ci, err := c.ClusterInfo(ctx).Result()
	if err != nil {
		fail(err)
		return
	}
	info := engine.ParseInfo(ci)
	f.State = info["cluster_state"]
	f.SlotsOK, _ = strconv.Atoi(info["cluster_slots_ok"])
}
