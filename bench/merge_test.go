package bench

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMerge(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	t2 := t1.Add(time.Hour)
	tput := func(rps float64) *ThroughputResult {
		return &ThroughputResult{Rows: []ThroughputRow{{Test: "SET", Ours: BenchStat{RPS: rps}}}}
	}
	// A full run, then a run of policy alone merged into it.
	full := &Results{Started: t0, DurationSeconds: 3600, Command: "go run ./cmd/rediskit-bench",
		Config:     Config{Sections: Sections},
		Machine:    Machine{NProc: 2, LoadAvgStart: 1.5, LoadAvgEnd: 2.5},
		Throughput: tput(100), Failover: &FailoverResult{Repetitions: 10}, Deploy: &DeployResult{Repetitions: 5},
		Reshard: &ReshardResult{Keys: 1000000}, Policy: &PolicyResult{SourceStack: "old"}, Program: &ProgramResult{Stack: "prod"},
		Errors: []string{"failover: boom", "policy: old error"}}
	pol := &Results{Started: t1, DurationSeconds: 60, Command: "go run ./cmd/rediskit-bench -only policy",
		Config:  Config{Sections: []string{"policy"}, Quick: true},
		Machine: Machine{NProc: 2, LoadAvgStart: 0.5, LoadAvgEnd: 0.7},
		Policy:  &PolicyResult{SourceStack: "new"}}
	m1 := Merge(full, pol)
	want1 := &Results{Started: t1, DurationSeconds: 60, Command: "go run ./cmd/rediskit-bench -only policy",
		Config: Config{Sections: []string{"policy"}, Quick: true}, Machine: Machine{NProc: 2, LoadAvgStart: 0.5, LoadAvgEnd: 0.7},
		Throughput: full.Throughput, Failover: full.Failover, Deploy: full.Deploy, Reshard: full.Reshard,
		Policy: pol.Policy, Program: full.Program,
		Errors: []string{"failover: boom"},
		Earlier: []RunInfo{{Sections: []string{"throughput", "failover", "deploy", "reshard", "program"}, Started: t0,
			DurationSeconds: 3600, Command: "go run ./cmd/rediskit-bench", LoadAvgStart: 1.5, LoadAvgEnd: 2.5}}}
	if !reflect.DeepEqual(m1, want1) {
		t.Fatalf("first merge\n got %+v\nwant %+v", m1, want1)
	}

	// Then throughput and failover again, with a new error: the full run keeps only what is
	// still its own, the policy run its section.
	tf := &Results{Started: t2, DurationSeconds: 600, Command: "go run ./cmd/rediskit-bench -only throughput,failover",
		Config: Config{Sections: []string{"throughput", "failover"}}, Machine: Machine{NProc: 2},
		Throughput: tput(200), Failover: &FailoverResult{Repetitions: 3}, Errors: []string{"throughput: new"}}
	m2 := Merge(m1, tf)
	want2 := &Results{Started: t2, DurationSeconds: 600, Command: "go run ./cmd/rediskit-bench -only throughput,failover",
		Config: Config{Sections: []string{"throughput", "failover"}}, Machine: Machine{NProc: 2},
		Throughput: tf.Throughput, Failover: tf.Failover, Deploy: full.Deploy, Reshard: full.Reshard,
		Policy: pol.Policy, Program: full.Program,
		Errors: []string{"throughput: new"},
		Earlier: []RunInfo{
			{Sections: []string{"deploy", "reshard", "program"}, Started: t0, DurationSeconds: 3600,
				Command: "go run ./cmd/rediskit-bench", LoadAvgStart: 1.5, LoadAvgEnd: 2.5},
			{Sections: []string{"policy"}, Started: t1, DurationSeconds: 60, Command: "go run ./cmd/rediskit-bench -only policy",
				Quick: true, LoadAvgStart: 0.5, LoadAvgEnd: 0.7},
		}}
	if !reflect.DeepEqual(m2, want2) {
		t.Fatalf("second merge\n got %+v\nwant %+v", m2, want2)
	}
	if len(m1.Earlier) != 1 || len(m1.Earlier[0].Sections) != 5 || len(full.Errors) != 2 {
		t.Error("Merge must not modify its arguments")
	}

	// Nothing to keep: the new run as it is.
	if m := Merge(nil, tf); !reflect.DeepEqual(m, tf) {
		t.Errorf("no old file: %+v", m)
	}
	all := &Results{Config: Config{Sections: Sections}, Throughput: tput(1)}
	if m := Merge(full, all); !reflect.DeepEqual(m, all) {
		t.Errorf("every section run again: %+v", m)
	}

	// The report names every run.
	page, _ := Report(m2, "../bench/figures")
	for _, want := range []string{
		"They come from 3 runs on a small, noisy shared machine (2 cores;",
		"| run | 2026-11-26 07:00 UTC, 600 s: `go run ./cmd/rediskit-bench -only throughput,failover` (throughput, failover; load 0.0 -> 0.0) |",
		"| earlier run | 2026-11-26 05:00 UTC, 3600 s: `go run ./cmd/rediskit-bench` (deploy, reshard, program; load 1.5 -> 2.5) |",
		"> **The policy section(s) come from a quick smoke run (`-quick`)**",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q:\n%s", want, page)
		}
	}
}

