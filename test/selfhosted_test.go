package test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/retry"
	test_structure "github.com/gruntwork-io/terratest/modules/test-structure"
	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/infra/deploy"
	"github.com/rediskit/rediskit/internal/writeload"
)

// shape is what an end-to-end test deploys: the local stack's settings with its own name,
// ports and directory, so it never meets a `make up` deployment.
type shape struct {
	name, mode, driver, dataDir string
	basePort                    int
	shards, replicas            int
	params                      map[string]string
	// zones default to three.
	zones []string
	// auth is the cache's auth object, when set.
	auth map[string]any
	// window is the daily snapshot window, when set.
	window string
	// metricsPort is the controller's metrics port, when set.
	metricsPort int
}

// config renders the shape as the stack's rediskit:cache.
func (s shape) config() string {
	sh := map[string]any{"driver": s.driver, "basePort": s.basePort, "dataDir": s.dataDir, "persistence": "rdb+aof", "nodeMemoryMb": 64}
	if s.metricsPort != 0 {
		sh["metricsPort"] = s.metricsPort
	}
	zones := s.zones
	if zones == nil {
		zones = []string{"zone-a", "zone-b", "zone-c"}
	}
	c := map[string]any{
		"name": s.name, "mode": s.mode, "engine": "redis", "engineVersion": "7.0",
		"replicas": s.replicas, "zones": zones,
		"selfHosted": sh,
		"snapshots":  map[string]any{"retentionDays": 1},
		"parameters": s.params,
	}
	if s.mode == "cluster" {
		c["shards"] = s.shards
	}
	if s.auth != nil {
		c["auth"] = s.auth
	}
	if s.window != "" {
		c["snapshots"] = map[string]any{"retentionDays": 1, "window": s.window}
		// The default maintenance window (sun:05:00-sun:06:00) would clash with a snapshot
		// window around the present hour on some days: put it half a day away.
		c["maintenanceWindow"] = maintenanceAwayFrom(time.Now())
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// options deploys the shape as stack "local" with its state under workDir.
func (s shape) options(t *testing.T, workDir string) deploy.Options {
	return deploy.Options{
		Root: "..", Stack: "local", StateDir: filepath.Join(workDir, "state"),
		Config:   map[string]string{"rediskit:cache": s.config()},
		Progress: testWriter{t},
	}
}

func requireTools(t *testing.T) {
	t.Helper()
	for _, f := range []string{"../bin/pulumi", "../bin/pulumi-resource-rediskit"} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%s is missing: run `make pulumi-cli provider` (make test does)", f)
		}
	}
}

