package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/components/paramgroup"
	"github.com/rediskit/rediskit/components/selfhosted"
	"github.com/rediskit/rediskit/engine"
)

// stateOnly fields change nothing on the running nodes.
var stateOnly = map[string]bool{"environment": true, "tags": true, "snapshotRetentionDays": true,
	"snapshotWindow": true, "finalSnapshot": true, "engineVersion": true}

// notOnline fields have no online path in this provider yet; the error says so before
// anything is touched.
var notOnline = map[string]string{
	"zones":   "moving nodes between zones",
	"tls":     "switching TLS on or off",
	"tlsMode": "changing the TLS mode",
}

// Update applies changes online, in the order ElastiCache would: parameters that apply
// immediately with CONFIG SET, parameters that need a restart with a rolling restart (replicas
// first, then each primary after a planned failover), credentials with ACL changes that keep
// the old token valid (a rotation), and scaling through the engine.
func (d *Deployment) Update(ctx context.Context, req infer.UpdateRequest[selfhosted.DeploymentArgs, selfhosted.DeploymentState]) (infer.UpdateResponse[selfhosted.DeploymentState], error) {
	old, args := req.State, req.Inputs
	resp := infer.UpdateResponse[selfhosted.DeploymentState]{Output: old}
	changes := diffArgs(old.DeploymentArgs, args)
	for _, f := range changes {
		if what, ok := notOnline[f]; ok {
			return resp, fmt.Errorf("updating %s: %s (%s) is not done online; create a new deployment and restore a snapshot into it", old.Name, what, f)
		}
	}
	if req.DryRun {
		resp.Output.DeploymentArgs = args
		return resp, nil
	}
	s, err := secretsFor(args, &old)
	if err != nil {
		return resp, err
	}
	oldEngine, err := engineFor(ctx, old.DeploymentArgs, old.Secrets(), old.Placement())
	if err != nil {
		return resp, err
	}
	held := old.Placement()
	if len(held.Ports) == 0 {
		held.Ports = PlanPorts(oldEngine.Plan) // a state from before ports were recorded
	}
	at, err := place(args, s, held, old.Subnet)
	if err != nil {
		return resp, err
	}
	e, err := engineFor(ctx, args, s, at)
	if err != nil {
		return resp, err
	}
	changed := map[string]bool{}
	for _, f := range changes {
		changed[f] = true
	}
	if changed["shards"] || changed["replicasPerShard"] {
		if args.TLS && args.TLSMode == "preferred" {
			return resp, fmt.Errorf("scaling %s: not with tlsMode preferred (nodes hold two ports); finish the TLS migration first", old.Name)
		}
		if err := e.Scale(ctx, oldEngine.Plan); err != nil {
			// Keep the old inputs (the next up retries the scaling) but remember every port,
			// so nodes that did start are found again, by the retry or by a destroy.
			partial := old
			partial.NodePorts, partial.NodeHosts = at.Ports, at.Hosts
			resp.Output = partial
			return resp, infer.ResourceInitFailedError{Reasons: []string{fmt.Sprintf("scaling %s: %v", old.Name, err)}}
		}
	}
	if err := e.Up(ctx); err != nil { // restarts anything down, with the new plan's files
		return resp, fmt.Errorf("updating %s: %w", old.Name, err)
	}
	if changed["parameters"] || changed["nodeMemoryMb"] || changed["persistence"] {
		if err := applyParameters(ctx, e, old.Parameters, args.Parameters); err != nil {
			return resp, err
		}
	}
	if changed["authToken"] || changed["users"] {
		if err := applyCredentials(ctx, e, old.Secrets(), s, old.Users, args.Users); err != nil {
			return resp, err
		}
	}
	st := newState(args, s, e, old.Subnet)
	observe(ctx, e, &st)
	resp.Output = st
	return resp, nil
}

// adminClient connects to a node as the engine's admin user.
func adminClient(e *engine.Engine, n *engine.Node) (*redis.Client, error) {
	opts := &redis.Options{Addr: n.Addr(), Username: engine.AdminUser, Password: e.Plan.Deployment.Auth.AdminPassword}
	if e.Plan.TLS != nil {
		tc, err := engine.ClientTLSConfig(e.Plan.TLS)
		if err != nil {
			return nil, err
		}
		opts.TLSConfig = tc
	}
	return redis.NewClient(opts), nil
}

