package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/engine/controller"
)

// failoverTarget is one deployment the failover test runs its faults against repeatedly.
type failoverTarget interface {
	// write sets key, asks one replica to acknowledge it (WAIT 1) and says which server
	// answered (its address as the connection sees it).
	write(ctx context.Context, key string) (acked, waitAcked bool, server string, err error)
	// present reports which keys exist.
	present(ctx context.Context, keys []string) ([]bool, error)
	// primary is the node the writer's keys live on now.
	primary(ctx context.Context) (*foNode, error)
	// healthy waits until every node runs and every replica is in sync: a faulted primary has
	// rejoined as a replica.
	healthy(ctx context.Context) error
	// supervised reports that the deployment starts a killed node again by itself (its
	// controller), so the benchmark must not.
	supervised() bool
	// version is what the setup's servers run ("valkey 8.0.1").
	version(ctx context.Context) string
	close()
}

// The writer's keys share one hash slot so that, in cluster mode, they all live on the
// shard whose primary is faulted.
const failoverTag = "{fo}"

// writeWait sends SET, WAIT 1 50 and CLIENT INFO in one round trip: CLIENT INFO's laddr is
// the server that acknowledged the SET (a paused or cut-off old primary may acknowledge
// writes too, which must not stop the clock).
func writeWait(ctx context.Context, c redis.Cmdable, key string) (bool, bool, string, error) {
	var set *redis.StatusCmd
	var wait *redis.IntCmd
	var info *redis.StringCmd
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		set = p.Set(ctx, key, "1", 0)
		wait = redis.NewIntCmd(ctx, "wait", 1, 50)
		_ = p.Process(ctx, wait)
		info = redis.NewStringCmd(ctx, "client", "info")
		_ = p.Process(ctx, info)
		return nil
	})
	acked := set != nil && set.Err() == nil && set.Val() == "OK"
	if !acked {
		if err == nil {
			err = errors.New("SET not acknowledged")
		}
		return false, false, "", err
	}
	return true, wait.Err() == nil && wait.Val() >= 1, clientInfoField(info.Val(), "laddr"), nil
}

