package cache

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/pulumitest"
)

func ip(i int) *int { return &i }

func TestCacheComposesEveryPiece(t *testing.T) {
	m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewCache(ctx, "rk", &CacheArgs{
			Cache:   spec.Cache{Name: "rk", Mode: spec.ModeCluster, Shards: ip(2), Replicas: ip(1), Zones: []string{"a1", "a2"}},
			Network: spec.Network{CIDR: "10.5.0.0/16", AllowedCIDRs: map[string]string{"vpc": "10.5.0.0/16"}},
		})
		return err
	})
	for _, typ := range []string{
		"rediskit:index:Cache", "rediskit:elasticache:Network", "rediskit:elasticache:SubnetGroup",
		"rediskit:elasticache:SecurityGroup", "rediskit:elasticache:ParameterGroup", "rediskit:elasticache:ReplicationGroup",
		"aws:elasticache/subnetGroup:SubnetGroup", "aws:ec2/securityGroup:SecurityGroup", "aws:elasticache/replicationGroup:ReplicationGroup",
	} {
		if len(m.OfType(typ)) != 1 {
			t.Errorf("want one %s, got %d", typ, len(m.OfType(typ)))
		}
	}
	rg := m.One(t, "aws:elasticache/replicationGroup:ReplicationGroup")
	if rg.Str("subnetGroupName") != "rk-subnets" || rg.Str("parameterGroupName") != "rk-valkey8-cluster" {
		t.Errorf("wiring: subnet group %q parameter group %q", rg.Str("subnetGroupName"), rg.Str("parameterGroupName"))
	}
	if got := rg.Strings("securityGroupIds"); len(got) != 1 || got[0] != "rk-sg-id" {
		t.Errorf("security group wiring: %v", got)
	}
	// The entry point must not create a second parameter group inside the replication group.
	if n := len(m.OfType("aws:elasticache/parameterGroup:ParameterGroup")); n != 1 {
		t.Errorf("one parameter group expected, got %d", n)
	}
	for _, r := range m.All {
		if r.Type != "rediskit:index:Cache" && r.Parent == "" {
			t.Errorf("%s %s has no parent", r.Type, r.Name)
		}
	}
}

func TestCacheValidatesEverythingBeforeCreatingAnything(t *testing.T) {
	m, err := pulumitest.RunE(func(ctx *pulumi.Context) error {
		_, err := NewCache(ctx, "rk", &CacheArgs{
			Target:  "gcp",
			Cache:   spec.Cache{Name: "rk", Mode: spec.ModeReplication, Replicas: ip(8), Zones: []string{"a1", "a2"}},
			Network: spec.Network{CIDR: "10.5.0.0/33", AllowedCIDRs: map[string]string{"world": "0.0.0.0/0"}},
		})
		return err
	})
	if err == nil {
		t.Fatal("expected an error")
	}
	for _, w := range []string{`target: "gcp"`, "cache.replicas: 8", `network.cidr: "10.5.0.0/33"`, `network.allowedCidrs.world: "0.0.0.0/0"`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
	if len(m.All) != 0 {
		t.Errorf("registered %d resources before failing", len(m.All))
	}
}

func TestServerlessCache(t *testing.T) {
	m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewCache(ctx, "rk-sl", &CacheArgs{
			Cache: spec.Cache{Name: "rk-sl", Mode: spec.ModeServerless, Zones: []string{"a1", "a2"},
				Serverless: spec.Serverless{MaxDataStorageGB: 10, MaxECPUPerSecond: 5000},
				Auth:       spec.Auth{Users: []spec.User{{Name: "app"}}}},
			Network: spec.Network{CIDR: "10.6.0.0/16"},
		})
		return err
	})
	sc := m.One(t, "aws:elasticache/serverlessCache:ServerlessCache")
	if sc.Str("engine") != "valkey" || sc.Str("majorEngineVersion") != "8" || sc.Str("userGroupId") != "rk-sl-users" {
		t.Errorf("serverless inputs: %v", sc.Inputs)
	}
	if len(sc.Strings("subnetIds")) != 2 || sc.Str("dailySnapshotTime") != "03:00" {
		t.Errorf("subnets and snapshot time: %v", sc.Inputs)
	}
	for _, typ := range []string{"aws:elasticache/replicationGroup:ReplicationGroup", "aws:elasticache/parameterGroup:ParameterGroup", "aws:elasticache/subnetGroup:SubnetGroup", "aws:cloudwatch/logGroup:LogGroup"} {
		if n := len(m.OfType(typ)); n != 0 {
			t.Errorf("serverless needs no %s, got %d", typ, n)
		}
	}
	if n := len(m.OfType("aws:cloudwatch/metricAlarm:MetricAlarm")); n != 2 {
		t.Errorf("storage and ECPU alarms expected, got %d", n)
	}
}

