package bench

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
)

// failoverTarget is one deployment the kill -9 test runs against repeatedly.
type failoverTarget interface {
	// write sets key and asks one replica to acknowledge it (WAIT 1).
	write(ctx context.Context, key string) (acked, waitAcked bool, err error)
	// present reports which keys exist.
	present(ctx context.Context, keys []string) ([]bool, error)
	// kill kill -9s the primary the writer writes to.
	kill(ctx context.Context) error
	// recover brings the killed node back (as a replica) and waits for a healthy deployment.
	recover(ctx context.Context) error
	close()
}

// The writer's keys share one hash slot so that, in cluster mode, they all live on the
// shard whose primary is killed.
const failoverTag = "{fo}"

func writeWait(ctx context.Context, c redis.Cmdable, key string) (bool, bool, error) {
	var set *redis.StatusCmd
	var wait *redis.IntCmd
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		set = p.Set(ctx, key, "1", 0)
		wait = redis.NewIntCmd(ctx, "wait", 1, 50)
		_ = p.Process(ctx, wait)
		return nil
	})
	acked := set != nil && set.Err() == nil && set.Val() == "OK"
	if !acked {
		if err == nil {
			err = errors.New("SET not acknowledged")
		}
		return false, false, err
	}
	return true, wait.Err() == nil && wait.Val() >= 1, nil
}

func presentPipelined(ctx context.Context, c redis.Cmdable, keys []string) ([]bool, error) {
	out := make([]bool, len(keys))
	for i := 0; i < len(keys); i += 500 {
		j := min(i+500, len(keys))
		cmds := make([]*redis.IntCmd, j-i)
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for k := i; k < j; k++ {
				cmds[k-i] = p.Exists(ctx, keys[k])
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for k, cmd := range cmds {
			out[i+k] = cmd.Val() == 1
		}
	}
	return out, nil
}

type written struct {
	key              string
	acked, waitAcked bool
}

// failoverRep runs one repetition: a writer writes continuously, the primary is killed
// after warmup, the time to the first write acknowledged after the kill is measured, and
// every acknowledged write is looked up afterwards.
func failoverRep(ctx context.Context, t failoverTarget, rep int, warmup, maxWait time.Duration) FailoverRep {
	var (
		mu        sync.Mutex
		log       []written
		killNanos atomic.Int64
		failed    int
		firstErr  string
		firstOK   = make(chan time.Time, 1)
		stop      = make(chan struct{})
		done      = make(chan struct{})
	)
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			key := fmt.Sprintf("fo:%s:%d:%d", failoverTag, rep, i)
			acked, waitAcked, err := t.write(ctx, key)
			mu.Lock()
			log = append(log, written{key, acked, waitAcked})
			if err != nil && killNanos.Load() != 0 {
				failed++
				if firstErr == "" {
					firstErr = err.Error()
				}
			}
			mu.Unlock()
			if k := killNanos.Load(); err == nil && k != 0 && start.UnixNano() > k {
				select {
				case firstOK <- time.Now():
				default:
				}
			}
			if err != nil {
				time.Sleep(20 * time.Millisecond) // an application's retry, bounded
			}
		}
	}()
	var r FailoverRep
	time.Sleep(warmup)
	// The clock starts when the kill returned: the process is gone (kill -9 and reaped), so a
	// write started after it cannot reach the old primary.
	err := t.kill(ctx)
	killed := time.Now()
	killNanos.Store(killed.UnixNano())
	if err != nil {
		close(stop)
		<-done
		r.Error = "kill: " + errString(err)
		return r
	}
	select {
	case at := <-firstOK:
		r.Seconds = at.Sub(killed).Seconds()
		time.Sleep(200 * time.Millisecond)
	case <-time.After(maxWait):
		r.Error = fmt.Sprintf("no write succeeded within %s of the kill", maxWait)
	}
	close(stop)
	<-done
	r.FailedWrites, r.FirstError = failed, firstErr

	var keys []string
	for _, w := range log {
		if w.acked {
			keys = append(keys, w.key)
		}
	}
	var pres []bool
	err = engine.Poll(ctx, 30*time.Second, 200*time.Millisecond, "reading back the acknowledged writes", func(context.Context) error {
		var err error
		pres, err = t.present(ctx, keys)
		return err
	})
	if err != nil {
		if r.Error == "" {
			r.Error = errString(err)
		}
		return r
	}
	for i, w := range acknowledged(log) {
		r.Acked++
		if w.waitAcked {
			r.WaitAcked++
		}
		if !pres[i] {
			r.AckedLost++
			if w.waitAcked {
				r.WaitAckedLost++
			}
		}
	}
	return r
}

