package bench

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rediskit/rediskit/engine"
)

// benchTarget is a server (or a cluster, through one of its nodes) redis-benchmark runs against.
type benchTarget struct {
	port       int
	tls        bool
	cacert     string
	user, pass string
	cluster    bool
}

func (t benchTarget) args() []string {
	a := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(t.port)}
	if t.tls {
		a = append(a, "--tls", "--cacert", t.cacert)
	}
	if t.user != "" {
		a = append(a, "--user", t.user, "-a", t.pass)
	}
	if t.cluster {
		a = append(a, "--cluster")
	}
	return a
}

// ParseBenchCSV reads redis-benchmark --csv output (7.0: test, rps, avg, min, p50, p95, p99,
// max latency in ms) into test -> stat.
func ParseBenchCSV(out string) (map[string]BenchStat, error) {
	res := map[string]BenchStat{}
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), `"`) {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	recs, err := csv.NewReader(strings.NewReader(strings.Join(lines, "\n"))).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("parsing redis-benchmark CSV: %w", err)
	}
	if len(recs) == 0 || len(recs[0]) < 7 || recs[0][0] != "test" {
		return nil, fmt.Errorf("redis-benchmark printed no CSV header: %q", engine.TailLines(out, 5))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, r := range recs[1:] {
		num := func(h string) float64 {
			i, ok := col[h]
			if !ok || i >= len(r) {
				return 0
			}
			v, _ := strconv.ParseFloat(r[i], 64)
			return v
		}
		res[r[0]] = BenchStat{RPS: num("rps"), P50ms: num("p50_latency_ms"), P99ms: num("p99_latency_ms")}
	}
	return res, nil
}

func runBenchmark(ctx context.Context, cfg *Config, t benchTarget, requests, pipeline int) (map[string]BenchStat, error) {
	args := append(t.args(), "-n", strconv.Itoa(requests), "-c", strconv.Itoa(cfg.Clients), "-r", "100000",
		"-t", "set,get", "--csv")
	if pipeline > 1 {
		args = append(args, "-P", strconv.Itoa(pipeline))
	}
	out, err := runCmd(ctx, 5*time.Minute, "redis-benchmark", args...)
	if err != nil {
		return nil, err
	}
	return ParseBenchCSV(out)
}

// The topologies of the throughput rows.
const (
	TopoNode = "node"
)

// clusterTopo names a cluster row's topology, e.g. "cluster 3x1".
func clusterTopo(shards, replicas int) string { return fmt.Sprintf("cluster %dx%d", shards, replicas) }

// Throughput runs redis-benchmark against a node of our engine and a bare server of the same
// engine (the run's: -engine) and,
// unless cfg.ClusterReplicas < 0, against a 3-shard cluster of our engine and a bare cluster
// made by redis-cli --cluster create, alternating between ours and bare round by round,
// plaintext and TLS.
func Throughput(ctx context.Context, cfg *Config, ps *Ports, logf func(string, ...any)) (*ThroughputResult, error) {
	res := &ThroughputResult{Requests: cfg.Requests, Clients: cfg.Clients, Rounds: cfg.Rounds}
	var errs []error
	for _, useTLS := range []bool{false, true} {
		rows, err := throughputNode(ctx, cfg, ps, useTLS, logf)
		res.Rows = append(res.Rows, rows...)
		errs = append(errs, err)
	}
	if cfg.ClusterReplicas >= 0 {
		for _, useTLS := range []bool{false, true} {
			if ctx.Err() != nil {
				break
			}
			rows, err := throughputCluster(ctx, cfg, ps, clusterShards, cfg.ClusterReplicas, useTLS, logf)
			res.Rows = append(res.Rows, rows...)
			errs = append(errs, err)
		}
	}
	return res, errors.Join(errs...)
}

// clusterShards is the shard count of the throughput clusters.
const clusterShards = 3

func tputName(base string, useTLS bool) string {
	if useTLS {
		return base + "-tls"
	}
	return base
}

