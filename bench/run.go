package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Sections are the benchmark's parts in the order they run.
var Sections = []string{"throughput", "engines", "failover", "deploy", "reshard", "policy", "program"}

// Config scales the run. Defaults() is the full run; Quick() a smoke run of a few minutes.
type Config struct {
	Root     string   `json:"-"`
	WorkDir  string   `json:"-"`
	Quick    bool     `json:"quick"`
	Sections []string `json:"sections"`
	PortLo   int      `json:"portLo"`
	PortHi   int      `json:"portHi"`
	// EngineLog passes the engine's progress messages to the run's log.
	EngineLog bool `json:"-"`
	// Engine is the server family both sides of the comparisons run (valkey: what the stacks
	// run; empty in results from before it was a choice, which ran Redis 7.0).
	Engine ServerEngine `json:"engine,omitempty"`

	Requests int `json:"requests"` // redis-benchmark -n
	Clients  int `json:"clients"`  // redis-benchmark -c
	Rounds   int `json:"rounds"`   // alternating rounds per side
	// ClusterReplicas is the replicas per shard of the 3-shard throughput clusters (-1: no
	// cluster rows).
	ClusterReplicas int `json:"clusterReplicas"`
	// ClusterTestSeconds is how long one redis-benchmark --cluster test should last (its
	// requests/s is quantized to 250 ms; see clusterRequests).
	ClusterTestSeconds float64 `json:"clusterTestSeconds"`

	Reps int `json:"failoverReps"`
	// Faults are the failover section's fault kinds (empty: all); Setups its setups' names.
	Faults []string `json:"faults,omitempty"`
	Setups []string `json:"setups,omitempty"`
	// FaultHoldExtra lengthens pauses and partitions beyond twice the detection time (see
	// faultHold): 0 in the full run, as the issue asks.
	FaultHoldExtra time.Duration `json:"faultHoldExtra,omitempty"`
	TimingScale    float64       `json:"timingScale"`
	Warmup         time.Duration `json:"warmup"`

	DeployReps int  `json:"deployReps"`
	Provider   bool `json:"provider"`

	Keys           int           `json:"keys"`
	ReshardTimeout time.Duration `json:"reshardTimeout"`

	PolicySizes  []int         `json:"policySizes"`
	PolicyRuns   int           `json:"policyRuns"`
	PolicyBudget time.Duration `json:"policyBudget"`
	Preview      bool          `json:"preview"`
	PreviewReps  int           `json:"previewReps"`

	ProgramShards []int         `json:"programShards"`
	ProgramRuns   int           `json:"programRuns"`
	ProgramBudget time.Duration `json:"programBudget"`
}

// Defaults is the full run `make bench` performs.
func Defaults() Config {
	return Config{Sections: Sections, PortLo: 8000, PortHi: 9000, Engine: DefaultEngine,
		Requests: 100000, Clients: 50, Rounds: 3, ClusterReplicas: 1, ClusterTestSeconds: 5,
		Reps: 10, TimingScale: 1, Warmup: time.Second,
		DeployReps: 5, Provider: true,
		Keys: 1000000, ReshardTimeout: 30 * time.Minute,
		PolicySizes: []int{10, 1000, 10000}, PolicyRuns: 20, PolicyBudget: 20 * time.Second, Preview: true, PreviewReps: 3,
		ProgramShards: []int{3, 30, 300}, ProgramRuns: 5, ProgramBudget: 30 * time.Second,
	}
}

// Quick scales everything down for a smoke run (a few minutes): one repetition, failure
// detection timeouts divided by 10 on both sides (pauses and partitions 6 s longer, see
// faultHold), 20,000 keys, no provider deploys or previews.
func Quick() Config {
	c := Defaults()
	c.Quick = true
	c.Requests, c.Rounds, c.ClusterTestSeconds = 10000, 1, 1
	c.Reps, c.TimingScale, c.Warmup, c.FaultHoldExtra = 1, 10, 500*time.Millisecond, 6*time.Second
	c.DeployReps, c.Provider = 1, false
	c.Keys = 20000
	c.PolicyRuns, c.PolicyBudget, c.Preview = 3, 2*time.Second, false
	c.ProgramShards, c.ProgramRuns, c.ProgramBudget = []int{3, 30, 300}, 1, 5*time.Second
	return c
}

func (c *Config) has(s string) bool {
	for _, x := range c.Sections {
		if x == s {
			return true
		}
	}
	return false
}

