package pod_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/kubernetes/pod"
)

const (
	adminPass = "admin-password-for-tests"
	appToken  = "app-token-for-tests-0123456789"
	// podStartPorts is the base of this package's live tests' ports (7450-7499).
	podStartPorts = 7450
)

// A cluster shard's primary restarts empty (no persistence) before any failover: its replica
// holds the data, and the node's nodes.conf still says it serves every slot. Started through
// the real `rediskit-engine pod-start`, the replica takes over first and the node comes back as
// its replica: the data survives and the emptied node never leads. Without the guard (the
// server started as-is) the node would lead empty and its replica would resync to nothing.
func TestPodStartEmptiedPrimaryReturnsAsReplica(t *testing.T) {
	ctx := context.Background()
	sh := liveShard(t)
	e := sh.engine
	prim, repl := e.Plan.Nodes[0], e.Plan.Nodes[1]

	pc, rc := admin(prim), admin(repl)
	defer pc.Close()
	defer rc.Close()
	const keys = 200
	writeKeys(t, pc, keys)

	// The primary goes away and comes back with an empty volume but its nodes.conf.
	if err := e.StopNode(ctx, prim.ID); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{engine.RDBFile, engine.AOFDir} {
		if err := os.RemoveAll(filepath.Join(prim.Dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if role := info(t, rc, "replication")["role"]; role != "slave" {
		t.Fatalf("before the restart the replica is %s: this test needs the shard's primary unchanged", role)
	}

	// Watch the replica's data while the node comes back: it must never shrink.
	stopWatch := make(chan struct{})
	watched := make(chan error, 1)
	go func() {
		c := admin(repl)
		defer c.Close()
		for {
			select {
			case <-stopWatch:
				watched <- nil
				return
			case <-time.After(20 * time.Millisecond):
			}
			if n, err := c.DBSize(ctx).Result(); err == nil && n < keys {
				watched <- fmt.Errorf("the replica's dataset dropped to %d keys", n)
				return
			}
		}
	}()

	log := sh.podStart(t, "rkpod-0001-0")
	waitFor(t, 30*time.Second, prim.ID+" to replicate "+repl.ID, func() error {
		rep, err := engine.Info(ctx, pc, "replication")
		if err != nil {
			return err
		}
		if rep["role"] != "slave" || rep["master_link_status"] != "up" {
			return fmt.Errorf("role %s, link %s", rep["role"], rep["master_link_status"])
		}
		return nil
	})
	close(stopWatch)
	if err := <-watched; err != nil {
		t.Fatal(err)
	}
	if role := info(t, rc, "replication")["role"]; role != "master" {
		t.Fatalf("%s, which holds the data, is %s", repl.ID, role)
	}
	for _, c := range []*redis.Client{rc, pc} {
		waitFor(t, 10*time.Second, "every key on "+c.Options().Addr, func() error {
			if n, err := c.DBSize(ctx).Result(); err != nil || n != keys {
				return fmt.Errorf("%d keys: %v", n, err)
			}
			return nil
		})
	}
	if v, err := rc.Get(ctx, "k7").Result(); err != nil || v != "k7" {
		t.Fatalf("k7 on the new primary: %q %v", v, err)
	}
	if b, _ := os.ReadFile(log); !strings.Contains(string(b), "takes over first") {
		t.Fatalf("pod-start did not say why; its log:\n%s", b)
	}
}

// shard is a live cluster shard of two valkey nodes made by the engine, as a cache's pods would
// run it (configuration including the credential from a Secret's file), and the engine binary
// built to start its nodes through pod-start.
type shard struct {
	engine                *engine.Engine
	bin, configDir, creds string
	dataDir               string
}

func liveShard(t *testing.T) *shard {
	t.Helper()
	if _, err := exec.LookPath("valkey-server"); err != nil {
		t.Skip("valkey-server is not installed")
	}
	root := t.TempDir()
	sh := &shard{bin: buildEngine(t), creds: filepath.Join(root, "credentials"), dataDir: filepath.Join(root, "data")}
	d := engine.Deployment{
		Name: "rkpod", Mode: engine.ModeCluster, Shards: 1, ReplicasPerShard: 1,
		Engine: "valkey", EngineVersion: "8.0",
		Auth:        engine.Auth{AppToken: appToken, AdminPassword: adminPass},
		BasePort:    podStartPorts,
		DataDir:     sh.dataDir,
		NodeMemory:  128 << 20,
		Persistence: engine.Persistence{}, // a restart loses the node's data
		// The pod's configuration includes the credential from the engine Secret's file.
		CredentialsInclude: filepath.Join(sh.creds, pod.CredentialsFile),
		Timing:             engine.Timing{ClusterNodeTimeout: 3 * time.Second},
	}
	e, err := engine.New(d, engine.NewLocalRunner())
	if err != nil {
		t.Fatal(err)
	}
	e.Logf = t.Logf
	sh.engine = e
	writeFile(t, filepath.Join(sh.creds, pod.CredentialsFile), engine.CredentialsConf(&d))
	writeFile(t, filepath.Join(sh.creds, engine.ACLFile), e.Plan.ACL())
	sh.configDir = writeShardConfig(t, root, e.Plan)
	t.Cleanup(func() { _ = e.Stop(context.Background()) })
	if err := e.Create(context.Background()); err != nil {
		t.Fatal(err)
	}
	return sh
}

// writeKeys writes n keys to the shard's primary and waits until its replica acknowledged them.
func writeKeys(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("k%d", i)
		if err := c.Set(ctx, k, k, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if acked, err := c.Do(ctx, "wait", 1, 5000).Int(); err != nil || acked != 1 {
		t.Fatalf("WAIT: %d replicas acknowledged: %v", acked, err)
	}
}

// buildEngine builds the engine binary that pod images run.
func buildEngine(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rediskit-engine")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/rediskit/rediskit/cmd/rediskit-engine").CombinedOutput()
	if err != nil {
		t.Fatalf("building rediskit-engine: %v\n%s", err, out)
	}
	return bin
}

// writeShardConfig writes what the shard's ConfigMap holds, as render lays it out: each pod's
// redis.conf from the engine's rendering, and nodes.json.
func writeShardConfig(t *testing.T, root string, p *engine.Plan) string {
	t.Helper()
	dir := filepath.Join(root, "config")
	var nodes []pod.Node
	ordinal := map[int]int{}
	for _, n := range p.Nodes {
		name := fmt.Sprintf("%s-%s-%d", p.Deployment.Name, n.ShardID, ordinal[n.Shard])
		nodes = append(nodes, pod.Node{ID: n.ID, Shard: n.Shard, ShardID: n.ShardID, Pod: name, Ordinal: ordinal[n.Shard], Host: n.Host})
		ordinal[n.Shard]++
		conf, err := p.RedisConf(n.ID)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, pod.ConfKey(name)), conf)
	}
	b, _ := json.MarshalIndent(nodes, "", "  ")
	writeFile(t, filepath.Join(dir, pod.NodesKey), string(b))
	return dir
}

// podStart runs `rediskit-engine pod-start` as a pod would (it becomes the server) and stops
// it when the test ends; it returns its log file.
func (sh *shard) podStart(t *testing.T, podName string) string {
	t.Helper()
	log := filepath.Join(t.TempDir(), "pod-start.log")
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sh.bin, pod.Subcommand, "-wait", "20s")
	cmd.Env = append(os.Environ(), pod.EnvPodName+"="+podName, pod.EnvConfigDir+"="+sh.configDir, pod.EnvDataDir+"="+sh.dataDir,
		pod.EnvCredentialsDir+"="+sh.creds, pod.EnvServer+"=valkey-server")
	cmd.Stdout, cmd.Stderr = f, f
	// Killed with the test, so no server outlives it holding a port.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); f.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(log)
			t.Logf("pod-start's log:\n%s", b)
		}
	})
	return log
}

