package bench

import "time"

// Results is the machine-readable outcome of one benchmark run (bench/results.json).
type Results struct {
	Started         time.Time `json:"started"`
	Finished        time.Time `json:"finished"`
	DurationSeconds float64   `json:"durationSeconds"`
	// Command is the command line that produced this file.
	Command string  `json:"command"`
	Config  Config  `json:"config"`
	Machine Machine `json:"machine"`

	Throughput *ThroughputResult `json:"throughput,omitempty"`
	Engines    *EnginesResult    `json:"engines,omitempty"`
	Failover   *FailoverResult   `json:"failover,omitempty"`
	Deploy     *DeployResult     `json:"deploy,omitempty"`
	Reshard    *ReshardResult    `json:"reshard,omitempty"`
	Policy     *PolicyResult     `json:"policy,omitempty"`
	Program    *ProgramResult    `json:"program,omitempty"`
	// Errors are failures of whole sections or steps, kept so a partial run still reports.
	Errors []string `json:"errors,omitempty"`
	// Earlier are the earlier runs whose sections this file kept (-merge).
	Earlier []RunInfo `json:"earlier,omitempty"`
}

// Machine describes where the numbers come from.
type Machine struct {
	NProc          int    `json:"nproc"`
	MemTotalBytes  int64  `json:"memTotalBytes"`
	Kernel         string `json:"kernel"`
	CPU            string `json:"cpu,omitempty"`
	Go             string `json:"go"`
	RedisServer    string `json:"redisServer"`
	RedisBenchmark string `json:"redisBenchmark"`
	// ValkeyServer is `valkey-server --version` (empty in results from before it was read).
	ValkeyServer string  `json:"valkeyServer,omitempty"`
	Pulumi       string  `json:"pulumi"`
	LoadAvgStart float64 `json:"loadAvgStart"`
	LoadAvgEnd   float64 `json:"loadAvgEnd"`
}

// ---- 1. throughput and latency

// BenchStat is one redis-benchmark test against one server: medians over rounds.
type BenchStat struct {
	RPS    float64   `json:"rps"`
	P50ms  float64   `json:"p50ms"`
	P99ms  float64   `json:"p99ms"`
	Rounds []float64 `json:"roundsRps"`
	// Engine is what the server reported it runs, e.g. "valkey 8.0.1" (INFO server; "...
	// (binary)" when read from its --version); empty in results from before it was recorded.
	Engine string `json:"engine,omitempty"`
}

// ThroughputRow is one test (SET or GET, pipelined or not, TLS or not) on both sides of one
// topology.
type ThroughputRow struct {
	// Topology is "node" (also when empty, in results from before clusters were measured) or
	// "cluster SxR" (redis-benchmark --cluster).
	Topology string `json:"topology,omitempty"`
	// Requests is redis-benchmark's -n for this row when it is not the section's (clusters).
	Requests int       `json:"requests,omitempty"`
	Test     string    `json:"test"`
	Pipeline int       `json:"pipeline"`
	TLS      bool      `json:"tls"`
	Ours     BenchStat `json:"ours"`
	Bare     BenchStat `json:"bare"`
	RatioRPS float64   `json:"ratioRps"`
	RatioP50 float64   `json:"ratioP50"`
	RatioP99 float64   `json:"ratioP99"`
}

type ThroughputResult struct {
	Requests int             `json:"requests"`
	Clients  int             `json:"clients"`
	Rounds   int             `json:"rounds"`
	Rows     []ThroughputRow `json:"rows"`
	Command  string          `json:"command"`
}

// ---- 1b. Valkey vs Redis

// EngineRow is one test against valkey-server and redis-server of the same shape.
type EngineRow struct {
	Topology string    `json:"topology"`
	Requests int       `json:"requests,omitempty"`
	Test     string    `json:"test"`
	Pipeline int       `json:"pipeline"`
	TLS      bool      `json:"tls"`
	Valkey   BenchStat `json:"valkey"`
	Redis    BenchStat `json:"redis"`
	// Ratios are valkey / redis.
	RatioRPS float64 `json:"ratioRps"`
	RatioP50 float64 `json:"ratioP50"`
	RatioP99 float64 `json:"ratioP99"`
}

type EnginesResult struct {
	Requests int `json:"requests"`
	Clients  int `json:"clients"`
	Rounds   int `json:"rounds"`
	// Valkey and Redis are the installed servers' --version ("valkey 8.0.1").
	Valkey  string      `json:"valkey"`
	Redis   string      `json:"redis"`
	Rows    []EngineRow `json:"rows"`
	Command string      `json:"command"`
}

// ---- 2. failover

// FailoverRep is one fault of a primary (kill -9, pause or partition; see FailoverCase.Fault).
type FailoverRep struct {
	// Seconds from the fault to the first write acknowledged by the new primary (a node other
	// than the one the fault hit).
	Seconds float64 `json:"seconds"`
	// NewPrimary is the address that acknowledged that write.
	NewPrimary string `json:"newPrimary,omitempty"`
	// Acked writes (SET answered OK) and those also acknowledged by a replica (WAIT 1 >= 1)
	// before the kill; the lost ones are missing after the failover.
	Acked         int `json:"acked"`
	AckedLost     int `json:"ackedLost"`
	WaitAcked     int `json:"waitAcked"`
	WaitAckedLost int `json:"waitAckedLost"`
	// FailedWrites are writes that got an error after the kill; FirstError is the first.
	FailedWrites int    `json:"failedWrites"`
	FirstError   string `json:"firstError,omitempty"`
	Error        string `json:"error,omitempty"`
}

