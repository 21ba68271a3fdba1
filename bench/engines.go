package bench

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/paramgroup"
)

// ServerEngine is the server family a setup runs: the engine deployments ("ours") are made
// with it, and the hand-made references start its binaries, so that a ratio compares like
// with like.
type ServerEngine string

const (
	Valkey ServerEngine = "valkey"
	Redis  ServerEngine = "redis"
)

// DefaultEngine is what the stacks run (stacks/Pulumi.local.yaml: Valkey 8.0).
const DefaultEngine = Valkey

// ParseEngine checks a -engine value.
func ParseEngine(s string) (ServerEngine, error) {
	switch ServerEngine(s) {
	case Valkey, Redis:
		return ServerEngine(s), nil
	case "":
		return DefaultEngine, nil
	}
	return "", fmt.Errorf("unknown engine %q (valkey or redis)", s)
}

// deploymentVersion is the engine version a deployment of e names: the one this machine's
// Debian packages install (Valkey 8.0 from bookworm-backports, Redis 7.0 from bookworm).
func (e ServerEngine) deploymentVersion() string {
	if e == Redis {
		return "7.0"
	}
	return "8.0"
}

func (e ServerEngine) paramgroup() paramgroup.Engine {
	if e == Redis {
		return paramgroup.Redis
	}
	return paramgroup.Valkey
}

// program maps a program by its Redis name (redis-server, redis-sentinel, redis-cli) to e's
// (valkey-server, ...). Other names are kept: redis-benchmark is the one client of every
// throughput comparison, whatever the servers are.
func (e ServerEngine) program(name string) string {
	if e != Valkey {
		return name
	}
	switch name {
	case "redis-server", "redis-sentinel", "redis-cli":
		return "valkey-" + strings.TrimPrefix(name, "redis-")
	}
	return name
}

// benchEngine is the engine of the run (Config.Engine), set by Run like engineLog: the
// sections that start servers by their Redis names (StartProc, runCmd) get its binaries.
var benchEngine = DefaultEngine

// engineProgram is name mapped to the run's engine.
func engineProgram(name string) string { return benchEngine.program(name) }

// serverVersionRe reads "v=8.0.1" from `valkey-server --version` / `redis-server --version`.
var serverVersionRe = regexp.MustCompile(`\bv=(\d+\.\d+\.\d+)`)

// VersionFromBinary is "valkey 8.0.1" from a server's --version output ("Valkey server
// v=8.0.1 ...", "Redis server v=7.0.15 ...").
func VersionFromBinary(out string) (string, error) {
	m := serverVersionRe.FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("no version in %q", strings.TrimSpace(out))
	}
	name := "redis"
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(out)), "valkey") {
		name = "valkey"
	}
	return name + " " + m[1], nil
}

// VersionFromInfo is "valkey 8.0.1" or "redis 7.0.15" from INFO server: Valkey keeps
// redis_version (7.2.4, for clients) beside its own valkey_version, which is the one that
// counts.
func VersionFromInfo(info map[string]string) (string, error) {
	if v := info["valkey_version"]; v != "" {
		return "valkey " + v, nil
	}
	if v := info["redis_version"]; v != "" {
		return "redis " + v, nil
	}
	return "", errors.New("INFO server has neither valkey_version nor redis_version")
}

var binVersions sync.Map // program -> "valkey 8.0.1"

// binaryVersion is what the installed program reports (for the sections whose servers are
// gone when the row is written); "" when it cannot be run.
func binaryVersion(prog string) string {
	if v, ok := binVersions.Load(prog); ok {
		return v.(string)
	}
	out, err := exec.Command(prog, "--version").CombinedOutput()
	if err != nil {
		return ""
	}
	v, err := VersionFromBinary(string(out))
	if err != nil {
		return ""
	}
	binVersions.Store(prog, v)
	return v
}

// infoer is any go-redis client (node, failover or cluster client).
type infoer interface {
	Info(ctx context.Context, section ...string) *redis.StringCmd
}

// runningVersion asks a running server what it is (INFO server); the error says who failed.
func runningVersion(ctx context.Context, c infoer) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := c.Info(ctx, "server").Result()
	if err != nil {
		return "", fmt.Errorf("reading the server's version (INFO server): %w", err)
	}
	info := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), ":"); ok {
			info[k] = v
		}
	}
	return VersionFromInfo(info)
}

