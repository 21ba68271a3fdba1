package spec

import (
	"strings"
	"testing"
)

func ip(i int) *int   { return &i }
func bp(b bool) *bool { return &b }
func valid() Cache {
	return Cache{Name: "rk-test", Mode: ModeReplication, Zones: []string{"a", "b", "c"}}
}
func resolve(c Cache) error { _, err := Resolve(c); return err }

func TestDefaultsAreValidInEveryMode(t *testing.T) {
	for _, m := range []Mode{ModeSingle, ModeReplication, ModeCluster} {
		c := valid()
		c.Mode = m
		r, err := Resolve(c)
		if err != nil {
			t.Fatalf("mode %s: defaults must validate: %v", m, err)
		}
		if !Bool(r.Encryption.AtRest) || !Bool(r.Encryption.InTransit) || r.Auth.Mode != AuthToken {
			t.Errorf("mode %s: encryption and auth must default on, got %+v %+v", m, r.Encryption, r.Auth)
		}
		if r.Engine != "valkey" || r.EngineVersion != "8.2" || r.Family() != "valkey8" {
			t.Errorf("mode %s: default engine valkey 8 expected, got %s %s (%s)", m, r.Engine, r.EngineVersion, r.Family())
		}
		if Int(r.Snapshots.RetentionDays) != 7 || !Bool(r.Snapshots.FinalSnapshot) {
			t.Errorf("mode %s: snapshot defaults: %+v", m, r.Snapshots)
		}
	}
	r, _ := Resolve(Cache{Name: "x1", Mode: ModeReplication, Zones: []string{"a", "b"}})
	if !Bool(r.MultiAZ) || !Bool(r.AutomaticFailover) || Int(r.Replicas) != 2 {
		t.Errorf("replication defaults: multiAz/failover on with 2 replicas, got %v %v %d", *r.MultiAZ, *r.AutomaticFailover, Int(r.Replicas))
	}
	r, _ = Resolve(Cache{Name: "x1", Mode: ModeSingle})
	if Bool(r.MultiAZ) || Bool(r.AutomaticFailover) {
		t.Errorf("single node must not default to Multi-AZ or failover")
	}
}

