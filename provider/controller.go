package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/engine/controller"
	"github.com/rediskit/rediskit/provider/schema"
)

// The controller is a deployment's resident process, doing between two `pulumi up`s what
// ElastiCache's control plane does between API calls: it takes the automatic snapshot once a
// day in the snapshot window and prunes automatic snapshots past the retention period, serves
// the deployment's metrics (what CloudWatch collects) on metricsPort when set, and with
// autoRecover starts crashed processes again, as ElastiCache replaces a failed node. The
// provider plugin lives only as long as one Pulumi operation, so, like the nodes, the
// controller is a detached process; it is the provider binary itself, started with
// ControllerCommand as its first argument.
//
// The provider stops it before changing the deployment (a snapshot taken while slots move
// between shards would not be consistent) and starts it again afterwards with the new spec.

// ControllerCommand is the first argument that makes the provider binary run a controller.
const ControllerCommand = "controller"

const (
	controllerID   = "controller"
	controllerSpec = "spec.json"
	controllerLog  = "controller.log"
	// controllerReady is written by a controller once it serves; startController waits for it.
	controllerReady = "ready"
)

// ControllerSpec is what a controller needs to rebuild the deployment's engine: the same
// inputs, credentials and placement the provider used. It holds secrets and is written
// readable by the owner only, beside node files that hold the admin password already.
type ControllerSpec struct {
	Args      schema.DeploymentArgs `json:"args"`
	Secrets   schema.Secrets        `json:"secrets"`
	Placement schema.Placement      `json:"placement"`
}

func controllerDir(dataDir string) string { return filepath.Join(dataDir, controllerID) }

// wantsController reports whether the deployment has anything for a controller to do.
func wantsController(args schema.DeploymentArgs) bool {
	return args.SnapshotRetentionDays > 0 || args.MetricsPort != 0 || args.AutoRecover
}

// metricsEndpoint is the URL of the deployment's metrics, "" when it serves none.
func metricsEndpoint(args schema.DeploymentArgs) string {
	if args.MetricsPort == 0 {
		return ""
	}
	return "http://" + net.JoinHostPort(args.Host, strconv.Itoa(args.MetricsPort)) + "/metrics"
}

// checkMetricsPort refuses a metrics port that a node or sentinel of the plan holds on the
// same host (the docker driver's nodes listen on their containers' addresses instead).
func checkMetricsPort(args schema.DeploymentArgs, p *engine.Plan) error {
	if args.MetricsPort == 0 {
		return nil
	}
	if drv, err := driverFor(args); err != nil || !drv.SharesHostPorts() {
		return err
	}
	if id, ok := p.HeldPorts()[args.MetricsPort]; ok {
		return fmt.Errorf("metricsPort: %d is not allowed; %s uses it (pick a port outside the nodes' range)", args.MetricsPort, id)
	}
	return nil
}

// controllerRunning reports whether the deployment's controller process is alive.
func controllerRunning(dataDir string) bool {
	return engine.NewDaemonRunner(dataDir).Running(controllerID)
}

// stopController stops the deployment's controller, if one runs; an automatic snapshot it is
// taking is abandoned. A controller that had to be killed counts as stopped once it is gone.
func stopController(ctx context.Context, dataDir string) error {
	r := engine.NewDaemonRunner(dataDir)
	err := r.Stop(ctx, controllerID)
	if err == nil {
		return nil
	}
	// The kill is sent: its end is waited for even when ctx has ended.
	if r.WaitGone(context.WithoutCancel(ctx), controllerID, DefaultTimeouts.ControllerGone, DefaultTimeouts.Poll) != nil {
		return fmt.Errorf("stopping the controller of %s: %w", dataDir, err)
	}
	return nil
}

// controllerBinary is the program started as the controller: the provider binary itself.
var controllerBinary = os.Executable

// controllerEnv is the environment a controller keeps from the provider's: what finding
// programs (docker, redis-server) and a Docker daemon needs, not the cloud or Pulumi
// credentials a provider may have been given.
func controllerEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH", k == "HOME", k == "TMPDIR", k == "LANG", k == "TZ", strings.HasPrefix(k, "DOCKER_"):
			env = append(env, kv)
		}
	}
	return env
}

