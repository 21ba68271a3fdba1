package paramgroup

import (
	"strings"
	"testing"
)

// These tests pin the facts of AWS's "Engine specific parameters" page, family by family.

func TestValkey9Family(t *testing.T) {
	for _, v := range []string{"9.0", "9.1"} {
		if f, err := FamilyFor(Valkey, v); err != nil || f != Valkey9 {
			t.Errorf("valkey %s: family %q, %v; want valkey9", v, f, err)
		}
	}
	s := Schema(Valkey9)
	cd, ok := s["cluster-databases"]
	if !ok || cd.Modifiable || cd.Default != "0" {
		t.Fatalf("valkey9 cluster-databases = %+v, want fixed with default 0", cd)
	}
	// valkey9 starts with everything valkey8 gained up to 8.2.
	if ps := ValidateFor(ElastiCache, Valkey9, "9.0", map[string]string{"commandlog-large-reply-max-len": "256", "search-default-timeout-ms": "1000"}); len(ps) != 0 {
		t.Fatalf("valkey 9.0: %v", ps)
	}
	// A new default major would move unpinned caches to another family.
	if DefaultVersion(Valkey) != "8.2" || DefaultVersion(Redis) != "7.1" {
		t.Fatalf("default versions %s/%s", DefaultVersion(Valkey), DefaultVersion(Redis))
	}
}

func TestDefaultsAsAWSDocumentsThem(t *testing.T) {
	for _, tc := range []struct {
		f          Family
		name, want string
	}{
		{Redis7, "hash-max-listpack-entries", "512"},
		{Valkey8, "hash-max-listpack-entries", "512"},
		{Redis7, "latency-tracking", "no"},
		{Valkey9, "latency-tracking", "no"},
		{Redis7, "active-defrag-cycle-min", "25"},
		{Redis7, "repl-backlog-size", "1048576"},
		{Valkey7, "repl-backlog-size", "1048576"},
		{Valkey8, "repl-backlog-size", "10485760"},
		{Valkey9, "repl-backlog-size", "10485760"},
		{Redis7, "acl-pubsub-default", "allchannels"},
		{Redis7, "cluster-preferred-endpoint-type", "tls-dynamic"},
		{Valkey8, "extended-redis-compatibility", "yes"},
	} {
		if got := Schema(tc.f)[tc.name].Default; got != tc.want {
			t.Errorf("%s %s default %q, want %q", tc.f, tc.name, got, tc.want)
		}
	}
}

func TestNotModifiableOnElastiCache(t *testing.T) {
	for _, f := range Families() {
		for _, n := range []string{"activerehashing", "appendonly", "appendfsync"} {
			ps := ValidateFor(ElastiCache, f, "", map[string]string{n: "no"})
			if len(ps) != 1 || !strings.Contains(ps[0].Allowed, "not modifiable on ElastiCache") {
				t.Errorf("%s %s on ElastiCache: %v", f, n, ps)
			}
		}
	}
	if ps := ValidateFor(ElastiCache, Redis7, "7.1", map[string]string{"replica-lazy-flush": "no"}); len(ps) != 1 {
		t.Errorf("redis7 replica-lazy-flush must be refused: %v", ps)
	}
	// The engine runs its own AOF and restarts its own nodes: it honours these.
	if ps := Validate(Valkey8, map[string]string{"activerehashing": "no", "appendfsync": "always"}); len(ps) != 0 {
		t.Errorf("self-hosted: %v", ps)
	}
	// databases: modifiable while the group is attached to no cluster, i.e. at creation.
	if ps := ValidateFor(ElastiCache, Valkey8, "8.2", map[string]string{"databases": "32"}); len(ps) != 0 {
		t.Errorf("databases: %v", ps)
	}
}

func TestValkey8RemovedParameters(t *testing.T) {
	gone := []string{"lazyfree-lazy-eviction", "lazyfree-lazy-expire", "lazyfree-lazy-server-del", "lazyfree-lazy-user-del", "replica-lazy-flush"}
	for _, f := range []Family{Valkey8, Valkey9} {
		for _, n := range gone {
			if _, ok := Schema(f)[n]; ok {
				t.Errorf("%s still lists %s", f, n)
			}
		}
	}
	for _, n := range gone {
		if _, ok := Schema(Redis7)[n]; !ok {
			t.Errorf("redis7 lacks %s", n)
		}
	}
}

