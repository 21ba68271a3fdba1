package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/rediskit/rediskit/infra/plan"
	"github.com/rediskit/rediskit/infra/program"
	"github.com/rediskit/rediskit/policies"
	"github.com/rediskit/rediskit/policies/fromplan"
)

// ReplicateStack returns a stack of exactly n resources made of copies of base's resources
// (copy i > 0 gets "-i" appended to names, URNs, parents and dependencies), as a plan of a
// larger program would look.
func ReplicateStack(base *policies.Stack, n int) *policies.Stack {
	s := &policies.Stack{Name: base.Name, Project: base.Project, Config: base.Config, Tags: base.Tags}
	if len(base.Resources) == 0 {
		return s
	}
	for i := 0; len(s.Resources) < n; i++ {
		suffix := ""
		if i > 0 {
			suffix = "-" + strconv.Itoa(i)
		}
		for _, r := range base.Resources {
			if len(s.Resources) == n {
				break
			}
			c := r
			c.Name += suffix
			c.URN += suffix
			if c.Parent != "" {
				c.Parent += suffix
			}
			if len(r.DependsOn) > 0 {
				c.DependsOn = make([]string, len(r.DependsOn))
				for k, d := range r.DependsOn {
					c.DependsOn[k] = d + suffix
				}
			}
			s.Resources = append(s.Resources, c)
		}
	}
	return s
}

// Policy times policies.Evaluate on offline plans of the given sizes and, when asked, a
// preview of the local stack with and without the pack.
func Policy(ctx context.Context, cfg *Config, logf func(string, ...any)) (*PolicyResult, error) {
	res := &PolicyResult{SourceStack: "prod"}
	p, err := plan.Stack(cfg.Root, "prod")
	if err != nil {
		return res, err
	}
	stackCfg, _, _, err := plan.StackConfig(cfg.Root, "prod")
	if err != nil {
		return res, err
	}
	base := fromplan.Stack(p, stackCfg)
	pc := policies.DefaultConfig()
	for _, n := range cfg.PolicySizes {
		s := ReplicateStack(base, n)
		var secs []float64
		var viol int
		deadline := time.Now().Add(cfg.PolicyBudget)
		for run := 0; run < cfg.PolicyRuns && (run < 3 || time.Now().Before(deadline)); run++ {
			start := time.Now()
			v := policies.Evaluate(s, pc)
			secs = append(secs, time.Since(start).Seconds())
			viol = len(v)
		}
		row := PolicyRow{Resources: len(s.Resources), Runs: len(secs), Seconds: Summarize(secs), Violations: viol}
		row.PerResUs = row.Seconds.Median / float64(max(row.Resources, 1)) * 1e6
		logf("policy %d resources: median %.4fs over %d runs", row.Resources, row.Seconds.Median, row.Runs)
		res.Rows = append(res.Rows, row)
	}
	if cfg.Preview {
		pr, err := previewOverhead(ctx, cfg, logf)
		res.Preview = pr
		if err != nil {
			pr.Error = errString(err)
			return res, fmt.Errorf("preview: %w", err)
		}
	}
	return res, nil
}

// previewOverhead times `pulumi preview` of the local stack (inline program, the real
// rediskit provider from bin/) with and without the pack (bin/rediskit-policy), alternating.
func previewOverhead(ctx context.Context, cfg *Config, logf func(string, ...any)) (*PreviewRow, error) {
	pr := &PreviewRow{}
	bin := filepath.Join(cfg.Root, "bin")
	for _, f := range []string{"pulumi", "pulumi-resource-rediskit", "rediskit-policy"} {
		if _, err := os.Stat(filepath.Join(bin, f)); err != nil {
			return pr, fmt.Errorf("bin/%s missing (make pulumi-cli provider policy-pack): %w", f, err)
		}
	}
	dir := filepath.Join(cfg.WorkDir, "preview")
	for _, d := range []string{"home", "state"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return pr, err
		}
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: cfg.Root, SkipVersionCheck: true})
	if err != nil {
		return pr, err
	}
	proj := workspace.Project{Name: "rediskit", Runtime: workspace.NewProjectRuntimeInfo("go", nil),
		Plugins: &workspace.Plugins{Providers: []workspace.PluginOptions{{Name: "rediskit", Path: bin}}}}
	st, err := auto.UpsertStackInlineSource(ctx, "local", "rediskit", program.Run,
		auto.Pulumi(cmd), auto.PulumiHome(filepath.Join(dir, "home")), auto.Project(proj), auto.WorkDir(dir),
		auto.EnvVars(map[string]string{
			"PULUMI_BACKEND_URL":                          "file://" + filepath.Join(dir, "state"),
			"PULUMI_CONFIG_PASSPHRASE":                    "bench",
			"PULUMI_SKIP_UPDATE_CHECK":                    "1",
			"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "1",
		}))
	if err != nil {
		return pr, fmt.Errorf("creating the preview stack: %w", err)
	}
	stackCfg, secrets, _, err := plan.StackConfig(cfg.Root, "local")
	if err != nil {
		return pr, err
	}
	var cache map[string]any
	if err := json.Unmarshal([]byte(stackCfg["rediskit:cache"]), &cache); err == nil {
		// Keep the previewed ports in our range (a preview starts nothing, but say so).
		if sh, ok := cache["selfHosted"].(map[string]any); ok {
			sh["basePort"] = 8900
		}
		b, _ := json.Marshal(cache)
		stackCfg["rediskit:cache"] = string(b)
	}
	cm := auto.ConfigMap{}
	for k, v := range stackCfg {
		cm[k] = auto.ConfigValue{Value: v, Secret: slices.Contains(secrets, k)}
	}
	if err := st.SetAllConfig(ctx, cm); err != nil {
		return pr, err
	}
	pack := filepath.Join(bin, "rediskit-policy")
	// One untimed preview warms the plugin cache and the state backend.
	if _, err := st.Preview(ctx); err != nil {
		return pr, fmt.Errorf("warm-up preview: %w", err)
	}
	var errs []error
	for rep := 0; rep < cfg.PreviewReps; rep++ {
		for _, with := range []bool{false, true} {
			var opts []optpreview.Option
			if with {
				opts = append(opts, optpreview.PolicyPacks(pack))
			}
			start := time.Now()
			_, err := st.Preview(ctx, opts...)
			d := time.Since(start).Seconds()
			if err != nil {
				errs = append(errs, fmt.Errorf("preview (pack %v): %s", with, strings.TrimSpace(errString(err))))
				continue
			}
			if with {
				pr.WithPack = append(pr.WithPack, d)
			} else {
				pr.WithoutPack = append(pr.WithoutPack, d)
			}
		}
		logf("preview rep %d done", rep+1)
	}
	pr.Without, pr.With = Summarize(pr.WithoutPack), Summarize(pr.WithPack)
	pr.Ratio = Ratio(pr.With.Median, pr.Without.Median)
	return pr, errors.Join(errs...)
}
