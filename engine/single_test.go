package engine

import (
	"context"
	"strings"
	"testing"
)

func TestSingleNode(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeSingle, 1, 0)
	d.Parameters = map[string]string{"maxmemory-policy": "allkeys-lfu", "notify-keyspace-events": "Ex", "appendfsync": "always"}
	// AOF fsynced at every write: an acknowledged write survives a kill -9.
	d.Persistence = Persistence{RDB: true, AOF: true}
	e := Up(t, d)
	n := e.Plan.Nodes[0]

	app := appClient(e, n)
	defer app.Close()
	if err := app.Set(ctx, "greeting", "hello", 0).Err(); err != nil {
		t.Fatalf("SET as app user: %v", err)
	}
	if v, err := app.Get(ctx, "greeting").Result(); err != nil || v != "hello" {
		t.Fatalf("GET = %q, %v", v, err)
	}

	t.Run("restricted commands denied to the app user", func(t *testing.T) {
		adm := adminClient(e, n)
		defer adm.Close()
		assertRestrictedDenied(t, app, adm)
	})

	t.Run("default user disabled", func(t *testing.T) {
		anon := clientFor(e, n, "", "")
		defer anon.Close()
		err := anon.Get(ctx, "greeting").Err()
		if err == nil || !strings.Contains(err.Error(), "NOAUTH") {
			t.Fatalf("unauthenticated GET: want NOAUTH, got %v", err)
		}
		bad := clientFor(e, n, "app", "wrong-token-0123456789")
		defer bad.Close()
		if err := bad.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
			t.Fatalf("wrong token: want WRONGPASS, got %v", err)
		}
	})

	t.Run("parameter group and ElastiCache memory applied", func(t *testing.T) {
		adm := adminClient(e, n)
		defer adm.Close()
		cfg, err := adm.ConfigGet(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"maxmemory-policy":       "allkeys-lfu",
			"notify-keyspace-events": "xE",
			"maxmemory":              "201326592", // 256 MiB minus ElastiCache's 25% reserve
			"maxmemory-samples":      "3",
			"tcp-keepalive":          "300",
			"cluster-enabled":        "no",
		}
		for k, v := range want {
			if cfg[k] != v {
				t.Errorf("CONFIG GET %s = %q, want %q", k, cfg[k], v)
			}
		}
	})

	t.Run("a full restart after kill -9 keeps the data", func(t *testing.T) {
		if err := e.Kill(); err != nil {
			t.Fatal(err)
		}
		if e.Runner.Running(n.ID) {
			t.Fatal("node still running after kill")
		}
		if err := e.Up(ctx); err != nil {
			t.Fatal(err)
		}
		if v, err := app.Get(ctx, "greeting").Result(); err != nil || v != "hello" {
			t.Fatalf("after restart GET = %q, %v", v, err)
		}
	})
}
