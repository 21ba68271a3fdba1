package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/infra/deploy"
	"github.com/rediskit/rediskit/infra/plan"
)

type topology struct {
	name             string
	mode             engine.Mode
	shards, replicas int
}

var topologies = []topology{
	{"1x0", engine.ModeSingle, 1, 0},
	{"1x2", engine.ModeReplication, 1, 2},
	{"3x1", engine.ModeCluster, 3, 1},
}

// DeployTime measures the time to a healthy deployment with the engine, by hand, and
// (optionally) through deploy.Up of the provider.
func DeployTime(ctx context.Context, cfg *Config, ps *Ports, logf func(string, ...any)) (*DeployResult, error) {
	res := &DeployResult{Repetitions: cfg.DeployReps}
	var errs []error
	for _, tp := range topologies {
		methods := []struct {
			name, note string
			run        func(rep int) (time.Duration, error)
		}{
			{"engine", engineNote(tp), func(rep int) (time.Duration, error) { return deployEngine(ctx, cfg, ps, tp, rep, logf) }},
			{"by-hand", handNote(tp), func(rep int) (time.Duration, error) { return deployByHand(ctx, cfg, ps, tp, rep) }},
		}
		if cfg.Provider && tp.mode != engine.ModeCluster {
			methods = append(methods, struct {
				name, note string
				run        func(rep int) (time.Duration, error)
			}{"provider", "deploy.Up (Automation API, rediskit provider, file backend) of the local stack reshaped: TLS, auth, RDB+AOF, sentinels as configured; destroyed after", func(rep int) (time.Duration, error) {
				return deployProvider(ctx, cfg, ps, tp, rep)
			}})
		}
		for _, m := range methods {
			row := DeployRow{Topology: tp.name, Method: m.name, Note: m.note}
			for rep := 0; rep < cfg.DeployReps && ctx.Err() == nil; rep++ {
				d, err := m.run(rep)
				if err != nil {
					errs = append(errs, fmt.Errorf("deploy %s %s rep %d: %w", tp.name, m.name, rep+1, err))
					break
				}
				logf("deploy %s %s rep %d: %.2fs", tp.name, m.name, rep+1, d.Seconds())
				row.Seconds = append(row.Seconds, d.Seconds())
			}
			row.Time = Summarize(row.Seconds)
			res.Rows = append(res.Rows, row)
		}
	}
	return res, errors.Join(errs...)
}

func engineNote(tp topology) string {
	switch tp.mode {
	case engine.ModeReplication:
		return "Up: primary, replicas in sync, 3 sentinels agreeing (CKQUORUM)"
	case engine.ModeCluster:
		return "Up: nodes, slots, MEET, replicas, cluster_state ok everywhere"
	}
	return "Up: node answering"
}

func handNote(tp topology) string {
	switch tp.mode {
	case engine.ModeReplication:
		return "redis-server x3, REPLICAOF, links up (no sentinels)"
	case engine.ModeCluster:
		return "redis-server x6, redis-cli --cluster create --cluster-replicas 1 --cluster-yes, cluster_state ok everywhere, links up"
	}
	return "redis-server, PING"
}

func deployEngine(ctx context.Context, cfg *Config, ps *Ports, tp topology, rep int, logf func(string, ...any)) (time.Duration, error) {
	d, err := oursDeployment(ps, cfg.WorkDir, fmt.Sprintf("bench-up-%s-%d", tp.name, rep), tp.mode, tp.shards, tp.replicas, 1)
	if err != nil {
		return 0, err
	}
	d.Name = fmt.Sprintf("bench-up-%d", rep)
	e, err := newEngine(d, ps, logf)
	if err != nil {
		return 0, err
	}
	defer stopEngine(e)
	start := time.Now()
	if err := e.Up(ctx); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func deployByHand(ctx context.Context, cfg *Config, ps *Ports, tp topology, rep int) (time.Duration, error) {
	dir := filepath.Join(cfg.WorkDir, fmt.Sprintf("hand-%s-%d", tp.name, rep))
	start := time.Now()
	switch tp.mode {
	case engine.ModeCluster:
		procs, err := startBareCluster(ctx, ps, dir, tp.shards, tp.replicas, 1, nil)
		if err != nil {
			return 0, err
		}
		d := time.Since(start)
		KillAll(procs)
		return d, nil
	default:
		n := 1 + tp.replicas
		base, err := ps.Block(n)
		if err != nil {
			return 0, err
		}
		var procs []*Proc
		defer func() { KillAll(procs) }()
		for i := 0; i < n; i++ {
			nd := filepath.Join(dir, "n"+strconv.Itoa(i))
			p, err := StartProc(ctx, "redis-server", nd, base+i, bareConf(base+i, nd), nil)
			if err != nil {
				return 0, err
			}
			procs = append(procs, p)
		}
		for _, p := range procs[1:] {
			c := p.Client("", "")
			err := c.Do(ctx, "replicaof", "127.0.0.1", base).Err()
			c.Close()
			if err != nil {
				return 0, err
			}
		}
		for _, p := range procs[1:] {
			if err := waitLinkUp(ctx, p); err != nil {
				return 0, err
			}
		}
		return time.Since(start), nil
	}
}

// deployProvider deploys the local stack's cache reshaped to tp through deploy.Up (what
// `make up` runs), in its own state directory, then destroys it.
func deployProvider(ctx context.Context, cfg *Config, ps *Ports, tp topology, rep int) (time.Duration, error) {
	stackCfg, _, _, err := plan.StackConfig(cfg.Root, "local")
	if err != nil {
		return 0, err
	}
	var cache map[string]any
	if err := json.Unmarshal([]byte(stackCfg["rediskit:cache"]), &cache); err != nil {
		return 0, err
	}
	base, err := ps.Block(1 + tp.replicas + 5)
	if err != nil {
		return 0, err
	}
	name := fmt.Sprintf("bench-prov-%s-%d", tp.name, rep)
	cache["name"] = name
	cache["mode"] = string(tp.mode)
	cache["replicas"] = tp.replicas
	delete(cache, "shards")
	sh, _ := cache["selfHosted"].(map[string]any)
	if sh == nil {
		sh = map[string]any{}
	}
	sh["basePort"] = base
	sh["dataDir"] = filepath.Join(cfg.WorkDir, name)
	cache["selfHosted"] = sh
	b, _ := json.Marshal(cache)
	stateDir := filepath.Join(cfg.WorkDir, name+"-state")
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return 0, err
	}
	o := deploy.Options{Root: cfg.Root, Stack: "local", StateDir: stateDir, Config: map[string]string{"rediskit:cache": string(b)}}
	start := time.Now()
	_, err = deploy.Up(ctx, o)
	d := time.Since(start)
	dctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if derr := deploy.Destroy(dctx, o); derr != nil && err == nil {
		err = fmt.Errorf("destroying: %w", derr)
	}
	return d, err
}
