package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/rediskit/rediskit/paramgroup"
)

func TestParseServerVersion(t *testing.T) {
	for out, want := range map[string]string{
		"Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ae4d7c971a948f0":  "7.0",
		"Valkey server v=8.0.1 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=39f7c371e0a96e3d": "8.0",
	} {
		if got, err := ParseServerVersion(out); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %s", out, got, err, want)
		}
	}
	if _, err := ParseServerVersion("command not found"); err == nil {
		t.Error("no version accepted")
	}
}

// Every mode runs exactly the engine and version the deployment names, never a stand-in.
func TestRunsTheNamedEngine(t *testing.T) {
	requireRedis(t)
	for _, ev := range []struct {
		engine  paramgroup.Engine
		version string
	}{{paramgroup.Valkey, "8.0"}, {paramgroup.Redis, "7.0"}} {
		for _, mode := range []Mode{ModeSingle, ModeReplication, ModeCluster} {
			t.Run(string(ev.engine)+"-"+ev.version+"/"+string(mode), func(t *testing.T) {
				shards, replicas := 1, 0
				switch mode {
				case ModeReplication:
					replicas = 1
				case ModeCluster:
					shards, replicas = 3, 0
				}
				d := newDeployment(t, mode, shards, replicas)
				d.Name = "rk-id-" + string(mode)
				d.Engine, d.EngineVersion = ev.engine, ev.version
				e := Up(t, d)
				for _, n := range e.Plan.Nodes {
					eng, ver := ServerIdentity(NodeInfo(t, e, n, "server"))
					if eng != ev.engine || ver != ev.version {
						t.Errorf("%s runs %s %s, want %s %s", n.ID, eng, ver, ev.engine, ev.version)
					}
				}
			})
		}
	}
}

// A version this machine has no executable for is refused before anything starts, naming the
// field, the value and the versions it can run.
func TestRefusesAnEngineVersionItCannotRun(t *testing.T) {
	requireRedis(t)
	d := newDeployment(t, ModeSingle, 1, 0)
	d.EngineVersion = "7.1" // ElastiCache's Redis OSS 7.1; Debian ships 7.0
	_, err := NewChecked(t.Context(), d, NewLocalRunner())
	if err == nil {
		t.Fatal("redis 7.1 accepted on a machine with redis-server 7.0")
	}
	for _, want := range []string{"engineVersion: redis 7.1 is not allowed", "this machine can run", "redis 7.0", "valkey 8.0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if got := HostEngines(); len(got) < 2 {
		t.Errorf("HostEngines() = %v, want redis 7.0 and valkey 8.0 (make tools installs both)", got)
	}
}

// Valkey-only parameters of the valkey8 family work on the real Valkey 8.0 binary: set at
// creation, changed immediately, and valkey8's own defaults applied; the same parameter on a
// Redis 7.0 deployment (family redis7) is refused before anything starts, naming the field.
func TestValkeyOnlyParametersOnTheRealBinary(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeSingle, 1, 0)
	d.Name = "rk-valkey-params"
	d.Engine, d.EngineVersion = paramgroup.Valkey, "8.0"
	d.Parameters = map[string]string{"extended-redis-compatibility": "yes"}
	e := Up(t, d)
	n := e.Plan.Nodes[0]
	c := adminClient(e, n)
	defer c.Close()
	get := func(name string) string {
		t.Helper()
		v, err := c.ConfigGet(ctx, name).Result()
		if err != nil {
			t.Fatalf("CONFIG GET %s: %v", name, err)
		}
		return v[name]
	}
	if v := get("extended-redis-compatibility"); v != "yes" {
		t.Fatalf("extended-redis-compatibility = %q after creation, want yes", v)
	}
	if v := get("repl-backlog-size"); v != "10485760" {
		t.Errorf("repl-backlog-size = %q, want valkey8's default 10485760", v)
	}
	// With it on, Valkey answers INFO as Redis 7.2 does for clients that check.
	if info := NodeInfo(t, e, n, "server"); info["redis_version"] != "7.2.4" {
		t.Errorf("redis_version = %q with extended-redis-compatibility yes, want 7.2.4", info["redis_version"])
	}
	pending, err := e.ApplyParameters(ctx, map[string]string{"extended-redis-compatibility": "no"})
	if err != nil || len(pending) != 0 {
		t.Fatalf("ApplyParameters = %v, %v; want applied now", pending, err)
	}
	if v := get("extended-redis-compatibility"); v != "no" {
		t.Fatalf("extended-redis-compatibility = %q after the change, want no", v)
	}

	r := newDeployment(t, ModeSingle, 1, 0)
	r.Name = "rk-redis-params"
	r.Parameters = map[string]string{"extended-redis-compatibility": "yes"}
	_, err = New(r, NewLocalRunner())
	if err == nil || !strings.Contains(err.Error(), "extended-redis-compatibility") {
		t.Fatalf("a redis7 deployment with a Valkey-only parameter: %v, want a refusal naming it", err)
	}
}