// TestSelfHostedCluster deploys cluster mode through the Automation API, validates it, fails a
// primary over, scales 3 -> 4 -> 3 shards with a client writing throughout, and destroys it.
func TestSelfHostedCluster(t *testing.T) {
	workDir, dataDir := e2e(t)
	base := shape{name: "rk-e2e", mode: "cluster", driver: "process", dataDir: dataDir, basePort: 7400,
		shards: 3, replicas: 1, params: map[string]string{"maxmemory-policy": "allkeys-lru"}}
	opts := func(shards int) deploy.Options {
		s := base
		s.shards = shards
		return s.options(t, workDir)
	}
	ctx := context.Background()

	defer test_structure.RunTestStage(t, "destroy", func() {
		Destroy(t, ctx, opts(3), dataDir, true)
	})

	var d *Deployed
	test_structure.RunTestStage(t, "deploy", func() {
		d = DeployIdempotent(t, ctx, opts(3))
	})

	c, err := ClusterClientE(d)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	test_structure.RunTestStage(t, "validate", func() {
		WaitForClusterOK(t, c, 3)
		validatePlacement(t, d.Nodes)
		validateTLSOnly(t, d)
		validateUseCases(t, c)
	})

	test_structure.RunTestStage(t, "failover", func() {
		// The victim is the node behind the endpoint output, a primary.
		var victim Node
		for _, n := range d.Nodes {
			if n.Host == d.Endpoint && n.Port == d.Port {
				victim = n
			}
		}
		if victim.Role != "primary" {
			t.Fatalf("the endpoint %s:%d is not a primary's: %+v", d.Endpoint, d.Port, victim)
		}
		if len(d.ConfigurationEndpoints) != len(d.Nodes) {
			t.Fatalf("configurationEndpoints %v: want every one of the %d nodes", d.ConfigurationEndpoints, len(d.Nodes))
		}
		start := time.Now()
		KillNode(t, "process", dataDir, victim.ID)
		// Keys over every slot range, so the killed primary's shard is among them.
		retry.DoWithRetry(t, "writes to resume after killing "+victim.ID, 120, 250*time.Millisecond, func() (string, error) {
			c.ReloadState(ctx)
			for s := 0; s < 64; s++ {
				wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				err := c.Set(wctx, fmt.Sprintf("failover-%d", s), "v", 0).Err()
				cancel()
				if err != nil {
					return "", err
				}
			}
			return "ok", nil
		})
		logger.Logf(t, "cluster writes resumed %s after killing primary %s", time.Since(start).Round(10*time.Millisecond), victim.ID)
		// A new client that knows only the endpoint cannot bootstrap while its node is down;
		// one seeded with configurationEndpoints can.
		if err := NewClientPingE(ctx, d, []string{fmt.Sprintf("%s:%d", d.Endpoint, d.Port)}); err == nil {
			t.Errorf("a client seeded with the dead endpoint alone bootstrapped: the check cannot tell")
		}
		if err := NewClientPingE(ctx, d, d.ConfigurationEndpoints); err != nil {
			t.Errorf("a new cluster client seeded with configurationEndpoints, while %s is down: %v", victim.ID, err)
		}
		// Bring the old primary back through the provider: it must return as a replica.
		after := Up(t, ctx, opts(3))
		for _, n := range after.Nodes {
			if n.ID == victim.ID && (n.Role != "replica" || !n.Alive) {
				t.Errorf("the old primary %s must come back as a live replica, got %+v", n.ID, n)
			}
		}
		WaitForClusterOK(t, c, 3)
	})

	test_structure.RunTestStage(t, "scale", func() {
		w := startWriter(ctx, c)
		for _, shards := range []int{4, 3} {
			if _, err := deploy.Up(ctx, opts(shards)); err != nil {
				w.Stop()
				t.Fatalf("scaling to %d shards: %v", shards, err)
			}
			WaitForClusterOK(t, c, shards)
			logger.Logf(t, "scaled to %d shards; %d writes acknowledged so far", shards, w.Acked())
		}
		assertNoneLost(t, ctx, c, w.Stop(), "resharding 3->4->3")
	})
}

func validatePlacement(t *testing.T, nodes []Node) {
	t.Helper()
	byID := map[string]Node{}
	for _, n := range nodes {
		byID[n.ID] = n
	}
	primaries := 0
	for _, n := range nodes {
		if !n.Alive {
			t.Errorf("node %s is not alive", n.ID)
		}
		switch n.Role {
		case "primary":
			primaries++
		case "replica":
			p, ok := byID[n.PrimaryID]
			if !ok {
				t.Errorf("replica %s follows unknown %q", n.ID, n.PrimaryID)
			} else if p.Zone == n.Zone {
				t.Errorf("replica %s shares zone %s with its primary %s", n.ID, n.Zone, p.ID)
			}
		}
	}
	if primaries != 3 || len(nodes) != 6 {
		t.Errorf("3 shards x 1 replica expected, got %d nodes, %d primaries", len(nodes), primaries)
	}
}

