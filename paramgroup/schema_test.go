package paramgroup

import (
	"strings"
	"testing"

	"github.com/rediskit/rediskit/internal/validate"
)

func TestSchemaCoversEveryFamily(t *testing.T) {
	for _, f := range Families() {
		s := Schema(f)
		if len(s) < 40 {
			t.Fatalf("%s: only %d parameters", f, len(s))
		}
		for n, p := range s {
			if p.Name != n {
				t.Errorf("%s: %s registered under %q", f, p.Name, n)
			}
			if p.Apply != ApplyImmediate && p.Apply != ApplyRestart {
				t.Errorf("%s/%s: apply %q", f, n, p.Apply)
			}
			// Every default must pass its own check, or Effective would produce bad configs.
			if msg := checkValue(p, p.Default, true); msg != "" {
				t.Errorf("%s/%s: default %q invalid: %s", f, n, p.Default, msg)
			}
		}
	}
	if Schema("redis6") != nil {
		t.Fatal("redis6 is not a supported family")
	}
}

func TestElastiCacheDefaults(t *testing.T) {
	eff := Effective(Valkey8, nil, false)
	for name, want := range map[string]string{
		"maxmemory-policy":              "volatile-lru",
		"reserved-memory-percent":       "25",
		"cluster-enabled":               "no",
		"cluster-require-full-coverage": "no",
		"maxmemory-samples":             "3",
		"tcp-keepalive":                 "300",
	} {
		if eff[name] != want {
			t.Errorf("%s = %q, want %q", name, eff[name], want)
		}
	}
	if Effective(Redis7, nil, true)["cluster-enabled"] != "yes" {
		t.Fatal("cluster mode must set cluster-enabled yes")
	}
	eff = Effective(Redis7, map[string]string{"maxmemory-policy": "allkeys-lru"}, false)
	if eff["maxmemory-policy"] != "allkeys-lru" {
		t.Fatal("user value must override the default")
	}
}

func TestValidateAcceptsGoodGroup(t *testing.T) {
	good := map[string]string{
		"maxmemory-policy":              "allkeys-lfu",
		"timeout":                       "300",
		"notify-keyspace-events":        "Ex",
		"reserved-memory-percent":       "10",
		"activedefrag":                  "yes",
		"active-defrag-cycle-max":       "50",
		"client-query-buffer-limit":     "512mb",
		"cluster-require-full-coverage": "yes",
		"slowlog-log-slower-than":       "-1",
	}
	if ps := Validate(Redis7, good); len(ps) != 0 {
		t.Fatalf("unexpected problems: %v", ps)
	}
}

func TestValidateCollectsEveryProblem(t *testing.T) {
	bad := map[string]string{
		"maxmemory-policy":         "lru",
		"maxmemory_samples":        "5",
		"cluster-enabled":          "yes",
		"timeout":                  "soon",
		"reserved-memory-percent":  "101",
		"activedefrag":             "true",
		"notify-keyspace-events":   "Q",
		"hash-max-ziplist-entries": "128",
		"maxclients":               "10",
		"no-such-thing":            "1",
		"repl-backlog-size":        "1k",
	}
	ps := Validate(Valkey7, bad)
	got := map[string]validate.Problem{}
	for _, p := range ps {
		got[p.Field] = p
	}
	if len(got) != len(bad) {
		t.Fatalf("want %d problems, got %d: %v", len(bad), len(ps), ps)
	}
	pe := validate.Problems{What: "parameter group", List: ps}
	msg := pe.Err().Error()
	for _, want := range []string{
		`parameters.maxmemory-policy: "lru" is not allowed; one of volatile-lru`,
		`did you mean "maxmemory-samples"?`,
		`parameters.cluster-enabled: "yes" is not allowed; remove it: it is set from the deployment mode`,
		`parameters.timeout: "soon" is not allowed; an integer >= 0`,
		`parameters.reserved-memory-percent: "101" is not allowed; an integer from 0 to 100`,
		`parameters.activedefrag: "true" is not allowed; yes or no`,
		`did you mean "hash-max-listpack-entries"?`,
		`parameters.maxclients: "10" is not allowed; remove it: it is not modifiable on ElastiCache`,
		`"no-such-thing" is not a parameter of family valkey7`,
		`parameters.repl-backlog-size: "1k" is not allowed; a size in bytes`,
		`parameters.notify-keyspace-events: "Q"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error text lacks %q:\n%s", want, msg)
		}
	}
}

func TestValidateUnknownFamily(t *testing.T) {
	ps := Validate("memcached1.6", map[string]string{"timeout": "0"})
	if len(ps) != 1 || ps[0].Field != "family" {
		t.Fatalf("got %v", ps)
	}
}

func TestFamilySpecificParameters(t *testing.T) {
	p := map[string]string{"extended-redis-compatibility": "no"}
	if ps := Validate(Valkey8, p); len(ps) != 0 {
		t.Fatalf("valkey8: %v", ps)
	}
	if ps := Validate(Redis7, p); len(ps) != 1 {
		t.Fatalf("redis7 must reject extended-redis-compatibility, got %v", ps)
	}
}

func TestParseMemory(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1024": 1024, "1k": 1000, "1kb": 1024, "2mb": 2 << 20, "1gb": 1 << 30, "3G": 3e9} {
		got, err := ParseMemory(in)
		if err != nil || got != want {
			t.Errorf("ParseMemory(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "lots", "1tb"} {
		if _, err := ParseMemory(in); err == nil {
			t.Errorf("ParseMemory(%q) accepted", in)
		}
	}
}