// The failover setups: the engine alone, the engine with its controller (what the local
// stack runs), and the same shape configured with the shipped defaults, the reference.
const (
	SetupOurs        = "rediskit"
	SetupAutoRecover = "rediskit autoRecover"
	SetupReference   = "redis-defaults"
)

// FailoverCase is one setup (ours or Redis's shipped defaults) of one mode under one fault.
type FailoverCase struct {
	Mode  string `json:"mode"`  // replication | cluster
	Setup string `json:"setup"` // SetupOurs | SetupAutoRecover | SetupReference
	// Fault is FaultKill, FaultPause or FaultPartition ("" in results from before faults
	// other than kill -9 were measured: a kill).
	Fault string `json:"fault,omitempty"`
	// Schedule says what the fault does and for how long (see faultSchedule).
	Schedule string `json:"schedule,omitempty"`
	// Engine is what the setup's servers reported they run ("valkey 8.0.1").
	Engine   string        `json:"engine,omitempty"`
	Settings string        `json:"settings"`
	Reps     []FailoverRep `json:"reps"`
	Time     Summary       `json:"timeSeconds"`
	Lost     Summary       `json:"ackedLost"`
	WaitLost Summary       `json:"waitAckedLost"`
}

type FailoverResult struct {
	Repetitions int `json:"repetitions"`
	// Faults are the fault kinds run (empty in results from before: kill only).
	Faults []string `json:"faults,omitempty"`
	// TimingScale divides every failure-detection timeout of both sides (1 = the real defaults).
	TimingScale float64        `json:"timingScale"`
	Cases       []FailoverCase `json:"cases"`
	Command     string         `json:"command"`
	// EarlierCommands made the rows a run limited by -faults or -setups kept (see Merge).
	EarlierCommands []string `json:"earlierCommands,omitempty"`
}

// ---- 3. time to a healthy deployment

type DeployRow struct {
	Topology string    `json:"topology"` // 1x0, 1x2, 3x1
	Method   string    `json:"method"`   // engine | by-hand | provider
	Seconds  []float64 `json:"seconds"`
	Time     Summary   `json:"timeSeconds"`
	Note     string    `json:"note,omitempty"`
	// Engine is the server the row ran ("valkey 8.0.1", from the binary: the deployments are
	// gone when the row is written).
	Engine string `json:"engine,omitempty"`
}

type DeployResult struct {
	Repetitions int         `json:"repetitions"`
	Rows        []DeployRow `json:"rows"`
	Command     string      `json:"command"`
}

// ---- 4. online resharding

type ReshardRow struct {
	Method       string  `json:"method"` // engine-scale | redis-cli-rebalance
	Seconds      float64 `json:"seconds"`
	KeysMoved    int64   `json:"keysMoved"`
	KeysPerSec   float64 `json:"keysPerSecond"`
	SlotsMoved   int     `json:"slotsMoved"`
	WriterOps    int     `json:"writerOps"`
	WriterErrors int     `json:"writerErrors"`
	KeysAfter    int64   `json:"keysAfter"`
	Error        string  `json:"error,omitempty"`
	// Engine is the server the row ran ("valkey 8.0.1", from the binary).
	Engine string `json:"engine,omitempty"`
}

type ReshardResult struct {
	Keys    int          `json:"keys"`
	Rows    []ReshardRow `json:"rows"`
	Command string       `json:"command"`
}

// ---- 5. policy evaluation

type PolicyRow struct {
	Resources  int     `json:"resources"`
	Runs       int     `json:"runs"`
	Seconds    Summary `json:"timeSeconds"`
	PerResUs   float64 `json:"microsecondsPerResource"`
	Violations int     `json:"violations"`
}

type PreviewRow struct {
	WithoutPack []float64 `json:"withoutPackSeconds"`
	WithPack    []float64 `json:"withPackSeconds"`
	Without     Summary   `json:"without"`
	With        Summary   `json:"with"`
	Ratio       float64   `json:"ratio"`
	Error       string    `json:"error,omitempty"`
}

type PolicyResult struct {
	SourceStack string      `json:"sourceStack"`
	Rows        []PolicyRow `json:"rows"`
	Preview     *PreviewRow `json:"preview,omitempty"`
	Command     string      `json:"command"`
}

// ---- 6. program cost

type ProgramRow struct {
	Shards     int     `json:"shards"`
	Replicas   int     `json:"replicas"`
	Resources  int     `json:"resources"`
	Runs       int     `json:"runs"`
	Seconds    Summary `json:"timeSeconds"`
	AllocBytes float64 `json:"allocBytesMedian"`
	Mallocs    float64 `json:"mallocsMedian"`
	Error      string  `json:"error,omitempty"`
}

type ProgramResult struct {
	Stack   string       `json:"stack"`
	Rows    []ProgramRow `json:"rows"`
	Command string       `json:"command"`
}
