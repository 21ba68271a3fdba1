// Command rediskit-engine runs rediskit's self-hosted Redis engine. It is the entrypoint of
// the engine image and works the same on a plain machine:
//
//	rediskit-engine plan     -f deployment.json   print the plan (nodes, ports, slots, configs)
//	rediskit-engine up       -f deployment.json   create or restart every process here, serve
//	                                              /metrics, /status, /healthz; stop on SIGTERM
//	rediskit-engine status   -f deployment.json   print the readiness view; exit 1 if not ready
//	rediskit-engine snapshot -f deployment.json   take a snapshot now
//	rediskit-engine exec <program> <conf>         become valkey-server, valkey-sentinel,
//	                                              redis-server or redis-sentinel (one
//	                                              process per container)
//	rediskit-engine probe                         container health check: the local process
//	                                              on $RK_PORT answers
//	rediskit-engine pod-start                     a Kubernetes node pod's entrypoint: the start
//	                                              guard (kubernetes/pod), then become the server
//	rediskit-engine load -addr host:port ...      an application's view: write (WAIT-acknowledged)
//	                                              for a while, read back, report as JSON
//
// The deployment is JSON (engine.Deployment), from -f or $RK_DEPLOYMENT_FILE (default
// /etc/rediskit/deployment.json). Secrets can come from the environment instead of the
// file: RK_APP_TOKEN, RK_ADMIN_PASSWORD, or files named by RK_APP_TOKEN_FILE and
// RK_ADMIN_PASSWORD_FILE (mounted secrets).
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/engine/controller"
	"github.com/rediskit/rediskit/kubernetes/pod"
	"github.com/rediskit/rediskit/kubernetes/snapshot"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "plan":
		err = cmdPlan(os.Args[2:])
	case "up":
		err = cmdUp(os.Args[2:])
	case "status":
		err = cmdStatus(os.Args[2:])
	case "snapshot":
		err = cmdSnapshot(os.Args[2:])
	case "exec":
		err = cmdExec(os.Args[2:])
	case "probe":
		err = cmdProbe(os.Args[2:])
	case pod.Subcommand:
		err = cmdPodStart(os.Args[2:])
	case pod.MetricsSubcommand:
		err = cmdPodMetrics(os.Args[2:])
	case "load":
		err = cmdLoad(os.Args[2:])
	case snapshot.TakeCmd:
		err = cmdSnapshotTake(os.Args[2:])
	case snapshot.RestoreCmd:
		err = cmdSnapshotRestore(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rediskit-engine:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: rediskit-engine plan|up|status|snapshot [-f deployment.json] | exec <program> <conf> | probe | pod-start | pod-metrics | load -addr host:port | snapshot-take | snapshot-restore")
	os.Exit(2)
}

func deploymentFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("RK_DEPLOYMENT_FILE")
	if def == "" {
		def = "/etc/rediskit/deployment.json"
	}
	return fs.String("f", def, "deployment file (JSON)")
}

