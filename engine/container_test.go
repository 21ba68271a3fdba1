package engine

import (
	"context"
	"fmt"
	"github.com/rediskit/rediskit/internal/testenv"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// engineImage is the image `make image` builds for the tests' engine version (redis 7.0,
// newDeployment's), or ENGINE_IMAGE.
func engineImage() string {
	if img := os.Getenv("ENGINE_IMAGE"); img != "" {
		return img
	}
	return ImageFor("redis", "7.0")
}

func requireImage(t *testing.T) string {
	t.Helper()
	img := engineImage()
	testenv.RequireCommands(t, "the docker engine", "docker")
	if out, err := exec.Command("docker", "image", "inspect", img).CombinedOutput(); err != nil {
		testenv.Missing(t, "image %s missing (make image builds it): %s", img, strings.TrimSpace(string(out)))
	}
	return img
}

// CreateNetworkE creates a private Docker network with a random /24 and returns its name
// and the subnet prefix ("10.x.y.").
func CreateNetworkE(name string) (string, error) {
	var lastErr error
	for attempt := 0; attempt < 10; attempt++ {
		prefix := fmt.Sprintf("10.%d.%d.", 200+rand.IntN(50), rand.IntN(250))
		out, err := exec.Command("docker", "network", "create", "--subnet", prefix+"0/24", name).CombinedOutput()
		if err == nil {
			return prefix, nil
		}
		lastErr = fmt.Errorf("docker network create: %v: %s", err, out)
	}
	return "", lastErr
}

// dockerCluster is a cluster of shards x 1 on the docker driver: each node a container with its
// own address on a new private network, removed with the network when the test ends; timing
// nil keeps the tests' short one. The deployment is not brought up yet.
func dockerCluster(t *testing.T, name string, shards int, timing *Timing) (e *Engine, runner *DockerRunner, tag, prefix string) {
	t.Helper()
	img := requireImage(t)
	tag = fmt.Sprintf("rkt-%d", rand.IntN(1_000_000))
	prefix, err := CreateNetworkE(tag)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "network", "rm", tag).Run() })
	d := newDeployment(t, ModeCluster, shards, 1)
	d.Name = name
	d.BasePort = 7000
	if timing != nil {
		d.Timing = *timing
	}
	base, err := PlanFor(d)
	if err != nil {
		t.Fatal(err)
	}
	d.NodeHosts, d.NodePorts = map[string]string{}, map[string]int{}
	for i, n := range base.Nodes {
		d.NodeHosts[n.ID] = fmt.Sprintf("%s%d", prefix, 10+i)
		d.NodePorts[n.ID] = 6379 // every container has its own address: the standard port
	}
	runner = &DockerRunner{Image: img, Network: tag, Prefix: tag + "-"}
	e, err = New(d, runner)
	if err != nil {
		t.Fatal(err)
	}
	e.Logf = t.Logf
	var ids []string
	for _, n := range e.Plan.Nodes {
		ids = append(ids, n.ID)
	}
	t.Cleanup(func() {
		_ = e.Stop(context.Background())
		_ = runner.Remove(context.Background(), ids...)
	})
	return e, runner, tag, prefix
}

