package bench

import (
	"encoding/json"
	"fmt"
	"runtime"
	"time"

	"github.com/rediskit/rediskit/infra/plan"
	"github.com/rediskit/rediskit/infra/program"
	"github.com/rediskit/rediskit/internal/pulumitest"
)

// ProgramCost runs the prod program (infra/program.Run) under the SDK's mocks at each shard
// count and records time and allocations (runtime.MemStats deltas) per run.
func ProgramCost(cfg *Config, logf func(string, ...any)) (*ProgramResult, error) {
	res := &ProgramResult{Stack: "prod"}
	stackCfg, secrets, _, err := plan.StackConfig(cfg.Root, "prod")
	if err != nil {
		return res, err
	}
	var cache map[string]any
	if err := json.Unmarshal([]byte(stackCfg["rediskit:cache"]), &cache); err != nil {
		return res, err
	}
	var firstErr error
	for _, shards := range cfg.ProgramShards {
		c := map[string]any{}
		for k, v := range cache {
			c[k] = v
		}
		c["shards"] = shards
		replicas := 2
		if r, ok := cache["replicas"].(float64); ok {
			replicas = int(r)
		}
		// ElastiCache's node quota is at most 500 per cluster; above it the program would
		// rightly refuse, so large shard counts keep fewer replicas.
		for shards*(1+replicas) > 500 && replicas > 0 {
			replicas--
		}
		c["replicas"] = replicas
		c["nodeQuota"] = 500
		b, _ := json.Marshal(c)
		sc := map[string]string{}
		for k, v := range stackCfg {
			sc[k] = v
		}
		sc["rediskit:cache"] = string(b)
		row := ProgramRow{Shards: shards, Replicas: replicas}
		var secs, allocs, mallocs []float64
		deadline := time.Now().Add(cfg.ProgramBudget)
		for run := 0; run < cfg.ProgramRuns && (run < 2 || time.Now().Before(deadline)); run++ {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			m, err := pulumitest.RunStackE(program.Run, "prod", sc, secrets)
			d := time.Since(start)
			runtime.ReadMemStats(&after)
			if err != nil {
				row.Error = errString(err)
				if firstErr == nil {
					firstErr = fmt.Errorf("program at %d shards: %w", shards, err)
				}
				break
			}
			row.Resources = len(m.All)
			secs = append(secs, d.Seconds())
			allocs = append(allocs, float64(after.TotalAlloc-before.TotalAlloc))
			mallocs = append(mallocs, float64(after.Mallocs-before.Mallocs))
		}
		row.Runs = len(secs)
		row.Seconds = Summarize(secs)
		row.AllocBytes, row.Mallocs = Median(allocs), Median(mallocs)
		if len(secs) == 0 {
			row.AllocBytes, row.Mallocs = 0, 0
		}
		logf("program %d shards: %d resources, median %.3fs, %.1f MB allocated", shards, row.Resources, row.Seconds.Median, row.AllocBytes/1e6)
		res.Rows = append(res.Rows, row)
	}
	return res, firstErr
}