func acknowledged(log []written) []written {
	var out []written
	for _, w := range log {
		if w.acked {
			out = append(out, w)
		}
	}
	return out
}

// Failover runs the kill -9 test on our replication group and cluster and on the same
// shapes configured with Redis's shipped defaults.
func Failover(ctx context.Context, cfg *Config, ps *Ports, logf func(string, ...any)) (*FailoverResult, error) {
	res := &FailoverResult{Repetitions: cfg.Reps, TimingScale: cfg.TimingScale}
	scale := cfg.TimingScale
	ms := func(v float64) int { return int(v / scale) }
	cases := []struct {
		mode, setup, settings string
		make                  func() (failoverTarget, error)
		detect                time.Duration
	}{
		{"replication", "rediskit", fmt.Sprintf("1 primary + 1 replica, 3 sentinels; down-after-milliseconds %d, failover-timeout %d (rediskit defaults)", ms(5000), ms(60000)),
			func() (failoverTarget, error) { return newOursReplication(ctx, cfg, ps, logf) }, scaled(5*time.Second, scale)},
		{"replication", "redis-defaults", fmt.Sprintf("1 primary + 1 replica, 3 sentinels; down-after-milliseconds %d, failover-timeout %d (sentinel.conf as shipped)", ms(30000), ms(180000)),
			func() (failoverTarget, error) { return newBareSentinel(ctx, cfg, ps) }, scaled(30*time.Second, scale)},
		{"cluster", "rediskit", fmt.Sprintf("3 shards x 1 replica; cluster-node-timeout %d (rediskit/ElastiCache default)", ms(15000)),
			func() (failoverTarget, error) { return newOursCluster(ctx, cfg, ps, logf) }, scaled(15*time.Second, scale)},
		{"cluster", "redis-defaults", fmt.Sprintf("3 shards x 1 replica by redis-cli --cluster create; cluster-node-timeout %d (Redis default)", ms(15000)),
			func() (failoverTarget, error) { return newBareCluster(ctx, cfg, ps) }, scaled(15*time.Second, scale)},
	}
	var errs []error
	for _, c := range cases {
		fc := FailoverCase{Mode: c.mode, Setup: c.setup, Settings: c.settings}
		t, err := c.make()
		if err != nil {
			errs = append(errs, fmt.Errorf("failover %s/%s: setting up: %w", c.mode, c.setup, err))
			res.Cases = append(res.Cases, fc)
			continue
		}
		maxWait := 3*c.detect + 30*time.Second
		for rep := 0; rep < cfg.Reps; rep++ {
			if ctx.Err() != nil {
				break
			}
			r := failoverRep(ctx, t, rep, cfg.Warmup, maxWait)
			logf("failover %s/%s rep %d: %.2fs, acked %d lost %d, WAIT-acked %d lost %d, failed writes %d (first: %s) %s", c.mode, c.setup, rep+1,
				r.Seconds, r.Acked, r.AckedLost, r.WaitAcked, r.WaitAckedLost, r.FailedWrites, r.FirstError, r.Error)
			fc.Reps = append(fc.Reps, r)
			if r.Error != "" && r.Seconds == 0 {
				errs = append(errs, fmt.Errorf("failover %s/%s rep %d: %s", c.mode, c.setup, rep+1, r.Error))
			}
			if rep < cfg.Reps-1 {
				if err := t.recover(ctx); err != nil {
					errs = append(errs, fmt.Errorf("failover %s/%s: recovering after rep %d: %w", c.mode, c.setup, rep+1, err))
					break
				}
			}
		}
		t.close()
		var secs, lost, wlost []float64
		for _, r := range fc.Reps {
			if r.Error == "" || r.Seconds > 0 {
				secs = append(secs, r.Seconds)
				lost = append(lost, float64(r.AckedLost))
				wlost = append(wlost, float64(r.WaitAckedLost))
			}
		}
		fc.Time, fc.Lost, fc.WaitLost = Summarize(secs), Summarize(lost), Summarize(wlost)
		res.Cases = append(res.Cases, fc)
	}
	return res, errors.Join(errs...)
}

