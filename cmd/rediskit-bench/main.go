// Command rediskit-bench measures the engine, the provider and the policy pack against the
// references a user compares with (issue 6) and writes bench/results.json and
// docs/benchmarks.md with its figures under bench/figures.
//
//	go run ./cmd/rediskit-bench            # the full run (make bench)
//	go run ./cmd/rediskit-bench -quick     # a smoke run of a few minutes
//	go run ./cmd/rediskit-bench -only throughput   # rerun one section; the others are kept (-merge)
//	go run ./cmd/rediskit-bench -only engines      # Valkey 8.0 vs Redis 7.0 on the same shapes
//	go run ./cmd/rediskit-bench -only failover -faults pause -setups autoRecover,redis-defaults
//	go run ./cmd/rediskit-bench -engine redis      # ours and the references on Redis 7.0 (default valkey)
//	go run ./cmd/rediskit-bench report     # regenerate docs/benchmarks.md from bench/results.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/bench"
)

// quiet drops go-redis' own log lines (dial failures while a node is down are expected here).
type quiet struct{}

func (quiet) Printf(context.Context, string, ...interface{}) {}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "rediskit-bench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && args[0] == "report" {
		fs := flag.NewFlagSet("report", flag.ContinueOnError)
		in := fs.String("in", "bench/results.json", "results file")
		md := fs.String("md", "docs/benchmarks.md", "markdown report")
		figs := fs.String("figures", "bench/figures", "directory of the SVG figures")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		r, err := readResults(*in)
		if err != nil {
			return err
		}
		return writeReport(r, *md, *figs)
	}

	quick := false
	for _, a := range args {
		if a == "-quick" || a == "--quick" || a == "-quick=true" || a == "--quick=true" {
			quick = true
		}
	}
	cfg := bench.Defaults()
	if quick {
		cfg = bench.Quick()
	}
	fs := flag.NewFlagSet("rediskit-bench", flag.ContinueOnError)
	fs.Bool("quick", quick, "smoke run: 1 repetition, timeouts / 10, 20,000 keys, no provider deploys or previews (about 10 minutes on 2 cores, half of it failover)")
	only := fs.String("only", "", "comma-separated sections to run ("+strings.Join(bench.Sections, ",")+"); default all")
	root := fs.String("C", ".", "project root")
	out := fs.String("out", "bench/results.json", "results file")
	md := fs.String("md", "docs/benchmarks.md", "markdown report (empty: none)")
	figs := fs.String("figures", "bench/figures", "directory of the SVG figures")
	work := fs.String("work", "", "scratch directory for data (default a new temporary directory, removed afterwards)")
	limit := fs.Duration("timeout", 5*time.Hour, "stop the whole run after this long (the full run takes about 2.5 hours on 2 cores)")
	verbose := fs.Bool("v", false, "also print the engine's and go-redis' own progress messages")
	fs.IntVar(&cfg.PortLo, "port-lo", cfg.PortLo, "first port (client ports use the lower half of the range, cluster bus ports the upper)")
	fs.IntVar(&cfg.PortHi, "port-hi", cfg.PortHi, "end of the port range (exclusive)")
	fs.IntVar(&cfg.Requests, "requests", cfg.Requests, "redis-benchmark -n")
	fs.IntVar(&cfg.Clients, "clients", cfg.Clients, "redis-benchmark -c")
	fs.IntVar(&cfg.Rounds, "rounds", cfg.Rounds, "redis-benchmark rounds per side")
	fs.IntVar(&cfg.ClusterReplicas, "cluster-replicas", cfg.ClusterReplicas, "replicas per shard of the 3-shard throughput clusters (-1: no cluster rows)")
	fs.Float64Var(&cfg.ClusterTestSeconds, "cluster-seconds", cfg.ClusterTestSeconds, "raise redis-benchmark --cluster's -n so each test lasts about this long (its requests/s is quantized to 250 ms)")
	engineName := fs.String("engine", string(cfg.Engine), "server both sides of the comparisons run: valkey (Valkey 8.0, what the stacks run) or redis (Redis 7.0); the engines section runs both")
	faults := fs.String("faults", "", "failover fault kinds, comma-separated ("+strings.Join(bench.Faults, ",")+"); default all")
	setups := fs.String("setups", "", "failover setups, comma-separated (rediskit,autoRecover,redis-defaults); default all")
	fs.IntVar(&cfg.Reps, "reps", cfg.Reps, "failover repetitions per setup and fault")
	fs.Float64Var(&cfg.TimingScale, "timing-scale", cfg.TimingScale, "divide failure-detection timeouts of both sides by this (1 = real defaults)")
	fs.IntVar(&cfg.DeployReps, "deploy-reps", cfg.DeployReps, "repetitions of each deployment")
	fs.BoolVar(&cfg.Provider, "provider", cfg.Provider, "also deploy 1x0 and 1x2 through deploy.Up (needs bin/pulumi, bin/pulumi-resource-rediskit)")
	fs.IntVar(&cfg.Keys, "keys", cfg.Keys, "keys in the cluster before resharding")
	fs.BoolVar(&cfg.Preview, "preview", cfg.Preview, "time pulumi preview of the local stack with and without the pack")
	fs.IntVar(&cfg.PreviewReps, "preview-reps", cfg.PreviewReps, "previews per variant")
	merge := fs.Bool("merge", false, "keep the results of the sections not run from the existing -out file and regenerate the report from all of them (default on with -only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *only != "" {
		cfg.Sections = strings.Split(*only, ",")
	}
	var err error
	if cfg.Engine, err = bench.ParseEngine(*engineName); err != nil {
		return fmt.Errorf("-engine: %w", err)
	}
	if *faults != "" {
		if cfg.Faults, err = bench.ParseFaults(*faults); err != nil {
			return fmt.Errorf("-faults: %w", err)
		}
	}
	if *setups != "" {
		if cfg.Setups, err = bench.ParseSetups(*setups); err != nil {
			return fmt.Errorf("-setups: %w", err)
		}
	}
	mergeSet := false
	fs.Visit(func(f *flag.Flag) { mergeSet = mergeSet || f.Name == "merge" })
	if !mergeSet {
		*merge = *only != ""
	}
	// Read what is kept before the long run, so a broken file fails now and not after it.
	var old *bench.Results
	if *merge {
		if old, err = readResults(*out); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("-merge: %w (use -merge=false to overwrite it)", err)
		}
	}
	if cfg.TimingScale < 1 {
		return fmt.Errorf("-timing-scale must be >= 1")
	}
	abs, err := filepath.Abs(*root)
	if err != nil {
		return err
	}
	cfg.Root = abs
	if *work == "" {
		d, err := os.MkdirTemp("", "rediskit-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		cfg.WorkDir = d
	} else {
		cfg.WorkDir = *work
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx, cancel2 := context.WithTimeout(ctx, *limit)
	defer cancel2()
	start := time.Now()
	logf := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, a...))
	}
	if !*verbose {
		redis.SetLogger(quiet{})
		cfg.EngineLog = false
	} else {
		cfg.EngineLog = true
	}
	command := "go run ./cmd/rediskit-bench " + strings.Join(args, " ")
	r := bench.Run(ctx, cfg, strings.TrimSpace(command), logf)
	if *merge {
		r = bench.Merge(old, r)
		if len(r.Earlier) > 0 {
			logf("kept %d earlier run(s)' sections from %s", len(r.Earlier), *out)
		}
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	logf("wrote %s", *out)
	if *md != "" {
		if err := writeReport(r, *md, *figs); err != nil {
			return err
		}
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("%d error(s); see %s", len(r.Errors), *out)
	}
	return nil
}

// readResults reads a results file (errors wrap os.ErrNotExist when it is missing).
func readResults(path string) (*bench.Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r bench.Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

func writeReport(r *bench.Results, md, figDir string) error {
	rel, err := filepath.Rel(filepath.Dir(md), figDir)
	if err != nil {
		rel = figDir
	}
	page, figs := bench.Report(r, filepath.ToSlash(rel))
	if err := os.MkdirAll(figDir, 0o755); err != nil {
		return err
	}
	for _, f := range figs {
		if err := os.WriteFile(filepath.Join(figDir, f.Name), []byte(f.SVG), 0o644); err != nil {
			return err
		}
	}
	if err := os.WriteFile(md, []byte(page), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s and %d figure(s) in %s\n", md, len(figs), figDir)
	return nil
}
