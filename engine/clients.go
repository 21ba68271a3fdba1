package engine

import (
	"maps"
	"slices"

	"github.com/redis/go-redis/v9"
)

// AppFailoverOptions are go-redis options that reach a replication group the way its
// applications do: through the sentinels (which also require the app user), to whichever node
// is primary now, with the deployment's TLS. Timeouts and retries are the caller's to set.
func (e *Engine) AppFailoverOptions() *redis.FailoverOptions {
	var addrs []string
	for _, s := range e.Plan.Sentinels {
		addrs = append(addrs, s.Addr())
	}
	d := e.Plan.Deployment
	user := d.AppUserName()
	return &redis.FailoverOptions{
		MasterName: d.Name, SentinelAddrs: addrs,
		SentinelUsername: user, SentinelPassword: d.Auth.AppToken,
		Username: user, Password: d.Auth.AppToken, TLSConfig: e.ClientTLS(),
	}
}

// AppClusterOptions are go-redis options for a cluster-aware application client: every node a
// seed, the app user, the deployment's TLS. Timeouts and retries are the caller's to set.
func (e *Engine) AppClusterOptions() *redis.ClusterOptions {
	var addrs []string
	for _, n := range e.Plan.Nodes {
		addrs = append(addrs, n.Addr())
	}
	d := e.Plan.Deployment
	return &redis.ClusterOptions{Addrs: addrs, Username: d.AppUserName(), Password: d.Auth.AppToken, TLSConfig: e.ClientTLS()}
}

// Replan is the plan of cur's deployment as mutate changes it, with every node and sentinel of
// cur kept at its port: the plan Scale moves a running deployment to.
func Replan(cur *Plan, mutate func(*Deployment)) (*Plan, error) {
	d := cur.Deployment
	// mutate gets its own maps and slices: changing them must not change cur.
	d.Parameters, d.Zones, d.NodeHosts = maps.Clone(d.Parameters), slices.Clone(d.Zones), maps.Clone(d.NodeHosts)
	d.NodePorts = PinnedPorts(cur)
	mutate(&d)
	return PlanFor(d)
}

// BusOffset is the distance of a node's cluster bus port from its client port, as Redis
// Cluster computes it by default.
const BusOffset = 10000

// PortsFrom lists every port a process pinned at first may hold: with TLS preferred the TLS
// port after it, and for each a cluster bus port BusOffset higher. Anything else on the
// machine (the controller's metrics port) must stay off all of them.
func PortsFrom(first int, tlsPreferred bool) []int {
	ports := []int{first, first + BusOffset}
	if tlsPreferred {
		ports = append(ports, first+1, first+1+BusOffset)
	}
	return ports
}

// HeldPorts maps every port the plan's processes hold (client, TLS and bus ports) to the
// process holding it.
func (p *Plan) HeldPorts() map[int]string {
	held := map[int]string{}
	for _, n := range p.Nodes {
		for _, port := range []int{n.PlainPort, n.TLSPort, n.BusPort} {
			if port != 0 {
				held[port] = n.ID
			}
		}
	}
	for _, s := range p.Sentinels {
		for _, port := range []int{s.PlainPort, s.TLSPort} {
			if port != 0 {
				held[port] = s.ID
			}
		}
	}
	return held
}

// PinnedPorts lists the first port every node and sentinel of a plan holds, the form
// Deployment.NodePorts pins them in: with TLS preferred that is the plaintext port, and the
// TLS port follows it.
func PinnedPorts(p *Plan) map[string]int {
	first := func(plain, tls int) int {
		if plain != 0 {
			return plain
		}
		return tls
	}
	ports := map[string]int{}
	for _, n := range p.Nodes {
		ports[n.ID] = first(n.PlainPort, n.TLSPort)
	}
	for _, s := range p.Sentinels {
		ports[s.ID] = first(s.PlainPort, s.TLSPort)
	}
	return ports
}