// tputEngine deploys d (TLS on or off) and returns it with the redis-benchmark target of its
// first node and, with TLS, the engine's certificate for the bare side.
func tputEngine(ctx context.Context, d engine.Deployment, ps *Ports, useTLS bool, logf func(string, ...any)) (*engine.Engine, benchTarget, *bareTLS, error) {
	d.TLS = engine.TLS{Enabled: useTLS}
	e, err := newEngine(d, ps, logf)
	if err != nil {
		return nil, benchTarget{}, nil, err
	}
	if err := e.Up(ctx); err != nil {
		stopEngine(e)
		return nil, benchTarget{}, nil, fmt.Errorf("deploying %s: %w", d.Name, err)
	}
	t := benchTarget{port: e.Plan.Nodes[0].Port(), user: d.AppUserName(), pass: appToken, cluster: d.Mode == engine.ModeCluster}
	var tl *bareTLS
	if useTLS {
		t.tls, t.cacert = true, e.Plan.TLS.CAFile
		tl = &bareTLS{files: e.Plan.TLS, client: e.ClientTLS()}
	}
	return e, t, tl, nil
}

// bareTarget is the redis-benchmark target of a hand-started server or cluster.
func bareTarget(port int, tl *bareTLS, cluster bool) benchTarget {
	t := benchTarget{port: port, cluster: cluster}
	if tl != nil {
		t.tls, t.cacert = true, tl.files.CAFile
	}
	return t
}

func throughputNode(ctx context.Context, cfg *Config, ps *Ports, useTLS bool, logf func(string, ...any)) ([]ThroughputRow, error) {
	name := tputName("bench-tput", useTLS)
	d, err := oursDeployment(ps, cfg.WorkDir, name, engine.ModeSingle, 1, 0, 1)
	if err != nil {
		return nil, err
	}
	e, ours, tl, err := tputEngine(ctx, d, ps, useTLS, logf)
	if err != nil {
		return nil, err
	}
	defer stopEngine(e)
	bport, err := ps.Block(1)
	if err != nil {
		return nil, err
	}
	bdir := filepath.Join(cfg.WorkDir, name+"-bare")
	conf := bareConf(bport, bdir)
	if tl != nil {
		conf = bareConf(0, bdir, tl.conf(bport, false, false)...)
	}
	p, err := StartProc(ctx, "redis-server", bdir, bport, conf, tl.clientConf())
	if err != nil {
		return nil, err
	}
	defer p.Kill()
	rows, err := throughputRows(ctx, cfg, TopoNode, useTLS, ours, bareTarget(bport, tl, false), logf)
	return withEngines(rows, oursEngineVersion(ctx, e), procVersion(ctx, p)), err
}

func throughputCluster(ctx context.Context, cfg *Config, ps *Ports, shards, replicas int, useTLS bool, logf func(string, ...any)) ([]ThroughputRow, error) {
	name := tputName("bench-tput-cluster", useTLS)
	d, err := oursDeployment(ps, cfg.WorkDir, name, engine.ModeCluster, shards, replicas, 1)
	if err != nil {
		return nil, err
	}
	e, ours, tl, err := tputEngine(ctx, d, ps, useTLS, logf)
	if err != nil {
		return nil, err
	}
	defer stopEngine(e)
	procs, err := startBareCluster(ctx, ps, filepath.Join(cfg.WorkDir, name+"-bare"), shards, replicas, 1, tl)
	if err != nil {
		return nil, fmt.Errorf("bare cluster (TLS %v): %w", useTLS, err)
	}
	defer KillAll(procs)
	rows, err := throughputRows(ctx, cfg, clusterTopo(shards, replicas), useTLS, ours, bareTarget(procs[0].Port, tl, true), logf)
	return withEngines(rows, oursEngineVersion(ctx, e), procVersion(ctx, procs[0])), err
}

// withEngines records on each row what each side ran.
func withEngines(rows []ThroughputRow, ours, bare string) []ThroughputRow {
	for i := range rows {
		rows[i].Ours.Engine, rows[i].Bare.Engine = ours, bare
	}
	return rows
}

// procVersion is what a hand-started server reports it runs.
func procVersion(ctx context.Context, p *Proc) string {
	c := p.Client("", "")
	defer c.Close()
	return versionOr(ctx, c, p.Program)
}