func TestServerlessRefusesNodeSettings(t *testing.T) {
	_, err := pulumitest.RunE(func(ctx *pulumi.Context) error {
		_, err := NewCache(ctx, "rk-sl", &CacheArgs{
			Cache:   spec.Cache{Name: "rk-sl", Mode: spec.ModeServerless, Shards: ip(2), NodeType: "cache.r7g.large", Auth: spec.Auth{Mode: spec.AuthToken}, Zones: []string{"a1", "a2"}},
			Network: spec.Network{CIDR: "10.6.0.0/16"},
		})
		return err
	})
	for _, w := range []string{"cache.shards: 2", `cache.nodeType: "cache.r7g.large"`, `cache.auth.mode: "token"`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in %v", w, err)
		}
	}
}

func TestGlobalDatastore(t *testing.T) {
	m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewCache(ctx, "rk-g", &CacheArgs{
			Cache:   spec.Cache{Name: "rk-g", Mode: spec.ModeCluster, CreateGlobalDatastore: true, Zones: []string{"a1", "a2"}},
			Network: spec.Network{CIDR: "10.7.0.0/16"},
		})
		return err
	})
	g := m.One(t, "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup")
	if g.Str("primaryReplicationGroupId") != "rk-g-id" || g.Str("globalReplicationGroupIdSuffix") != "rk-g" {
		t.Errorf("global datastore: %v", g.Inputs)
	}
	m = pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewCache(ctx, "rk-s", &CacheArgs{
			Cache:   spec.Cache{Name: "rk-s", Mode: spec.ModeCluster, GlobalReplicationGroupID: "ldgnf-rk-g", Zones: []string{"a1", "a2"}},
			Network: spec.Network{CIDR: "10.7.0.0/16"},
		})
		return err
	})
	rg := m.One(t, "aws:elasticache/replicationGroup:ReplicationGroup")
	if rg.Str("globalReplicationGroupId") != "ldgnf-rk-g" {
		t.Errorf("secondary joins the datastore: %v", rg.Inputs)
	}
	for _, k := range []string{"engine", "engineVersion", "numNodeGroups", "parameterGroupName"} {
		if _, set := rg.Inputs[resourceKey(k)]; set {
			t.Errorf("a secondary inherits %s from the datastore; it must not be set", k)
		}
	}
}

func resourceKey(k string) resource.PropertyKey { return resource.PropertyKey(k) }

// The cache exposes each endpoint as it applies, besides the one clients should use.
func TestCacheEndpoints(t *testing.T) {
	for _, tc := range []struct {
		mode spec.Mode
		want string // endpoint|primary|reader|configuration
	}{
		{spec.ModeReplication, "master.rk.cache.amazonaws.com|master.rk.cache.amazonaws.com|replica.rk.cache.amazonaws.com|"},
		{spec.ModeCluster, "clustercfg.rk.cache.amazonaws.com|||clustercfg.rk.cache.amazonaws.com"},
	} {
		var got string
		pulumitest.Run(t, func(ctx *pulumi.Context) error {
			c, err := NewCache(ctx, "rk", &CacheArgs{
				Cache:   spec.Cache{Name: "rk", Mode: tc.mode, Replicas: ip(1), Zones: []string{"a1", "a2"}},
				Network: spec.Network{CIDR: "10.5.0.0/16"},
			})
			if err != nil {
				return err
			}
			pulumi.All(c.Endpoint, c.PrimaryEndpoint, c.ReaderEndpoint, c.ConfigurationEndpoint).ApplyT(func(v []any) error {
				got = strings.Join([]string{v[0].(string), v[1].(string), v[2].(string), v[3].(string)}, "|")
				return nil
			})
			return nil
		})
		if got != tc.want {
			t.Errorf("%s: endpoints %q, want %q", tc.mode, got, tc.want)
		}
	}
}

