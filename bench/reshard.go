package bench

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/internal/writeload"
)

// loadKeys writes n keys through a cluster client in pipelined batches.
func loadKeys(ctx context.Context, cc *redis.ClusterClient, n int) error {
	for i := 0; i < n; i += 1000 {
		j := min(i+1000, n)
		_, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
			for k := i; k < j; k++ {
				p.Set(ctx, "rs:"+strconv.Itoa(k), "v", 0)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("loading keys %d-%d: %w", i, j, err)
		}
	}
	return nil
}

// writer writes through its own cluster client (go-redis defaults for retries and
// redirects, as an application would), 1 ms between writes over 10,000 keys, until stopped.
type writer struct {
	*writeload.Writer
	c *redis.ClusterClient
}

func startWriter(ctx context.Context, opts *redis.ClusterOptions) *writer {
	c := redis.NewClusterClient(opts)
	return &writer{writeload.Start(ctx, c, writeload.Options{Prefix: "w:", KeySpace: 10000, Every: time.Millisecond}), c}
}

// finish stops the writes, closes the client and returns what the writes saw.
func (w *writer) finish() writeload.Result {
	r := w.Stop()
	_ = w.c.Close()
	return r
}

// Reshard moves slots from 3 to 4 shards holding cfg.Keys keys: engine Scale vs
// redis-cli --cluster add-node + rebalance --cluster-use-empty-masters.
// Then back to 3 (scale-in): engine Scale vs redis-cli --cluster rebalance with the added
// node's weight 0 + del-node. Rows: engine out, redis-cli out, engine in, redis-cli in.
func Reshard(ctx context.Context, cfg *Config, ps *Ports, logf func(string, ...any)) (*ReshardResult, error) {
	res := &ReshardResult{Keys: cfg.Keys}
	var errs []error
	ours, err := reshardOurs(ctx, cfg, ps, logf)
	if err != nil {
		ours[len(ours)-1].Error = errString(err)
		errs = append(errs, fmt.Errorf("reshard engine: %w", err))
	}
	bare, err := reshardBare(ctx, cfg, ps, logf)
	if err != nil {
		bare[len(bare)-1].Error = errString(err)
		errs = append(errs, fmt.Errorf("reshard redis-cli: %w", err))
	}
	for i := 0; i < max(len(ours), len(bare)); i++ {
		if i < len(ours) {
			res.Rows = append(res.Rows, ours[i])
		}
		if i < len(bare) {
			res.Rows = append(res.Rows, bare[i])
		}
	}
	return res, errors.Join(errs...)
}

func dbsize(ctx context.Context, c *redis.Client) (int64, error) { return c.DBSize(ctx).Result() }

func reshardOurs(ctx context.Context, cfg *Config, ps *Ports, logf func(string, ...any)) ([]ReshardRow, error) {
	rows := []ReshardRow{{Method: "engine Scale (3 -> 4 shards)"}}
	d, err := oursDeployment(ps, cfg.WorkDir, "bench-reshard", engine.ModeCluster, 3, 0, 1)
	if err != nil {
		return rows, err
	}
	e, err := newEngine(d, ps, logf)
	if err != nil {
		return rows, err
	}
	defer stopEngine(e)
	if err := e.Up(ctx); err != nil {
		return rows, err
	}
	cc := oursClusterClient(e)
	defer cc.Close()
	if err := loadKeys(ctx, cc, cfg.Keys); err != nil {
		return rows, err
	}
	logf("reshard: %d keys loaded into the engine's cluster", cfg.Keys)
	opts := &redis.ClusterOptions{Addrs: []string{e.Plan.Nodes[0].Addr()}, Username: d.AppUserName(), Password: appToken,
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second}
	// scale moves the cluster to shards; moved is the shard whose keys count as moved (the
	// new one after scaling out, the leaving one before scaling in).
	scale := func(row *ReshardRow, shards int, before bool) error {
		old := e.Plan
		plan, err := replan(old, ps, func(d *engine.Deployment) { d.Shards = shards })
		if err != nil {
			return err
		}
		counted := plan.ShardNodes(3)
		if before {
			counted = old.ShardNodes(3)
		}
		adm := oursAdmin(e, counted[0])
		defer adm.Close()
		if before {
			if row.KeysMoved, err = dbsize(ctx, adm); err != nil {
				return err
			}
			row.SlotsMoved = slotsOf(ctx, adm)
		}
		e.Plan = plan
		w := startWriter(ctx, opts)
		sctx, cancel := context.WithTimeout(ctx, cfg.ReshardTimeout)
		defer cancel()
		start := time.Now()
		err = e.Scale(sctx, old)
		row.Seconds = time.Since(start).Seconds()
		row.recordWriter(w, "engine", logf)
		if err != nil {
			return err
		}
		if !before {
			if row.KeysMoved, err = dbsize(ctx, adm); err != nil {
				return err
			}
			row.SlotsMoved = slotsOf(ctx, adm)
		}
		row.KeysPerSec = float64(row.KeysMoved) / row.Seconds
		for _, n := range e.Plan.Nodes {
			a := oursAdmin(e, n)
			k, _ := dbsize(ctx, a)
			a.Close()
			row.KeysAfter += k
		}
		logf("reshard: %s: %d keys in %.1fs", row.Method, row.KeysMoved, row.Seconds)
		return nil
	}
	if err := scale(&rows[0], 4, false); err != nil {
		return rows, err
	}
	rows = append(rows, ReshardRow{Method: "engine Scale (4 -> 3 shards)"})
	return rows, scale(&rows[1], 3, true)
}