// Each bad input names the field, the value and what is allowed.
func TestBadInputs(t *testing.T) {
	cases := []struct {
		name  string
		mut   func(c *Cache)
		wants []string
	}{
		{"id too long", func(c *Cache) { c.Name = strings.Repeat("a", 41) }, []string{`name: "` + strings.Repeat("a", 41) + `" is not allowed`, "at most 40 characters (it has 41)"}},
		{"id uppercase", func(c *Cache) { c.Name = "Rk-prod" }, []string{`name: "Rk-prod"`, "lowercase letters, digits and hyphens only, starting with a letter"}},
		{"id starts with digit", func(c *Cache) { c.Name = "1rk" }, []string{`name: "1rk" is not allowed; it must start with a letter, not "1"`}},
		{"id double hyphen", func(c *Cache) { c.Name = "rk--prod" }, []string{`name: "rk--prod"`, "two consecutive hyphens"}},
		{"id trailing hyphen", func(c *Cache) { c.Name = "rk-prod-" }, []string{`name: "rk-prod-"`, "must not end with a hyphen"}},
		{"replicas 6", func(c *Cache) { c.Replicas = ip(6) }, []string{"replicas: 6 is not allowed", "1-5 replicas"}},
		{"replication with 0 replicas", func(c *Cache) { c.Replicas = ip(0); c.MultiAZ = bp(false); c.AutomaticFailover = bp(false) }, []string{"replicas: 0 is not allowed", "1-5 replicas"}},
		{"cluster replicas 6", func(c *Cache) { c.Mode = ModeCluster; c.Replicas = ip(6) }, []string{"replicas: 6 is not allowed; cluster mode has 0-5 replicas per shard"}},
		{"shards 0", func(c *Cache) { c.Mode = ModeCluster; c.Shards = ip(0) }, []string{"shards: 0 is not allowed", "1-500 shards"}},
		{"shards 501", func(c *Cache) { c.Mode = ModeCluster; c.Shards = ip(501); c.NodeQuota = 500; c.Replicas = ip(0) }, []string{"shards: 501 is not allowed; cluster mode has 1-500 shards"}},
		{"node quota", func(c *Cache) { c.Mode = ModeCluster; c.Shards = ip(40); c.Replicas = ip(2) }, []string{"shards: 40 is not allowed; shards x (replicas + 1) = 120 nodes exceeds the node quota of 90"}},
		{"single with replicas", func(c *Cache) { c.Mode = ModeSingle; c.Replicas = ip(1) }, []string{"replicas: 1 is not allowed; a single-node cache has 0 replicas"}},
		{"unknown mode", func(c *Cache) { c.Mode = "sharded" }, []string{`mode: "sharded"`, "one of single, replication, cluster"}},
		{"token too short", func(c *Cache) { c.Auth.Token = "short" }, []string{"authToken: \"(secret, 5 characters)\"", "16-128 characters"}},
		{"token bad chars", func(c *Cache) { c.Auth.Token = "abcdefghijklmnop@q" }, []string{`authToken: "(secret)" is not allowed; letters, digits and only these specials: ! & # $ ^ < > -`}},
		{"token too long", func(c *Cache) { c.Auth.Token = strings.Repeat("a", 129) }, []string{"(secret, 129 characters)", "16-128 characters"}},
		{"auth without transit", func(c *Cache) { c.Encryption.InTransit = bp(false) }, []string{`auth.mode: "token"`, "requires encryption.inTransit true"}},
		{"multi-az without failover", func(c *Cache) { c.AutomaticFailover = bp(false) }, []string{"multiAz: true is not allowed; Multi-AZ requires automaticFailover true"}},
		{"multi-az single node", func(c *Cache) { c.Mode = ModeSingle; c.MultiAZ = bp(true) }, []string{"multiAz: true", "at least 1 replica per shard (2 nodes)", "Multi-AZ requires automaticFailover true"}},
		{"failover without replica", func(c *Cache) { c.Mode = ModeSingle; c.AutomaticFailover = bp(true) }, []string{"automaticFailover: true is not allowed; automatic failover needs at least 1 replica (2 nodes)"}},
		{"cluster without failover", func(c *Cache) { c.Mode = ModeCluster; c.AutomaticFailover = bp(false); c.MultiAZ = bp(false) }, []string{"automaticFailover: false is not allowed; cluster mode requires automatic failover"}},
		{"retention 36", func(c *Cache) { c.Snapshots.RetentionDays = ip(36) }, []string{"snapshots.retentionDays: 36 is not allowed; 0-35 days"}},
		{"retention -1", func(c *Cache) { c.Snapshots.RetentionDays = ip(-1) }, []string{"snapshots.retentionDays: -1 is not allowed; 0-35 days"}},
		{"maintenance malformed", func(c *Cache) { c.MaintenanceWindow = "sunday 5am" }, []string{`maintenanceWindow: "sunday 5am"`, "ddd:hh24:mi-ddd:hh24:mi"}},
		{"snapshot malformed", func(c *Cache) { c.Snapshots.Window = "3-4" }, []string{`snapshots.window: "3-4"`, "hh24:mi-hh24:mi"}},
		{"snapshot too short", func(c *Cache) { c.Snapshots.Window = "03:00-03:30" }, []string{`snapshots.window: "03:00-03:30" is not allowed; the window must last at least 60 minutes`}},
		{"windows overlap", func(c *Cache) { c.Snapshots.Window = "05:30-06:30" }, []string{`snapshots.window: "05:30-06:30"`, "overlaps the maintenance window sun:05:00-sun:06:00"}},
		{"unknown engine", func(c *Cache) { c.Engine = "memcached" }, []string{`engine: "memcached"`, "one of valkey, redis"}},
		{"redis 8 does not exist", func(c *Cache) { c.Engine = "redis"; c.EngineVersion = "8.0" }, []string{`engineVersion: "8.0"`, "redis versions: 7.1, 7.0"}},
		{"family mismatch", func(c *Cache) { c.Engine = "redis"; c.EngineVersion = "7.1"; c.ParameterGroupFamily = "valkey8" }, []string{`parameterGroupFamily: "valkey8"`, "redis 7.1 belongs to family redis7"}},
		{"data tiering on r7g", func(c *Cache) { c.NodeType = "cache.r7g.large"; c.DataTiering = true }, []string{"dataTiering: true is not allowed; data tiering runs only on r6gd nodes, not cache.r7g.large"}},
		{"t1 with failover", func(c *Cache) { c.NodeType = "cache.t1.micro" }, []string{`nodeType: "cache.t1.micro"`, "refuses automatic failover and Multi-AZ"}},
		{"unknown node type", func(c *Cache) { c.NodeType = "cache.x9.huge" }, []string{`nodeType: "cache.x9.huge"`, "cache.<family>.<size>"}},
		{"one zone multi-az", func(c *Cache) { c.Zones = []string{"a"} }, []string{`zones: ["a"] is not allowed; Multi-AZ needs at least 2 distinct zones`}},
		{"transit mode", func(c *Cache) { c.Encryption.TransitMode = "optional" }, []string{`encryption.transitMode: "optional"`, "required or preferred"}},
		{"rbac default user", func(c *Cache) { c.Auth.Mode = AuthRBAC; c.Auth.Users = []User{{Name: "default"}} }, []string{`auth.users[0].name: "default"`, "always disabled"}},
		{"port", func(c *Cache) { c.Port = 80 }, []string{"port: 80 is not allowed; 1024-65535"}},
		{"bad parameter", func(c *Cache) { c.Parameters = map[string]string{"maxmemory-policy": "sometimes"} }, []string{`parameters.maxmemory-policy: "sometimes" is not allowed; one of volatile-lru, allkeys-lru, volatile-lfu, allkeys-lfu, volatile-random, allkeys-random, volatile-ttl, noeviction`}},
		{"unknown parameter", func(c *Cache) { c.Parameters = map[string]string{"no-such-param": "1"} }, []string{`parameters.no-such-param: "1" is not allowed; "no-such-param" is not a parameter of family valkey8`}},
		{"log retention", func(c *Cache) { c.Logs.RetentionDays = 10 }, []string{"logs.retentionDays: 10 is not allowed; one of CloudWatch's retention values: 1, 3, 5, 7, 14, 30"}},
		{"unknown family", func(c *Cache) { c.ParameterGroupFamily = "valkey10" }, []string{`parameterGroupFamily: "valkey10" is not allowed; one of redis7, valkey7, valkey8, valkey9`}},
		{"compatible needs 1 shard", func(c *Cache) { c.Mode = ModeCluster; c.ClusterModeTransition = "compatible" }, []string{`clusterModeTransition: "compatible"`, "shards 1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.mut(&c)
			err := resolve(c)
			if err == nil {
				t.Fatalf("expected an error")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	c := valid()
	c.Name = "Bad--Name-"
	c.Replicas = ip(9)
	c.Snapshots.RetentionDays = ip(99)
	c.Encryption.InTransit = bp(false)
	err := resolve(c)
	if err == nil {
		t.Fatal("expected an error")
	}
	for _, w := range []string{"6 problems",
		`name: "Bad--Name-" is not allowed; lowercase letters, digits and hyphens only`,
		`name: "Bad--Name-" is not allowed; two consecutive hyphens are not allowed`,
		`name: "Bad--Name-" is not allowed; it must not end with a hyphen`,
		"replicas: 9 is not allowed", "snapshots.retentionDays: 99 is not allowed", `auth.mode: "token" is not allowed`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
}

// A bad engine or version must not hide the parameter and port problems behind it.
func TestEngineErrorsDoNotStopOtherChecks(t *testing.T) {
	c := valid()
	c.Engine = "memcached"
	c.Port = 80
	c.Parameters = map[string]string{"maxmemory-policy": "sometimes", "timeout": "300", "bogus": "1"}
	err := resolve(c)
	if err == nil {
		t.Fatal("expected an error")
	}
	want := `invalid cache "rk-test": 4 problems:
  - engine: "memcached" is not allowed; one of valkey, redis
  - parameters.bogus: "1" is not allowed; "bogus" is not a parameter of family valkey9
  - parameters.maxmemory-policy: "sometimes" is not allowed; one of volatile-lru, allkeys-lru, volatile-lfu, allkeys-lfu, volatile-random, allkeys-random, volatile-ttl, noeviction
  - port: 80 is not allowed; 1024-65535`
	if err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
	c = valid()
	c.Engine, c.EngineVersion = "redis", "8.0"
	c.Parameters = map[string]string{"timeout": "-5"}
	err = resolve(c)
	for _, w := range []string{`engineVersion: "8.0" is not allowed; redis versions: 7.1, 7.0`, `parameters.timeout: "-5" is not allowed`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
}

func TestTokenIsNeverEchoed(t *testing.T) {
	c := valid()
	c.Auth.Token = "s3cr3t@value"
	err := resolve(c)
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("the error must reject the token without showing it: %v", err)
	}
}

func TestNetworkValidation(t *testing.T) {
	n := Network{CIDR: "10.0.0.0/16", AllowedCIDRs: map[string]string{"world": "0.0.0.0/0", "v6": "::/0"}}
	ps := n.Validate([]string{"a", "b"})
	if len(ps) != 2 || !strings.Contains(ps[0].String(), "ingress from anywhere is refused unless allowPublicIngress is true") {
		t.Fatalf("public ingress must be refused: %v", ps)
	}
	n.AllowPublicIngress = true
	if ps := n.Validate([]string{"a", "b"}); len(ps) != 0 {
		t.Fatalf("explicitly allowed public ingress must pass: %v", ps)
	}
	bad := Network{VpcID: "vpc-1", SubnetIDs: []string{"sn-1"}, AllowedSecurityGroups: map[string]string{"App": "sg-x"}}
	var got []string
	for _, p := range bad.Validate(nil) {
		got = append(got, p.String())
	}
	all := strings.Join(got, "\n")
	for _, w := range []string{`vpcId: "vpc-1"`, `subnetIds[0]: "sn-1"`, `allowedSecurityGroups: "App"`, `allowedSecurityGroups.App: "sg-x"`} {
		if !strings.Contains(all, w) {
			t.Errorf("missing %q in:\n%s", w, all)
		}
	}
	if ps := (&Network{CIDR: "10.0.0.0/16"}).Validate(nil); len(ps) != 1 || ps[0].Field != "zones" {
		t.Errorf("a new VPC needs zones: %v", ps)
	}
}

// A new VPC spreads its private subnets over 2-3 zones.
func TestNewVpcZones(t *testing.T) {
	for _, tc := range []struct {
		zones []string
		want  string
	}{
		{[]string{"a"}, `zones: ["a"] is not allowed; a new VPC has one private subnet in each of 2-3 distinct zones (it has 1)`},
		{[]string{"a", "b", "c", "d"}, `zones: ["a", "b", "c", "d"] is not allowed; a new VPC has one private subnet in each of 2-3 distinct zones (it has 4)`},
		{[]string{"a", "b"}, ""},
		{[]string{"a", "b", "c"}, ""},
	} {
		var got []string
		for _, p := range (&Network{CIDR: "10.0.0.0/16"}).Validate(tc.zones) {
			got = append(got, p.String())
		}
		if strings.Join(got, "\n") != tc.want {
			t.Errorf("zones %v: got %q, want %q", tc.zones, got, tc.want)
		}
	}
}
