package test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/redis/go-redis/v9"
	"gopkg.in/yaml.v3"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/infra/deploy"
	"github.com/rediskit/rediskit/paramgroup"
)

// stackCache reads a stack file's rediskit:cache block.
func stackCache(t *testing.T, stack string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "stacks", "Pulumi."+stack+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	c, ok := f.Config["rediskit:cache"].(map[string]any)
	if !ok {
		t.Fatalf("stack %s has no rediskit:cache block", stack)
	}
	return c
}

func intOr(v any, def int) int {
	if n, ok := v.(int); ok {
		return n
	}
	return def
}

// TestAWSStacksSelfHosted flips each AWS stack to the self-hosted target, changing nothing but
// the target and where the nodes listen, and deploys it: every node runs the stack's engine and
// version, in the stack's mode and shape.
func TestAWSStacksSelfHosted(t *testing.T) {
	for i, stack := range []string{"dev", "staging", "prod"} {
		t.Run(stack, func(t *testing.T) {
			workDir, dataDir := e2e(t)
			cache := stackCache(t, stack)
			cache["selfHosted"] = map[string]any{"driver": "process", "basePort": 7800 + 40*i, "dataDir": dataDir}
			raw, err := json.Marshal(cache)
			if err != nil {
				t.Fatal(err)
			}
			o := deploy.Options{Root: "..", Stack: stack, StateDir: filepath.Join(workDir, "state"),
				Config:   map[string]string{"rediskit:target": "selfhosted", "rediskit:cache": string(raw)},
				Progress: testWriter{t}}
			ctx := context.Background()
			defer Destroy(t, ctx, o, dataDir, false)
			d := Up(t, ctx, o)

			wantEngine, wantVersion := paramgroup.Engine(cache["engine"].(string)), cache["engineVersion"].(string)
			mode := cache["mode"].(string)
			shards, replicas := 1, intOr(cache["replicas"], 0)
			switch mode {
			case "single":
				replicas = 0
			case "cluster":
				shards = intOr(cache["shards"], 3)
			}
			if len(d.Nodes) != shards*(1+replicas) {
				t.Errorf("%s: %d nodes, want %d shard(s) x (1 + %d replicas)", stack, len(d.Nodes), shards, replicas)
			}
			primaries := 0
			tc, err := TLSConfigE(d.CAFile)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range d.Nodes {
				if n.Role == "primary" {
					primaries++
				}
				c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("%s:%d", n.Host, n.Port), Username: d.User, Password: d.Token, TLSConfig: tc})
				info, err := engine.Info(ctx, c, "server")
				c.Close()
				if err != nil {
					t.Fatalf("INFO server of %s: %v", n.ID, err)
				}
				if e, v := engine.ServerIdentity(info); e != wantEngine || v != wantVersion {
					t.Errorf("%s: node %s runs %s %s, the stack names %s %s", stack, n.ID, e, v, wantEngine, wantVersion)
				}
			}
			if primaries != shards {
				t.Errorf("%s: %d primaries, want %d", stack, primaries, shards)
			}
			if mode == "replication" && len(d.Sentinels) < 3 {
				t.Errorf("%s: %d sentinels, want at least 3", stack, len(d.Sentinels))
			}
		})
	}
}
