package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// ApplyMemoryAndPersistence brings the running nodes to the plan's maxmemory and AOF setting
// without a restart, the way ElastiCache applies these online: maxmemory by CONFIG SET (the
// plan has already taken the reserved share off the node's memory); AOF switched on by CONFIG
// SET and counted as done only when the rewrite that seeds the file has finished (until then
// a crash loses what the RDB does not hold), switched off by CONFIG SET. Every node is tried;
// the errors are reported together. Files on disk follow the plan at the next start.
func (e *Engine) ApplyMemoryAndPersistence(ctx context.Context) error {
	var errs []error
	for _, n := range e.Plan.Nodes {
		if !e.Runner.Running(n.ID) {
			continue
		}
		if err := e.applySizing(ctx, n); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("applying memory and persistence: %w", errors.Join(errs...))
	}
	return nil
}

func (e *Engine) applySizing(ctx context.Context, n *Node) error {
	c := e.admin(n.Addr())
	defer c.Close()
	if err := c.ConfigSet(ctx, "maxmemory", strconv.FormatInt(n.MaxMemory, 10)).Err(); err != nil {
		return fmt.Errorf("setting maxmemory on %s: %w", n.ID, err)
	}
	info, err := Info(ctx, c, "persistence")
	if err != nil {
		return fmt.Errorf("reading persistence of %s: %w", n.ID, err)
	}
	on := info["aof_enabled"] == "1"
	switch {
	case e.Plan.Deployment.Persistence.AOF && !on:
		return e.enableAOF(ctx, n)
	case !e.Plan.Deployment.Persistence.AOF && on:
		if err := c.ConfigSet(ctx, "appendonly", "no").Err(); err != nil {
			return fmt.Errorf("switching AOF off for %s: %w", n.ID, err)
		}
	}
	return nil
}