func scaled(d time.Duration, scale float64) time.Duration { return time.Duration(float64(d) / scale) }

// upOurs brings up an engine deployment of shards x 1 replica for a failover setup; nothing
// is left running when it fails.
func upOurs(ctx context.Context, cfg *Config, ps *Ports, name string, mode engine.Mode, shards int, logf func(string, ...any)) (*engine.Engine, error) {
	d, err := oursDeployment(ps, cfg.WorkDir, name, mode, shards, 1, cfg.TimingScale)
	if err != nil {
		return nil, err
	}
	e, err := newEngine(d, ps, logf)
	if err != nil {
		return nil, err
	}
	if err := e.Up(ctx); err != nil {
		stopEngine(e)
		return nil, err
	}
	return e, nil
}

// ---- ours: replication group (Sentinel)

type oursReplication struct {
	e      *engine.Engine
	c      *redis.Client
	killed string
}

func newOursReplication(ctx context.Context, cfg *Config, ps *Ports, logf func(string, ...any)) (*oursReplication, error) {
	e, err := upOurs(ctx, cfg, ps, "bench-fo-repl", engine.ModeReplication, 1, logf)
	if err != nil {
		return nil, err
	}
	return &oursReplication{e: e, c: oursFailoverClient(e)}, nil
}

func (o *oursReplication) write(ctx context.Context, k string) (bool, bool, error) {
	return writeWait(ctx, o.c, k)
}
func (o *oursReplication) present(ctx context.Context, keys []string) ([]bool, error) {
	return presentPipelined(ctx, o.c, keys)
}
func (o *oursReplication) kill(ctx context.Context) error {
	p, err := o.e.CurrentPrimary(ctx)
	if err != nil {
		return err
	}
	o.killed = p.ID
	return o.e.KillNode(p.ID)
}
func (o *oursReplication) recover(ctx context.Context) error {
	if err := o.e.StartNode(ctx, o.killed); err != nil {
		return err
	}
	return waitReady(ctx, o.e)
}
func (o *oursReplication) close() { o.c.Close(); stopEngine(o.e) }

func waitReady(ctx context.Context, e *engine.Engine) error {
	return engine.Poll(ctx, 90*time.Second, 250*time.Millisecond, "deployment ready", func(context.Context) error {
		st := e.Status(ctx)
		if !st.Ready {
			return fmt.Errorf("not ready: %s", strings.Join(st.Problems, "; "))
		}
		return nil
	})
}

// ---- ours: cluster mode

type oursCluster struct {
	e      *engine.Engine
	cc     *redis.ClusterClient
	killed string
}

func newOursCluster(ctx context.Context, cfg *Config, ps *Ports, logf func(string, ...any)) (*oursCluster, error) {
	e, err := upOurs(ctx, cfg, ps, "bench-fo-cluster", engine.ModeCluster, 3, logf)
	if err != nil {
		return nil, err
	}
	return &oursCluster{e: e, cc: oursClusterClient(e)}, nil
}

func clusterWrite(ctx context.Context, cc *redis.ClusterClient, k string) (bool, bool, error) {
	node, err := cc.MasterForKey(ctx, k)
	if err != nil {
		return false, false, err
	}
	a, w, err := writeWait(ctx, node, k)
	if err != nil {
		cc.ReloadState(ctx) // what an application does on errors
	}
	return a, w, err
}

func clusterPresent(ctx context.Context, cc *redis.ClusterClient, keys []string) ([]bool, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	node, err := cc.MasterForKey(ctx, keys[0]) // one slot
	if err != nil {
		return nil, err
	}
	out, err := presentPipelined(ctx, node, keys)
	if err != nil {
		cc.ReloadState(ctx)
	}
	return out, err
}

