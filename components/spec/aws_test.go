package spec

import (
	"strings"
	"testing"
)

func resolveAWS(c Cache) error { _, err := ResolveAWS(c); return err }

// Each case is a combination the real ElastiCache API or the AWS provider refuses; the target-
// neutral Validate lets some of them through, ResolveAWS must not.
func TestAWSRefusesWhatElastiCacheRefuses(t *testing.T) {
	cases := []struct {
		name  string
		mut   func(c *Cache)
		wants []string
	}{
		{"r6gd without data tiering", func(c *Cache) { c.NodeType = "cache.r6gd.xlarge" },
			[]string{"dataTiering: false is not allowed; cache.r6gd.xlarge nodes run only with data tiering"}},
		{"data tiering with lfu", func(c *Cache) {
			c.NodeType, c.DataTiering = "cache.r6gd.xlarge", true
			c.Parameters = map[string]string{"maxmemory-policy": "allkeys-lfu"}
		}, []string{`parameters.maxmemory-policy: "allkeys-lfu" is not allowed; data tiering allows only noeviction, volatile-lru, allkeys-lru`}},
		{"appendonly on ElastiCache", func(c *Cache) { c.Parameters = map[string]string{"appendfsync": "always"} },
			[]string{`parameters.appendfsync: "always" is not allowed; remove it: it is not modifiable on ElastiCache`}},
		{"activerehashing on ElastiCache", func(c *Cache) { c.Parameters = map[string]string{"activerehashing": "no"} },
			[]string{`parameters.activerehashing: "no" is not allowed; remove it: it is not modifiable on ElastiCache`}},
		{"commandlog on 8.0", func(c *Cache) {
			c.EngineVersion = "8.0"
			c.Parameters = map[string]string{"commandlog-large-reply-max-len": "64"}
		},
			[]string{"needs engine version 8.1 or later of family valkey8 (this cache runs 8.0)"}},
		{"units on ElastiCache", func(c *Cache) { c.Parameters = map[string]string{"repl-backlog-size": "64mb"} },
			[]string{`parameters.repl-backlog-size: "64mb" is not allowed; a size in bytes (an integer: ElastiCache takes no units)`}},
		{"tls on in one step", func(c *Cache) { c.Encryption.DeployedTransitMode = "off"; c.Encryption.TransitMode = "required" },
			[]string{`encryption.transitMode: "required" is not allowed; a group without TLS turns it on in two updates`}},
		{"tls off in one step", func(c *Cache) {
			c.Encryption.DeployedTransitMode = "required"
			c.Encryption.InTransit = bp(false)
			c.Auth.Mode = AuthNone
		}, []string{"encryption.inTransit: false is not allowed; a group with TLS required turns it off in two updates"}},
		{"bad deployed mode", func(c *Cache) { c.Encryption.DeployedTransitMode = "on" },
			[]string{`encryption.deployedTransitMode: "on" is not allowed; off, preferred or required`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.mut(&c)
			err := resolveAWS(c)
			if err == nil {
				t.Fatal("expected an error")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
			// Each AWS problem is reported once, not again by the neutral check.
			if n := strings.Count(err.Error(), " is not allowed;"); n != len(tc.wants) {
				t.Errorf("want %d problems, got %d:\n%v", len(tc.wants), n, err)
			}
		})
	}
}

func TestAWSAcceptsWhatElastiCacheAccepts(t *testing.T) {
	cases := map[string]func(c *Cache){
		"data tiering on r6gd": func(c *Cache) {
			c.NodeType, c.DataTiering = "cache.r6gd.xlarge", true
			c.Parameters = map[string]string{"maxmemory-policy": "allkeys-lru"}
		},
		// AWS places nodes beyond the zone count in shared zones, replicas away from the primary.
		"more replicas than zones": func(c *Cache) { c.Replicas = ip(5); c.Zones = []string{"a", "b"} },
		"cluster wider than zones": func(c *Cache) { c.Mode = ModeCluster; c.Replicas = ip(3); c.Zones = []string{"a", "b"} },
		"t2 with failover":         func(c *Cache) { c.NodeType = "cache.t2.medium" },
		"tls second step":          func(c *Cache) { c.Encryption.DeployedTransitMode = "preferred"; c.Encryption.TransitMode = "required" },
		"valkey 9.1 cluster-only": func(c *Cache) {
			c.EngineVersion = "9.1"
			c.Parameters = map[string]string{"search-enable-partial-results": "no"}
		},
		"rename commands":               func(c *Cache) { c.Parameters = map[string]string{"rename-commands": "KEYS keys-disabled"} },
		"databases at creation":         func(c *Cache) { c.Parameters = map[string]string{"databases": "4"} },
		"cluster mode compatible, 1 rp": func(c *Cache) { c.Mode = ModeCluster; c.Shards = ip(1); c.ClusterModeTransition = "compatible" },
	}
	for name, mut := range cases {
		c := valid()
		mut(&c)
		if err := resolveAWS(c); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Turning TLS on for a live group defaults to preferred, the first of AWS's two steps.
func TestTransitDefaultsToPreferredWhenTurningTLSOn(t *testing.T) {
	c := valid()
	c.Encryption.DeployedTransitMode = "off"
	r, err := ResolveAWS(c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Encryption.TransitMode != "preferred" {
		t.Fatalf("transitMode %q, want preferred", r.Encryption.TransitMode)
	}
	r, _ = ResolveAWS(valid())
	if r.Encryption.TransitMode != "required" {
		t.Fatalf("a new group: transitMode %q, want required", r.Encryption.TransitMode)
	}
}

func TestProviderRejectedCombinations(t *testing.T) {
	cases := []struct {
		name  string
		mut   func(c *Cache)
		wants []string
	}{
		{"compatible without replicas", func(c *Cache) {
			c.Mode = ModeCluster
			c.Shards, c.Replicas = ip(1), ip(0)
			c.MultiAZ = bp(false)
			c.ClusterModeTransition = "compatible"
		}, []string{`clusterModeTransition: "compatible" is not allowed; cluster mode compatible needs automaticFailover true and at least 1 replica`}},
		{"global datastore on t4g", func(c *Cache) { c.CreateGlobalDatastore = true; c.NodeType = "cache.t4g.medium" },
			[]string{"a global datastore runs on m5, m6g, m7g, r5, r6g, r6gd, r7g or c7gn nodes (large and up), not t4g"}},
		{"global datastore on m4", func(c *Cache) { c.GlobalReplicationGroupID = "ldgnf-global"; c.NodeType = "cache.m4.large" },
			[]string{"not m4"}},
		{"serverless restore by name", func(c *Cache) {
			*c = Cache{Name: "rk-sl", Mode: ModeServerless, Zones: []string{"a", "b"}}
			c.Snapshots.RestoreFromSnapshot = "nightly"
		}, []string{`snapshots.restoreFromSnapshot: "nightly" is not allowed; a serverless cache restores from snapshot ARNs`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.mut(&c)
			err := resolve(c)
			if err == nil {
				t.Fatal("expected an error")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
	sl := Cache{Name: "rk-sl", Mode: ModeServerless, Zones: []string{"a", "b"}}
	sl.Snapshots.RestoreFromRdb = []string{"arn:aws:elasticache:eu-west-1:111122223333:serverlesscachesnapshot:nightly"}
	if err := resolve(sl); err != nil {
		t.Errorf("a serverless snapshot ARN must be accepted: %v", err)
	}
	if nt, _ := LookupNodeType("cache.t2.micro"); nt.Previous || nt.FailoverUnsupported {
		t.Errorf("t2 is current generation with failover: %+v", nt)
	}
	if nt, _ := LookupNodeType("cache.m4.large"); nt.Previous {
		t.Errorf("m4 is current generation: %+v", nt)
	}
}

// With an existing VPC, the cache's zones are checked against the subnets' zones where the
// stack gives them, and left unchecked (and listed) where it does not.
func TestZonesAgainstExistingSubnets(t *testing.T) {
	n := Network{VpcID: "vpc-0123456789abcdef0", SubnetIDs: []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"},
		SubnetZones: map[string]string{"subnet-0123456789abcdef0": "eu-west-1a", "subnet-0123456789abcdef1": "eu-west-1b"}}
	ps := n.Validate([]string{"eu-west-1a", "eu-west-1c"})
	if len(ps) != 1 || ps[0].Field != "zones" || !strings.Contains(ps[0].String(), `"eu-west-1c" is not allowed; a zone of the subnets in subnetIds (eu-west-1a, eu-west-1b)`) {
		t.Fatalf("got %v", ps)
	}
	if ps := n.Validate([]string{"eu-west-1a", "eu-west-1b"}); len(ps) != 0 {
		t.Fatalf("matching zones: %v", ps)
	}
	n.SubnetZones["subnet-0fffffffffffffff0"] = "eu-west-1c"
	if ps := n.Validate(nil); len(ps) != 1 || ps[0].Field != "subnetZones.subnet-0fffffffffffffff0" {
		t.Fatalf("a zone for a subnet not in subnetIds: %v", ps)
	}
	partial := Network{VpcID: n.VpcID, SubnetIDs: n.SubnetIDs, SubnetZones: map[string]string{"subnet-0123456789abcdef0": "eu-west-1a"}}
	if ps := partial.Validate([]string{"eu-west-1c"}); len(ps) != 0 {
		t.Fatalf("a subnet of unknown zone may hold eu-west-1c: %v", ps)
	}
	if got := partial.UnknownSubnetZones(); len(got) != 1 || got[0] != "subnet-0123456789abcdef1" {
		t.Fatalf("unknown %v", got)
	}
}

func TestUserAuthenticationModes(t *testing.T) {
	c := valid()
	c.Auth = Auth{Mode: AuthRBAC, Users: []User{{Name: "a", AuthenticationMode: "iam"}, {Name: "b", AuthenticationMode: "token"}}}
	err := resolveAWS(c)
	if err == nil || !strings.Contains(err.Error(), `auth.users[1].authenticationMode: "token" is not allowed; password (default) or iam`) || strings.Contains(err.Error(), "users[0]") {
		t.Fatalf("got %v", err)
	}
}

func TestLogDestination(t *testing.T) {
	for _, tc := range []struct {
		logs Logs
		want string
	}{
		{Logs{Destination: "kinesis-firehose"}, `logs.firehoseStream: "" is not allowed; the name of an existing Firehose delivery stream`},
		{Logs{FirehoseStream: "s"}, `logs.firehoseStream: "s" is not allowed; only with logs.destination kinesis-firehose`},
		{Logs{Destination: "s3"}, `logs.destination: "s3" is not allowed; cloudwatch-logs or kinesis-firehose`},
	} {
		c := valid()
		c.Logs = tc.logs
		if err := resolveAWS(c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v", tc.logs, err)
		}
	}
	c := valid()
	c.Logs = Logs{Destination: "kinesis-firehose", FirehoseStream: "cache-logs"}
	if err := resolveAWS(c); err != nil {
		t.Fatal(err)
	}
}

func TestNetworkType(t *testing.T) {
	for _, tc := range []struct {
		mut  func(c *Cache)
		want string
	}{
		{func(c *Cache) { c.NetworkType = "ipv5" }, `networkType: "ipv5" is not allowed; ipv4, dual_stack or ipv6`},
		{func(c *Cache) { c.NetworkType = "ipv6"; c.IPDiscovery = "ipv4" }, `ipDiscovery: "ipv4" is not allowed; ipv6 with networkType ipv6`},
		{func(c *Cache) { c.IPDiscovery = "ipv6" }, `ipDiscovery: "ipv6" is not allowed; ipv4 with networkType ipv4`},
		{func(c *Cache) { c.NetworkType = "dual_stack"; c.NodeType = "cache.m4.large" }, `networkType: "dual_stack" is not allowed; IPv6 and dual stack need a Nitro node type; cache.m4.large is not one`},
		{func(c *Cache) {
			*c = Cache{Name: "rk-sl", Mode: ModeServerless, Zones: []string{"a", "b"}, NetworkType: "ipv6"}
		}, `networkType: "ipv6" is not allowed; ipv4 for serverless caches`},
	} {
		c := valid()
		tc.mut(&c)
		if err := resolveAWS(c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want %q, got %v", tc.want, err)
		}
	}
	c := valid()
	c.NetworkType, c.IPDiscovery = "dual_stack", "ipv6"
	if err := resolveAWS(c); err != nil {
		t.Fatal(err)
	}
}

func TestAutoScalingRules(t *testing.T) {
	cluster := func(c *Cache) { c.Mode = ModeCluster; c.Shards, c.Replicas = ip(3), ip(1) }
	for _, tc := range []struct {
		mut  func(c *Cache)
		want string
	}{
		{func(c *Cache) { c.AutoScaling.Shards = &ScalingPolicy{Min: 1, Max: 4} }, `autoScaling: "replication" is not allowed; auto scaling changes shards and replicas of cluster mode groups only`},
		{func(c *Cache) {
			cluster(c)
			c.NodeType = "cache.t4g.medium"
			c.AutoScaling.Shards = &ScalingPolicy{Min: 1, Max: 4}
		}, "AWS auto-scales m5, m6g, m7g, r5, r6g, r6gd, r7g and c7gn nodes (large and up), not t4g"},
		{func(c *Cache) { cluster(c); c.AutoScaling.Shards = &ScalingPolicy{Min: 1, Max: 4, Target: 80} }, "autoScaling.shards.target: 80 is not allowed; a percentage from 35 to 70"},
		{func(c *Cache) { cluster(c); c.AutoScaling.Replicas = &ScalingPolicy{Min: 1, Max: 2, Metric: "memory"} }, `autoScaling.replicas.metric: "memory" is not allowed; cpu (replicas track CPU only)`},
		{func(c *Cache) { cluster(c); c.AutoScaling.Shards = &ScalingPolicy{Min: 5, Max: 4} }, `autoScaling.shards: "5-4" is not allowed; min <= max within 1-500`},
		{func(c *Cache) {
			cluster(c)
			c.AutoScaling.Shards = &ScalingPolicy{Min: 1, Max: 40}
			c.AutoScaling.Replicas = &ScalingPolicy{Min: 1, Max: 2}
		}, "auto scaling may grow the group to 120 nodes, beyond the node quota of 90"},
		{func(c *Cache) {
			cluster(c)
			c.NodeType, c.DataTiering = "cache.r6gd.xlarge", true
			c.Parameters = map[string]string{"maxmemory-policy": "allkeys-lru"}
			c.AutoScaling.Shards = &ScalingPolicy{Min: 1, Max: 4, Metric: "memory"}
		}, `autoScaling.shards.metric: "memory" is not allowed; capacity on data tiering nodes`},
		{func(c *Cache) {
			cluster(c)
			c.CreateGlobalDatastore = true
			c.AutoScaling.Shards = &ScalingPolicy{Min: 1, Max: 4}
		}, "scaled through the datastore"},
	} {
		c := valid()
		tc.mut(&c)
		if err := resolveAWS(c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want %q, got %v", tc.want, err)
		}
	}
	c := valid()
	cluster(&c)
	c.AutoScaling = AutoScaling{Shards: &ScalingPolicy{Min: 2, Max: 20, Metric: "capacity", Target: 70}, Replicas: &ScalingPolicy{Min: 0, Max: 3}}
	if err := resolveAWS(c); err != nil {
		t.Fatal(err)
	}
}

func TestPreferredTransitModeLimits(t *testing.T) {
	c := valid()
	c.Encryption.TransitMode = "preferred"
	c.Auth = Auth{Mode: AuthRBAC}
	if err := resolveAWS(c); err == nil || !strings.Contains(err.Error(), `encryption.transitMode: "preferred" is not allowed; required with auth.mode rbac`) {
		t.Errorf("rbac: %v", err)
	}
	c = valid()
	c.Encryption.TransitMode = "preferred"
	c.CreateGlobalDatastore = true
	if err := resolveAWS(c); err == nil || !strings.Contains(err.Error(), "required for the primary of a global datastore") {
		t.Errorf("global: %v", err)
	}
	c = valid()
	c.Encryption.TransitMode = "preferred"
	if err := resolveAWS(c); err != nil {
		t.Errorf("token auth with preferred: %v", err)
	}
}
