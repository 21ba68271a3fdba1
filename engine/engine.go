package engine

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// StateFile marks a deployment whose bootstrap completed. Without it, Up creates the
// deployment from scratch (wiping any half-made state); with it, Up only restarts.
const StateFile = "rediskit-state.json"

// State is what StateFile records.
type State struct {
	Name    string    `json:"name"`
	Mode    Mode      `json:"mode"`
	Created time.Time `json:"created"`
	Nodes   []string  `json:"nodes"`
}

// Engine carries a plan out through a Runner.
type Engine struct {
	Plan   *Plan
	Runner Runner
	// Files reaches the nodes' files (nil: LocalFiles, the node directories on this disk).
	Files NodeFiles
	// Logf receives progress messages; nil discards them.
	Logf func(format string, args ...any)
	// Timeouts bound the engine's waits; zero fields take DefaultTimeouts.
	Timeouts Timeouts

	tlsConf *tls.Config
	// restoring is set while a deployment seeded from a snapshot starts for the first time.
	restoring bool
	// promoting serialises unplanned promotions: the controller's detector and its restart
	// loop may both find a primary gone at once, and a second failover started after the
	// first would move the role again, to the node that just came back.
	promoting sync.Mutex
}

// New validates the deployment, plans it and returns an engine for it.
func New(d Deployment, r Runner) (*Engine, error) {
	p, err := PlanFor(d)
	if err != nil {
		return nil, err
	}
	return &Engine{Plan: p, Runner: r}, nil
}

// NewChecked is New for an engine about to start processes: a runner that can tell
// (EngineChecker) must be able to run exactly the deployment's engine version. Reading or
// tearing down an existing deployment uses New, which needs no executable.
func NewChecked(ctx context.Context, d Deployment, r Runner) (*Engine, error) {
	if c, ok := r.(EngineChecker); ok {
		if err := c.CheckEngine(ctx, d.Engine, d.EngineVersion); err != nil {
			return nil, fmt.Errorf("deployment %s: %w", d.Name, err)
		}
	}
	return New(d, r)
}

// programs are the executables of the deployment's engine.
func (e *Engine) programs() Programs { return ProgramsFor(e.Plan.Deployment.Engine) }

func (e *Engine) logf(format string, args ...any) {
	if e.Logf != nil {
		e.Logf(format, args...)
	}
}

func (e *Engine) timeout() time.Duration { return e.Timeouts.withDefaults().Start }

func (e *Engine) statePath() string { return filepath.Join(e.Plan.Deployment.DataDir, StateFile) }

// Created reports whether the deployment's bootstrap completed before.
func (e *Engine) Created() bool {
	_, err := os.Stat(e.statePath())
	return err == nil
}

// Up brings the deployment to its running state: created if it never was, otherwise every
// process restarted around the topology the deployment last had.
func (e *Engine) Up(ctx context.Context) error {
	if err := e.PrepareTLS(); err != nil {
		return err
	}
	if e.Created() {
		return e.Start(ctx)
	}
	return e.Create(ctx)
}

// PrepareTLS generates local certificates when the plan asks for them and loads the TLS
// configuration the engine's own connections use. Up, Create and Start call it.
func (e *Engine) PrepareTLS() error {
	p := e.Plan
	if p.TLS == nil {
		return nil
	}
	if p.TLS.Generate {
		if err := GenerateCerts(p.TLS, p.certHosts()...); err != nil {
			return err
		}
	}
	c, err := ClientTLSConfig(p.TLS)
	if err != nil {
		return fmt.Errorf("loading TLS for the engine's connections: %w", err)
	}
	e.tlsConf = c
	return nil
}

