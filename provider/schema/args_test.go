package schema

import (
	"strings"
	"testing"
)

func validArgs() DeploymentArgs {
	return DeploymentArgs{Name: "rk", Mode: "single", Engine: "redis", EngineVersion: "7.0", AuthMode: "token",
		Persistence: "rdb", Driver: "process", Host: "127.0.0.1", BasePort: 7000, DataDir: "/tmp/rk-args", Zones: []string{"a"}}
}

// A Deployment declared directly gets every bad input named, with its value and what is allowed.
func TestValidateNamesEachBadInput(t *testing.T) {
	if ps := Validate(validArgs()); len(ps) != 0 {
		t.Fatalf("valid args: %v", ps)
	}
	a := validArgs()
	a.MetricsPort, a.Driver, a.TokenUpdateStrategy = 80, "podman", "swap"
	var got []string
	for _, p := range Validate(a) {
		got = append(got, p.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"metricsPort: 80 is not allowed; 0 (no metrics endpoint) or 1024-65535",
		`driver: "podman" is not allowed; process or docker`,
		`tokenUpdateStrategy: "swap" is not allowed; rotate (old and new token valid) or set (only the new one)`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in:\n%s", want, all)
		}
	}
}

// An unknown persistence value is refused by name; it used to mean neither RDB nor AOF.
func TestPersistence(t *testing.T) {
	for in, want := range map[string][2]bool{"none": {false, false}, "rdb": {true, false}, "aof": {false, true}, "rdb+aof": {true, true}} {
		a := validArgs()
		a.Persistence = in
		if ps := Validate(a); len(ps) != 0 {
			t.Errorf("%s: %v", in, ps)
		}
		p := ToEngine(a, Secrets{}, Placement{}).Persistence
		if p.RDB != want[0] || p.AOF != want[1] {
			t.Errorf("%s: engine persistence %+v", in, p)
		}
	}
	a := validArgs()
	a.Persistence = "sometimes"
	ps := Validate(a)
	if len(ps) != 1 || ps[0].String() != `persistence: "sometimes" is not allowed; rdb, aof, rdb+aof or none` {
		t.Fatalf("got %v", ps)
	}
}