// Features only AWS has are refused on the self-hosted target when asked for.
func TestSelfHostedRefusesAWSOnlyFeatures(t *testing.T) {
	on := true
	_, _, err := Resolve(&CacheArgs{Target: spec.TargetSelfHosted, Cache: spec.Cache{Name: "rk", Mode: spec.ModeSingle,
		Dashboard: spec.Dashboard{Enabled: &on}}})
	if err == nil || !strings.Contains(err.Error(), "cache.dashboard.enabled: true is not allowed; the self-hosted target has no CloudWatch dashboard") {
		t.Fatalf("got %v", err)
	}
	_, _, err = Resolve(&CacheArgs{Target: spec.TargetSelfHosted, Cache: spec.Cache{Name: "rk", Mode: spec.ModeSingle,
		Auth: spec.Auth{Mode: spec.AuthRBAC, Users: []spec.User{{Name: "app", AuthenticationMode: "iam"}}}}})
	if err == nil || !strings.Contains(err.Error(), `cache.auth.users[0].authenticationMode: "iam" is not allowed; the self-hosted target has no IAM`) {
		t.Fatalf("got %v", err)
	}
	_, _, err = Resolve(&CacheArgs{Target: spec.TargetSelfHosted, Cache: spec.Cache{Name: "rk", Mode: spec.ModeSingle,
		Logs: spec.Logs{Destination: "kinesis-firehose", FirehoseStream: "s"}}})
	if err == nil || !strings.Contains(err.Error(), `cache.logs.destination: "kinesis-firehose" is not allowed; the self-hosted target has no Firehose`) {
		t.Fatalf("got %v", err)
	}
	_, _, err = Resolve(&CacheArgs{Target: spec.TargetSelfHosted, Cache: spec.Cache{Name: "rk", Mode: spec.ModeSingle, NetworkType: "dual_stack"}})
	if err == nil || !strings.Contains(err.Error(), `cache.networkType: "dual_stack" is not allowed; the self-hosted target binds nodes to selfHosted.host`) {
		t.Fatalf("got %v", err)
	}
	_, _, err = Resolve(&CacheArgs{Target: spec.TargetSelfHosted, Cache: spec.Cache{Name: "rk", Mode: spec.ModeCluster,
		AutoScaling: spec.AutoScaling{Shards: &spec.ScalingPolicy{Min: 1, Max: 4}}}})
	if err == nil || !strings.Contains(err.Error(), `cache.autoScaling: "set" is not allowed; the self-hosted target has no Application Auto Scaling`) {
		t.Fatalf("got %v", err)
	}
	if _, _, err := Resolve(&CacheArgs{Target: spec.TargetSelfHosted, Cache: spec.Cache{Name: "rk", Mode: spec.ModeSingle}}); err != nil {
		t.Fatalf("defaults must pass: %v", err)
	}
}

// On the self-hosted target the provider's rules run beside the cache's own; a field both
// check is reported once.
func TestSelfHostedProblemsReportedOnce(t *testing.T) {
	days := 40
	_, _, err := Resolve(&CacheArgs{Target: spec.TargetSelfHosted, Cache: spec.Cache{Name: "rk", Mode: spec.ModeSingle,
		Snapshots: spec.Snapshots{Window: "25:00-26:00", RetentionDays: &days}}})
	if err == nil {
		t.Fatal("a bad window and retention accepted")
	}
	for _, field := range []string{"cache.snapshots.window:", "cache.snapshots.retentionDays:"} {
		if n := strings.Count(err.Error(), field); n != 1 {
			t.Errorf("%s reported %d times, want once:\n%v", field, n, err)
		}
	}
}

// A self-hosted cache's data directory is under the project root whatever directory the
// program runs in: the root the Pulumi CLI gives the program (ctx.RootDirectory), or the one
// an inline program is told (CacheArgs.Root), which wins over a root the context may have.
// Only a run that knows neither (mocks) takes the working directory.
func TestSelfHostedDataDirIsUnderTheProjectRoot(t *testing.T) {
	project, elsewhere := t.TempDir(), t.TempDir()
	t.Chdir(elsewhere)
	dataDir := func(root, ctxRoot string) string {
		t.Helper()
		m := &pulumitest.Mocks{}
		err := pulumi.RunErr(func(ctx *pulumi.Context) error {
			_, err := NewCache(ctx, "rk", &CacheArgs{Target: spec.TargetSelfHosted,
				Cache: spec.Cache{Name: "rk", Mode: spec.ModeSingle}, Root: root})
			return err
		}, pulumi.WithMocks("rediskit", "test", m), func(info *pulumi.RunInfo) { info.RootDirectory = ctxRoot })
		if err != nil {
			t.Fatal(err)
		}
		return m.One(t, "rediskit:index:Deployment").Str("dataDir")
	}
	want := filepath.Join(project, ".rediskit", "rk")
	if got := dataDir("", project); got != want {
		t.Errorf("the CLI's root: dataDir %q, want %q", got, want)
	}
	if got := dataDir(project, ""); got != want {
		t.Errorf("an inline program told its root: dataDir %q, want %q", got, want)
	}
	if got := dataDir(project, t.TempDir()); got != want {
		t.Errorf("the root passed and another in the context: dataDir %q, want %q", got, want)
	}
	if got, wd := dataDir("", ""), filepath.Join(elsewhere, ".rediskit", "rk"); got != wd {
		t.Errorf("no root known: dataDir %q, want the working directory's %q", got, wd)
	}
}