func admin(n *engine.Node) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: n.Addr(), Username: engine.AdminUser, Password: adminPass,
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second, MaxRetries: -1, Protocol: 2})
}

func info(t *testing.T, c *redis.Client, section string) map[string]string {
	t.Helper()
	m, err := engine.Info(context.Background(), c, section)
	if err != nil {
		t.Fatalf("INFO %s of %s: %v", section, c.Options().Addr, err)
	}
	return m
}

func waitFor(t *testing.T, timeout time.Duration, what string, check func() error) {
	t.Helper()
	if err := engine.Poll(context.Background(), timeout, 100*time.Millisecond, what, func(context.Context) error { return check() }); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A replica's volume is lost (a new PersistentVolumeClaim, or a pod rescheduled onto an empty
// one): pod-start finds no nodes.conf while its shard's primary leads, so it stays the server's
// parent, meets the primary and replicates it once the server answers. The node is back as a
// replica with the data, under a new cluster identity, and the primary keeps leading.
func TestPodStartLostVolumeJoinsAsReplica(t *testing.T) {
	ctx := context.Background()
	sh := liveShard(t)
	e := sh.engine
	prim, repl := e.Plan.Nodes[0], e.Plan.Nodes[1]
	pc, rc := admin(prim), admin(repl)
	defer pc.Close()
	defer rc.Close()
	const keys = 100
	writeKeys(t, pc, keys)
	if err := e.StopNode(ctx, repl.ID); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(repl.Dir); err != nil {
		t.Fatal(err)
	}
	log := sh.podStart(t, "rkpod-0001-1")
	waitFor(t, 30*time.Second, repl.ID+" to replicate "+prim.ID, func() error {
		rep, err := engine.Info(ctx, rc, "replication")
		if err != nil {
			return err
		}
		if rep["role"] != "slave" || rep["master_link_status"] != "up" {
			return fmt.Errorf("role %s, link %s", rep["role"], rep["master_link_status"])
		}
		return nil
	})
	if role := info(t, pc, "replication")["role"]; role != "master" {
		t.Fatalf("%s is %s after its replica rejoined", prim.ID, role)
	}
	waitFor(t, 10*time.Second, "every key on the rejoined replica", func() error {
		if n, err := rc.DBSize(ctx).Result(); err != nil || n != keys {
			return fmt.Errorf("%d keys: %v", n, err)
		}
		return nil
	})
	if b, _ := os.ReadFile(log); !strings.Contains(string(b), "join the cluster as a replica of "+prim.ID) {
		t.Fatalf("pod-start did not join; its log:\n%s", b)
	}
}