func TestContainerCluster(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	e, runner, _, prefix := dockerCluster(t, "rk-docker", 3, nil)
	var ids []string
	for _, n := range e.Plan.Nodes {
		ids = append(ids, n.ID)
	}
	if err := e.Up(ctx); err != nil {
		t.Fatalf("bringing the containers up: %v", err)
	}

	// redis-cli from inside the image checks the cluster over the private network.
	first := e.Plan.Nodes[0]
	out, err := exec.Command("docker", "exec", runner.name(first.ID), "redis-cli", "--user", AdminUser, "--pass", adminPass,
		"--no-auth-warning", "--cluster", "check", first.Addr()).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "[OK] All 16384 slots covered.") || strings.Contains(string(out), "[ERR]") {
		t.Fatalf("redis-cli --cluster check: %v\n%s", err, out)
	}
	for _, want := range []string{"1 additional replica(s)", "M: ", "S: "} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("cluster check lacks %q:\n%s", want, out)
		}
	}

	// A cluster-aware client on the host reaches every shard at the announced addresses.
	cc := clusterClient(e)
	defer cc.Close()
	for i := 0; i < 100; i++ {
		k := fmt.Sprintf("c:%d", i)
		if err := cc.Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
		if v, err := cc.Get(ctx, k).Int(); err != nil || v != i {
			t.Fatalf("GET %s = %d, %v", k, v, err)
		}
	}
	if st := e.Status(ctx); !st.Ready || st.SlotsCovered != TotalSlots {
		t.Fatalf("status %+v", st)
	}

	// The image's HEALTHCHECK reports every container healthy (liveness of the process).
	WaitFor(t, "containers healthy", 60*time.Second, func() error {
		for _, id := range ids {
			out, err := exec.Command("docker", "inspect", "-f", "{{.State.Health.Status}} {{.Config.User}}", runner.name(id)).CombinedOutput()
			if err != nil {
				return fmt.Errorf("%s: %v %s", id, err, out)
			}
			if got := strings.TrimSpace(string(out)); got != fmt.Sprintf("healthy %d:%d", ImageUID, ImageUID) {
				return fmt.Errorf("%s: %s", id, got)
			}
		}
		return nil
	})

	t.Run("a container restarted with a new address rejoins", func(t *testing.T) {
		n := e.Plan.Nodes[len(e.Plan.Nodes)-1]
		d2 := e.Plan.Deployment
		hosts := map[string]string{}
		for k, v := range d2.NodeHosts {
			hosts[k] = v
		}
		hosts[n.ID] = prefix + "99" // a new IP, as after a pod reschedule
		d2.NodeHosts = hosts
		if err := e.StopNode(ctx, n.ID); err != nil {
			t.Fatal(err)
		}
		np, err := PlanFor(d2)
		if err != nil {
			t.Fatal(err)
		}
		e.Plan = np
		if err := e.StartNode(ctx, n.ID); err != nil {
			t.Fatal(err)
		}
		WaitFor(t, "the cluster to see the new address", 60*time.Second, func() error {
			out, err := exec.Command("docker", "exec", runner.name(first.ID), "redis-cli", "--user", AdminUser, "--pass", adminPass,
				"--no-auth-warning", "--cluster", "check", first.Addr()).CombinedOutput()
			if err != nil || !strings.Contains(string(out), prefix+"99:6379") || strings.Contains(string(out), "[ERR]") {
				return fmt.Errorf("%v\n%s", err, out)
			}
			return nil
		})
	})
}

