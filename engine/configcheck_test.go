package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The schema allows what ElastiCache documents; these binaries refuse more (a timeout over
// 2^31-1). The refusal is read from the binary itself, named by field, before anything starts.
func TestConfigRejectedByTheBinary(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	r := NewLocalRunner()
	for _, prog := range []string{"redis-server", "valkey-server"} {
		out, err := r.TestConfig(ctx, prog, []byte("port 0\nsave \"\"\ntimeout 9999999999\n"))
		if err != nil {
			t.Fatalf("%s: %v", prog, err)
		}
		rej := parseConfigRejection(out)
		if rej == nil || rej.Directive != "timeout" || rej.Value != "9999999999" || !strings.Contains(rej.Reason, "2147483647") || rej.Server == "" {
			t.Fatalf("%s: rejection %+v from:\n%s", prog, rej, out)
		}
		out, err = r.TestConfig(ctx, prog, []byte("port 0\nsave \"\"\ntimeout 300\n"))
		if err != nil || parseConfigRejection(out) != nil {
			t.Fatalf("%s refuses a valid configuration (%v):\n%s", prog, err, out)
		}
	}
}

func TestCreateAndApplyRefuseWhatTheBinaryRefuses(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeSingle, 1, 0)
	d.Name = "rk-refused"
	d.Parameters = map[string]string{"timeout": "9999999999"}
	e, err := New(d, NewLocalRunner())
	if err != nil {
		t.Fatalf("the schema takes timeout 9999999999 (ElastiCache's range), so the binary must be asked: %v", err)
	}
	err = e.Up(ctx)
	var rej *ConfigRejection
	if !errors.As(err, &rej) || rej.Field != "parameters.timeout" || !strings.Contains(err.Error(), `"9999999999"`) {
		t.Fatalf("Up = %v, want a rejection of parameters.timeout", err)
	}
	n := e.Plan.Nodes[0]
	if e.Runner.Running(n.ID) || e.Created() {
		t.Fatal("a node started or the deployment was recorded after the refusal")
	}
	if _, err := os.Stat(filepath.Join(n.Dir, RedisConfFile)); !os.IsNotExist(err) {
		t.Fatalf("the refused deployment wrote its node's configuration: %v", err)
	}

	d.Parameters = nil
	e = Up(t, d)
	if _, err := e.ApplyParameters(ctx, map[string]string{"timeout": "9999999999"}); !errors.As(err, &rej) || rej.Field != "parameters.timeout" {
		t.Fatalf("ApplyParameters = %v, want a rejection of parameters.timeout", err)
	}
	c := adminClient(e, n)
	defer c.Close()
	if v, err := c.ConfigGet(ctx, "timeout").Result(); err != nil || v["timeout"] != "0" {
		t.Fatalf("timeout after the refused change: %v %v", v, err)
	}
	if e.Plan.Deployment.Parameters["timeout"] != "" {
		t.Fatalf("the refused group replaced the plan's: %v", e.Plan.Deployment.Parameters)
	}
}