// Create bootstraps a new deployment. It is all or nothing: on any failure every process it
// started is stopped and the state it wrote is removed, so no half-made cluster or
// standalone leftover survives to be mistaken for a working one.
func (e *Engine) Create(ctx context.Context) (err error) {
	if err := e.PrepareTLS(); err != nil {
		return err
	}
	p := e.Plan
	// Before anything is wiped or started: a parameter the binary refuses is the user's
	// error to fix, not a node that exits at every start.
	if err := e.CheckConfig(ctx); err != nil {
		return fmt.Errorf("creating %s: %w", p.Deployment.Name, err)
	}
	e.logf("creating %s (%s, %d nodes)", p.Deployment.Name, p.Deployment.Mode, len(p.Nodes))
	if err := e.wipe(ctx); err != nil {
		return err
	}
	if err := e.restoreFiles(ctx); err != nil {
		return err
	}
	e.restoring = p.Deployment.Snapshot.RestoreFrom != ""
	defer func() { e.restoring = false }()
	defer func() {
		if err != nil {
			e.logf("creation failed, rolling back: %v", err)
			stopErr := e.Stop(context.Background())
			wipeErr := e.wipe(context.Background())
			err = errors.Join(err, stopErr, wipeErr)
		}
	}()
	switch p.Deployment.Mode {
	case ModeSingle:
		err = e.startNode(ctx, p.Nodes[0], "")
	case ModeReplication:
		err = e.repl().createReplication(ctx)
	case ModeCluster:
		err = e.cluster().createCluster(ctx)
	}
	if err != nil {
		return fmt.Errorf("creating %s: %w", p.Deployment.Name, err)
	}
	st := State{Name: p.Deployment.Name, Mode: p.Deployment.Mode, Created: time.Now().UTC()}
	for _, n := range p.Nodes {
		st.Nodes = append(st.Nodes, n.ID)
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	if err = os.WriteFile(e.statePath(), b, 0o600); err != nil {
		return fmt.Errorf("recording creation: %w", err)
	}
	e.logf("created %s", p.Deployment.Name)
	return nil
}

// wipe removes everything a bootstrap writes (configuration, cluster state, data), leaving
// logs (for diagnosis), restored snapshots and TLS material alone.
func (e *Engine) wipe(ctx context.Context) error {
	var homes []FileHome
	for _, n := range e.Plan.Nodes {
		homes = append(homes, n.Home())
	}
	for _, s := range e.Plan.Sentinels {
		homes = append(homes, s.Home())
	}
	for _, h := range homes {
		if err := e.files().Remove(ctx, h, RedisConfFile, SentinelConfFile, ACLFile, NodesConfFile, RDBFile, AOFDir); err != nil {
			return err
		}
	}
	if err := os.Remove(e.statePath()); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("removing state: %w", err)
	}
	return nil
}

// TailLog returns the last lines of a process log, for error messages.
func TailLog(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return TailLines(string(b), lines)
}

// TailLines returns the last n lines of s.
func TailLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

// Start restarts every process of a created deployment that is not running, so that the
// deployment has the topology it last had.
func (e *Engine) Start(ctx context.Context) error {
	if err := e.PrepareTLS(); err != nil {
		return err
	}
	switch e.Plan.Deployment.Mode {
	case ModeSingle:
		n := e.Plan.Nodes[0]
		if e.Runner.Running(n.ID) {
			return nil
		}
		return e.startNode(ctx, n, "")
	case ModeReplication:
		return e.repl().startReplication(ctx)
	default:
		return e.cluster().startCluster(ctx)
	}
}