// clientInfoField is one field of CLIENT INFO's "k=v k=v" line.
func clientInfoField(info, key string) string {
	for _, f := range strings.Fields(info) {
		if k, v, ok := strings.Cut(f, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// samePort reports whether two host:port addresses name the same port (every process of a
// setup is on this machine; hosts may be spelled differently).
func samePort(a, b string) bool {
	_, pa, errA := net.SplitHostPort(a)
	_, pb, errB := net.SplitHostPort(b)
	return errA == nil && errB == nil && pa == pb
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

type firstAck struct {
	at     time.Time
	server string
}

// failoverRep runs one repetition: a writer writes continuously; after warmup the fault hits
// the primary it writes to (and, for a pause or partition, is undone after hold); the time
// from the fault to the first write acknowledged by another node is measured, and once the
// deployment has settled every acknowledged write is looked up. It returns the faulted node
// (nil when none was found), which a kill leaves down.
func failoverRep(ctx context.Context, t failoverTarget, fault string, rep int, warmup, hold, maxWait time.Duration) (FailoverRep, *foNode) {
	var (
		mu         sync.Mutex
		log        []written
		faultNanos atomic.Int64
		oldAddr    atomic.Value
		failed     int
		firstErr   string
		firstOK    = make(chan firstAck, 1)
		stop       = make(chan struct{})
		done       = make(chan struct{})
	)
	oldAddr.Store("")
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			key := fmt.Sprintf("fo:%s:%s:%d:%d", failoverTag, fault, rep, i)
			acked, waitAcked, server, err := t.write(ctx, key)
			mu.Lock()
			log = append(log, written{key, acked, waitAcked})
			if err != nil && faultNanos.Load() != 0 {
				failed++
				if firstErr == "" {
					firstErr = err.Error()
				}
			}
			mu.Unlock()
			if k := faultNanos.Load(); err == nil && k != 0 && start.UnixNano() > k && server != "" && !samePort(server, oldAddr.Load().(string)) {
				select {
				case firstOK <- firstAck{time.Now(), server}:
				default:
				}
			}
			if err != nil {
				time.Sleep(20 * time.Millisecond) // an application's retry, bounded
			}
		}
	}()
	stopWriter := func() {
		close(stop)
		<-done
	}
	var r FailoverRep
	time.Sleep(warmup)
	old, err := t.primary(ctx)
	if err != nil {
		stopWriter()
		r.Error = "finding the primary: " + errString(err)
		return r, nil
	}
	oldAddr.Store(old.addr)
	var undo func() error
	switch fault {
	case FaultKill:
		err = old.kill()
	case FaultPause:
		undo, err = old.pause()
	case FaultPartition:
		undo, err = old.partition(ctx)
	default:
		err = fmt.Errorf("unknown fault %q", fault)
	}
	// The clock starts when the fault is in place: a killed process is gone (kill -9 and
	// reaped), a paused one stopped, a partition's rules installed; a write started after it
	// cannot have been answered before it.
	at := time.Now()
	faultNanos.Store(at.UnixNano())
	if err != nil {
		stopWriter()
		r.Error = fault + ": " + errString(err)
		return r, old
	}
	end := func() {
		if undo == nil {
			return
		}
		if err := undo(); err != nil && r.Error == "" {
			r.Error = errString(err)
		}
		undo = nil
	}
	var holdC <-chan time.Time
	if undo != nil {
		ht := time.NewTimer(hold)
		defer ht.Stop()
		holdC = ht.C
	}
	deadline := time.NewTimer(maxWait)
	defer deadline.Stop()
	got := false
wait:
	for !got || undo != nil {
		select {
		case a := <-firstOK:
			// The writer offers every later write too (the channel holds one): only the
			// first counts, however long the fault still lasts.
			if !got {
				r.Seconds, r.NewPrimary, got = a.at.Sub(at).Seconds(), a.server, true
			}
		case <-holdC:
			end()
		case <-deadline.C:
			if !got {
				r.Error = fmt.Sprintf("no write acknowledged by another node within %s of the %s", maxWait, fault)
			}
			end()
			break wait
		case <-ctx.Done():
			end()
			r.Error = "interrupted"
			break wait
		}
	}
	time.Sleep(200 * time.Millisecond)
	stopWriter()
	r.FailedWrites, r.FirstError = failed, firstErr
	if fault != FaultKill {
		// The old primary is back: what it acknowledged alone is lost only once it has been
		// made a replica and resynchronised, so the writes are looked up after that.
		if err := t.healthy(ctx); err != nil && r.Error == "" {
			r.Error = "settling after the " + fault + ": " + errString(err)
		}
	}

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
		return r, old
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
	return r, old
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

// failoverSetup is one deployment of one mode the faults run against.
type failoverSetup struct {
	mode, setup, settings string
	// detect is the setup's failure-detection time (down-after-milliseconds,
	// cluster-node-timeout): a pause or partition lasts FaultHoldFactor times it.
	detect time.Duration
	make   func() (failoverTarget, error)
}

// FailoverSetups are the setups' names, in the order they run within a mode.
var FailoverSetups = []string{SetupOurs, SetupAutoRecover, SetupReference}

// ParseSetups checks a -setups value (comma-separated names of FailoverSetups, with
// "autoRecover" short for SetupAutoRecover; empty: all).
func ParseSetups(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return FailoverSetups, nil
	}
	var out []string
	for _, x := range strings.Split(s, ",") {
		x = strings.TrimSpace(x)
		switch strings.ToLower(x) {
		case "rediskit":
			out = append(out, SetupOurs)
		case "autorecover", "rediskit-autorecover", "rediskit autorecover":
			out = append(out, SetupAutoRecover)
		case "redis-defaults":
			out = append(out, SetupReference)
		default:
			return nil, fmt.Errorf("unknown setup %q (rediskit, autoRecover, redis-defaults)", x)
		}
	}
	return out, nil
}

// Failover runs each fault (cfg.Faults) cfg.Reps times on our replication group and cluster,
// alone and with the controller the local stack runs beside them, and on the same shapes
// configured with the shipped defaults.
func Failover(ctx context.Context, cfg *Config, ps *Ports, logf func(string, ...any)) (*FailoverResult, error) {
	faults := cfg.Faults
	if len(faults) == 0 {
		faults = Faults
	}
	setups := cfg.Setups
	if len(setups) == 0 {
		setups = FailoverSetups
	}
	res := &FailoverResult{Repetitions: cfg.Reps, TimingScale: cfg.TimingScale, Faults: faults}
	scale := cfg.TimingScale
	ms := func(v float64) int { return int(v / scale) }
	// With its controller, ours detects a failed primary in Timing.Detect (the controller's
	// failure detector), not in Sentinel's or the cluster's timeouts, which stay as the
	// fallback; a pause or partition lasts twice that.
	detect := oursDetect(scale)
	superviseNote := fmt.Sprintf("; controller running (controller.Run: failure detector, detect %d ms; supervisor every %s)", detect.Milliseconds(), controller.DefaultSuperviseEvery)
	replOurs := fmt.Sprintf("1 primary + 1 replica, 3 sentinels; down-after-milliseconds %d, failover-timeout %d (rediskit defaults)", ms(5000), ms(60000))
	clusterOurs := fmt.Sprintf("3 shards x 1 replica; cluster-node-timeout %d (rediskit/ElastiCache default)", ms(15000))
	all := []failoverSetup{
		{"replication", SetupOurs, replOurs, scaled(5*time.Second, scale),
			func() (failoverTarget, error) { return newOurs(ctx, cfg, ps, engine.ModeReplication, false, logf) }},
		{"replication", SetupAutoRecover, replOurs + superviseNote, detect,
			func() (failoverTarget, error) { return newOurs(ctx, cfg, ps, engine.ModeReplication, true, logf) }},
		{"replication", SetupReference, fmt.Sprintf("1 primary + 1 replica, 3 sentinels; down-after-milliseconds %d, failover-timeout %d (sentinel.conf as shipped)", ms(30000), ms(180000)), scaled(30*time.Second, scale),
			func() (failoverTarget, error) { return newBareSentinel(ctx, cfg, ps) }},
		{"cluster", SetupOurs, clusterOurs, scaled(15*time.Second, scale),
			func() (failoverTarget, error) { return newOurs(ctx, cfg, ps, engine.ModeCluster, false, logf) }},
		{"cluster", SetupAutoRecover, clusterOurs + superviseNote, detect,
			func() (failoverTarget, error) { return newOurs(ctx, cfg, ps, engine.ModeCluster, true, logf) }},
		{"cluster", SetupReference, fmt.Sprintf("3 shards x 1 replica by redis-cli --cluster create; cluster-node-timeout %d (Redis default)", ms(15000)), scaled(15*time.Second, scale),
			func() (failoverTarget, error) { return newBareCluster(ctx, cfg, ps) }},
	}
	var errs []error
	for _, s := range all {
		if !containsString(setups, s.setup) || ctx.Err() != nil {
			continue
		}
		cases, err := failoverSetupRun(ctx, cfg, s, faults, logf)
		res.Cases = append(res.Cases, cases...)
		errs = append(errs, err)
	}
	return res, errors.Join(errs...)
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// failoverSetupRun deploys one setup once and runs every fault against it, cfg.Reps times
// each; between repetitions a killed node is started again (unless the setup's controller
// does it) and the deployment is let settle until every replica is in sync.
func failoverSetupRun(ctx context.Context, cfg *Config, s failoverSetup, faults []string, logf func(string, ...any)) ([]FailoverCase, error) {
	var cases []FailoverCase
	newCase := func(fault string) FailoverCase {
		return FailoverCase{Mode: s.mode, Setup: s.setup, Fault: fault, Schedule: faultSchedule(fault, s.detect, cfg.FaultHoldExtra), Settings: s.settings}
	}
	t, err := s.make()
	if err != nil {
		for _, f := range faults {
			cases = append(cases, newCase(f))
		}
		return cases, fmt.Errorf("failover %s/%s: setting up: %w", s.mode, s.setup, err)
	}
	defer t.close()
	version := t.version(ctx)
	var errs []error
	broken := false
	for _, fault := range faults {
		fc := newCase(fault)
		fc.Engine = version
		hold := faultHold(fault, s.detect, cfg.FaultHoldExtra)
		maxWait := 3*s.detect + 30*time.Second
		for rep := 0; rep < cfg.Reps && !broken && ctx.Err() == nil; rep++ {
			r, old := failoverRep(ctx, t, fault, rep, cfg.Warmup, hold, maxWait+hold)
			logf("failover %s/%s %s rep %d: %.2fs (new primary %s), acked %d lost %d, WAIT-acked %d lost %d, failed writes %d (first: %s) %s", s.mode, s.setup, fault, rep+1,
				r.Seconds, r.NewPrimary, r.Acked, r.AckedLost, r.WaitAcked, r.WaitAckedLost, r.FailedWrites, r.FirstError, r.Error)
			fc.Reps = append(fc.Reps, r)
			if r.Error != "" && r.Seconds == 0 {
				errs = append(errs, fmt.Errorf("failover %s/%s %s rep %d: %s", s.mode, s.setup, fault, rep+1, r.Error))
			}
			// Every repetition, and the next fault, starts from a whole deployment.
			if err := recoverFrom(ctx, t, fault, old); err != nil {
				errs = append(errs, fmt.Errorf("failover %s/%s: recovering after %s rep %d: %w", s.mode, s.setup, fault, rep+1, err))
				broken = true
			}
		}
		summarizeCase(&fc)
		cases = append(cases, fc)
	}
	return cases, errors.Join(errs...)
}

// recoverFrom brings a deployment back to whole after a repetition: a killed node is started
// again (by the benchmark, unless the setup's controller does it), then every replica must be
// in sync.
func recoverFrom(ctx context.Context, t failoverTarget, fault string, old *foNode) error {
	if fault == FaultKill && old != nil && !t.supervised() {
		if err := old.restart(ctx); err != nil {
			return fmt.Errorf("starting %s again: %w", old.addr, err)
		}
	}
	return t.healthy(ctx)
}

// summarizeCase fills a case's summaries from the repetitions that measured a time.
func summarizeCase(fc *FailoverCase) {
	var secs, lost, wlost []float64
	for _, r := range fc.Reps {
		if r.Error == "" || r.Seconds > 0 {
			secs = append(secs, r.Seconds)
			lost = append(lost, float64(r.AckedLost))
			wlost = append(wlost, float64(r.WaitAckedLost))
		}
	}
	fc.Time, fc.Lost, fc.WaitLost = Summarize(secs), Summarize(lost), Summarize(wlost)
}

func scaled(d time.Duration, scale float64) time.Duration { return time.Duration(float64(d) / scale) }

// ---- ours: the engine's replication group (Sentinel) or cluster, with or without its controller

type oursTarget struct {
	e  *engine.Engine
	c  *redis.Client        // replication group: through the sentinels
	cc *redis.ClusterClient // cluster
	// stopController ends the controller and waits for it (nil without one).
	stopController func()
}

// newOurs deploys 1 primary + 1 replica (replication) or 3 x 1 (cluster) with the engine and,
// with supervise, runs the controller beside it as `rediskit-engine up` does.
func newOurs(ctx context.Context, cfg *Config, ps *Ports, mode engine.Mode, supervise bool, logf func(string, ...any)) (*oursTarget, error) {
	name, shards := "bench-fo-repl", 1
	if mode == engine.ModeCluster {
		name, shards = "bench-fo-cluster", 3
	}
	if supervise {
		name += "-ctl"
	}
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
		return nil, fmt.Errorf("deploying %s: %w", name, err)
	}
	o := &oursTarget{e: e}
	if mode == engine.ModeCluster {
		opt := e.AppClusterOptions()
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.MaxRedirects, opt.MaxRetries, opt.DialerRetries = 500*time.Millisecond, time.Second, time.Second, 8, -1, 1
		opt.Dialer = writerDialer(opt.TLSConfig)
		o.cc = redis.NewClusterClient(opt)
	} else {
		opt := e.AppFailoverOptions()
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.MaxRetries, opt.DialerRetries = 500*time.Millisecond, time.Second, time.Second, -1, 1
		opt.Dialer = writerDialer(opt.TLSConfig)
		o.c = redis.NewFailoverClient(opt)
	}
	if supervise {
		cctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		opts := controller.Options{Supervise: true}
		if engineLog {
			opts.Logf = logf
		}
		go func() {
			defer close(done)
			controller.Run(cctx, e, opts)
		}()
		o.stopController = func() {
			cancel()
			<-done
			// Run returns when its context ends; the supervisor it started notices on its
			// next tick, and a Start it had begun fails on the ended context: let both pass
			// before the deployment is stopped, so nothing is started again behind Stop.
			time.Sleep(controller.DefaultSuperviseEvery + 500*time.Millisecond)
		}
	}
	return o, nil
}

func (o *oursTarget) write(ctx context.Context, k string) (bool, bool, string, error) {
	if o.cc != nil {
		return clusterWrite(ctx, o.cc, k)
	}
	return writeWait(ctx, o.c, k)
}

func (o *oursTarget) present(ctx context.Context, keys []string) ([]bool, error) {
	if o.cc != nil {
		return clusterPresent(ctx, o.cc, keys)
	}
	return presentPipelined(ctx, o.c, keys)
}

func (o *oursTarget) primary(ctx context.Context) (*foNode, error) {
	var n *engine.Node
	if o.cc != nil {
		addr, err := primaryForSlot(ctx, o.cc, failoverTag)
		if err != nil {
			return nil, err
		}
		for _, x := range o.e.Plan.Nodes {
			if samePort(x.Addr(), addr) {
				n = x
			}
		}
		if n == nil {
			return nil, fmt.Errorf("no node at %s", addr)
		}
	} else {
		var err error
		if n, err = o.e.CurrentPrimary(ctx); err != nil {
			return nil, err
		}
	}
	pid, err := pidListening(n.Port())
	if err != nil {
		return nil, err
	}
	ports := []int{n.Port()}
	if n.BusPort != 0 {
		ports = append(ports, n.BusPort)
	}
	e := o.e
	return withFaults(&foNode{addr: n.Addr(), ports: ports, pid: pid,
		admin:   func() *redis.Client { return oursAdmin(e, n) },
		kill:    func() error { return e.KillNode(n.ID) },
		restart: func(ctx context.Context) error { return e.StartNode(ctx, n.ID) },
	}), nil
}

func (o *oursTarget) healthy(ctx context.Context) error {
	if err := waitReady(ctx, o.e); err != nil {
		return err
	}
	if o.cc != nil {
		o.cc.ReloadState(ctx)
	}
	return nil
}

func (o *oursTarget) supervised() bool { return o.stopController != nil }

func (o *oursTarget) version(ctx context.Context) string { return oursEngineVersion(ctx, o.e) }

func (o *oursTarget) close() {
	if o.stopController != nil {
		o.stopController()
	}
	if o.c != nil {
		o.c.Close()
	}
	if o.cc != nil {
		o.cc.Close()
	}
	stopEngine(o.e)
}

func waitReady(ctx context.Context, e *engine.Engine) error {
	return engine.Poll(ctx, 90*time.Second, 250*time.Millisecond, "deployment ready", func(context.Context) error {
		st := e.Status(ctx)
		if !st.Ready {
			return fmt.Errorf("not ready: %s", strings.Join(st.Problems, "; "))
		}
		return nil
	})
}

func clusterWrite(ctx context.Context, cc *redis.ClusterClient, k string) (bool, bool, string, error) {
	node, err := cc.MasterForKey(ctx, k)
	if err != nil {
		return false, false, "", err
	}
	a, w, server, err := writeWait(ctx, node, k)
	if err != nil {
		cc.ReloadState(ctx) // what an application does on errors
	}
	return a, w, server, err
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

// ---- the shipped defaults: Sentinel

// bareProtected is what the hand-made failover setups add to the defaults: the writer
// connects from 127.0.0.2 (so that a partition can spare it), and Redis 7.0's protected mode
// takes only 127.0.0.1 for local when the default user has no password. It changes nothing
// of failure detection or replication.
const bareProtected = "protected-mode no"

type bareSentinel struct {
	nodes, sentinels []*Proc
	c                *redis.Client
}

func sentinelConf(port int, dir string, primaryPort int, scale float64) string {
	extra := []string{"sentinel monitor mymaster 127.0.0.1 " + strconv.Itoa(primaryPort) + " 2", bareProtected}
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
	prim, err := StartProc(ctx, "redis-server", filepath.Join(dir, "n0"), base, bareConf(base, filepath.Join(dir, "n0"), bareProtected), nil)
	if err != nil {
		return nil, err
	}
	b.nodes = append(b.nodes, prim)
	rd := filepath.Join(dir, "n1")
	rep, err := StartProc(ctx, "redis-server", rd, base+1, bareConf(base+1, rd, "replicaof 127.0.0.1 "+strconv.Itoa(base), bareProtected), nil)
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
		DialTimeout: 500 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: -1, DialerRetries: 1,
		Dialer: writerDialer(nil)})
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

func (b *bareSentinel) primaryProc(ctx context.Context) (*Proc, error) {
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

// procNode is the fault's view of a hand-started node.
func procNode(p *Proc, ports []int) (*foNode, error) {
	pid := p.Pid()
	if pid == 0 {
		return nil, fmt.Errorf("%s is not running", p.Addr())
	}
	return withFaults(&foNode{addr: p.Addr(), ports: ports, pid: pid,
		admin:   func() *redis.Client { return p.Client("", "") },
		kill:    func() error { p.Kill(); return nil },
		restart: func(ctx context.Context) error { return p.Restart(ctx, p.Program) },
	}), nil
}

func (b *bareSentinel) primary(ctx context.Context) (*foNode, error) {
	p, err := b.primaryProc(ctx)
	if err != nil {
		return nil, err
	}
	return procNode(p, []int{p.Port})
}

func (b *bareSentinel) write(ctx context.Context, k string) (bool, bool, string, error) {
	return writeWait(ctx, b.c, k)
}
func (b *bareSentinel) present(ctx context.Context, keys []string) ([]bool, error) {
	return presentPipelined(ctx, b.c, keys)
}

// healthy: Sentinel turns a returning old primary into a replica of the new one; the
// sentinels must agree on the primary again.
func (b *bareSentinel) healthy(ctx context.Context) error {
	if err := waitReplicasSynced(ctx, b.nodes, len(b.nodes)-1); err != nil {
		return err
	}
	return engine.Poll(ctx, 60*time.Second, 200*time.Millisecond, "sentinels agreeing on the primary", func(context.Context) error {
		_, err := b.primaryProc(ctx)
		return err
	})
}
func (b *bareSentinel) supervised() bool { return false }
func (b *bareSentinel) version(ctx context.Context) string {
	return procVersion(ctx, b.nodes[0])
}
func (b *bareSentinel) close() {
	if b.c != nil {
		b.c.Close()
	}
	KillAll(b.sentinels)
	KillAll(b.nodes)
}

// ---- the shipped defaults: cluster by redis-cli --cluster create

type bareCluster struct {
	nodes []*Proc
	cc    *redis.ClusterClient
	bus   int // a node's bus port is its port + bus
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
	return startBareClusterAs(ctx, benchEngine, ps, dir, shards, replicas, scale, tl, extra...)
}

// startBareClusterAs is startBareCluster of engine e's servers and cli, whatever the run's.
func startBareClusterAs(ctx context.Context, e ServerEngine, ps *Ports, dir string, shards, replicas int, scale float64, tl *bareTLS, extra ...string) ([]*Proc, error) {
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
		p, err := startProcAs(ctx, e.program("redis-server"), d, port, conf, tl.clientConf())
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
	if _, err := runCmdAs(ctx, 2*time.Minute, e.program("redis-cli"), args...); err != nil {
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

func bareClusterClient(procs []*Proc) *redis.ClusterClient { return bareClusterClientWith(procs, nil) }

// bareClusterClientWith is bareClusterClient dialing with dial (nil: go-redis' own).
func bareClusterClientWith(procs []*Proc, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *redis.ClusterClient {
	var addrs []string
	for _, p := range procs {
		addrs = append(addrs, p.Addr())
	}
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, Dialer: dial,
		DialTimeout: 500 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRedirects: 8,
		MaxRetries: -1, DialerRetries: 1})
}

func newBareCluster(ctx context.Context, cfg *Config, ps *Ports) (*bareCluster, error) {
	procs, err := startBareCluster(ctx, ps, filepath.Join(cfg.WorkDir, "bare-fo-cluster"), 3, 1, cfg.TimingScale, nil, bareProtected)
	if err != nil {
		return nil, err
	}
	return &bareCluster{nodes: procs, cc: bareClusterClientWith(procs, writerDialer(nil)), bus: ps.Half()}, nil
}

func (b *bareCluster) write(ctx context.Context, k string) (bool, bool, string, error) {
	return clusterWrite(ctx, b.cc, k)
}
func (b *bareCluster) present(ctx context.Context, keys []string) ([]bool, error) {
	return clusterPresent(ctx, b.cc, keys)
}
func (b *bareCluster) primary(ctx context.Context) (*foNode, error) {
	addr, err := primaryForSlot(ctx, b.cc, failoverTag)
	if err != nil {
		return nil, err
	}
	for _, p := range b.nodes {
		if samePort(p.Addr(), addr) {
			return procNode(p, []int{p.Port, p.Port + b.bus})
		}
	}
	return nil, fmt.Errorf("no node at %s", addr)
}

// healthy: the cluster demotes a returning old primary (its config epoch is behind).
func (b *bareCluster) healthy(ctx context.Context) error {
	if err := waitReplicasSynced(ctx, b.nodes, len(b.nodes)/2); err != nil {
		return err
	}
	if err := waitClusterOK(ctx, b.nodes); err != nil {
		return err
	}
	b.cc.ReloadState(ctx)
	return nil
}
func (b *bareCluster) supervised() bool { return false }
func (b *bareCluster) version(ctx context.Context) string {
	return procVersion(ctx, b.nodes[0])
}
func (b *bareCluster) close() {
	if b.cc != nil {
		b.cc.Close()
	}
	KillAll(b.nodes)
}