// startController (re)starts the deployment's controller with the given spec, or only stops
// it when the deployment has nothing for it to do.
func startController(ctx context.Context, spec ControllerSpec) error {
	dataDir := spec.Args.DataDir
	if err := stopController(ctx, dataDir); err != nil {
		return err
	}
	dir := controllerDir(dataDir)
	file := filepath.Join(dir, controllerSpec)
	// The spec holds credentials: it lives only until the controller has read it.
	_ = os.Remove(file)
	if !wantsController(spec.Args) {
		return nil
	}
	self, err := controllerBinary()
	if err != nil {
		return fmt.Errorf("starting the controller of %s: finding the provider binary: %w", spec.Args.Name, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("starting the controller of %s: %w", spec.Args.Name, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("starting the controller of %s: %w", spec.Args.Name, err)
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("starting the controller of %s: %w", spec.Args.Name, err)
	}
	// Written whole under a temporary name readable by the owner only, then renamed.
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return fmt.Errorf("starting the controller of %s: writing its spec: %w", spec.Args.Name, err)
	}
	if err := os.Rename(tmp, file); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("starting the controller of %s: writing its spec: %w", spec.Args.Name, err)
	}
	defer os.Remove(file)
	ready := filepath.Join(dir, controllerReady)
	_ = os.Remove(ready)
	r := engine.NewDaemonRunner(dataDir)
	if err := r.StartDaemon(controllerID, dir, controllerLog, controllerEnv(), self, ControllerCommand, file); err != nil {
		return fmt.Errorf("starting the controller of %s: %w", spec.Args.Name, err)
	}
	// Wait until it serves, so that a metrics port in use is this run's error, not a silent exit.
	logFile := filepath.Join(dir, controllerLog)
	err = engine.Poll(ctx, DefaultTimeouts.ControllerReady, DefaultTimeouts.Poll, "the controller of "+spec.Args.Name, func(context.Context) error {
		if fileExists(ready) || !r.Running(controllerID) {
			return nil // ready, or never going to be
		}
		return fmt.Errorf("no ready file yet")
	})
	switch {
	case err == nil && fileExists(ready):
		return nil
	case err == nil:
		return fmt.Errorf("starting the controller of %s: it exited; %s ends with:\n%s", spec.Args.Name, logFile, engine.TailLog(logFile, 5))
	}
	_ = r.Stop(context.Background(), controllerID)
	if ctx.Err() != nil {
		return fmt.Errorf("starting the controller of %s: %w", spec.Args.Name, ctx.Err())
	}
	return fmt.Errorf("starting the controller of %s: not ready after %g s (see %s)", spec.Args.Name, DefaultTimeouts.ControllerReady.Seconds(), logFile)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// LoadControllerSpec reads a spec written by startController.
func LoadControllerSpec(file string) (ControllerSpec, error) {
	var spec ControllerSpec
	raw, err := os.ReadFile(file)
	if err != nil {
		return spec, fmt.Errorf("reading controller spec: %w", err)
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		return spec, fmt.Errorf("reading controller spec %s: %w", file, err)
	}
	if spec.Args.Name == "" || spec.Args.DataDir == "" {
		return spec, fmt.Errorf("controller spec %s: name and dataDir are required", file)
	}
	return spec, nil
}

// RunController runs the controller of spec until ctx ends, logging through logf. tick is how
// often it looks at the clock (a minute in the real daemon). It writes its ready file once it
// serves, and fails at once when it cannot (the metrics port taken).
func RunController(ctx context.Context, spec ControllerSpec, tick time.Duration, logf func(string, ...any)) error {
	drv, err := driverFor(spec.Args)
	if err != nil {
		return err
	}
	e, err := engine.New(schema.ToEngine(spec.Args, spec.Secrets, spec.Placement), drv.Runner())
	if err != nil {
		return fmt.Errorf("planning %s: %w", spec.Args.Name, err)
	}
	e.Logf = logf
	if err := e.PrepareTLS(); err != nil {
		return fmt.Errorf("preparing TLS for %s: %w", spec.Args.Name, err)
	}
	var metrics net.Listener
	if spec.Args.MetricsPort != 0 {
		addr := net.JoinHostPort(spec.Args.Host, strconv.Itoa(spec.Args.MetricsPort))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("metricsPort: serving on %s: %w", addr, err)
		}
		defer ln.Close() // on the way out before serving; closed again (harmlessly) after
		metrics = ln
		logf("controller of %s: /metrics, /status and /healthz on %s", spec.Args.Name, addr)
	}
	if w := e.SnapshotWindow(); w != "" {
		logf("controller of %s: automatic snapshots kept %d days, taken in %s UTC", spec.Args.Name, spec.Args.SnapshotRetentionDays, w)
	}
	dir := controllerDir(spec.Args.DataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, controllerReady), nil, 0o600); err != nil {
		return fmt.Errorf("writing the ready file: %w", err)
	}
	if spec.Args.AutoRecover {
		logf("controller of %s: crashed nodes and sentinels are started again (every %s)", spec.Args.Name, DefaultTimeouts.Supervise)
	}
	controller.Run(ctx, e, controller.Options{Metrics: metrics, Supervise: spec.Args.AutoRecover,
		SuperviseEvery: DefaultTimeouts.Supervise, SnapshotTick: tick, Logf: logf})
	return nil
}

// ControllerOwnsPidFile reports whether the pid file in the controller directory dir names
// the calling process: a controller whose directory was removed, or that was replaced, exits.
func ControllerOwnsPidFile(dir string) bool {
	raw, err := os.ReadFile(filepath.Join(dir, engine.PidFile))
	if err != nil {
		return false
	}
	f := strings.Fields(string(raw))
	return len(f) > 0 && f[0] == strconv.Itoa(os.Getpid())
}

// ControllerPID returns the pid of the deployment's running controller, 0 when none runs.
func ControllerPID(dataDir string) int { return engine.NewDaemonRunner(dataDir).PID(controllerID) }

// ControllerLogFile is where the deployment's controller logs.
func ControllerLogFile(dataDir string) string {
	return filepath.Join(controllerDir(dataDir), controllerLog)
}
