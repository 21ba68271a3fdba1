package provider

import (
	"context"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/provider/schema"
)

// observe records the deployment's live topology in st: roles, liveness, slot coverage and the
// endpoint clients should use.
func observe(ctx context.Context, e *engine.Engine, st *schema.DeploymentState) {
	status := e.Status(ctx)
	byAddr := map[string]string{}
	for _, n := range e.Plan.Nodes {
		byAddr[n.Addr()] = n.ID
	}
	st.Nodes = st.Nodes[:0]
	for i, ns := range status.Nodes {
		n := e.Plan.Nodes[i]
		role := string(ns.Role)
		if !ns.Reachable {
			role = "down"
		}
		st.Nodes = append(st.Nodes, schema.NodeStatus{
			ID: ns.ID, Shard: n.Shard, Role: role, Zone: ns.Zone, Host: n.Host, Port: n.Port(),
			PrimaryID: byAddr[ns.PrimaryAddr], Alive: ns.Reachable,
		})
	}
	st.ControllerRunning = controllerRunning(st.DataDir)
	st.LastAutomaticSnapshot = ""
	if last, err := e.Snapshots().LastAutomatic(); err == nil && last != nil {
		st.LastAutomaticSnapshot = last.Name
	}
	st.Healthy = status.Ready
	st.SlotsCovered = status.SlotsCovered
	st.Endpoint, st.Port = "", 0
	for _, n := range e.Plan.Nodes {
		if status.Primary != "" && n.ID != status.Primary {
			continue
		}
		st.Endpoint, st.Port = n.Host, n.Port()
		break
	}
	if st.Endpoint == "" && len(e.Plan.Nodes) > 0 {
		n := e.Plan.Nodes[0]
		st.Endpoint, st.Port = n.Host, n.Port()
	}
	// Cluster clients bootstrap from any node: publish them all, in plan order (stable across
	// refreshes), as ElastiCache's configuration endpoint resolves to every live node.
	st.ConfigurationEndpoints = nil
	if e.Plan.Deployment.Mode == engine.ModeCluster {
		for _, n := range e.Plan.Nodes {
			st.ConfigurationEndpoints = append(st.ConfigurationEndpoints, n.Addr())
		}
	}
}
