package policies

import (
	"strings"
	"testing"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if c.MinSnapshotRetentionDays != 1 || len(c.IngressPorts) != 1 || c.IngressPorts[0] != 6379 {
		t.Errorf("defaults: retention %d ports %v", c.MinSnapshotRetentionDays, c.IngressPorts)
	}
	if got := c.Level(RuleByID("auth")); got != Mandatory {
		t.Errorf("auth level %s", got)
	}
	if got := c.Level(RuleByID("automatic-backups")); got != Advisory {
		t.Errorf("backups level %s", got)
	}
	// Every key names an existing rule, so the docs and the engine's schema never drift.
	for _, k := range ConfigKeys() {
		if RuleByID(k.Rule) == nil {
			t.Errorf("config key %s.%s names no rule", k.Rule, k.Name)
		}
	}
}

func TestInvalidConfigErrors(t *testing.T) {
	cases := []struct{ name, js, want string }{
		{"not json", `[1]`, "policy pack config is not a JSON object"},
		{"unknown rule", `{"encryption": "mandatory"}`,
			`invalid policy pack config: encryption: "encryption" is not allowed; not a rule of this pack; rules: encryption-at-rest, `},
		{"bad level", `{"auth": "warn"}`,
			`invalid policy pack config: auth.enforcementLevel: "warn" is not allowed; allowed: mandatory, advisory, disabled`},
		{"unknown key", `{"auth": {"minLength": 16}}`,
			`invalid policy pack config: auth.minLength: 16 is not allowed; this rule takes no settings besides enforcementLevel`},
		{"unknown key with hint", `{"automatic-backups": {"minRetention": 7}}`,
			`automatic-backups.minRetention: 7 is not allowed; allowed keys: minRetentionDays`},
		{"retention out of range", `{"automatic-backups": {"minRetentionDays": 40}}`,
			`automatic-backups.minRetentionDays: 40 is not allowed; a whole number of days from 1 to 35`},
		{"retention not a number", `{"automatic-backups": {"minRetentionDays": "7"}}`,
			`automatic-backups.minRetentionDays: "7" is not allowed`},
		{"bad engine", `{"supported-engine-version": {"allowedEngines": ["memcached"]}}`,
			`supported-engine-version.allowedEngines[0]: "memcached" is not allowed; allowed: valkey, redis`},
		{"bad version", `{"supported-engine-version": {"allowedVersions": {"valkey": ["8"]}}}`,
			`supported-engine-version.allowedVersions.valkey[0]: "8" is not allowed; a major.minor version such as "7.1"`},
		{"bad family", `{"production-node-types": {"deniedFamilies": ["cache.t3.micro"]}}`,
			`production-node-types.deniedFamilies[0]: "cache.t3.micro" is not allowed; a node family`},
		{"bad port", `{"public-ingress": {"ports": [0]}}`,
			`public-ingress.ports[0]: 0 is not allowed; a port number from 1 to 65535`},
		{"bad log type", `{"log-delivery": {"requiredLogTypes": ["audit-log"]}}`,
			`log-delivery.requiredLogTypes[0]: "audit-log" is not allowed; allowed: slow-log, engine-log`},
		{"all takes a level only", `{"all": {"enforcementLevel": "advisory", "x": 1}}`,
			`all.x: 1 is not allowed; "all" takes only an enforcementLevel`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfigJSON([]byte(tc.js))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
	// Several problems come back together.
	_, err := ParseConfigJSON([]byte(`{"auth": "warn", "public-ingress": {"ports": [70000]}}`))
	if err == nil || !strings.Contains(err.Error(), "2 problems") {
		t.Fatalf("want both problems in one error, got %v", err)
	}
}

func TestLoadConfigNamesFile(t *testing.T) {
	_, err := LoadConfig("/nonexistent/policy.json")
	if err == nil || !strings.Contains(err.Error(), "loading policy config /nonexistent/policy.json") {
		t.Fatalf("got %v", err)
	}
}

// A window that does not parse is reported with its field; the overlap itself is tested in
// package window.
func TestWindowsOverlapNamesTheField(t *testing.T) {
	if _, err := windowsOverlap("sun:05:00-sun:06:00", "25:00-26:00"); err == nil || !strings.Contains(err.Error(), `snapshotWindow "25:00-26:00"`) {
		t.Errorf("want an error naming snapshotWindow for 25:00, got %v", err)
	}
	if got, err := windowsOverlap("sun:05:00-sun:06:00", "05:59-06:30"); err != nil || !got {
		t.Errorf("overlapping windows: %v, %v", got, err)
	}
}

func TestURNHelpers(t *testing.T) {
	u := "urn:pulumi:prod::rediskit::rediskit:index:Cache$aws:elasticache/replicationGroup:ReplicationGroup::rk"
	if StackFromURN(u) != "prod" || ProjectFromURN(u) != "rediskit" {
		t.Errorf("got %q %q", StackFromURN(u), ProjectFromURN(u))
	}
}

// The default allowed versions follow the versions ElastiCache offers, Valkey 9 included.
func TestDefaultAllowedVersionsIncludeValkey9(t *testing.T) {
	got := DefaultConfig().AllowedVersions["valkey"]
	for _, v := range []string{"9.1", "9.0", "8.2"} {
		found := false
		for _, g := range got {
			found = found || g == v
		}
		if !found {
			t.Errorf("valkey %s not allowed by default: %v", v, got)
		}
	}
}