// versionOr is the running server's version, or the binary's when the server cannot say (so
// a row always names what ran, marked as read from the binary).
func versionOr(ctx context.Context, c infoer, prog string) string {
	if v, err := runningVersion(ctx, c); err == nil {
		return v
	}
	if v := binaryVersion(prog); v != "" {
		return v + " (binary)"
	}
	return ""
}

// ---- the engines section: Valkey vs Redis on the same shapes

// Engines runs redis-benchmark against valkey-server and redis-server started the same way
// (bare defaults and a port: one node, and a 3-shard cluster of cfg.ClusterReplicas replicas
// by `redis-cli --cluster create`), alternating round by round; the ratio is valkey / redis.
// TLS is off: the comparison is of the engines, not of their TLS libraries' builds.
func Engines(ctx context.Context, cfg *Config, ps *Ports, logf func(string, ...any)) (*EnginesResult, error) {
	res := &EnginesResult{Requests: cfg.Requests, Clients: cfg.Clients, Rounds: cfg.Rounds,
		Valkey: binaryVersion(Valkey.program("redis-server")), Redis: binaryVersion("redis-server")}
	var errs []error
	rows, err := enginesNode(ctx, cfg, ps, logf)
	res.Rows = append(res.Rows, rows...)
	errs = append(errs, err)
	if cfg.ClusterReplicas >= 0 && ctx.Err() == nil {
		rows, err := enginesCluster(ctx, cfg, ps, clusterShards, cfg.ClusterReplicas, logf)
		res.Rows = append(res.Rows, rows...)
		errs = append(errs, err)
	}
	return res, errors.Join(errs...)
}

func enginesNode(ctx context.Context, cfg *Config, ps *Ports, logf func(string, ...any)) ([]EngineRow, error) {
	var targets [2]benchTarget
	var versions [2]string
	for i, e := range []ServerEngine{Valkey, Redis} {
		port, err := ps.Block(1)
		if err != nil {
			return nil, fmt.Errorf("engines node %s: %w", e, err)
		}
		dir := filepath.Join(cfg.WorkDir, "engines-node-"+string(e))
		p, err := startProcAs(ctx, e.program("redis-server"), dir, port, bareConf(port, dir), nil)
		if err != nil {
			return nil, fmt.Errorf("engines node %s: %w", e, err)
		}
		defer p.Kill()
		c := p.Client("", "")
		versions[i] = versionOr(ctx, c, p.Program)
		c.Close()
		targets[i] = bareTarget(port, nil, false)
	}
	rows, err := throughputRows(ctx, cfg, TopoNode, false, targets[0], targets[1], logf)
	return engineRows(rows, versions), err
}

func enginesCluster(ctx context.Context, cfg *Config, ps *Ports, shards, replicas int, logf func(string, ...any)) ([]EngineRow, error) {
	var targets [2]benchTarget
	var versions [2]string
	for i, e := range []ServerEngine{Valkey, Redis} {
		procs, err := startBareClusterAs(ctx, e, ps, filepath.Join(cfg.WorkDir, "engines-cluster-"+string(e)), shards, replicas, 1, nil)
		if err != nil {
			return nil, fmt.Errorf("engines cluster %s: %w", e, err)
		}
		defer KillAll(procs)
		c := procs[0].Client("", "")
		versions[i] = versionOr(ctx, c, procs[0].Program)
		c.Close()
		targets[i] = bareTarget(procs[0].Port, nil, true)
	}
	rows, err := throughputRows(ctx, cfg, clusterTopo(shards, replicas), false, targets[0], targets[1], logf)
	return engineRows(rows, versions), err
}

// engineRows turns throughputRows' ours/bare (here valkey/redis) into the section's rows.
func engineRows(rows []ThroughputRow, versions [2]string) []EngineRow {
	var out []EngineRow
	for _, r := range rows {
		v, rd := r.Ours, r.Bare
		v.Engine, rd.Engine = versions[0], versions[1]
		out = append(out, EngineRow{Topology: r.Topology, Requests: r.Requests, Test: r.Test, Pipeline: r.Pipeline, TLS: r.TLS,
			Valkey: v, Redis: rd, RatioRPS: r.RatioRPS, RatioP50: r.RatioP50, RatioP99: r.RatioP99})
	}
	return out
}

// oursEngineVersion is what a running engine deployment runs, read from its first node.
func oursEngineVersion(ctx context.Context, e *engine.Engine) string {
	n := e.Plan.Nodes[0]
	c := oursAdmin(e, n)
	defer c.Close()
	return versionOr(ctx, c, engine.ProgramsFor(e.Plan.Deployment.Engine).Server)
}