func validateTLSOnly(t *testing.T, d *Deployed) {
	t.Helper()
	plain := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("%s:%d", d.Endpoint, d.Port), Username: d.User, Password: d.Token, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
	defer plain.Close()
	if err := plain.Ping(context.Background()).Err(); err == nil {
		t.Error("a plaintext connection must be refused")
	}
	tc, _ := TLSConfigE(d.CAFile)
	wrong := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("%s:%d", d.Endpoint, d.Port), Username: d.User, Password: "not-the-token-000", TLSConfig: tc, MaxRetries: -1})
	defer wrong.Close()
	if err := wrong.Ping(context.Background()).Err(); err == nil || !strings.Contains(strings.ToUpper(err.Error()), "WRONGPASS") {
		t.Errorf("a wrong token must be refused: %v", err)
	}
}

// validateUseCases runs the seed's use cases against the cluster with a cluster-aware client.
func validateUseCases(t *testing.T, c *redis.ClusterClient) {
	ctx := context.Background()
	t.Run("sessions with TTL", func(t *testing.T) {
		if err := c.Set(ctx, "session:42", `{"user":42}`, 2*time.Second).Err(); err != nil {
			t.Fatal(err)
		}
		if ttl := c.TTL(ctx, "session:42").Val(); ttl <= 0 || ttl > 2*time.Second {
			t.Errorf("ttl %v", ttl)
		}
		retry.DoWithRetry(t, "session to expire", 20, 250*time.Millisecond, func() (string, error) {
			if c.Exists(ctx, "session:42").Val() != 0 {
				return "", fmt.Errorf("still there")
			}
			return "expired", nil
		})
	})
	t.Run("leaderboard", func(t *testing.T) {
		for i, p := range []string{"ann", "bob", "cid", "dee"} {
			c.ZAdd(ctx, "board", redis.Z{Score: float64(i * 10), Member: p})
		}
		c.ZIncrBy(ctx, "board", 25, "ann")
		top := c.ZRevRangeWithScores(ctx, "board", 0, 1).Val()
		if len(top) != 2 || top[0].Member != "dee" || top[1].Member != "ann" || top[1].Score != 25 {
			t.Errorf("top 2: %v", top)
		}
	})
	t.Run("rate limiter", func(t *testing.T) {
		allowed := 0
		for i := 0; i < 15; i++ {
			n := c.Incr(ctx, "rate:{client-7}").Val()
			if n == 1 {
				c.Expire(ctx, "rate:{client-7}", 10*time.Second)
			}
			if n <= 10 {
				allowed++
			}
		}
		if allowed != 10 {
			t.Errorf("a 10-per-window limiter allowed %d of 15", allowed)
		}
	})
	t.Run("pub/sub", func(t *testing.T) {
		sub := c.Subscribe(ctx, "events")
		defer sub.Close()
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		retry.DoWithRetry(t, "message delivery", 20, 100*time.Millisecond, func() (string, error) {
			if err := c.Publish(ctx, "events", "hello").Err(); err != nil {
				return "", err
			}
			m, err := sub.ReceiveTimeout(ctx, 500*time.Millisecond)
			if err != nil {
				return "", err
			}
			if msg, ok := m.(*redis.Message); !ok || msg.Payload != "hello" {
				return "", fmt.Errorf("got %v", m)
			}
			return "ok", nil
		})
	})
	t.Run("stream queue", func(t *testing.T) {
		c.XGroupCreateMkStream(ctx, "jobs", "workers", "0")
		for i := 0; i < 3; i++ {
			c.XAdd(ctx, &redis.XAddArgs{Stream: "jobs", Values: map[string]any{"n": i}})
		}
		got := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "workers", Consumer: "w1", Streams: []string{"jobs", ">"}, Count: 10}).Val()
		if len(got) != 1 || len(got[0].Messages) != 3 {
			t.Fatalf("read %v", got)
		}
		for _, m := range got[0].Messages {
			c.XAck(ctx, "jobs", "workers", m.ID)
		}
		if p := c.XPending(ctx, "jobs", "workers").Val(); p.Count != 0 {
			t.Errorf("%d jobs still pending after ack", p.Count)
		}
	})
	t.Run("eviction under maxmemory-policy", func(t *testing.T) {
		// 64 MB nodes keep 75% for data: write ~80 MB into one shard (one hash tag).
		val := strings.Repeat("x", 64<<10)
		for i := 0; i < 1300; i++ {
			if err := c.Set(ctx, fmt.Sprintf("{evict}k%d", i), val, 0).Err(); err != nil {
				t.Fatalf("write %d: %v (allkeys-lru must evict, not refuse)", i, err)
			}
		}
		m, err := c.MasterForKey(ctx, "{evict}k0")
		if err != nil {
			t.Fatal(err)
		}
		stats := m.Info(ctx, "stats").Val()
		if !strings.Contains(stats, "evicted_keys:") || strings.Contains(stats, "evicted_keys:0\r") {
			t.Errorf("keys should have been evicted: %s", grep(stats, "evicted_keys"))
		}
		if n := m.DBSize(ctx).Val(); n >= 1300 {
			t.Errorf("the shard still holds %d keys", n)
		}
		// Free the shard again: later stages count every acknowledged write, and a full shard
		// would evict them.
		for i := 0; i < 1300; i++ {
			c.Del(ctx, fmt.Sprintf("{evict}k%d", i))
		}
	})
}