func TestThroughputReportCluster(t *testing.T) {
	r := &Results{Throughput: &ThroughputResult{Requests: 10, Clients: 1, Rounds: 1, Command: "c", Rows: []ThroughputRow{
		{Test: "SET", Pipeline: 1, Ours: BenchStat{RPS: 90, P50ms: 1, P99ms: 2}, Bare: BenchStat{RPS: 100, P50ms: 1, P99ms: 1},
			RatioRPS: 0.9, RatioP50: 1, RatioP99: 2},
		throughputRow(clusterTopo(3, 1), "GET", 16, true, []BenchStat{{RPS: 300, P50ms: 2, P99ms: 4}, {RPS: 100, P50ms: 1, P99ms: 3}},
			[]BenchStat{{RPS: 400, P50ms: 1, P99ms: 2}}),
	}}}
	r.Throughput.Rows[1].Requests = 30000
	row := r.Throughput.Rows[1]
	if row.Ours.RPS != 200 || row.RatioRPS != 0.5 || row.RatioP50 != 1.5 || row.RatioP99 != 1.75 {
		t.Fatalf("cluster row %+v", row)
	}
	page, figs := Report(r, "f")
	for _, want := range []string{
		"| node | SET | 1 | no | 10 | 90 | 100 | 0.90 | 1.000 / 1.000 | 1.00 | 2.000 / 1.000 | 2.00 |",
		"| cluster 3x1 | GET | 16 | yes | 30000 | 200 | 400 | 0.50 | 1.500 / 1.000 | 1.50 | 3.500 / 2.000 | 1.75 |",
		"`redis-benchmark --cluster`",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q:\n%s", want, page)
		}
	}
	if len(figs) != 1 || !strings.Contains(figs[0].SVG, ">cluster 3x1 GET -P 16 TLS</text>") {
		t.Errorf("figure %+v", figs)
	}
}

func TestRequestsFor(t *testing.T) {
	st := map[string]BenchStat{"SET": {RPS: 40000}, "GET": {RPS: 52345}}
	if n := requestsFor(100000, 5, st); n != 270000 {
		t.Errorf("5 s at 52,345/s: %d, want 270000 (261,725 rounded up)", n)
	}
	if n := requestsFor(100000, 1, st); n != 100000 {
		t.Errorf("never fewer than asked: %d", n)
	}
	if n := requestsFor(1000, 5, st); n != 100000 {
		t.Errorf("at most 100 times: %d", n)
	}
}

// TestMergeFailoverRows: a failover run limited by -faults/-setups replaces only the rows it
// measured; the others stay, in a full run's order, and the report names where they came from.
func TestMergeFailoverRows(t *testing.T) {
	c := func(mode, setup, fault string, secs float64) FailoverCase {
		return FailoverCase{Mode: mode, Setup: setup, Fault: fault, Time: Summary{N: 1, Median: secs}}
	}
	old := &Results{Config: Config{Sections: Sections}, Command: "go run ./cmd/rediskit-bench",
		Failover: &FailoverResult{Command: "full", Faults: []string{FaultKill}, Cases: []FailoverCase{
			c("replication", SetupOurs, "", 7), // from before faults were recorded: a kill
			c("replication", SetupReference, FaultKill, 31),
			c("cluster", SetupOurs, FaultKill, 20),
			c("cluster", SetupReference, FaultKill, 19),
		}}}
	cur := &Results{Config: Config{Sections: []string{"failover"}, Faults: []string{FaultKill, FaultPause}, Setups: []string{SetupAutoRecover, SetupOurs}},
		Failover: &FailoverResult{Command: "limited", Faults: []string{FaultKill, FaultPause}, Cases: []FailoverCase{
			c("replication", SetupOurs, FaultKill, 6),
			c("replication", SetupAutoRecover, FaultKill, 2),
			c("replication", SetupOurs, FaultPause, 8),
			c("cluster", SetupOurs, FaultKill, 21),
		}}}
	m := Merge(old, cur)
	var got []string
	for _, x := range m.Failover.Cases {
		got = append(got, fmt.Sprintf("%s/%s/%s=%g", x.Mode, x.Setup, faultOf(x), x.Time.Median))
	}
	want := []string{
		"replication/rediskit/kill=6", "replication/rediskit/pause=8", "replication/rediskit autoRecover/kill=2",
		"replication/redis-defaults/kill=31", "cluster/rediskit/kill=21", "cluster/redis-defaults/kill=19",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("merged rows\n got %v\nwant %v", got, want)
	}
	if !reflect.DeepEqual(m.Failover.Faults, []string{FaultKill, FaultPause}) || !reflect.DeepEqual(m.Failover.EarlierCommands, []string{"full"}) || m.Failover.Command != "limited" {
		t.Errorf("merged section: faults %v, earlier %v, command %q", m.Failover.Faults, m.Failover.EarlierCommands, m.Failover.Command)
	}
	if len(cur.Failover.Cases) != 4 || cur.Failover.EarlierCommands != nil || len(old.Failover.Cases) != 4 {
		t.Error("Merge must not modify its arguments")
	}
	page, _ := Report(m, "f")
	if !strings.Contains(page, "The rows of the other faults or setups come from earlier runs: `full`.") {
		t.Error("the report does not name the earlier failover run")
	}
	// A run of every fault and setup replaces the section.
	all := &Results{Config: Config{Sections: []string{"failover"}}, Failover: &FailoverResult{Command: "all", Cases: []FailoverCase{c("cluster", SetupOurs, FaultKill, 1)}}}
	if m := Merge(old, all); m.Failover != all.Failover {
		t.Errorf("a full failover run kept old rows: %+v", m.Failover.Cases)
	}
}
