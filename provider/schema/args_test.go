package selfhosted

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
