package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
)

// engineLog is set from Config.EngineLog by Run.
var engineLog bool

const (
	appToken  = "bench-app-token-0123456789abcdef"
	adminPass = "bench-admin-password-0123456789"
)

// oursDeployment is a deployment of our engine on ports from ps, with the production
// timing defaults divided by scale (1 = the engine's defaults), running the run's engine
// (-engine: Valkey 8.0 by default, what the stacks run).
func oursDeployment(ps *Ports, dir, name string, mode engine.Mode, shards, replicas int, scale float64) (engine.Deployment, error) {
	d := engine.Deployment{
		Name: name, Mode: mode, Shards: shards, ReplicasPerShard: replicas,
		Engine: benchEngine.paramgroup(), EngineVersion: benchEngine.deploymentVersion(),
		Auth:        engine.Auth{AppToken: appToken, AdminPassword: adminPass},
		DataDir:     filepath.Join(dir, name),
		NodeMemory:  1 << 30,
		Persistence: engine.Persistence{RDB: true},
	}
	if mode == engine.ModeSingle {
		d.Shards, d.ReplicasPerShard = 0, 0
	}
	if scale > 1 {
		d.Timing = engine.Timing{
			DownAfter:          time.Duration(float64(5*time.Second) / scale),
			FailoverTimeout:    time.Duration(float64(60*time.Second) / scale),
			ClusterNodeTimeout: time.Duration(float64(15*time.Second) / scale),
			Detect:             oursDetect(scale),
		}
	}
	n := (max(shards, 1))*(1+replicas) + 6 // nodes, sentinels, room for one more shard
	base, err := ps.Block(n)
	if err != nil {
		return d, err
	}
	d.BasePort = base
	return d, nil
}

// oursDetect is the controller's detection time (engine.Timing.Detect) divided by scale, but
// not below half a second: the detector probes 8 times a detection time, and shorter than
// that a loaded 2-core machine's scheduling stalls read as a dead primary.
func oursDetect(scale float64) time.Duration {
	return max(time.Duration(float64(engine.DefaultDetect)/scale), 500*time.Millisecond)
}

// newEngine plans d and keeps every cluster bus port inside our port range.
func newEngine(d engine.Deployment, ps *Ports, logf func(string, ...any)) (*engine.Engine, error) {
	e, err := engine.New(d, engine.NewLocalRunner())
	if err != nil {
		return nil, err
	}
	pinBus(e.Plan, ps)
	if engineLog {
		e.Logf = logf
	}
	e.Timeouts.Start = 60 * time.Second
	return e, nil
}

// pinBus moves cluster bus ports from the engine's port+10000 to port+Half, inside the
// range this benchmark may use.
func pinBus(p *engine.Plan, ps *Ports) {
	for _, n := range p.Nodes {
		if n.BusPort != 0 {
			n.BusPort = n.Port() + ps.Half()
		}
	}
}

// replan is the engine's plan for d mutated, with every running node pinned to its port.
func replan(cur *engine.Plan, ps *Ports, mutate func(*engine.Deployment)) (*engine.Plan, error) {
	p, err := engine.Replan(cur, mutate)
	if err != nil {
		return nil, err
	}
	pinBus(p, ps)
	return p, nil
}

func oursFailoverClient(e *engine.Engine) *redis.Client {
	o := e.AppFailoverOptions()
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRetries, o.DialerRetries = 500*time.Millisecond, time.Second, time.Second, -1, 1
	return redis.NewFailoverClient(o)
}

func oursClusterClient(e *engine.Engine) *redis.ClusterClient {
	o := e.AppClusterOptions()
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRedirects, o.MaxRetries, o.DialerRetries = 500*time.Millisecond, time.Second, time.Second, 8, -1, 1
	return redis.NewClusterClient(o)
}

func oursAdmin(e *engine.Engine, n *engine.Node) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: n.Addr(), Username: engine.AdminUser, Password: adminPass, TLSConfig: e.ClientTLS(),
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second, MaxRetries: -1})
}

func stopEngine(e *engine.Engine) {
	if e == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := e.Stop(ctx); err != nil {
		_ = e.Kill()
	}
}

// currentPrimaryCluster returns the node the cluster (as the admin sees it) makes primary
// of the shard owning slot.
func primaryForSlot(ctx context.Context, c *redis.ClusterClient, key string) (string, error) {
	n, err := c.MasterForKey(ctx, key)
	if err != nil {
		return "", err
	}
	return n.Options().Addr, nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return strings.TrimSpace(s)
}

func must(ok bool, format string, a ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf(format, a...)
}