// Run performs the configured sections; failures of one section are recorded in
// Results.Errors and the next section still runs.
func Run(ctx context.Context, cfg Config, command string, logf func(string, ...any)) *Results {
	if cfg.Engine == "" {
		cfg.Engine = DefaultEngine
	}
	r := &Results{Started: time.Now().UTC(), Command: command, Config: cfg, Machine: MachineInfo(cfg.Root)}
	ps := &Ports{Lo: cfg.PortLo, Hi: cfg.PortHi}
	engineLog = cfg.EngineLog
	benchEngine = cfg.Engine
	fail := func(section string, err error) {
		if err != nil {
			logf("%s: %v", section, err)
			r.Errors = append(r.Errors, section+": "+errString(err))
		}
	}
	cmd := func(section string, extra string) string {
		s := "go run ./cmd/rediskit-bench -only " + section
		if cfg.Quick {
			s += " -quick"
		}
		if extra != "" {
			s += " " + extra
		}
		return s
	}
	for _, s := range cfg.Sections {
		if ctx.Err() != nil {
			break
		}
		start := time.Now()
		logf("== %s", s)
		switch s {
		case "throughput":
			res, err := Throughput(ctx, &cfg, ps, logf)
			res.Command = cmd(s, fmt.Sprintf("-engine %s -requests %d -rounds %d -cluster-replicas %d -cluster-seconds %g", cfg.Engine, cfg.Requests, cfg.Rounds, cfg.ClusterReplicas, cfg.ClusterTestSeconds))
			r.Throughput = res
			fail(s, err)
		case "engines":
			res, err := Engines(ctx, &cfg, ps, logf)
			res.Command = cmd(s, fmt.Sprintf("-requests %d -rounds %d -cluster-replicas %d -cluster-seconds %g", cfg.Requests, cfg.Rounds, cfg.ClusterReplicas, cfg.ClusterTestSeconds))
			r.Engines = res
			fail(s, err)
		case "failover":
			res, err := Failover(ctx, &cfg, ps, logf)
			res.Command = cmd(s, fmt.Sprintf("-engine %s -reps %d -timing-scale %g%s", cfg.Engine, cfg.Reps, cfg.TimingScale, failoverFlags(cfg)))
			r.Failover = res
			fail(s, err)
		case "deploy":
			res, err := DeployTime(ctx, &cfg, ps, logf)
			res.Command = cmd(s, fmt.Sprintf("-engine %s -deploy-reps %d -provider=%v", cfg.Engine, cfg.DeployReps, cfg.Provider))
			annotateDeploy(res, cfg)
			r.Deploy = res
			fail(s, err)
		case "reshard":
			res, err := Reshard(ctx, &cfg, ps, logf)
			res.Command = cmd(s, fmt.Sprintf("-engine %s -keys %d", cfg.Engine, cfg.Keys))
			annotateReshard(res, cfg)
			r.Reshard = res
			fail(s, err)
		case "policy":
			res, err := Policy(ctx, &cfg, logf)
			res.Command = cmd(s, fmt.Sprintf("-preview=%v", cfg.Preview))
			r.Policy = res
			fail(s, err)
		case "program":
			res, err := ProgramCost(&cfg, logf)
			res.Command = cmd(s, "")
			r.Program = res
			fail(s, err)
		default:
			fail(s, fmt.Errorf("unknown section (one of %s)", strings.Join(Sections, ", ")))
		}
		logf("== %s took %s", s, time.Since(start).Round(time.Second))
	}
	r.Finished = time.Now().UTC()
	r.DurationSeconds = r.Finished.Sub(r.Started).Seconds()
	r.Machine.LoadAvgEnd = loadAvg()
	return r
}

// MachineInfo reads nproc, memory, kernel, CPU and the versions of the tools measured.
func MachineInfo(root string) Machine {
	m := Machine{NProc: runtime.NumCPU(), Go: runtime.Version(), LoadAvgStart: loadAvg()}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				m.MemTotalBytes = kb * 1024
			}
		}
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	version := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			return "not found"
		}
		return strings.TrimSpace(strings.Split(string(out), "\n")[0])
	}
	m.RedisServer = version("redis-server", "--version")
	m.ValkeyServer = version("valkey-server", "--version")
	m.RedisBenchmark = version("redis-benchmark", "--version")
	pulumi := root + "/bin/pulumi"
	if _, err := os.Stat(pulumi); err != nil {
		pulumi = "pulumi"
	}
	m.Pulumi = version(pulumi, "version")
	return m
}

func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// failoverFlags are the failover section's -faults and -setups when the run chose some.
func failoverFlags(cfg Config) string {
	var s string
	if len(cfg.Faults) > 0 && len(cfg.Faults) < len(Faults) {
		s += " -faults " + strings.Join(cfg.Faults, ",")
	}
	if len(cfg.Setups) > 0 && len(cfg.Setups) < len(FailoverSetups) {
		var names []string
		for _, x := range cfg.Setups {
			if x == SetupAutoRecover {
				x = "autoRecover"
			}
			names = append(names, x)
		}
		s += " -setups " + strings.Join(names, ",")
	}
	return s
}

// annotateDeploy records on each deploy row the server it ran: the run's engine for the engine
// and by-hand rows, the local stack's for deploy.Up (the provider deploys what the stack names).
// From the binaries: the deployments are gone by now. (DeployTime itself is another area's.)
func annotateDeploy(res *DeployResult, cfg Config) {
	if res == nil {
		return
	}
	for i := range res.Rows {
		e := cfg.Engine
		if res.Rows[i].Method == "provider" {
			e = localStackEngine(cfg.Root)
		}
		res.Rows[i].Engine = binaryVersion(e.program("redis-server"))
	}
}

// annotateReshard records on each reshard row the server it ran (the run's engine, both rows).
func annotateReshard(res *ReshardResult, cfg Config) {
	if res == nil {
		return
	}
	for i := range res.Rows {
		res.Rows[i].Engine = binaryVersion(cfg.Engine.program("redis-server"))
	}
}

// localStackEngine is the engine stacks/Pulumi.local.yaml names (Valkey when it cannot be read).
func localStackEngine(root string) ServerEngine {
	b, err := os.ReadFile(filepath.Join(root, "stacks", "Pulumi.local.yaml"))
	if err != nil {
		return Valkey
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), ":"); ok && k == "engine" {
			if e, err := ParseEngine(strings.Trim(strings.TrimSpace(v), `"'`)); err == nil {
				return e
			}
		}
	}
	return Valkey
}