// slotsOf counts the slots the node owns, from CLUSTER NODES' myself line.
func slotsOf(ctx context.Context, c *redis.Client) int {
	s, err := c.ClusterNodes(ctx).Result()
	if err != nil {
		return 0
	}
	total := 0
	for _, l := range strings.Split(s, "\n") {
		f := strings.Fields(l)
		if len(f) < 8 || !strings.Contains(f[2], "myself") {
			continue
		}
		for _, r := range f[8:] {
			if strings.HasPrefix(r, "[") {
				continue
			}
			a, b, ok := strings.Cut(r, "-")
			lo, _ := strconv.Atoi(a)
			hi := lo
			if ok {
				hi, _ = strconv.Atoi(b)
			}
			total += hi - lo + 1
		}
	}
	return total
}

func reshardBare(ctx context.Context, cfg *Config, ps *Ports, logf func(string, ...any)) ([]ReshardRow, error) {
	rows := []ReshardRow{{Method: "redis-cli --cluster add-node + rebalance --cluster-use-empty-masters"}}
	row := &rows[0]
	dir := filepath.Join(cfg.WorkDir, "bare-reshard")
	procs, err := startBareCluster(ctx, ps, dir, 3, 0, 1, nil)
	if err != nil {
		return rows, err
	}
	var mu sync.Mutex
	defer func() { mu.Lock(); KillAll(procs); mu.Unlock() }()
	cc := bareClusterClient(procs)
	defer cc.Close()
	if err := loadKeys(ctx, cc, cfg.Keys); err != nil {
		return rows, err
	}
	logf("reshard: %d keys loaded into the hand-made cluster", cfg.Keys)
	port, err := ps.Block(1)
	if err != nil {
		return rows, err
	}
	wopts := &redis.ClusterOptions{Addrs: []string{procs[0].Addr()},
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second}
	w := startWriter(ctx, wopts)
	start := time.Now()
	nd := filepath.Join(dir, "n-new")
	p, err := StartProc(ctx, "redis-server", nd, port, clusterNodeConf(port, port+ps.Half(), nd, 1), nil)
	if err != nil {
		w.finish()
		return rows, err
	}
	mu.Lock()
	procs = append(procs, p)
	mu.Unlock()
	run := func(args ...string) error {
		_, err := runCmd(ctx, cfg.ReshardTimeout, "redis-cli", args...)
		return err
	}
	err = run("--cluster", "add-node", p.Addr(), procs[0].Addr())
	if err == nil {
		err = waitClusterOK(ctx, procs)
	}
	if err == nil {
		err = run("--cluster", "rebalance", procs[0].Addr(), "--cluster-use-empty-masters")
	}
	row.Seconds = time.Since(start).Seconds()
	row.recordWriter(w, "redis-cli", logf)
	if err != nil {
		return rows, err
	}
	c := p.Client("", "")
	defer c.Close()
	row.KeysMoved, err = dbsize(ctx, c)
	if err != nil {
		return rows, err
	}
	row.SlotsMoved = slotsOf(ctx, c)
	row.KeysPerSec = float64(row.KeysMoved) / row.Seconds
	row.KeysAfter = bareKeys(ctx, procs)
	logf("reshard: %s: %d keys in %.1fs", row.Method, row.KeysMoved, row.Seconds)

	// Scaling in: the added node's slots go back (weight 0), then it leaves the cluster.
	rows = append(rows, ReshardRow{Method: "redis-cli --cluster rebalance --cluster-weight <added>=0 + del-node"})
	row = &rows[1]
	id, err := c.ClusterMyID(ctx).Result()
	if err != nil {
		return rows, err
	}
	if row.KeysMoved, err = dbsize(ctx, c); err != nil {
		return rows, err
	}
	row.SlotsMoved = slotsOf(ctx, c)
	w = startWriter(ctx, wopts)
	start = time.Now()
	err = run("--cluster", "rebalance", procs[0].Addr(), "--cluster-weight", id+"=0")
	if err == nil {
		// del-node shuts the node down once every other node forgot it.
		err = run("--cluster", "del-node", procs[0].Addr(), id)
	}
	if err == nil {
		err = waitClusterOK(ctx, procs[:len(procs)-1])
	}
	row.Seconds = time.Since(start).Seconds()
	row.recordWriter(w, "redis-cli scale-in", logf)
	if err != nil {
		return rows, err
	}
	row.KeysPerSec = float64(row.KeysMoved) / row.Seconds
	row.KeysAfter = bareKeys(ctx, procs[:len(procs)-1])
	logf("reshard: %s: %d keys in %.1fs", row.Method, row.KeysMoved, row.Seconds)
	return rows, nil
}

// bareKeys counts the keys of every process.
func bareKeys(ctx context.Context, procs []*Proc) int64 {
	var n int64
	for _, q := range procs {
		qc := q.Client("", "")
		k, _ := dbsize(ctx, qc)
		qc.Close()
		n += k
	}
	return n
}

// recordWriter stops the background writer and puts what it saw into the row.
func (row *ReshardRow) recordWriter(w *writer, who string, logf func(string, ...any)) {
	seen := w.finish()
	row.WriterOps, row.WriterErrors = seen.Ops, seen.Failed
	if seen.FirstError != "" {
		logf("reshard %s: first writer error: %s", who, seen.FirstError)
	}
}