func TestRangesAWSEnforces(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		ok          bool
	}{
		{"active-defrag-ignore-bytes", "1048576", false},
		{"active-defrag-ignore-bytes", "10485760", true},
		{"active-defrag-ignore-bytes", "104857601", false},
		{"client-query-buffer-limit", "1073741824", true},
		{"client-query-buffer-limit", "2147483648", false},
		{"client-query-buffer-limit", "1gb", false}, // ElastiCache takes integers only
		{"proto-max-bulk-len", "536870912", true},
		{"proto-max-bulk-len", "1073741824", false},
		{"lfu-log-factor", "0", false},
		{"lfu-log-factor", "1", true},
		{"timeout", "0", true},
		{"timeout", "10", false},
		{"timeout", "20", true},
		{"rename-commands", "KEYS mykeys FLUSHALL wipe", true},
		{"rename-commands", "CONFIG cfg", false},
		{"rename-commands", "KEYS", false},
	} {
		ps := ValidateFor(ElastiCache, Redis7, "7.1", map[string]string{tc.name: tc.value})
		if (len(ps) == 0) != tc.ok {
			t.Errorf("%s=%s: problems %v, want ok=%v", tc.name, tc.value, ps, tc.ok)
		}
	}
}

func TestParametersAWSLists(t *testing.T) {
	ok := func(f Family, version string, p map[string]string) {
		t.Helper()
		if ps := ValidateFor(ElastiCache, f, version, p); len(ps) != 0 {
			t.Errorf("%s %s %v refused: %v", f, version, p, ps)
		}
	}
	refused := func(f Family, version string, p map[string]string, why string) {
		t.Helper()
		ps := ValidateFor(ElastiCache, f, version, p)
		if len(ps) != 1 || !strings.Contains(ps[0].Allowed, why) {
			t.Errorf("%s %s %v: %v, want one problem with %q", f, version, p, ps, why)
		}
	}
	ok(Redis7, "7.1", map[string]string{"cluster-preferred-endpoint-type": "ip", "acl-pubsub-default": "resetchannels"})
	ok(Valkey8, "8.0", map[string]string{"extended-redis-compatibility": "no"})
	ok(Valkey8, "8.1", map[string]string{"commandlog-request-larger-than": "2097152", "commandlog-large-request-max-len": "512",
		"commandlog-reply-larger-than": "2097152", "commandlog-large-reply-max-len": "1024"})
	ok(Valkey8, "8.2", map[string]string{"search-fanout-target-mode": "throughput", "search-default-timeout-ms": "60000", "search-enable-partial-results": "no"})
	refused(Valkey8, "8.0", map[string]string{"commandlog-large-reply-max-len": "10"}, "needs engine version 8.1")
	refused(Valkey8, "8.1", map[string]string{"search-enable-partial-results": "no"}, "needs engine version 8.2")
	refused(Valkey8, "8.1", map[string]string{"commandlog-large-reply-max-len": "1025"}, "from 0 to 1024")
	refused(Redis7, "7.1", map[string]string{"cluster-preferred-endpoint-type": "hostname"}, "one of ip, tls-dynamic")
	for _, f := range Families() {
		for _, n := range []string{"set-max-listpack-entries", "set-max-listpack-value", "list-max-listpack-size", "lazyfree-lazy-user-flush", "latency-monitor-threshold", "repl-timeout", "cluster-node-timeout"} {
			refused(f, "", map[string]string{n: "1"}, "is not a parameter of family")
		}
	}
}

func TestSelfHostedRefusesWhatOnlyElastiCacheHonours(t *testing.T) {
	for _, tc := range []struct {
		f Family
		n string
		v string
	}{
		{Redis7, "rename-commands", "KEYS k"},
		{Valkey8, "cluster-preferred-endpoint-type", "ip"},
		{Valkey8, "search-default-timeout-ms", "100"},
	} {
		ps := Validate(tc.f, map[string]string{tc.n: tc.v})
		if len(ps) != 1 || !strings.Contains(ps[0].Allowed, "the self-hosted engine cannot honour it") {
			t.Errorf("%s %s: %v", tc.f, tc.n, ps)
		}
		if ps := ValidateFor(ElastiCache, tc.f, "", map[string]string{tc.n: tc.v}); len(ps) != 0 {
			t.Errorf("ElastiCache must accept %s: %v", tc.n, ps)
		}
	}
}

func TestEffectiveRendersOnlyWhatTheEngineHonours(t *testing.T) {
	eff := Effective(Valkey9, nil, true)
	for _, n := range []string{"rename-commands", "cluster-preferred-endpoint-type", "extended-redis-compatibility",
		"commandlog-large-reply-max-len", "search-fanout-target-mode", "cluster-databases", "replica-allow-chaining"} {
		if _, ok := eff[n]; ok {
			t.Errorf("%s rendered by default", n)
		}
	}
	if eff["acl-pubsub-default"] != "allchannels" || eff["hash-max-listpack-entries"] != "512" {
		t.Errorf("ElastiCache defaults missing: %v", eff)
	}
	eff = Effective(Valkey8, map[string]string{"extended-redis-compatibility": "no"}, false)
	if eff["extended-redis-compatibility"] != "no" {
		t.Error("a value the user set must be rendered")
	}
}
