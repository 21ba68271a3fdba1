package bench

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var updateGolden = flag.Bool("update", false, "rewrite bench/testdata/*.golden from the current Report")

// TestReportGolden renders fixed results and compares the page and every figure with what
// Report produced when the golden files were written: a change to how the page is put
// together must not change one byte of it. The goldens were written by the Report that
// predates its split into sections; regenerate them (-update) only for an intended change
// of the page.
func TestReportGolden(t *testing.T) {
	var full Results
	data, err := os.ReadFile(filepath.Join("testdata", "report-full.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &full); err != nil {
		t.Fatalf("reading testdata/report-full.json: %v", err)
	}
	for _, c := range []struct {
		name string
		r    *Results
	}{
		{"full", &full},
		{"edges", edgeResults()},
		{"merged", mergedResults(full)},
		{"faults", faultResults()},
	} {
		t.Run(c.name, func(t *testing.T) {
			page, figs := Report(c.r, "../bench/figures")
			var b strings.Builder
			b.WriteString(page)
			for _, f := range figs {
				b.WriteString("\n==== figure " + f.Name + "\n" + f.SVG + "\n")
			}
			golden := filepath.Join("testdata", "report-"+c.name+".golden")
			if *updateGolden {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading the golden page (go test ./bench -run TestReportGolden -update writes it): %v", err)
			}
			if got := b.String(); got != string(want) {
				t.Errorf("the report differs from %s at byte %d:\n got %q\nwant %q", golden, firstDiff(got, string(want)),
					around(got, firstDiff(got, string(want))), around(string(want), firstDiff(got, string(want))))
			}
		})
	}
}

// edgeResults takes the branches the full results do not: a quick single run with errors,
// a failover case that never succeeded, scaled timeouts, no cluster rows, a preview that
// measured nothing and failed, a program row that did not run.
func edgeResults() *Results {
	t0 := time.Date(2026, 11, 27, 3, 4, 0, 0, time.UTC)
	return &Results{
		Started: t0, DurationSeconds: 42, Command: "go run ./cmd/rediskit-bench -quick",
		Config:  Config{Quick: true, TimingScale: 10, Keys: 1000, Sections: Sections},
		Machine: Machine{NProc: 2, MemTotalBytes: 3 << 30, Kernel: "k", Go: "go", RedisServer: "r", RedisBenchmark: "rb", Pulumi: "p", LoadAvgStart: 0.25, LoadAvgEnd: 1.75},
		Throughput: &ThroughputResult{Requests: 1000, Clients: 5, Rounds: 1, Command: "tput", Rows: []ThroughputRow{
			{Test: "SET", Pipeline: 1, Ours: BenchStat{RPS: 900, P50ms: 0.5, P99ms: 1.25}, Bare: BenchStat{RPS: 0, P50ms: 0.5}, RatioRPS: 0.9, RatioP50: 1, RatioP99: 2.5},
			{Test: "GET|x", Pipeline: 16, TLS: true, Requests: 77, Ours: BenchStat{RPS: 5000}, Bare: BenchStat{RPS: 5000}, RatioRPS: 1},
		}},
		Failover: &FailoverResult{Repetitions: 2, TimingScale: 10, Command: "fo", Cases: []FailoverCase{
			{Mode: "replication", Setup: "rediskit", Settings: "down-after 0.5 s", Reps: []FailoverRep{{Seconds: 1.5}, {Seconds: 2.5}},
				Time: Summary{N: 2, Median: 2, P90: 2.5, Max: 2.5}, Lost: Summary{N: 2, Median: 1, Max: 3}, WaitLost: Summary{N: 2}},
			{Mode: "replication", Setup: "redis-defaults", Settings: "down-after 3 s", Reps: []FailoverRep{{Seconds: 4}, {Seconds: 6}},
				Time: Summary{N: 2, Median: 5, P90: 6, Max: 6}},
			{Mode: "cluster", Setup: "rediskit", Reps: []FailoverRep{{Error: "no"}}},
			{Mode: "cluster", Setup: "redis-defaults", Reps: []FailoverRep{{Seconds: 3}}, Time: Summary{N: 1, Median: 3, P90: 3, Max: 3}},
		}},
		Deploy: &DeployResult{Repetitions: 1, Command: "dep", Rows: []DeployRow{
			{Topology: "1x0", Method: "engine", Time: Summary{N: 1, Median: 0.75, Max: 0.75}, Note: "ready"},
			{Topology: "1x0", Method: "by-hand", Time: Summary{N: 1, Median: 0.25, Max: 0.25}},
			{Topology: "3x1", Method: "engine", Time: Summary{N: 1, Median: 9, Max: 9}},
		}},
		Reshard: &ReshardResult{Keys: 1000, Command: "rs", Rows: []ReshardRow{
			{Method: "engine-scale", Seconds: 2.25, KeysMoved: 250, SlotsMoved: 4096, KeysPerSec: 111, WriterOps: 50, WriterErrors: 1, KeysAfter: 1050},
			{Method: "redis-cli-rebalance", Seconds: 3, KeysMoved: 250, SlotsMoved: 4096, KeysPerSec: 83, WriterOps: 60, KeysAfter: 1060, Error: "slow"},
		}},
		Policy: &PolicyResult{SourceStack: "prod", Command: "pol", Rows: []PolicyRow{
			{Resources: 10, Runs: 3, Seconds: Summary{N: 3, Median: 0.001, P90: 0.002}, PerResUs: 100, Violations: 4},
		}, Preview: &PreviewRow{Error: "pulumi:\n  not   found"}},
		Program: &ProgramResult{Stack: "prod", Command: "prog", Rows: []ProgramRow{
			{Shards: 3, Replicas: 2, Resources: 0, Error: "mocks failed"},
			{Shards: 30, Replicas: 2, Resources: 100, Runs: 2, Seconds: Summary{N: 2, Median: 0.5}, AllocBytes: 2e6, Mallocs: 3e3},
			{Shards: 300, Replicas: 0, Resources: 900, Runs: 2, Seconds: Summary{N: 2, Median: 2}, AllocBytes: 9e6, Mallocs: 12e3},
		}},
		Errors: []string{"failover: cluster\nrep 1 failed", "deploy: provider skipped"},
	}
}

// mergedResults is r as a merge of several runs leaves it: earlier runs (one of them quick)
// and errors, which name the runs in the plural.
func mergedResults(r Results) *Results {
	t0 := time.Date(2026, 11, 20, 1, 2, 0, 0, time.UTC)
	r.Earlier = []RunInfo{
		{Sections: []string{"throughput", "failover"}, Started: t0, DurationSeconds: 3600, Command: "go run ./cmd/rediskit-bench", LoadAvgStart: 1.5, LoadAvgEnd: 2.5},
		{Sections: []string{"deploy"}, Started: t0.Add(time.Hour), DurationSeconds: 60, Command: "go run ./cmd/rediskit-bench -only deploy -quick", Quick: true},
	}
	r.Errors = []string{"reshard: writer | failed"}
	return &r
}

func firstDiff(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func around(s string, i int) string { return s[max(0, i-80):min(len(s), i+80)] }

// faultResults is a run of the failover faults, the engines section and recorded engines:
// three setups of a mode in an order where "the other case of the mode" is not the reference,
// pause and partition rows with their schedules, engines the same on every row of a section
// (a line) and different between rows (a column: a provider row of the local stack's Valkey
// in a Redis run).
func faultResults() *Results {
	t0 := time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)
	vk, rd := "valkey 8.0.1", "redis 7.0.15"
	rep := func(secs float64, lost, wlost int) FailoverRep {
		return FailoverRep{Seconds: secs, NewPrimary: "127.0.0.1:9001", Acked: 100, AckedLost: lost, WaitAcked: 90, WaitAckedLost: wlost}
	}
	fc := func(mode, setup, fault, schedule string, reps ...FailoverRep) FailoverCase {
		c := FailoverCase{Mode: mode, Setup: setup, Fault: fault, Schedule: schedule, Engine: vk, Settings: setup + " settings", Reps: reps}
		summarizeCase(&c)
		return c
	}
	pauseOurs, pauseRef := faultSchedule(FaultPause, 5*time.Second, 0), faultSchedule(FaultPause, 30*time.Second, 0)
	partOurs, partRef := faultSchedule(FaultPartition, 5*time.Second, 0), faultSchedule(FaultPartition, 30*time.Second, 0)
	kill := faultSchedule(FaultKill, 5*time.Second, 0)
	return &Results{
		Started: t0, DurationSeconds: 5400, Command: "go run ./cmd/rediskit-bench -only engines,failover,deploy",
		Config: Config{Engine: Valkey, Sections: []string{"engines", "failover", "deploy"}, ClusterTestSeconds: 5},
		Machine: Machine{NProc: 2, MemTotalBytes: 8 << 30, Kernel: "k", Go: "go", RedisServer: "Redis server v=7.0.15", ValkeyServer: "Valkey server v=8.0.1",
			RedisBenchmark: "redis-benchmark 7.0.15", Pulumi: "p", LoadAvgStart: 1, LoadAvgEnd: 2},
		Engines: &EnginesResult{Requests: 100000, Clients: 50, Rounds: 3, Valkey: vk, Redis: rd, Command: "go run ./cmd/rediskit-bench -only engines", Rows: []EngineRow{
			{Topology: TopoNode, Test: "SET", Pipeline: 1, Valkey: BenchStat{RPS: 90000, P50ms: 0.3, P99ms: 1, Engine: vk}, Redis: BenchStat{RPS: 80000, P50ms: 0.4, P99ms: 1.2, Engine: rd}, RatioRPS: 1.125, RatioP50: 0.75, RatioP99: 0.83},
			{Topology: "cluster 3x1", Requests: 500000, Test: "GET", Pipeline: 16, Valkey: BenchStat{RPS: 700000, Engine: vk}, Redis: BenchStat{RPS: 600000, Engine: rd}, RatioRPS: 1.17},
		}},
		Failover: &FailoverResult{Repetitions: 2, Faults: Faults, Command: "go run ./cmd/rediskit-bench -only failover -engine valkey -reps 2", Cases: []FailoverCase{
			fc("replication", SetupOurs, FaultKill, kill, rep(2, 0, 0), rep(3, 1, 0)),
			fc("replication", SetupReference, FaultKill, kill, rep(30, 0, 0), rep(32, 0, 0)),
			fc("replication", SetupAutoRecover, FaultKill, kill, rep(1, 0, 0), rep(1.5, 0, 0)),
			fc("replication", SetupOurs, FaultPause, pauseOurs, rep(6, 0, 0), rep(7, 2, 0)),
			fc("replication", SetupReference, FaultPause, pauseRef, rep(33, 5, 0), FailoverRep{Error: "no write acknowledged by another node within 165s of the pause"}),
			fc("replication", SetupAutoRecover, FaultPause, pauseOurs, rep(4, 0, 0), rep(4, 0, 0)),
			fc("replication", SetupOurs, FaultPartition, partOurs, rep(6, 40, 0), rep(6.5, 42, 1)),
			fc("replication", SetupReference, FaultPartition, partRef, rep(31, 300, 0), rep(31, 310, 0)),
			fc("cluster", SetupAutoRecover, FaultPartition, faultSchedule(FaultPartition, 15*time.Second, 0), rep(16, 50, 0)),
		}},
		Deploy: &DeployResult{Repetitions: 1, Command: "go run ./cmd/rediskit-bench -only deploy -engine redis", Rows: []DeployRow{
			{Topology: "1x0", Method: "engine", Time: Summary{N: 1, Median: 0.5, Max: 0.5}, Engine: rd},
			{Topology: "1x0", Method: "by-hand", Time: Summary{N: 1, Median: 0.25, Max: 0.25}, Engine: rd},
			{Topology: "1x0", Method: "provider", Time: Summary{N: 1, Median: 20, Max: 20}, Engine: vk},
		}},
	}
}