// loadDeployment reads the deployment and applies secrets from the environment.
func loadDeployment(path string) (engine.Deployment, error) {
	var d engine.Deployment
	b, err := os.ReadFile(path)
	if err != nil {
		return d, fmt.Errorf("reading deployment: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields() // a misspelt field must not be silently ignored
	if err := dec.Decode(&d); err != nil {
		return d, fmt.Errorf("parsing deployment %s: %w", path, err)
	}
	for _, s := range []struct {
		env string
		dst *string
	}{{"RK_APP_TOKEN", &d.Auth.AppToken}, {"RK_ADMIN_PASSWORD", &d.Auth.AdminPassword}} {
		if v := os.Getenv(s.env); v != "" {
			*s.dst = v
		}
		if f := os.Getenv(s.env + "_FILE"); f != "" {
			v, err := os.ReadFile(f)
			if err != nil {
				return d, fmt.Errorf("reading %s: %w", s.env+"_FILE", err)
			}
			*s.dst = strings.TrimSpace(string(v))
		}
	}
	return d, nil
}

func newEngine(args []string, name string) (*engine.Engine, *flag.FlagSet, error) {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	file := deploymentFlag(fs)
	fs.String("listen", "127.0.0.1:9121", "address of the /metrics, /status and /healthz endpoints (up)")
	fs.String("name", "", "snapshot name (snapshot)")
	_ = fs.Parse(args)
	d, err := loadDeployment(*file)
	if err != nil {
		return nil, nil, err
	}
	e, err := engine.NewChecked(context.Background(), d, engine.NewLocalRunner())
	if err != nil {
		return nil, nil, err
	}
	e.Logf = log.Printf
	return e, fs, nil
}

func cmdPlan(args []string) error {
	e, _, err := newEngine(args, "plan")
	if err != nil {
		return err
	}
	out, err := json.MarshalIndent(e.Plan, "", "  ")
	if err != nil {
		return err
	}
	// Secrets are part of the deployment but never printed.
	var m map[string]any
	_ = json.Unmarshal(out, &m)
	if dep, ok := m["deployment"].(map[string]any); ok {
		dep["auth"] = "<redacted>"
	}
	out, _ = json.MarshalIndent(m, "", "  ")
	fmt.Println(string(out))
	return nil
}

func cmdUp(args []string) error {
	e, fs, err := newEngine(args, "up")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := e.Up(ctx); err != nil {
		return err
	}
	addr := fs.Lookup("listen").Value.String()
	// The endpoints are a convenience beside the cache: a port in use is reported, not fatal.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Printf("metrics endpoint: %v", err)
	}
	log.Printf("%s is up; serving /metrics, /status and /healthz on %s", e.Plan.Deployment.Name, addr)
	// A crashed redis-server or sentinel comes back by itself, through the same guarded paths.
	controller.Run(ctx, e, controller.Options{Metrics: ln, Supervise: true, Logf: log.Printf})
	log.Printf("stopping %s", e.Plan.Deployment.Name)
	return e.Stop(context.Background())
}

func cmdStatus(args []string) error {
	e, _, err := newEngine(args, "status")
	if err != nil {
		return err
	}
	if err := e.PrepareTLS(); err != nil {
		return err
	}
	st := e.Status(context.Background())
	out, _ := json.MarshalIndent(st, "", "  ")
	fmt.Println(string(out))
	if !st.Ready {
		return fmt.Errorf("%s is not ready", st.Name)
	}
	return nil
}

func cmdSnapshot(args []string) error {
	e, fs, err := newEngine(args, "snapshot")
	if err != nil {
		return err
	}
	if err := e.PrepareTLS(); err != nil {
		return err
	}
	dir, err := e.Snapshot(context.Background(), fs.Lookup("name").Value.String())
	if err != nil {
		return err
	}
	fmt.Println(dir)
	return nil
}

// cmdExec replaces this process with the engine's server or sentinel, so the container's
// signals (docker stop: SIGTERM) reach redis directly and it shuts down cleanly.
func cmdExec(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: exec valkey-server|valkey-sentinel|redis-server|redis-sentinel <conf>")
	}
	bin := args[0]
	if !engine.KnownProgram(bin) {
		return fmt.Errorf("exec: %q is not an engine program (valkey-server, valkey-sentinel, redis-server, redis-sentinel)", bin)
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	return syscall.Exec(path, []string{bin, args[1]}, os.Environ())
}

// cmdProbe is the container health check: the process on $RK_PORT answers a PING with any
// RESP reply (NOAUTH included: the default user is off, and liveness is not readiness).
// It never judges cluster state, so a node in the middle of bootstrap is not restarted.
// RK_PROBE_TLS=1 speaks TLS to the port (the runner sets it for TLS ports), 0 plaintext;
// unset, plaintext is tried first and TLS after it, so the image's HEALTHCHECK also works
// for a deployment whose first port requires TLS.
func cmdProbe(args []string) error {
	port := os.Getenv("RK_PORT")
	if port == "" {
		port = "6379"
	}
	addr := net.JoinHostPort("127.0.0.1", port)
	switch os.Getenv("RK_PROBE_TLS") {
	case "1", "true", "yes":
		return probe(addr, true)
	case "0", "false", "no":
		return probe(addr, false)
	}
	plainErr := probe(addr, false)
	if plainErr == nil {
		return nil
	}
	if tlsErr := probe(addr, true); tlsErr != nil {
		return fmt.Errorf("%v; over TLS: %v", plainErr, tlsErr)
	}
	return nil
}

// probeTimeout bounds the health check's connection and its PING: well within Docker's
// default health check timeout (30 s), and far above what a live local process takes.
const probeTimeout = 2 * time.Second

// probe sends PING to addr and wants a RESP reply.
func probe(addr string, useTLS bool) error {
	conn, err := net.DialTimeout("tcp", addr, probeTimeout)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(probeTimeout))
	var c net.Conn = conn
	if useTLS {
		c = tls.Client(conn, &tls.Config{InsecureSkipVerify: true}) // liveness only, no secrets sent
	}
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil || n == 0 || (buf[0] != '+' && buf[0] != '-') {
		return fmt.Errorf("probe: no RESP reply from %s (tls %v): %v", addr, useTLS, err)
	}
	return nil
}

// podStartWait is how long pod-start keeps asking when no start is safe yet (a peer loading,
// the shard's data possibly on a peer that is down) before it exits and leaves the pod to
// kubelet's restart backoff; well within the startup probe's hour.
const podStartWait = 10 * time.Minute

// cmdPodStart is a node pod's entrypoint (render.StartCommand): it decides how the node
// starts from its volume and its shard's other nodes, with the engine's start guards, and
// becomes the server. Its inputs are the pod's environment and mounted files (kubernetes/pod).
func cmdPodStart(args []string) error {
	fs := flag.NewFlagSet(pod.Subcommand, flag.ExitOnError)
	wait := fs.Duration("wait", podStartWait, "how long to keep asking while no start is safe")
	_ = fs.Parse(args)
	env, err := pod.EnvFromOS()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return pod.Run(ctx, env, *wait, log.Printf)
}

// cmdPodMetrics is a node pod's metrics container: it serves the pod's own node's metrics,
// under CloudWatch's names, on /metrics until SIGTERM.
func cmdPodMetrics(args []string) error {
	fs := flag.NewFlagSet(pod.MetricsSubcommand, flag.ExitOnError)
	listen := fs.String("listen", fmt.Sprintf(":%d", pod.MetricsPort), "address of the /metrics endpoint")
	_ = fs.Parse(args)
	env, err := pod.EnvFromOS()
	if err != nil {
		return err
	}
	m, err := pod.Metrics(env, os.Getenv(pod.EnvCache))
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m)
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Printf("serving the metrics of pod %s on %s/metrics", env.Pod, *listen)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving metrics: %w", err)
	}
	return nil
}
