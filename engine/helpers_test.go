package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/retry"
	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/internal/testenv"
	"github.com/rediskit/rediskit/internal/testports"
)

const (
	appToken  = "app-token-0123456789abcdef"
	adminPass = "admin-password-0123456789abcdef"
)

func requireRedis(t *testing.T) {
	t.Helper()
	testenv.RequireCommands(t, "make apt-packages installs it", "redis-server", "redis-sentinel", "redis-cli", "valkey-server", "valkey-sentinel")
}

// freeBasePortE finds n consecutive free ports (and their cluster bus ports, +10000) below
// the kernel's ephemeral range, so no client socket takes one before the node binds it.
func freeBasePortE(n int) (int, error) { return testports.Block(n, true) }

func freeBasePort(t *testing.T, n int) int {
	t.Helper()
	p, err := freeBasePortE(n)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newDeployment is a deployment for tests: fast failure detection, RDB persistence.
func newDeployment(t *testing.T, mode Mode, shards, replicas int) Deployment {
	t.Helper()
	return Deployment{
		Name: "rk-" + strings.ToLower(string(mode)), Mode: mode, Shards: shards, ReplicasPerShard: replicas,
		Engine: "redis", EngineVersion: "7.0",
		Auth:        Auth{AppToken: appToken, AdminPassword: adminPass},
		BasePort:    freeBasePort(t, 24),
		DataDir:     t.TempDir(),
		NodeMemory:  256 << 20,
		Persistence: Persistence{RDB: true},
		// Short enough for a quick suite, long enough that a loaded machine (make test compiles
		// other packages meanwhile) does not see spurious failovers.
		Timing: Timing{DownAfter: 2 * time.Second, FailoverTimeout: 5 * time.Second, ClusterNodeTimeout: 3 * time.Second},
	}
}

// UpE creates (or restarts) a deployment with the local runner.
func UpE(t *testing.T, d Deployment) (*Engine, error) {
	e, err := New(d, NewLocalRunner())
	if err != nil {
		return nil, err
	}
	e.Logf = t.Logf
	e.Timeouts.Start = 30 * time.Second
	return e, e.Up(context.Background())
}

// Up is UpE that fails the test, and stops every process when the test ends.
func Up(t *testing.T, d Deployment) *Engine {
	t.Helper()
	e, err := UpE(t, d)
	if e != nil {
		t.Cleanup(func() { _ = e.Stop(context.Background()) })
	}
	if err != nil {
		t.Fatalf("bringing %s up: %v", d.Name, err)
	}
	return e
}

// clientFor connects to one node as the given user.
func clientFor(e *Engine, n *Node, user, pass string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: n.Addr(), Username: user, Password: pass, TLSConfig: e.ClientTLS(),
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second, MaxRetries: -1})
}

func appClient(e *Engine, n *Node) *redis.Client {
	return clientFor(e, n, e.Plan.Deployment.AppUserName(), appToken)
}

func adminClient(e *Engine, n *Node) *redis.Client { return clientFor(e, n, AdminUser, adminPass) }

// NodeInfoE returns a section of INFO of a node, as the admin.
func NodeInfoE(e *Engine, n *Node, section string) (map[string]string, error) {
	c := adminClient(e, n)
	defer c.Close()
	return Info(context.Background(), c, section)
}

func NodeInfo(t *testing.T, e *Engine, n *Node, section string) map[string]string {
	t.Helper()
	info, err := NodeInfoE(e, n, section)
	if err != nil {
		t.Fatalf("INFO %s of %s: %v", section, n.ID, err)
	}
	return info
}

// WaitForE retries check with terratest's retry until it succeeds or timeout passes.
func WaitFor(t *testing.T, what string, timeout time.Duration, check func() error) {
	t.Helper()
	retry.DoWithRetry(t, what, int(timeout/(200*time.Millisecond)), 200*time.Millisecond, func() (string, error) {
		return "", check()
	})
}

// writeAcked writes key=value and waits for one replica to acknowledge it (WAIT 1) on one
// connection; it reports whether the write is acknowledged.
func writeAcked(ctx context.Context, c redis.Cmdable, key, value string) (bool, error) {
	var wait *redis.IntCmd
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, key, value, 0)
		wait = redis.NewIntCmd(ctx, "wait", 1, 1000)
		_ = p.Process(ctx, wait)
		return nil
	})
	if err != nil {
		return false, err
	}
	return wait.Val() >= 1, nil
}

// assertRestrictedDenied checks that every ElastiCache-restricted command is refused to a
// client with a NOPERM error, and (when admin is given) that the ACL itself denies them.
func assertRestrictedDenied(t *testing.T, c, admin *redis.Client) {
	t.Helper()
	ctx := context.Background()
	cmds := map[string][]any{
		"bgrewriteaof": {"bgrewriteaof"}, "bgsave": {"bgsave"}, "config": {"config", "get", "maxmemory"},
		"debug": {"debug", "sleep", "0"}, "migrate": {"migrate", "127.0.0.1", "1", "k", "0", "100"},
		"replicaof": {"replicaof", "no", "one"}, "save": {"save"}, "slaveof": {"slaveof", "no", "one"},
		"shutdown": {"shutdown"}, "sync": {"sync"},
		"acl setuser": {"acl", "setuser", "app", "+@all"}, "psync": {"psync", "?", "-1"},
	}
	for name, args := range cmds {
		err := c.Do(ctx, args...).Err()
		// DEBUG is also switched off by redis itself (enable-debug-command no); the ACL
		// verdict for it is checked with ACL DRYRUN below.
		if err == nil || !(strings.Contains(err.Error(), "NOPERM") || name == "debug" && strings.Contains(err.Error(), "not allowed")) {
			t.Errorf("%s: want NOPERM, got %v", name, err)
		}
	}
	if admin != nil {
		user := c.Options().Username
		for _, name := range RestrictedCommands {
			res, err := admin.Do(ctx, append([]any{"acl", "dryrun", user}, cmds[name]...)...).Text()
			if err != nil || !strings.Contains(res, "no permissions") {
				t.Errorf("ACL DRYRUN %s %s: want no permissions, got %q, %v", user, name, res, err)
			}
		}
	}
	if _, ok := cmds["config"]; len(cmds) < len(RestrictedCommands) || !ok {
		t.Fatal("test does not cover every restricted command")
	}
}