// throughputRows runs SET and GET, unpipelined and -P 16, cfg.Rounds times on each side,
// alternating ours and bare, and reports medians and ratios.
func throughputRows(ctx context.Context, cfg *Config, topo string, useTLS bool, ours, bare benchTarget, logf func(string, ...any)) ([]ThroughputRow, error) {
	var rows []ThroughputRow
	for _, pipe := range []int{1, 16} {
		n := cfg.Requests
		if ours.cluster {
			var err error
			if n, err = clusterRequests(ctx, cfg, ours, pipe); err != nil {
				return rows, fmt.Errorf("%s ours (TLS %v, -P %d): %w", topo, useTLS, pipe, err)
			}
		}
		samples := map[string]map[string][]BenchStat{"ours": {}, "bare": {}}
		for r := 0; r < cfg.Rounds; r++ {
			for _, side := range []string{"ours", "bare"} {
				t := ours
				if side == "bare" {
					t = bare
				}
				st, err := runBenchmark(ctx, cfg, t, n, pipe)
				if err != nil {
					return rows, fmt.Errorf("%s %s (TLS %v, -P %d): %w", topo, side, useTLS, pipe, err)
				}
				for test, s := range st {
					samples[side][test] = append(samples[side][test], s)
				}
			}
			logf("throughput %s TLS=%v -P %d round %d done", topo, useTLS, pipe, r+1)
		}
		for _, test := range []string{"SET", "GET"} {
			row := throughputRow(topo, test, pipe, useTLS, samples["ours"][test], samples["bare"][test])
			row.Requests = n
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// clusterRequests is the redis-benchmark -n that makes a test against the cluster t last about
// cfg.ClusterTestSeconds. redis-benchmark --cluster runs one thread per primary and notices the
// end of a test only on its 250 ms timer, so its requests/s is -n divided by about a multiple
// of 0.25 s; a test of 5 s keeps that error near 5%. Untimed runs (which also warm the cluster
// up) measure the rate: from cfg.Requests, grown until a run lasts at least a second, so the
// estimate itself is off by at most a quarter.
func clusterRequests(ctx context.Context, cfg *Config, t benchTarget, pipe int) (int, error) {
	n := cfg.Requests
	for try := 0; ; try++ {
		st, err := runBenchmark(ctx, cfg, t, n, pipe)
		if err != nil {
			return 0, err
		}
		next := requestsFor(n, 1, st)
		if next == n || try == 2 {
			return requestsFor(n, cfg.ClusterTestSeconds, st), nil
		}
		n = next
	}
}

// requestsFor scales requests so that the fastest test of st would last secs (never fewer
// than requests, at most 100 times as many, rounded up to 10,000).
func requestsFor(requests int, secs float64, st map[string]BenchStat) int {
	var rps float64
	for _, s := range st {
		rps = max(rps, s.RPS)
	}
	n := requests
	if want := int(rps * secs); want > n {
		n = min(want, 100*requests)
	}
	return (n + 9999) / 10000 * 10000
}

func throughputRow(topo, test string, pipe int, useTLS bool, ours, bare []BenchStat) ThroughputRow {
	row := ThroughputRow{Topology: topo, Test: test, Pipeline: pipe, TLS: useTLS, Ours: medianStat(ours), Bare: medianStat(bare)}
	row.RatioRPS = Ratio(row.Ours.RPS, row.Bare.RPS)
	row.RatioP50 = Ratio(row.Ours.P50ms, row.Bare.P50ms)
	row.RatioP99 = Ratio(row.Ours.P99ms, row.Bare.P99ms)
	return row
}

func medianStat(ss []BenchStat) BenchStat {
	var rps, p50, p99 []float64
	for _, s := range ss {
		rps, p50, p99 = append(rps, s.RPS), append(p50, s.P50ms), append(p99, s.P99ms)
	}
	if len(ss) == 0 {
		return BenchStat{}
	}
	return BenchStat{RPS: Median(rps), P50ms: Median(p50), P99ms: Median(p99), Rounds: rps}
}