// applyParameters sends changed immediate parameters (and memory and persistence settings) to
// every node and rolls restarts for the ones that only apply at start.
func applyParameters(ctx context.Context, e *engine.Engine, oldP, newP map[string]string) error {
	schema := paramgroup.Schema(e.Plan.Family)
	var restart []string
	for k := range union(oldP, newP) {
		if oldP[k] == newP[k] {
			continue
		}
		if p, ok := schema[k]; ok && p.Apply == paramgroup.ApplyRestart {
			restart = append(restart, k)
		}
	}
	for _, n := range e.Plan.Nodes {
		c, err := adminClient(e, n)
		if err != nil {
			return err
		}
		sets := map[string]string{"maxmemory": fmt.Sprint(n.MaxMemory)}
		for k := range union(oldP, newP) {
			if p, ok := schema[k]; ok && p.Apply == paramgroup.ApplyImmediate && oldP[k] != newP[k] {
				if v, ok := e.Plan.Params[k]; ok {
					sets[k] = v
				}
			}
		}
		sets["appendonly"] = yesNo(e.Plan.Deployment.Persistence.AOF)
		for k, v := range sets {
			if err := c.ConfigSet(ctx, k, v).Err(); err != nil {
				c.Close()
				return fmt.Errorf("setting %s on %s: %w", k, n.ID, err)
			}
		}
		c.Close()
	}
	if len(restart) > 0 {
		return rollingRestart(ctx, e, restart)
	}
	return nil
}

// rollingRestart restarts replicas first, then each primary after handing its role to a
// replica, so clients always have a primary per shard.
func rollingRestart(ctx context.Context, e *engine.Engine, why []string) error {
	status := e.Status(ctx)
	var replicas, primaries []string
	for _, ns := range status.Nodes {
		if ns.Role == engine.RolePrimary {
			primaries = append(primaries, ns.ID)
		} else {
			replicas = append(replicas, ns.ID)
		}
	}
	restart := func(id string) error {
		if err := e.StopNode(ctx, id); err != nil {
			return err
		}
		return e.StartNode(ctx, id)
	}
	for _, id := range replicas {
		if err := restart(id); err != nil {
			return fmt.Errorf("restarting replica %s for %s: %w", id, strings.Join(why, ", "), err)
		}
	}
	for _, id := range primaries {
		if err := handOver(ctx, e, id); err != nil {
			return fmt.Errorf("failing over %s before its restart: %w", id, err)
		}
		if err := restart(id); err != nil {
			return fmt.Errorf("restarting %s for %s: %w", id, strings.Join(why, ", "), err)
		}
	}
	return nil
}

// handOver moves the primary role off a node where a replica can take it.
func handOver(ctx context.Context, e *engine.Engine, id string) error {
	switch e.Plan.Deployment.Mode {
	case engine.ModeReplication:
		return e.Failover(ctx)
	case engine.ModeCluster:
		for _, n := range e.Plan.Nodes {
			if n.PrimaryID != id && !(n.Role == engine.RoleReplica && sameShard(e, n.ID, id)) {
				continue
			}
			if n.ID == id {
				continue
			}
			c, err := adminClient(e, n)
			if err != nil {
				return err
			}
			defer c.Close()
			info, err := engine.Info(ctx, c, "replication")
			if err != nil || info["role"] != "slave" {
				continue
			}
			return c.Do(ctx, "CLUSTER", "FAILOVER").Err()
		}
	}
	return nil // no replica: the shard is briefly unavailable, as on ElastiCache
}

func sameShard(e *engine.Engine, a, b string) bool {
	na, nb := e.Plan.Node(a), e.Plan.Node(b)
	return na != nil && nb != nil && na.Shard == nb.Shard
}

// applyCredentials rotates the app token (both old and new valid, as ElastiCache's ROTATE) and
// adds or removes RBAC users on every node.
func applyCredentials(ctx context.Context, e *engine.Engine, old, s selfhosted.Secrets, oldUsers, newUsers []selfhosted.User) error {
	keep := map[string]bool{}
	for _, u := range newUsers {
		keep[u.Name] = true
	}
	for _, n := range e.Plan.Nodes {
		c, err := adminClient(e, n)
		if err != nil {
			return err
		}
		cmds := [][]any{}
		if old.AppToken != s.AppToken {
			cmds = append(cmds, []any{"ACL", "SETUSER", e.Plan.Deployment.AppUserName(), ">" + s.AppToken})
		}
		for _, u := range e.Plan.Deployment.Auth.Users {
			args := []any{"ACL", "SETUSER", u.Name, "reset", ">" + u.Password}
			for _, r := range strings.Fields(u.AccessString) {
				args = append(args, r)
			}
			args = append(args, engineRestrictions()...)
			cmds = append(cmds, args)
		}
		for _, u := range oldUsers {
			if !keep[u.Name] {
				cmds = append(cmds, []any{"ACL", "DELUSER", u.Name})
			}
		}
		cmds = append(cmds, []any{"ACL", "SAVE"})
		for _, cmd := range cmds {
			if err := c.Do(ctx, cmd...).Err(); err != nil {
				c.Close()
				return fmt.Errorf("changing credentials on %s (%v %v): %w", n.ID, cmd[0], cmd[1], err)
			}
		}
		c.Close()
	}
	return nil
}

// engineRestrictions are ElastiCache's restricted commands, denied to every application user.
func engineRestrictions() []any {
	var out []any
	for _, c := range []string{"bgrewriteaof", "bgsave", "config", "debug", "migrate", "replicaof", "save", "slaveof", "shutdown", "sync"} {
		out = append(out, "-"+c)
	}
	return out
}

func union(a, b map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
