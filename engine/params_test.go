package engine

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestApplyParameters(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeReplication, 1, 1)
	d.Name = "rk-params"
	e := Up(t, d)

	get := func(n *Node, name string) string {
		t.Helper()
		c := adminClient(e, n)
		defer c.Close()
		v, err := c.ConfigGet(ctx, name).Result()
		if err != nil {
			t.Fatal(err)
		}
		return v[name]
	}

	t.Run("an invalid group changes nothing", func(t *testing.T) {
		_, err := e.ApplyParameters(ctx, map[string]string{"maxmemory-policy": "allkeys-lru", "maxmemory-samples": "0"})
		if err == nil || !strings.Contains(err.Error(), `parameters.maxmemory-samples: "0" is not allowed; an integer from 1 to 64`) {
			t.Fatalf("want the schema's error, got %v", err)
		}
		if got := get(e.Plan.Nodes[0], "maxmemory-policy"); got != "volatile-lru" {
			t.Fatalf("maxmemory-policy changed to %s", got)
		}
	})

	pending, err := e.ApplyParameters(ctx, map[string]string{
		"maxmemory-policy":                             "allkeys-lru",
		"reserved-memory-percent":                      "50",
		"client-output-buffer-limit-pubsub-hard-limit": "67108864",
		"activerehashing":                              "no",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(pending, []string{"activerehashing"}) {
		t.Fatalf("pending %v, want [activerehashing]", pending)
	}
	for _, n := range e.Plan.Nodes { // immediately, on every node
		for name, want := range map[string]string{
			"maxmemory-policy": "allkeys-lru", "maxmemory": "134217728", "activerehashing": "yes",
		} {
			if got := get(n, name); got != want {
				t.Errorf("%s on %s = %s, want %s", name, n.ID, got, want)
			}
		}
		if got := get(n, "client-output-buffer-limit"); !strings.Contains(got, "pubsub 67108864 8388608 60") {
			t.Errorf("client-output-buffer-limit on %s = %s", n.ID, got)
		}
	}

	// A restart applies the pending one (and keeps the immediate ones).
	rep := e.Plan.Nodes[1]
	if err := e.StopNode(ctx, rep.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.StartNode(ctx, rep.ID); err != nil {
		t.Fatal(err)
	}
	if got := get(rep, "activerehashing"); got != "no" {
		t.Fatalf("activerehashing after restart = %s", got)
	}
	if got := get(rep, "maxmemory-policy"); got != "allkeys-lru" {
		t.Fatalf("maxmemory-policy after restart = %s", got)
	}
}
