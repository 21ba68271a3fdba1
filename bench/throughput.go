package bench

import (
	"context"
	"encoding/csv"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rediskit/rediskit/engine"
)

// benchTarget is a server redis-benchmark runs against.
type benchTarget struct {
	port       int
	tls        bool
	cacert     string
	user, pass string
}

func (t benchTarget) args() []string {
	a := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(t.port)}
	if t.tls {
		a = append(a, "--tls", "--cacert", t.cacert)
	}
	if t.user != "" {
		a = append(a, "--user", t.user, "-a", t.pass)
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
		return nil, fmt.Errorf("redis-benchmark printed no CSV header: %q", tail(out, 5))
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

func runBenchmark(ctx context.Context, cfg *Config, t benchTarget, pipeline int) (map[string]BenchStat, error) {
	args := append(t.args(), "-n", strconv.Itoa(cfg.Requests), "-c", strconv.Itoa(cfg.Clients), "-r", "100000",
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

// Throughput runs redis-benchmark against a node of our engine and a bare redis-server,
// alternating between them round by round, plaintext and TLS.
func Throughput(ctx context.Context, cfg *Config, ps *Ports, logf func(string, ...any)) (*ThroughputResult, error) {
	res := &ThroughputResult{Requests: cfg.Requests, Clients: cfg.Clients, Rounds: cfg.Rounds}
	for _, useTLS := range []bool{false, true} {
		rows, err := throughputPair(ctx, cfg, ps, useTLS, logf)
		if err != nil {
			return res, err
		}
		res.Rows = append(res.Rows, rows...)
	}
	return res, nil
}

func throughputPair(ctx context.Context, cfg *Config, ps *Ports, useTLS bool, logf func(string, ...any)) ([]ThroughputRow, error) {
	name := "bench-tput"
	if useTLS {
		name += "-tls"
	}
	d, err := oursDeployment(ps, cfg.WorkDir, name, engine.ModeSingle, 1, 0, 1)
	if err != nil {
		return nil, err
	}
	d.TLS = engine.TLS{Enabled: useTLS}
	e, err := newEngine(d, ps, logf)
	if err != nil {
		return nil, err
	}
	defer stopEngine(e)
	if err := e.Up(ctx); err != nil {
		return nil, fmt.Errorf("deploying %s: %w", name, err)
	}
	n := e.Plan.Nodes[0]
	ours := benchTarget{port: n.Port(), user: d.AppUserName(), pass: appToken}
	bport, err := ps.Block(1)
	if err != nil {
		return nil, err
	}
	bdir := filepath.Join(cfg.WorkDir, name+"-bare")
	conf := bareConf(bport, bdir)
	bare := benchTarget{port: bport}
	if useTLS {
		ours.tls, ours.cacert = true, e.Plan.TLS.CAFile
		bare.tls, bare.cacert = true, e.Plan.TLS.CAFile
		// Redis refuses TLS without a CA unless client certificates are off (as ours has them).
		conf = bareConf(0, bdir, "tls-port "+strconv.Itoa(bport), "tls-cert-file "+e.Plan.TLS.CertFile,
			"tls-key-file "+e.Plan.TLS.KeyFile, "tls-auth-clients no")
	}
	p, err := StartProc(ctx, "redis-server", bdir, bport, conf, e.ClientTLS())
	if err != nil {
		return nil, err
	}
	defer p.Kill()

	var rows []ThroughputRow
	for _, pipe := range []int{1, 16} {
		samples := map[string]map[string][]BenchStat{"ours": {}, "bare": {}}
		for r := 0; r < cfg.Rounds; r++ {
			for _, side := range []string{"ours", "bare"} {
				t := ours
				if side == "bare" {
					t = bare
				}
				st, err := runBenchmark(ctx, cfg, t, pipe)
				if err != nil {
					return rows, fmt.Errorf("%s (TLS %v, -P %d): %w", side, useTLS, pipe, err)
				}
				for test, s := range st {
					samples[side][test] = append(samples[side][test], s)
				}
			}
			logf("throughput TLS=%v -P %d round %d done", useTLS, pipe, r+1)
		}
		for _, test := range []string{"SET", "GET"} {
			row := ThroughputRow{Test: test, Pipeline: pipe, TLS: useTLS,
				Ours: medianStat(samples["ours"][test]), Bare: medianStat(samples["bare"][test])}
			row.RatioRPS = Ratio(row.Ours.RPS, row.Bare.RPS)
			row.RatioP50 = Ratio(row.Ours.P50ms, row.Bare.P50ms)
			row.RatioP99 = Ratio(row.Ours.P99ms, row.Bare.P99ms)
			rows = append(rows, row)
		}
	}
	return rows, nil
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