// The image's default command runs a whole deployment in one container, configured by a
// mounted deployment file, a secret from the environment and one from a mounted file.
func TestContainerAllInOne(t *testing.T) {
	img := requireImage(t)
	dir := t.TempDir()
	deployment := `{"name":"rk-aio","mode":"replication","replicasPerShard":1,"engine":"redis","engineVersion":"7.0",
		"basePort":6379,"dataDir":"/data","nodeMemory":134217728,"persistence":{"rdb":true},
		"timing":{"downAfter":1000000000,"failoverTimeout":5000000000}}`
	if err := os.WriteFile(dir+"/deployment.json", []byte(deployment), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/admin", []byte(adminPass+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("rkt-aio-%d", rand.IntN(1_000_000))
	out, err := exec.Command("docker", "run", "-d", "--name", name,
		"-v", dir+"/deployment.json:/etc/rediskit/deployment.json:ro",
		"-v", dir+"/admin:/run/secrets/admin:ro",
		"-e", "RK_APP_TOKEN="+appToken, "-e", "RK_ADMIN_PASSWORD_FILE=/run/secrets/admin",
		img).CombinedOutput()
	if err != nil {
		t.Fatalf("docker run: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", name).Run() })
	WaitFor(t, "the deployment in the container to be ready", 90*time.Second, func() error {
		out, err := exec.Command("docker", "exec", name, "rediskit-engine", "status").CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	})
	out, err = exec.Command("docker", "exec", name, "redis-cli", "--user", "app", "--pass", appToken, "--no-auth-warning",
		"-p", "6379", "set", "k", "v").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "OK" {
		t.Fatalf("SET as the app user inside the container: %v %s", err, out)
	}
	ip, err := exec.Command("docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	// The endpoints open once the engine finished bringing the deployment up.
	var m map[string]float64
	WaitFor(t, "the container's /healthz and /metrics", 30*time.Second, func() error {
		resp, err := http.Get("http://" + strings.TrimSpace(string(ip)) + ":9121/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("healthz: %s", resp.Status)
		}
		m, err = scrapeE("http://" + strings.TrimSpace(string(ip)) + ":9121/metrics")
		return err
	})
	if v, ok := m[`IsMaster{CacheClusterId="rk-aio-001",CacheNodeId="0001",ReplicationGroupId="rk-aio",Role="primary",Zone="zone-a"}`]; !ok || v != 1 {
		t.Fatalf("IsMaster of rk-aio-001 = %v, %v; series: %v", v, ok, m)
	}
	if out, err := exec.Command("docker", "stop", "-t", "30", name).CombinedOutput(); err != nil {
		t.Fatalf("docker stop: %v %s", err, out)
	}
	logs, _ := exec.Command("docker", "logs", name).CombinedOutput()
	if !strings.Contains(string(logs), "stopping rk-aio") {
		t.Fatalf("the engine did not stop the deployment on SIGTERM:\n%s", logs)
	}
	if code, _ := exec.Command("docker", "inspect", "-f", "{{.State.ExitCode}}", name).Output(); strings.TrimSpace(string(code)) != "0" {
		t.Fatalf("exit code %s:\n%s", code, logs)
	}
}

// A TLS-only node in a container: the runner tells the image's HEALTHCHECK to speak TLS
// (its port has no plaintext) and limits the container to the node's memory.
func TestContainerTLSHealth(t *testing.T) {
	requireRedis(t)
	img := requireImage(t)
	ctx := context.Background()
	tag := fmt.Sprintf("rkt-%d", rand.IntN(1_000_000))
	prefix, err := CreateNetworkE(tag)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "network", "rm", tag).Run() })
	d := newDeployment(t, ModeSingle, 1, 0)
	d.Name = "rk-dtls"
	d.BasePort = 6379
	d.NodeMemory = 128 << 20
	d.TLS = TLS{Enabled: true, Mode: "required"}
	id := d.Name + "-001"
	d.NodeHosts = map[string]string{id: prefix + "10"}
	runner := &DockerRunner{Image: img, Network: tag, Prefix: tag + "-", Mounts: []string{d.DataDir + "/tls"}}
	e, err := New(d, runner)
	if err != nil {
		t.Fatal(err)
	}
	e.Logf = t.Logf
	t.Cleanup(func() {
		_ = e.Stop(context.Background())
		_ = runner.Remove(context.Background(), id)
	})
	if err := e.PrepareTLS(); err != nil { // the certificates exist before the mount
		t.Fatal(err)
	}
	if err := e.Up(ctx); err != nil {
		t.Fatalf("bringing the container up: %v", err)
	}
	app := appClient(e, e.Plan.Nodes[0])
	defer app.Close()
	if err := app.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("TLS client to the container: %v", err)
	}
	out, err := exec.Command("docker", "inspect", "-f", "{{.HostConfig.Memory}} {{range .Config.Env}}{{.}} {{end}}", runner.name(id)).CombinedOutput()
	if err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if f := strings.Fields(string(out)); f[0] != fmt.Sprint(d.NodeMemory) || !strings.Contains(string(out), " RK_PROBE_TLS=1 ") {
		t.Fatalf("container memory limit and environment: %s", out)
	}
	WaitFor(t, "the TLS-only container healthy", 60*time.Second, func() error {
		out, err := exec.Command("docker", "inspect", "-f", "{{.State.Health.Status}}", runner.name(id)).CombinedOutput()
		if got := strings.TrimSpace(string(out)); err != nil || got != "healthy" {
			return fmt.Errorf("health %q, %v", got, err)
		}
		return nil
	})
}

// The image's own server program judges a configuration, so the docker driver refuses what
// the binary in the image would refuse, before any container of the deployment starts.
func TestContainerConfigCheck(t *testing.T) {
	img := requireImage(t)
	r := &DockerRunner{Image: img}
	out, err := r.TestConfig(context.Background(), "redis-server", []byte("port 0\nsave \"\"\ntimeout 9999999999\n"))
	if err != nil {
		t.Fatal(err)
	}
	if rej := parseConfigRejection(out); rej == nil || rej.Directive != "timeout" {
		t.Fatalf("rejection %+v from:\n%s", rej, out)
	}
	out, err = r.TestConfig(context.Background(), "redis-server", []byte("port 0\nsave \"\"\ntimeout 300\n"))
	if err != nil || parseConfigRejection(out) != nil || !strings.Contains(out, "Configuration loaded") {
		t.Fatalf("a valid configuration (%v):\n%s", err, out)
	}
}
