package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/rediskit/rediskit/paramgroup"
)

// ApplyParameters changes the deployment's parameter group the way ElastiCache does:
// parameters that apply immediately are set on every running node now (CONFIG SET), the
// others take effect when each node next restarts; their names are returned as pending.
// The new group is validated first; nothing changes when it is invalid.
func (e *Engine) ApplyParameters(ctx context.Context, params map[string]string) (pending []string, err error) {
	d := e.Plan.Deployment
	d.Parameters = params
	np, err := PlanFor(d)
	if err != nil {
		return nil, err
	}
	// The binary must take the new group before any node is told of it.
	if err := (&Engine{Plan: np, Runner: e.Runner}).CheckConfig(ctx); err != nil {
		return nil, fmt.Errorf("applying parameters: %w", err)
	}
	set, pending := ParameterChanges(e.Plan.Params, np)
	var errs []error
	for _, n := range e.Plan.Nodes {
		if !e.Runner.Running(n.ID) || len(set) == 0 {
			continue
		}
		c := e.admin(n.Addr())
		for k, v := range set {
			if err := c.ConfigSet(ctx, k, v).Err(); err != nil {
				errs = append(errs, fmt.Errorf("setting %s on %s: %w", k, n.ID, err))
			}
		}
		c.Close()
	}
	// The new group is the plan either way: restarts render it into redis.conf.
	e.Plan = np
	if len(errs) > 0 {
		return pending, fmt.Errorf("applying parameters: %w", errors.Join(errs...))
	}
	if len(pending) > 0 {
		e.logf("parameters pending a restart: %s", strings.Join(pending, ", "))
	}
	return pending, nil
}

// ParameterChanges decides how a parameter group reaches nodes that run the group from:
// the directives to CONFIG SET now (ElastiCache parameters mapped onto the engine's), and
// the changed parameters that take effect only at a restart. Nothing is changed here.
func ParameterChanges(from map[string]string, to *Plan) (set map[string]string, pending []string) {
	schema := paramgroup.Schema(to.Family)
	var changed []string
	for name, v := range to.Params {
		if from[name] != v {
			changed = append(changed, name)
		}
	}
	sort.Strings(changed)
	set = map[string]string{}
	for _, name := range changed {
		v := to.Params[name]
		switch {
		case schema[name].Apply == paramgroup.ApplyRestart:
			pending = append(pending, name)
		case name == "reserved-memory" || name == "reserved-memory-percent":
			// maxmemory is the same for every node of a plan.
			set["maxmemory"] = strconv.FormatInt(to.Nodes[0].MaxMemory, 10)
		case strings.HasPrefix(name, "client-output-buffer-limit-"):
			class := strings.SplitN(strings.TrimPrefix(name, "client-output-buffer-limit-"), "-", 2)[0]
			pre := "client-output-buffer-limit-" + class + "-"
			set["client-output-buffer-limit"] = strings.TrimSpace(set["client-output-buffer-limit"] + " " +
				fmt.Sprintf("%s %s %s %s", class, to.Params[pre+"hard-limit"], to.Params[pre+"soft-limit"], to.Params[pre+"soft-seconds"]))
		case engineOnly[name]:
			// Not a redis directive (close-on-replica-write): nothing to set.
		default:
			set[name] = v
		}
	}
	return set, pending
}