func grep(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// startWriter writes distinct keys until stopped and remembers the acknowledged ones.
func startWriter(ctx context.Context, c redis.Cmdable) *writeload.Writer {
	return writeload.Start(ctx, c, writeload.Options{Prefix: "w:", RetryPause: 20 * time.Millisecond, Record: true})
}

// assertNoneLost reads back every write the stopped writer saw acknowledged.
func assertNoneLost(t *testing.T, ctx context.Context, c redis.Cmdable, w writeload.Result, during string) {
	t.Helper()
	if len(w.Acked) == 0 {
		t.Fatal("the writer acknowledged nothing")
	}
	var unread []string
	for _, k := range w.Acked {
		if v, err := c.Get(ctx, k).Result(); err != nil || v != k {
			unread = append(unread, k)
		}
	}
	// A read that fails on a stale slot map is not a lost write: retry those after the client
	// has reloaded the topology, and count as lost only a key that is really absent or wrong.
	lost := map[string]string{}
	for _, k := range unread {
		var last string
		for i := 0; i < 20; i++ {
			if cc, ok := c.(*redis.ClusterClient); ok {
				cc.ReloadState(ctx)
			}
			v, err := c.Get(ctx, k).Result()
			if err == nil && v == k {
				last = ""
				break
			}
			last = fmt.Sprintf("value %q, error %v", v, err)
			time.Sleep(250 * time.Millisecond)
		}
		if last != "" {
			lost[k] = last
		}
	}
	logger.Logf(t, "%s: %d writes acknowledged, %d client errors, %d first reads failed, %d lost", during, len(w.Acked), w.Failed, len(unread), len(lost))
	if len(lost) > 0 {
		t.Errorf("%d of %d acknowledged writes lost during %s: %v", len(lost), len(w.Acked), during, lost)
	}
}

// e2e skips in -short mode, checks the CLI and provider are built and returns a work
// directory and the deployment's data directory in it.
func e2e(t *testing.T) (workDir, dataDir string) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: deploys real Redis")
	}
	requireTools(t)
	workDir = t.TempDir()
	return workDir, filepath.Join(workDir, "data")
}

// testWriter sends Pulumi's progress to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if strings.TrimSpace(l) != "" {
			w.t.Log(l)
		}
	}
	return len(p), nil
}

// maintenanceAwayFrom is a one-hour weekly maintenance window twelve hours after t, so that it
// never meets a daily snapshot window of a few hours around t.
func maintenanceAwayFrom(t time.Time) string {
	start := t.UTC().Add(12 * time.Hour).Truncate(time.Hour)
	end := start.Add(time.Hour)
	day := func(x time.Time) string { return strings.ToLower(x.Weekday().String()[:3]) }
	return fmt.Sprintf("%s:%s-%s:%s", day(start), start.Format("15:04"), day(end), end.Format("15:04"))
}