func (o *oursCluster) write(ctx context.Context, k string) (bool, bool, error) {
	return clusterWrite(ctx, o.cc, k)
}
func (o *oursCluster) present(ctx context.Context, keys []string) ([]bool, error) {
	return clusterPresent(ctx, o.cc, keys)
}
func (o *oursCluster) kill(ctx context.Context) error {
	addr, err := primaryForSlot(ctx, o.cc, failoverTag)
	if err != nil {
		return err
	}
	for _, n := range o.e.Plan.Nodes {
		if n.Addr() == addr {
			o.killed = n.ID
			return o.e.KillNode(n.ID)
		}
	}
	return fmt.Errorf("no node at %s", addr)
}
func (o *oursCluster) recover(ctx context.Context) error {
	if err := o.e.StartNode(ctx, o.killed); err != nil {
		return err
	}
	if err := waitReady(ctx, o.e); err != nil {
		return err
	}
	o.cc.ReloadState(ctx)
	return nil
}
func (o *oursCluster) close() { o.cc.Close(); stopEngine(o.e) }

// ---- Redis's shipped defaults: Sentinel

type bareSentinel struct {
	nodes, sentinels []*Proc
	c                *redis.Client
	killed           *Proc
}

func sentinelConf(port int, dir string, primaryPort int, scale float64) string {
	extra := []string{"sentinel monitor mymaster 127.0.0.1 " + strconv.Itoa(primaryPort) + " 2"}
	if scale > 1 {
		extra = append(extra,
			fmt.Sprintf("sentinel down-after-milliseconds mymaster %d", int(30000/scale)),
			fmt.Sprintf("sentinel failover-timeout mymaster %d", int(180000/scale)))
	}
	return bareConf(port, dir, extra...)
}

func newBareSentinel(ctx context.Context, cfg *Config, ps *Ports) (_ *bareSentinel, err error) {
	base, err := ps.Block(5)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cfg.WorkDir, "bare-sentinel")
	b := &bareSentinel{}
	defer func() {
		if err != nil {
			b.close()
		}
	}()
	prim, err := StartProc(ctx, "redis-server", filepath.Join(dir, "n0"), base, bareConf(base, filepath.Join(dir, "n0")), nil)
	if err != nil {
		return nil, err
	}
	b.nodes = append(b.nodes, prim)
	rd := filepath.Join(dir, "n1")
	rep, err := StartProc(ctx, "redis-server", rd, base+1, bareConf(base+1, rd, "replicaof 127.0.0.1 "+strconv.Itoa(base)), nil)
	if err != nil {
		return nil, err
	}
	b.nodes = append(b.nodes, rep)
	if err := waitLinkUp(ctx, rep); err != nil {
		return nil, err
	}
	var addrs []string
	for i := 0; i < 3; i++ {
		sd := filepath.Join(dir, "s"+strconv.Itoa(i))
		s, err := StartProc(ctx, "redis-sentinel", sd, base+2+i, sentinelConf(base+2+i, sd, base, cfg.TimingScale), nil)
		if err != nil {
			return nil, err
		}
		b.sentinels = append(b.sentinels, s)
		addrs = append(addrs, s.Addr())
	}
	// Wait until every sentinel sees the replica and the other sentinels.
	for _, s := range b.sentinels {
		c := s.Client("", "")
		err := engine.Poll(ctx, 60*time.Second, 200*time.Millisecond, "sentinel discovery", func(context.Context) error {
			m, err := c.Do(ctx, "sentinel", "master", "mymaster").Result()
			if err != nil {
				return err
			}
			info := fmt.Sprint(m)
			if !strings.Contains(info, "num-slaves:1") && !strings.Contains(info, "num-slaves 1") {
				return fmt.Errorf("sentinel %s: %s", s.Addr(), info)
			}
			if !strings.Contains(info, "num-other-sentinels:2") && !strings.Contains(info, "num-other-sentinels 2") {
				return fmt.Errorf("sentinel %s: %s", s.Addr(), info)
			}
			return nil
		})
		c.Close()
		if err != nil {
			return nil, err
		}
	}
	b.c = redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: addrs,
		DialTimeout: 500 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: -1, DialerRetries: 1})
	return b, nil
}