// Stop stops every process gracefully (replicas first, so no failover is triggered by a
// primary leaving before them; sentinels last).
func (e *Engine) Stop(ctx context.Context) error {
	var errs []error
	for i := len(e.Plan.Nodes) - 1; i >= 0; i-- {
		if err := e.Runner.Stop(ctx, e.Plan.Nodes[i].ID); err != nil {
			errs = append(errs, err)
		}
	}
	for _, s := range e.Plan.Sentinels {
		if err := e.Runner.Stop(ctx, s.ID); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Kill ends every process at once, as a power cut would. Tests use it.
func (e *Engine) Kill() error {
	var errs []error
	for _, n := range e.Plan.Nodes {
		errs = append(errs, e.Runner.Kill(n.ID))
	}
	for _, s := range e.Plan.Sentinels {
		errs = append(errs, e.Runner.Kill(s.ID))
	}
	return errors.Join(errs...)
}

// StopNode stops one node gracefully.
func (e *Engine) StopNode(ctx context.Context, id string) error {
	if e.Plan.Node(id) == nil {
		return fmt.Errorf("stopping node %s: no such node", id)
	}
	return e.stopNodeProcess(ctx, e.Plan.Node(id))
}

// KillNode ends one node at once, as a crash would.
func (e *Engine) KillNode(id string) error {
	if e.Plan.Node(id) == nil {
		return fmt.Errorf("killing node %s: no such node", id)
	}
	return e.Runner.Kill(id)
}

// StartNode starts one stopped node into the deployment's current topology: as a replica
// of the current primary when another node holds that role, and never as an empty primary
// over replicas that hold data.
func (e *Engine) StartNode(ctx context.Context, id string) error {
	n := e.Plan.Node(id)
	if n == nil {
		return fmt.Errorf("starting node %s: no such node", id)
	}
	if e.Runner.Running(id) {
		return nil
	}
	if err := e.rejoin(ctx, n); err != nil {
		return err
	}
	if e.Plan.Deployment.Mode == ModeCluster {
		return e.cluster().reconcileCluster(ctx)
	}
	return nil
}

// rejoin starts a stopped node of a created deployment into the topology its peers have
// now, behind the start guards: a node whose shard kept running without it never leads that
// shard again on its own (it may be empty, or behind what its replicas acknowledged); the
// shard's best replica takes over first and the node returns as a replica. Every path that
// brings an existing node back goes through here (Start and the supervisor that calls it,
// StartNode, MoveNode, rolling restarts), so the guards hold whoever restarts the node.
// startNode itself is the unguarded step, for bootstrap and for a shard that has no one else.
func (e *Engine) rejoin(ctx context.Context, n *Node) error {
	switch e.Plan.Deployment.Mode {
	case ModeSingle:
		return e.startNode(ctx, n, "")
	case ModeReplication:
		return e.repl().startReplicationNode(ctx, n)
	default:
		if err := e.cluster().guardEmptyClusterPrimary(ctx, n); err != nil {
			return err
		}
		return e.startNode(ctx, n, "")
	}
}

// MoveNode moves a node to another port (an address change): the node is stopped, its
// configuration re-rendered with the new address and started again, and its peers are told
// where it is now. Its identity (cluster node id, data) is kept.
func (e *Engine) MoveNode(ctx context.Context, id string, port int) error {
	n := e.Plan.Node(id)
	if n == nil {
		return fmt.Errorf("moving node %s: no such node", id)
	}
	np, err := e.Plan.WithNodePort(id, port)
	if err != nil {
		return fmt.Errorf("moving node %s: %w", id, err)
	}
	if np.Deployment.Mode == ModeReplication {
		// Sentinels track the primary by address: hand the role over before it moves.
		if prim, err := e.CurrentPrimary(ctx); err == nil && prim.ID == id {
			if err := e.Failover(ctx); err != nil {
				return fmt.Errorf("moving node %s: failing over first: %w", id, err)
			}
		}
	}
	if err := e.stopNodeProcess(ctx, n); err != nil {
		return fmt.Errorf("moving node %s: %w", id, err)
	}
	e.Plan = np
	e.logf("node %s moves to port %d", id, port)
	// In replication mode StartNode also resets the sentinels, which still list the node at
	// its old address.
	return e.StartNode(ctx, id)
}

// startNode writes a node's files, starts it and waits until it answers (data loaded).
func (e *Engine) startNode(ctx context.Context, n *Node, replicaOf string) error {
	// With AOF on, redis ignores dump.rdb when no AOF exists yet: a node seeded from a
	// snapshot starts without AOF, loads the RDB, then switches AOF on (which writes the AOF
	// from memory).
	seedAOF := e.restoring && e.Plan.Deployment.Persistence.AOF
	conf := e.Plan.renderRedisConf(n, nodeStart{replicaOf: replicaOf, aofLater: seedAOF})
	if err := e.files().Write(ctx, n.Home(), RedisConfFile, []byte(conf)); err != nil {
		return fmt.Errorf("starting node %s: %w", n.ID, err)
	}
	if err := e.files().Write(ctx, n.Home(), ACLFile, []byte(renderACL(&e.Plan.Deployment))); err != nil {
		return fmt.Errorf("starting node %s: %w", n.ID, err)
	}
	role := "primary"
	switch {
	case replicaOf != "":
		role = "replica of " + replicaOf
	case e.Plan.Deployment.Mode == ModeCluster:
		role = "cluster node" // its role comes from nodes.conf and the cluster
	}
	e.logf("starting node %s on %s as %s", n.ID, n.Addr(), role)
	if err := e.Runner.Start(ctx, Process{ID: n.ID, Kind: KindRedis, Program: e.programs().Server, Dir: n.Dir, ConfFile: RedisConfFile, Host: n.Host, Port: n.Port(),
		TLS: n.TLSPort != 0, Memory: e.Plan.Deployment.NodeMemory}); err != nil {
		return fmt.Errorf("starting node %s: %w", n.ID, err)
	}
	if err := e.waitReady(ctx, n); err != nil {
		return err
	}
	if seedAOF {
		return e.enableAOF(ctx, n)
	}
	return nil
}

func (e *Engine) enableAOF(ctx context.Context, n *Node) error {
	c := e.admin(n.Addr())
	defer c.Close()
	if err := c.ConfigSet(ctx, "appendonly", "yes").Err(); err != nil {
		return fmt.Errorf("switching AOF on for %s: %w", n.ID, err)
	}
	return waitFor(ctx, e.Timeouts.withDefaults().Persist, "the first AOF of "+n.ID, func(ctx context.Context) error {
		info, err := Info(ctx, c, "persistence")
		if err != nil {
			return err
		}
		if info["aof_enabled"] != "1" || info["aof_rewrite_in_progress"] != "0" || info["aof_rewrite_scheduled"] != "0" {
			return fmt.Errorf("AOF rewrite in progress")
		}
		if st := info["aof_last_bgrewrite_status"]; st != "ok" {
			return permanent(fmt.Errorf("the AOF rewrite of %s failed (aof_last_bgrewrite_status %s; see its redis.log)", n.ID, st))
		}
		return nil
	})
}

func (e *Engine) waitReady(ctx context.Context, n *Node) error {
	c := e.admin(n.Addr())
	defer c.Close()
	return waitFor(ctx, e.timeout(), "node "+n.ID+" to answer", func(ctx context.Context) error {
		if !e.Runner.Running(n.ID) {
			log := filepath.Join(n.Dir, "redis.log")
			if r := e.Plan.rejection(TailLog(log, 10)); r != nil {
				return permanent(fmt.Errorf("node %s exited: %w", n.ID, r))
			}
			return permanent(fmt.Errorf("node %s exited; %s ends with:\n%s", n.ID, log, TailLog(log, 5)))
		}
		info, err := Info(ctx, c, "persistence")
		if err != nil {
			return err
		}
		if info["loading"] != "0" {
			return fmt.Errorf("still loading data")
		}
		return nil
	})
}

// admin returns a client authenticated as the engine's admin user.
func (e *Engine) admin(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: addr, Username: AdminUser, Password: e.Plan.Deployment.Auth.AdminPassword,
		TLSConfig: e.tlsConf, DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second,
		MaxRetries: -1, PoolSize: 2, Protocol: 2, DisableIdentity: true, DialerRetries: 1,
	})
}

