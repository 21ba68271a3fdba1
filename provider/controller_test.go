package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/internal/httpget"
	"github.com/rediskit/rediskit/internal/testenv"
	"github.com/rediskit/rediskit/provider/schema"
)

// windowAroundNow is a snapshot window that contains the present minute, wrapping past
// midnight when it has to.
func windowAroundNow() string {
	now := time.Now().UTC()
	return now.Add(-10*time.Minute).Format("15:04") + "-" + now.Add(20*time.Minute).Format("15:04")
}

func singleArgs(t *testing.T, port int) schema.DeploymentArgs {
	return schema.DeploymentArgs{Name: "rk-ctl", Mode: "single", Engine: "redis", EngineVersion: "7.0",
		AuthMode: "token", Persistence: "rdb", Driver: "process", Host: "127.0.0.1", BasePort: port,
		DataDir: filepath.Join(t.TempDir(), "data"), NodeMemoryMB: 64, Zones: []string{"a"},
		SnapshotRetentionDays: 2, SnapshotWindow: windowAroundNow()}
}

func TestControllerSpecRoundTrip(t *testing.T) {
	dir := t.TempDir()
	spec := ControllerSpec{Args: clusterArgs(3, "process"), Secrets: testSecrets,
		Placement: schema.Placement{Ports: map[string]int{"rk-0001-001": 7000}}}
	file := filepath.Join(dir, controllerSpec)
	raw := mustJSON(t, spec)
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadControllerSpec(file)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, spec) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, spec)
	}
	if err := os.WriteFile(file, []byte(`{"args":{"name":"rk"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadControllerSpec(file); err == nil || !strings.Contains(err.Error(), "dataDir") {
		t.Fatalf("a spec without dataDir: got %v, want an error naming dataDir", err)
	}
}

// The controller of a deployment whose window contains now takes the day's automatic snapshot
// at once, and only one: a controller started again the same day (after an update) takes none.
func TestControllerTakesTheDaysAutomaticSnapshot(t *testing.T) {
	args := singleArgs(t, 7690)
	args.MetricsPort = 7695
	e, at := upDeployment(t, args)
	spec := ControllerSpec{Args: args, Secrets: testSecrets, Placement: at}

	var mu sync.Mutex
	var logged []string
	logf := func(f string, a ...any) { mu.Lock(); logged = append(logged, fmt.Sprintf(f, a...)); mu.Unlock() }
	run := func(wait func() error) {
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- RunController(ctx, spec, 20*time.Millisecond, logf) }()
		deadline := time.Now().Add(30 * time.Second)
		for err := wait(); err != nil; err = wait() {
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("%v; controller log: %q", err, logged)
			}
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	run(func() error {
		last, err := e.Snapshots().LastAutomatic()
		if err == nil && last == nil {
			err = fmt.Errorf("no automatic snapshot yet")
		}
		if err != nil {
			return err
		}
		// While it runs it serves the deployment's metrics under CloudWatch's names.
		body, err := httpget.Body("http://127.0.0.1:7695/metrics")
		if err != nil {
			return err
		}
		if !strings.Contains(body, `CurrConnections{`) || !strings.Contains(body, `ReplicationGroupId="rk-ctl"`) {
			return fmt.Errorf("metrics lack CurrConnections for rk-ctl:\n%s", body)
		}
		if _, err := httpget.Body("http://127.0.0.1:7695/healthz"); err != nil {
			return err
		}
		return nil
	})
	first, err := e.Snapshots().LastAutomatic()
	if err != nil || first == nil {
		t.Fatalf("automatic snapshot %+v, %v", first, err)
	}
	if err != nil || !first.Automatic || first.Deployment != "rk-ctl" {
		t.Fatalf("automatic snapshot %+v, %v", first, err)
	}
	// Started again: it looks at the clock for well over a second (so a second snapshot
	// would have a name of its own, not collide with the first) and takes nothing more today.
	again := time.Now()
	run(func() error {
		if time.Since(again) < 1500*time.Millisecond {
			return fmt.Errorf("still looking")
		}
		return nil
	})
	ents, err := os.ReadDir(args.DataDir + "-snapshots")
	if err != nil || len(ents) != 1 || ents[0].Name() != first.Name {
		t.Fatalf("snapshots after a second controller: %v, %v; want only %s", ents, err, first.Name)
	}
}

// Without a retention period there is nothing for a controller to do: none is started.
func TestNoControllerWithoutRetention(t *testing.T) {
	args := singleArgs(t, 7690)
	args.SnapshotRetentionDays = 0
	if err := os.MkdirAll(args.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := startController(t.Context(), ControllerSpec{Args: args}); err != nil {
		t.Fatal(err)
	}
	if controllerRunning(args.DataDir) {
		t.Fatal("a controller runs for a deployment without automatic snapshots")
	}
	if _, err := os.Stat(filepath.Join(controllerDir(args.DataDir), controllerSpec)); !os.IsNotExist(err) {
		t.Fatalf("a spec (with secrets) was written for no controller: %v", err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// A refresh that finds the controller gone is drift the next up repairs; a deployment that
// keeps no automatic snapshots needs none.
func TestDiffShowsAMissingController(t *testing.T) {
	args := clusterArgs(3, "process")
	args.SnapshotRetentionDays = 7
	st := schema.DeploymentState{DeploymentArgs: args, Healthy: true, ControllerRunning: true,
		Nodes: []schema.NodeStatus{{ID: "rk-0001-001", Alive: true}}}
	diff := func(st schema.DeploymentState, in schema.DeploymentArgs) map[string]bool {
		t.Helper()
		resp, err := (&Deployment{}).Diff(t.Context(), infer.DiffRequest[schema.DeploymentArgs, schema.DeploymentState]{State: st, Inputs: in})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for k := range resp.DetailedDiff {
			got[k] = true
		}
		if resp.HasChanges != (len(got) > 0) {
			t.Errorf("HasChanges %v with diff %v", resp.HasChanges, got)
		}
		return got
	}
	if got := diff(st, args); len(got) != 0 {
		t.Errorf("a healthy deployment with its controller: diff %v, want none", got)
	}
	st.ControllerRunning = false
	if got := diff(st, args); !reflect.DeepEqual(got, map[string]bool{"controllerRunning": true}) {
		t.Errorf("controller gone: diff %v, want controllerRunning", got)
	}
	none := args
	none.SnapshotRetentionDays = 0
	st.DeploymentArgs = none
	if got := diff(st, none); len(got) != 0 {
		t.Errorf("no retention, no controller: diff %v, want none", got)
	}
}

// A metrics port a node holds is refused before anything starts, naming the field and the node.
func TestMetricsPortMustNotBeANodePort(t *testing.T) {
	args := clusterArgs(1, "process")
	at, err := place(args, testSecrets, schema.Placement{}, "")
	if err != nil {
		t.Fatal(err)
	}
	e, err := engineFor(t.Context(), args, testSecrets, at)
	if err != nil {
		t.Fatal(err)
	}
	args.MetricsPort = e.Plan.Nodes[1].Port()
	err = checkMetricsPort(args, e.Plan)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("metricsPort: %d is not allowed; %s uses it", args.MetricsPort, e.Plan.Nodes[1].ID)) {
		t.Fatalf("metrics port on a node: got %v", err)
	}
	args.MetricsPort = e.Plan.Nodes[0].BusPort
	if err := checkMetricsPort(args, e.Plan); err == nil {
		t.Fatalf("metrics port on a cluster bus port %d: accepted", args.MetricsPort)
	}
	args.MetricsPort = 9121
	if err := checkMetricsPort(args, e.Plan); err != nil {
		t.Fatalf("a free metrics port: %v", err)
	}
}

// A controller that cannot serve its metrics port fails at once, naming the field.
func TestControllerFailsWhenTheMetricsPortIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	args := singleArgs(t, 7690)
	args.MetricsPort = ln.Addr().(*net.TCPAddr).Port
	err = RunController(t.Context(), ControllerSpec{Args: args, Secrets: testSecrets}, time.Minute, t.Logf)
	if err == nil || !strings.Contains(err.Error(), "metricsPort") {
		t.Fatalf("got %v, want an error naming metricsPort", err)
	}
}

// The test binary is not the provider: a test that reaches startController with work to do
// must fail, not start a copy of the test binary as a detached "controller".
func init() {
	controllerBinary = func() (string, error) {
		return "", errors.New("unit tests start no controller (use RunController)")
	}
}

// With autoRecover the controller starts a crashed node again, without a pulumi run.
func TestControllerRecoversACrashedNode(t *testing.T) {
	args := singleArgs(t, 7692)
	args.SnapshotRetentionDays, args.AutoRecover = 0, true
	e, at := upDeployment(t, args)
	was := DefaultTimeouts.Supervise
	DefaultTimeouts.Supervise = 200 * time.Millisecond
	t.Cleanup(func() { DefaultTimeouts.Supervise = was })

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- RunController(ctx, ControllerSpec{Args: args, Secrets: testSecrets, Placement: at}, time.Minute, t.Logf)
	}()
	defer func() { cancel(); <-done }()

	n := e.Plan.Nodes[0]
	before := engine.NewDaemonRunner(args.DataDir).PID(n.ID)
	if err := e.Runner.Kill(n.ID); err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: n.Addr(), Username: e.Plan.Deployment.AppUserName(), Password: testSecrets.AppToken,
		MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		pid := engine.NewDaemonRunner(args.DataDir).PID(n.ID)
		if pid != 0 && pid != before && c.Ping(t.Context()).Err() == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not started again by the controller (pid %d, was %d)", n.ID, pid, before)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// upDeployment places and brings up a deployment with the process driver, as Create does, and
// stops it when the test ends.
func upDeployment(t *testing.T, args schema.DeploymentArgs) (*engine.Engine, schema.Placement) {
	t.Helper()
	testenv.RequireCommands(t, "make tools", "redis-server")
	at, err := place(args, testSecrets, schema.Placement{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(args.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	e, err := engineFor(t.Context(), args, testSecrets, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop(context.Background()) })
	return e, at
}
