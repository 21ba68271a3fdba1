package selfhosted

import (
	"strings"
	"testing"

	"github.com/rediskit/rediskit/components/spec"
)

func resolved(t *testing.T, mode spec.Mode) spec.Cache {
	t.Helper()
	c, err := spec.Resolve(spec.Cache{Name: "rk-test", Mode: mode, Zones: []string{"a", "b", "c"}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The self-hosted settings are checked together by the provider's rules, each problem naming
// the cache field, its value and what is allowed.
func TestCheckNamesCacheFields(t *testing.T) {
	c := resolved(t, spec.ModeReplication)
	if ps := Check(&c); len(ps) != 0 {
		t.Fatalf("defaults: %v", ps)
	}
	c.SelfHosted.MetricsPort = 9121
	if ps := Check(&c); len(ps) != 0 {
		t.Fatalf("metricsPort 9121: %v", ps)
	}
	c.SelfHosted.Driver, c.SelfHosted.BasePort, c.SelfHosted.MetricsPort, c.SelfHosted.NodeMemoryMB = "podman", 80, 70000, 8
	c.SelfHosted.Persistence = "sometimes"
	var got []string
	for _, p := range Check(&c) {
		got = append(got, p.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`selfHosted.driver: "podman" is not allowed; process or docker`,
		"selfHosted.basePort: 80 is not allowed; 1024-",
		"selfHosted.metricsPort: 70000 is not allowed; 0 (no metrics endpoint) or 1024-65535",
		"selfHosted.nodeMemoryMb: 8 is not allowed; 0 (detect) or at least 32 MiB",
		`selfHosted.persistence: "sometimes" is not allowed; rdb, aof, rdb+aof or none`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in:\n%s", want, all)
		}
	}
	if len(got) != 5 {
		t.Errorf("want exactly 5 problems, got %d:\n%s", len(got), all)
	}
}

// Cluster mode needs room above the base port for every node's cluster bus port (+10000):
// one rule, the engine's, whichever side asks.
func TestCheckBasePortLeavesRoomForBusPorts(t *testing.T) {
	c := resolved(t, spec.ModeCluster)
	c.SelfHosted.BasePort = 60000 // accepted by the spec's own range before there was one rule
	ps := Check(&c)
	if len(ps) != 1 || ps[0].Field != "selfHosted.basePort" || !strings.Contains(ps[0].Allowed, "cluster bus port") {
		t.Fatalf("basePort 60000 in cluster mode: got %v, want one problem naming selfHosted.basePort", ps)
	}
	c.SelfHosted.BasePort = 7000
	if ps := Check(&c); len(ps) != 0 {
		t.Fatalf("basePort 7000: %v", ps)
	}
}

func TestCheckRefusesServerless(t *testing.T) {
	c := resolved(t, spec.ModeServerless)
	var fields []string
	for _, p := range Check(&c) {
		fields = append(fields, p.String())
	}
	if !strings.Contains(strings.Join(fields, "\n"), `mode: "serverless" is not allowed`) {
		t.Fatalf("serverless on the self-hosted target: %v", fields)
	}
}