// ClientTLS returns the TLS configuration clients of this deployment need (nil without TLS).
func (e *Engine) ClientTLS() *tls.Config { return e.tlsConf }

// Info runs INFO and parses it into a map.
func Info(ctx context.Context, c *redis.Client, section string) (map[string]string, error) {
	s, err := c.Info(ctx, section).Result()
	if err != nil {
		return nil, err
	}
	return ParseInfo(s), nil
}

// ParseInfo parses the text of INFO.
func ParseInfo(s string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = v
		}
	}
	return out
}

type permanentError struct{ error }

func (p permanentError) Unwrap() error { return p.error }

// permanent marks an error that no amount of waiting fixes.
func permanent(err error) error { return permanentError{err} }

// waitFor polls check until it succeeds, returns a permanent error, or timeout passes, first
// often, then backing off to about half a second.
func waitFor(ctx context.Context, timeout time.Duration, what string, check func(context.Context) error) error {
	return Poll(ctx, timeout, 0, what, check)
}

// Poll runs check every interval (0: from 50 ms, doubling to about half a second) until it
// succeeds, returns a permanent error, or timeout passes. Measurements (the benchmarks) pass
// a fixed interval, which bounds their resolution.
func Poll(ctx context.Context, timeout, interval time.Duration, what string, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	delay := interval
	if delay == 0 {
		delay = 50 * time.Millisecond
	}
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		var pe permanentError
		if errors.As(err, &pe) {
			return fmt.Errorf("waiting for %s: %w", what, pe.error)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: gave up after %s: %w", what, timeout, err)
		case <-time.After(delay):
		}
		if interval == 0 && delay < 500*time.Millisecond {
			delay *= 2
		}
	}
}
