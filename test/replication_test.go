package test

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/retry"
	test_structure "github.com/gruntwork-io/terratest/modules/test-structure"
	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/infra/deploy"
)

// engineImage is the image `make image` builds; the docker driver runs it.
var engineImage = engine.ImageFor("redis", "7.0")

func requireImage(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("docker", "image", "inspect", engineImage).CombinedOutput(); err != nil {
		t.Fatalf("image %s is missing (make image builds it; make test does): %v %s", engineImage, err, out)
	}
}

// TestSelfHostedReplicationDocker deploys a replication group (1 primary + 2 replicas, Sentinel
// failover) with the docker driver: one container of the engine image per node and sentinel,
// on the deployment's own network. It validates placement and Sentinel discovery with TLS and
// auth, kills the primary's container, checks that no write acknowledged by WAIT 1 is lost,
// lets the next `up` bring the old primary back as a replica, adds a replica online while a
// client writes, and destroys everything, network included.
func TestSelfHostedReplicationDocker(t *testing.T) {
	workDir, dataDir := e2e(t)
	requireImage(t)
	base := shape{name: "rk-e2e-repl", mode: "replication", driver: "docker", dataDir: dataDir, basePort: 7500, replicas: 2,
		// Multi-AZ puts every node in its own zone: four, so a fourth node can be added.
		zones: []string{"zone-a", "zone-b", "zone-c", "zone-d"}}
	opts := func(replicas int) deploy.Options {
		s := base
		s.replicas = replicas
		return s.options(t, workDir)
	}
	ctx := context.Background()
	network := "rediskit-rk-e2e-repl"

	defer test_structure.RunTestStage(t, "destroy", func() {
		Destroy(t, ctx, opts(3), dataDir, true)
		if out, _ := exec.Command("docker", "ps", "-aq", "--filter", "name=rk-e2e-repl-").CombinedOutput(); strings.TrimSpace(string(out)) != "" {
			t.Errorf("containers left after destroy: %s", out)
		}
		if err := exec.Command("docker", "network", "inspect", network).Run(); err == nil {
			t.Errorf("network %s left after destroy", network)
		}
	})

	var d *Deployed
	test_structure.RunTestStage(t, "deploy", func() {
		d = DeployIdempotent(t, ctx, opts(2))
	})

	c, err := FailoverClientE(d, base.name)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	test_structure.RunTestStage(t, "validate", func() {
		validateReplicationPlacement(t, d, 3)
		for _, n := range d.Nodes {
			// Every node is a container with its own address on the deployment's network.
			out, err := exec.Command("docker", "inspect", "-f", "{{.State.Running}} {{(index .NetworkSettings.Networks \""+network+"\").IPAddress}}", n.ID).CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "true "+n.Host {
				t.Errorf("container %s: want running at %s, got %v %s", n.ID, n.Host, err, out)
			}
		}
		if len(d.Sentinels) != 3 {
			t.Errorf("want 3 sentinels, got %v", d.Sentinels)
		}
		validateTLSOnly(t, d)
		if err := c.Set(ctx, "greeting", "hello", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if v := c.Get(ctx, "greeting").Val(); v != "hello" {
			t.Errorf("round trip through the sentinels: got %q", v)
		}
		if err := c.ConfigGet(ctx, "maxmemory").Err(); err == nil || !strings.Contains(err.Error(), "NOPERM") {
			t.Errorf("CONFIG is restricted for the app user as on ElastiCache, got %v", err)
		}
	})

	test_structure.RunTestStage(t, "failover", func() {
		prim, err := d.PrimaryE()
		if err != nil {
			t.Fatal(err)
		}
		// Writes acknowledged by a replica (WAIT 1) before the crash must all survive it.
		var durable []string
		for i := 0; i < 200; i++ {
			k := fmt.Sprintf("durable:%d", i)
			if err := c.Set(ctx, k, k, 0).Err(); err != nil {
				t.Fatal(err)
			}
			if n, err := c.Wait(ctx, 1, 2*time.Second).Result(); err == nil && n >= 1 {
				durable = append(durable, k)
			}
		}
		if len(durable) == 0 {
			t.Fatal("no write was acknowledged by a replica")
		}
		start := time.Now()
		KillNode(t, "docker", dataDir, prim.ID)
		retry.DoWithRetry(t, "writes to resume after killing "+prim.ID, 240, 250*time.Millisecond, func() (string, error) {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			return "", c.Set(wctx, "after-failover", "ok", 0).Err()
		})
		logger.Logf(t, "replication group writes resumed %s after killing primary %s", time.Since(start).Round(10*time.Millisecond), prim.ID)
		lost := 0
		for _, k := range durable {
			if v, err := c.Get(ctx, k).Result(); err != nil || v != k {
				lost++
			}
		}
		if lost > 0 {
			t.Errorf("%d of %d writes acknowledged by WAIT 1 were lost in the failover", lost, len(durable))
		}
		// The next up sees the dead container as drift and brings it back, as a replica.
		after := Up(t, ctx, opts(2))
		validateReplicationPlacement(t, after, 3)
		for _, n := range after.Nodes {
			if n.ID == prim.ID && n.Role != "replica" {
				t.Errorf("the old primary %s must return as a replica, not %q", n.ID, n.Role)
			}
		}
	})

	test_structure.RunTestStage(t, "scale", func() {
		w := startWriter(ctx, c)
		after, _, err := UpE(ctx, opts(3))
		written := w.Stop()
		if err != nil {
			t.Fatalf("adding a replica: %v", err)
		}
		validateReplicationPlacement(t, after, 4)
		assertNoneLost(t, ctx, c, written, "adding a replica")
		// The new replica holds the data set too.
		retry.DoWithRetry(t, "the new replica to sync", 60, 500*time.Millisecond, func() (string, error) {
			return "", replicaHasKeyE(ctx, after, "greeting")
		})
	})
}

// validateReplicationPlacement checks one primary, every other node its live replica in
// another zone.
func validateReplicationPlacement(t *testing.T, d *Deployed, nodes int) {
	t.Helper()
	if len(d.Nodes) != nodes {
		t.Fatalf("want %d nodes, got %+v", nodes, d.Nodes)
	}
	prim, err := d.PrimaryE()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range d.Nodes {
		if !n.Alive {
			t.Errorf("node %s is not alive", n.ID)
		}
		if n.ID == prim.ID {
			continue
		}
		if n.Role != "replica" || n.PrimaryID != prim.ID {
			t.Errorf("node %s: want a replica of %s, got role %q following %q", n.ID, prim.ID, n.Role, n.PrimaryID)
		}
		if n.Zone == prim.Zone {
			t.Errorf("replica %s shares zone %s with the primary", n.ID, n.Zone)
		}
	}
}

// replicaHasKeyE reads key on the newest replica directly (READONLY replica reads).
func replicaHasKeyE(ctx context.Context, d *Deployed, key string) error {
	last := d.Nodes[len(d.Nodes)-1]
	tc, err := TLSConfigE(d.CAFile)
	if err != nil {
		return err
	}
	rc := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("%s:%d", last.Host, last.Port), Username: d.User, Password: d.Token, TLSConfig: tc})
	defer rc.Close()
	v, err := rc.Get(ctx, key).Result()
	if err != nil {
		return fmt.Errorf("%s: %w", last.ID, err)
	}
	if v == "" {
		return fmt.Errorf("%s: %s is empty", last.ID, key)
	}
	return nil
}
