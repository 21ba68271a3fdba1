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

	"github.com/gruntwork-io/terratest/modules/retry"
	test_structure "github.com/gruntwork-io/terratest/modules/test-structure"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/infra/deploy"
	"github.com/rediskit/rediskit/provider"
)

// TestSelfHostedSingleNode deploys single-node mode with local processes, checks the round
// trip with TLS and auth, that the token never reaches the state in plain text, applies a
// parameter change online (no restart: the data stays), and destroys the node.
func TestSelfHostedSingleNode(t *testing.T) {
	workDir, dataDir := e2e(t)
	// A snapshot window around now, so the controller takes the day's automatic snapshot here.
	now := time.Now().UTC()
	window := now.Add(-10*time.Minute).Format("15:04") + "-" + now.Add(60*time.Minute).Format("15:04")
	base := shape{name: "rk-e2e-single", mode: "single", driver: "process", dataDir: dataDir, basePort: 7600, window: window,
		metricsPort: 7650}
	opts := func(policy string) deploy.Options {
		s := base
		s.params = map[string]string{"maxmemory-policy": policy}
		return s.options(t, workDir)
	}
	// later stages change more than the policy
	with := func(params map[string]string, auth map[string]any) deploy.Options {
		s := base
		s.params, s.auth = params, auth
		return s.options(t, workDir)
	}
	ctx := context.Background()

	var controller int // the controller's pid, once deployed
	defer test_structure.RunTestStage(t, "destroy", func() {
		Destroy(t, ctx, with(nil, nil), dataDir, true)
		if controller != 0 && processAlive(controller) {
			t.Errorf("the controller (pid %d) still runs after destroy", controller)
		}
	})

	var d *Deployed
	test_structure.RunTestStage(t, "deploy", func() {
		var res auto.UpResult
		var err error
		if d, res, err = UpE(ctx, opts("volatile-lru")); err != nil {
			t.Fatal(err)
		}
		if !res.Outputs["authToken"].Secret {
			t.Error("the authToken output must be a secret")
		}
		// The state at rest, as the file backend keeps it (an export would decrypt secrets).
		files, _ := filepath.Glob(filepath.Join(workDir, "state", "backend", ".pulumi", "stacks", "*", "local.json"))
		if len(files) != 1 {
			t.Fatalf("want the stack's state file, found %v", files)
		}
		raw, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		state := struct {
			Checkpoint struct {
				Latest json.RawMessage `json:"latest"`
			} `json:"checkpoint"`
		}{}
		if err := json.Unmarshal(raw, &state); err != nil || len(state.Checkpoint.Latest) == 0 {
			t.Fatalf("reading %s: %v", files[0], err)
		}
		if !strings.Contains(string(state.Checkpoint.Latest), "ciphertext") {
			t.Error("the state holds no encrypted secret at all")
		}
		if paths := findString(raw, d.Token); len(paths) > 0 {
			t.Errorf("the auth token is in the stack's state in plain text at %v", paths)
		}
	})

	tc, err := TLSConfigE(d.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("%s:%d", d.Endpoint, d.Port), Username: d.User, Password: d.Token, TLSConfig: tc})
	defer c.Close()

	test_structure.RunTestStage(t, "validate", func() {
		if len(d.Nodes) != 1 || d.Nodes[0].Role != "primary" || !d.Nodes[0].Alive {
			t.Fatalf("want one live primary, got %+v", d.Nodes)
		}
		validateTLSOnly(t, d)
		if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if got := policyE(ctx, c); got != "volatile-lru" {
			t.Errorf("maxmemory-policy %q, want the ElastiCache default volatile-lru", got)
		}
		for _, cmd := range [][]any{{"CONFIG", "GET", "maxmemory"}, {"BGSAVE"}, {"DEBUG", "SLEEP", "0"}, {"SHUTDOWN"}} {
			// DEBUG is also off in redis.conf (enable-debug-command no): either refusal counts.
			if err := c.Do(ctx, cmd...).Err(); err == nil || !(strings.Contains(err.Error(), "NOPERM") || strings.Contains(err.Error(), "DEBUG command not allowed")) {
				t.Errorf("%v must be denied to the app user, got %v", cmd[0], err)
			}
		}
	})

	test_structure.RunTestStage(t, "automatic snapshot", func() {
		// The controller, not a pulumi run, takes the day's snapshot inside the window.
		if controller = provider.ControllerPID(dataDir); controller == 0 {
			t.Fatal("no controller runs beside a deployment that keeps automatic snapshots")
		}
		retry.DoWithRetry(t, "the controller's automatic snapshot", 60, 500*time.Millisecond, func() (string, error) {
			names, err := AutomaticSnapshotsE(dataDir + "-snapshots")
			if err == nil && len(names) != 1 {
				err = fmt.Errorf("automatic snapshots %v, want one", names)
			}
			return "", err
		})
		// And it serves the node's metrics under CloudWatch's names, and the readiness view.
		metrics := HTTPGet(t, "http://127.0.0.1:7650/metrics")
		for _, want := range []string{`CurrConnections{`, `DatabaseMemoryUsagePercentage{`, `ReplicationGroupId="rk-e2e-single"`} {
			if !strings.Contains(metrics, want) {
				t.Errorf("/metrics lacks %s:\n%s", want, metrics)
			}
		}
		if body := HTTPGet(t, "http://127.0.0.1:7650/healthz"); !strings.Contains(body, "ready") {
			t.Errorf("/healthz: %q", body)
		}
	})

	test_structure.RunTestStage(t, "update parameters", func() {
		before := c.Info(ctx, "server").Val()
		ctlLog := provider.ControllerLogFile(dataDir)
		seen := CountLogLines(ctlLog, "already has") // the controller log is appended to across restarts
		if _, err := deploy.Up(ctx, opts("allkeys-lru")); err != nil {
			t.Fatal(err)
		}
		retry.DoWithRetry(t, "the new policy to apply", 20, 250*time.Millisecond, func() (string, error) {
			if got := policyE(ctx, c); got != "allkeys-lru" {
				return "", fmt.Errorf("policy still %q", got)
			}
			return "ok", nil
		})
		// maxmemory-policy applies immediately on ElastiCache: no restart, the data stays.
		if grep(c.Info(ctx, "server").Val(), "run_id") != grep(before, "run_id") {
			t.Error("an immediate parameter restarted the node")
		}
		if v := c.Get(ctx, "k").Val(); v != "v" {
			t.Errorf("data lost across the parameter change: %q", v)
		}
		// The update stopped the controller and started it again with the new spec; the new
		// one does not take the day's snapshot a second time.
		pid := provider.ControllerPID(dataDir)
		if pid == 0 || pid == controller {
			t.Errorf("controller pid %d after the update (was %d): want a new, running one", pid, controller)
		}
		if processAlive(controller) {
			t.Errorf("the controller from before the update (pid %d) still runs", controller)
		}
		controller = pid
		// The new controller reads the clock at once and says it found the day's snapshot.
		WaitForLogLine(t, ctlLog, "already has", seen+1, 30*time.Second)
		if names, err := AutomaticSnapshotsE(dataDir + "-snapshots"); err != nil || len(names) != 1 {
			t.Errorf("automatic snapshots after the update: %v, %v; want still one", names, err)
		}
	})

	test_structure.RunTestStage(t, "rotate the token", func() {
		client := func(token string) *redis.Client {
			return redis.NewClient(&redis.Options{Addr: fmt.Sprintf("%s:%d", d.Endpoint, d.Port), Username: d.User, Password: token, TLSConfig: tc, MaxRetries: -1})
		}
		params := map[string]string{"maxmemory-policy": "allkeys-lru"}
		rotated := Up(t, ctx, with(params, map[string]any{"tokenRevision": "2"}))
		if rotated.Token == d.Token {
			t.Fatal("a new token revision must generate a new token")
		}
		// ROTATE (the default): both tokens are valid while clients move over.
		for name, tok := range map[string]string{"old": d.Token, "new": rotated.Token} {
			c := client(tok)
			if err := c.Ping(ctx).Err(); err != nil {
				t.Errorf("after a rotation the %s token must work: %v", name, err)
			}
			c.Close()
		}
		// SET: only the new token is left.
		if _, err := deploy.Up(ctx, with(params, map[string]any{"tokenRevision": "2", "updateStrategy": "set"})); err != nil {
			t.Fatal(err)
		}
		oldc, newc := client(d.Token), client(rotated.Token)
		defer oldc.Close()
		defer newc.Close()
		if err := oldc.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
			t.Errorf("after SET the old token must be refused, got %v", err)
		}
		if err := newc.Ping(ctx).Err(); err != nil {
			t.Errorf("after SET the new token must work: %v", err)
		}
		if v := newc.Get(ctx, "k").Val(); v != "v" {
			t.Errorf("data lost across the rotation: %q", v)
		}
		d.Token = rotated.Token
	})

	test_structure.RunTestStage(t, "restart parameter", func() {
		c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("%s:%d", d.Endpoint, d.Port), Username: d.User, Password: d.Token, TLSConfig: tc})
		defer c.Close()
		before := grep(c.Info(ctx, "server").Val(), "run_id")
		params := map[string]string{"maxmemory-policy": "allkeys-lru", "activerehashing": "no"}
		if _, err := deploy.Up(ctx, with(params, map[string]any{"tokenRevision": "2", "updateStrategy": "set"})); err != nil {
			t.Fatal(err)
		}
		// activerehashing applies at restart on ElastiCache: the node was restarted with it in
		// its configuration, and kept its data.
		conf, err := os.ReadFile(filepath.Join(dataDir, d.Nodes[0].ID, "redis.conf"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(conf), "\nactiverehashing no\n") {
			t.Errorf("the node's redis.conf lacks activerehashing no")
		}
		if grep(c.Info(ctx, "server").Val(), "run_id") == before {
			t.Error("a restart parameter must restart the node")
		}
		if v := c.Get(ctx, "k").Val(); v != "v" {
			t.Errorf("data lost across the restart: %q", v)
		}
	})
}

// findString returns the JSON paths under which raw holds s in plain text.
func findString(raw []byte, s string) []string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return []string{"(state is not JSON: " + err.Error() + ")"}
	}
	var out []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(path+"."+k, e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case string:
			if strings.Contains(x, s) {
				out = append(out, path)
			}
		}
	}
	walk("", v)
	return out
}

// policyE reads maxmemory_policy from INFO memory (the app user may not run CONFIG GET).
func policyE(ctx context.Context, c *redis.Client) string {
	return strings.TrimPrefix(grep(c.Info(ctx, "memory").Val(), "maxmemory_policy:"), "maxmemory_policy:")
}