func waitLinkUp(ctx context.Context, p *Proc) error {
	c := p.Client("", "")
	defer c.Close()
	return engine.Poll(ctx, 60*time.Second, 100*time.Millisecond, p.Addr()+" replication link up", func(context.Context) error {
		info, err := engine.Info(ctx, c, "replication")
		if err != nil {
			return err
		}
		if info["role"] != "slave" || info["master_link_status"] != "up" {
			return fmt.Errorf("role %s link %s", info["role"], info["master_link_status"])
		}
		return nil
	})
}

func (b *bareSentinel) primary(ctx context.Context) (*Proc, error) {
	votes := map[string]int{}
	for _, s := range b.sentinels {
		c := s.Client("", "")
		a, err := c.Do(ctx, "sentinel", "get-master-addr-by-name", "mymaster").StringSlice()
		c.Close()
		if err == nil && len(a) == 2 {
			votes[a[1]]++
		}
	}
	for port, v := range votes {
		if v >= 2 {
			for _, n := range b.nodes {
				if strconv.Itoa(n.Port) == port {
					return n, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("no primary named by a majority of sentinels: %v", votes)
}

func (b *bareSentinel) write(ctx context.Context, k string) (bool, bool, error) {
	return writeWait(ctx, b.c, k)
}
func (b *bareSentinel) present(ctx context.Context, keys []string) ([]bool, error) {
	return presentPipelined(ctx, b.c, keys)
}
func (b *bareSentinel) kill(ctx context.Context) error {
	p, err := b.primary(ctx)
	if err != nil {
		return err
	}
	b.killed = p
	p.Kill()
	return nil
}
func (b *bareSentinel) recover(ctx context.Context) error {
	if err := b.killed.Restart(ctx, "redis-server"); err != nil {
		return err
	}
	// Sentinel turns the returning old primary into a replica of the new one.
	return waitLinkUp(ctx, b.killed)
}
func (b *bareSentinel) close() {
	if b.c != nil {
		b.c.Close()
	}
	KillAll(b.sentinels)
	KillAll(b.nodes)
}

// ---- Redis's shipped defaults: cluster by redis-cli --cluster create

type bareCluster struct {
	nodes  []*Proc
	cc     *redis.ClusterClient
	killed *Proc
}

func clusterNodeConf(port, bus int, dir string, scale float64, extra ...string) string {
	lines := []string{"cluster-enabled yes", "cluster-config-file nodes.conf", "cluster-port " + strconv.Itoa(bus)}
	if scale > 1 {
		lines = append(lines, fmt.Sprintf("cluster-node-timeout %d", int(15000/scale)))
	}
	return bareConf(port, dir, append(lines, extra...)...)
}

// startBareCluster starts shards*(1+replicas) cluster-enabled servers and joins them with
// redis-cli --cluster create. With tl, the servers listen on TLS only (see bareTLS.conf) and
// redis-cli and the returned processes' clients use TLS.
func startBareCluster(ctx context.Context, ps *Ports, dir string, shards, replicas int, scale float64, tl *bareTLS, extra ...string) ([]*Proc, error) {
	n := shards * (1 + replicas)
	base, err := ps.Block(n + 1)
	if err != nil {
		return nil, err
	}
	var procs []*Proc
	var addrs []string
	for i := 0; i < n; i++ {
		d := filepath.Join(dir, "n"+strconv.Itoa(i))
		port, bus := base+i, base+i+ps.Half()
		conf := clusterNodeConf(port, bus, d, scale, extra...)
		if tl != nil {
			conf = clusterNodeConf(0, bus, d, scale, append(tl.conf(port, true, replicas > 0), extra...)...)
		}
		p, err := StartProc(ctx, "redis-server", d, port, conf, tl.clientConf())
		if err != nil {
			KillAll(procs)
			return nil, err
		}
		procs = append(procs, p)
		addrs = append(addrs, p.Addr())
	}
	args := append(tl.cliArgs(), "--cluster", "create")
	args = append(args, addrs...)
	args = append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	if _, err := runCmd(ctx, 2*time.Minute, "redis-cli", args...); err != nil {
		KillAll(procs)
		return nil, err
	}
	if err := waitClusterOK(ctx, procs); err != nil {
		KillAll(procs)
		return nil, err
	}
	if err := waitReplicasSynced(ctx, procs, shards*replicas); err != nil {
		KillAll(procs)
		return nil, err
	}
	return procs, nil
}

// waitReplicasSynced waits until want nodes are replicas whose initial sync finished (link
// up, no sync in progress), the state the engine's Up waits for too. redis-cli --cluster
// create returns once the cluster agrees, while each primary still delays its first
// (diskless) full sync by repl-diskless-sync-delay, 5 s by default; a replica killed out of
// its primary before that sync completed has never been connected, its data age is
// unbounded (repl_down_since 0), and cluster-replica-validity-factor keeps it from ever
// failing over.
func waitReplicasSynced(ctx context.Context, procs []*Proc, want int) error {
	if want == 0 {
		return nil
	}
	return engine.Poll(ctx, 90*time.Second, 100*time.Millisecond, "replicas in sync", func(context.Context) error {
		synced := 0
		var pending []string
		for _, p := range procs {
			c := p.Client("", "")
			info, err := engine.Info(ctx, c, "replication")
			c.Close()
			if err != nil {
				return err
			}
			if info["role"] != "slave" {
				continue
			}
			if info["master_link_status"] == "up" && info["master_sync_in_progress"] == "0" {
				synced++
			} else {
				pending = append(pending, fmt.Sprintf("%s link %s", p.Addr(), info["master_link_status"]))
			}
		}
		if synced != want {
			return fmt.Errorf("%d of %d replicas in sync; %s", synced, want, strings.Join(pending, ", "))
		}
		return nil
	})
}

// waitClusterOK waits until every node reports cluster_state:ok and knows every node.
func waitClusterOK(ctx context.Context, procs []*Proc) error {
	for _, p := range procs {
		c := p.Client("", "")
		err := engine.Poll(ctx, 90*time.Second, 100*time.Millisecond, p.Addr()+" cluster ok", func(context.Context) error {
			s, err := c.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			info := map[string]string{}
			for _, l := range strings.Split(s, "\n") {
				if k, v, ok := strings.Cut(strings.TrimSpace(l), ":"); ok {
					info[k] = v
				}
			}
			if info["cluster_state"] != "ok" || info["cluster_known_nodes"] != strconv.Itoa(len(procs)) || info["cluster_slots_assigned"] != "16384" {
				return fmt.Errorf("state %s, known %s, slots %s", info["cluster_state"], info["cluster_known_nodes"], info["cluster_slots_assigned"])
			}
			return nil
		})
		c.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func bareClusterClient(procs []*Proc) *redis.ClusterClient {
	var addrs []string
	for _, p := range procs {
		addrs = append(addrs, p.Addr())
	}
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs,
		DialTimeout: 500 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRedirects: 8,
		MaxRetries: -1, DialerRetries: 1})
}

func newBareCluster(ctx context.Context, cfg *Config, ps *Ports) (*bareCluster, error) {
	procs, err := startBareCluster(ctx, ps, filepath.Join(cfg.WorkDir, "bare-fo-cluster"), 3, 1, cfg.TimingScale, nil)
	if err != nil {
		return nil, err
	}
	return &bareCluster{nodes: procs, cc: bareClusterClient(procs)}, nil
}

func (b *bareCluster) write(ctx context.Context, k string) (bool, bool, error) {
	return clusterWrite(ctx, b.cc, k)
}
func (b *bareCluster) present(ctx context.Context, keys []string) ([]bool, error) {
	return clusterPresent(ctx, b.cc, keys)
}
func (b *bareCluster) kill(ctx context.Context) error {
	addr, err := primaryForSlot(ctx, b.cc, failoverTag)
	if err != nil {
		return err
	}
	for _, p := range b.nodes {
		if p.Addr() == addr {
			b.killed = p
			p.Kill()
			return nil
		}
	}
	return fmt.Errorf("no node at %s", addr)
}
func (b *bareCluster) recover(ctx context.Context) error {
	if err := b.killed.Restart(ctx, "redis-server"); err != nil {
		return err
	}
	if err := waitLinkUp(ctx, b.killed); err != nil {
		return err
	}
	if err := waitClusterOK(ctx, b.nodes); err != nil {
		return err
	}
	b.cc.ReloadState(ctx)
	return nil
}
func (b *bareCluster) close() {
	if b.cc != nil {
		b.cc.Close()
	}
	KillAll(b.nodes)
}
