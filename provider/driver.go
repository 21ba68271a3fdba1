package provider

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/paramgroup"
	"github.com/rediskit/rediskit/provider/schema"
)

// driver is how a deployment's processes are placed and run, one implementation per
// selfHosted.driver, so the rest of the provider asks it rather than comparing names. A
// Kubernetes placement is a third implementation of the same questions.
type driver interface {
	// Runner runs the deployment's processes.
	Runner() engine.Runner
	// CheckEngine fails, before anything starts, unless the driver can run exactly the
	// deployment's engine version.
	CheckEngine(ctx context.Context) error
	// Prepare readies what the processes need before any is placed, failing before anything
	// exists when the engine version cannot run; it returns the subnet processes get addresses
	// in ("" where they share this machine's addresses).
	Prepare(ctx context.Context) (subnet string, err error)
	// Hosts gives every id without an address one, keeping held ones; nil where processes
	// share this machine's addresses.
	Hosts(subnet string, ids []string, held map[string]string) (map[string]string, error)
	// SharesHostPorts reports whether processes listen on this machine's own ports, where the
	// controller's metrics port must stay off theirs.
	SharesHostPorts() bool
	// Network is the deployment's private network ("" for none), recorded in the state.
	Network() string
	// Teardown removes what is left of the deployment's processes once the engine stopped
	// them: every process of ids, and whatever the driver made for them.
	Teardown(ctx context.Context, ids []string) error
}

// driverFor returns the driver a deployment names.
func driverFor(args schema.DeploymentArgs) (driver, error) {
	switch args.Driver {
	case "process":
		return processDriver{args: args, runner: engine.NewDaemonRunner(args.DataDir)}, nil
	case "docker":
		r := &engine.DockerRunner{Image: args.EngineImage(), Network: schema.NetworkName(args.Name)}
		if args.TLS {
			// The generated certificates live beside the node directories.
			r.Mounts = []string{filepath.Join(args.DataDir, "tls")}
		}
		return dockerDriver{args: args, runner: r}, nil
	}
	return nil, fmt.Errorf("driver %q: want process or docker", args.Driver)
}

// processDriver runs detached processes on this machine, on its loopback addresses.
type processDriver struct {
	args   schema.DeploymentArgs
	runner *engine.DaemonRunner
}

func (d processDriver) Runner() engine.Runner { return d.runner }

func (d processDriver) CheckEngine(ctx context.Context) error {
	return d.runner.CheckEngine(ctx, paramgroup.Engine(d.args.Engine), d.args.EngineVersion)
}

func (d processDriver) Prepare(ctx context.Context) (string, error) { return "", d.CheckEngine(ctx) }

func (processDriver) Hosts(string, []string, map[string]string) (map[string]string, error) {
	return nil, nil
}

func (processDriver) SharesHostPorts() bool { return true }

func (processDriver) Network() string { return "" }

func (d processDriver) Teardown(ctx context.Context, ids []string) error {
	for _, id := range ids {
		if err := d.runner.Stop(ctx, id); err != nil {
			return fmt.Errorf("stopping %s: %w", id, err)
		}
	}
	return nil
}

// strayIDs lists the processes with a pid file under dataDir: besides the placed ones, a node
// of an interrupted scaling that no plan knows.
func strayIDs(dataDir string) []string {
	var ids []string
	pids, _ := filepath.Glob(filepath.Join(dataDir, "*", engine.PidFile))
	for _, pf := range pids {
		ids = append(ids, filepath.Base(filepath.Dir(pf)))
	}
	return ids
}

// dockerDriver runs one container of the engine image per process, each with its own address
// on the deployment's private network.
type dockerDriver struct {
	args   schema.DeploymentArgs
	runner *engine.DockerRunner
}

func (d dockerDriver) Runner() engine.Runner { return d.runner }

// Prepare checks the image before the network exists, so a missing or wrong image is this
// run's error and leaves nothing behind.
func (d dockerDriver) Prepare(ctx context.Context) (string, error) {
	if err := d.CheckEngine(ctx); err != nil {
		return "", err
	}
	return ensureNetwork(ctx, d.runner.Network)
}

func (d dockerDriver) CheckEngine(ctx context.Context) error {
	return d.runner.CheckEngine(ctx, paramgroup.Engine(d.args.Engine), d.args.EngineVersion)
}

func (dockerDriver) Hosts(subnet string, ids []string, held map[string]string) (map[string]string, error) {
	return schema.AssignHosts(subnet, ids, held)
}

func (dockerDriver) SharesHostPorts() bool { return false }

func (d dockerDriver) Network() string { return d.runner.Network }

func (d dockerDriver) Teardown(ctx context.Context, ids []string) error {
	return removeNetwork(ctx, d.runner, ids)
}

// ensureNetwork returns the /24 subnet of the deployment's network, creating the network on
// a free private subnet when it does not exist yet.
func ensureNetwork(ctx context.Context, name string) (string, error) {
	if subnet, err := engine.Docker(ctx, "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}}{{end}}", name); err == nil {
		return subnet, nil
	}
	var last error
	// A random subnet from a range Docker does not hand out by itself; retried when taken.
	for attempt := 0; attempt < 20; attempt++ {
		subnet := fmt.Sprintf("10.%d.%d.0/24", 200+rand.IntN(50), rand.IntN(250))
		_, err := engine.Docker(ctx, "network", "create", "--label", "rediskit.deployment="+name, "--subnet", subnet, name)
		if err == nil {
			return subnet, nil
		}
		last = err
	}
	return "", fmt.Errorf("creating network %s: %w", name, last)
}

// removeNetwork deletes the deployment's containers and network.
func removeNetwork(ctx context.Context, r *engine.DockerRunner, ids []string) error {
	if err := r.Remove(ctx, ids...); err != nil {
		return fmt.Errorf("removing containers: %w", err)
	}
	if _, err := engine.Docker(ctx, "network", "inspect", r.Network); err != nil {
		return nil
	}
	if _, err := engine.Docker(ctx, "network", "rm", r.Network); err != nil {
		return fmt.Errorf("removing network: %w", err)
	}
	return nil
}

// place decides where every node and sentinel of the deployment lives: existing ones keep
// their port (and container address), new ones get ports after the highest in use and the next
// free addresses of the subnet, so adding a node never moves a running one.
func place(args schema.DeploymentArgs, s schema.Secrets, held schema.Placement, subnet string) (schema.Placement, error) {
	drv, err := driverFor(args)
	if err != nil {
		return schema.Placement{}, err
	}
	at := schema.Placement{Ports: map[string]int{}, CertHosts: schema.SubnetHosts(subnet)}
	// With TLS preferred every process holds its pinned port and the one after it.
	step := 1
	if args.TLS && args.TLSMode == "preferred" {
		step = 2
	}
	highest := 0
	for id, p := range held.Ports {
		at.Ports[id] = p
		highest = max(highest, p+step-1)
	}
	trial, err := engine.PlanFor(schema.ToEngine(args, s, at))
	if err != nil {
		return at, err
	}
	var ids []string
	for _, n := range trial.Nodes {
		ids = append(ids, n.ID)
	}
	for _, sn := range trial.Sentinels {
		ids = append(ids, sn.ID)
	}
	// A new process never lands on the metrics port, with its client or its bus port.
	clash := func(port int) bool {
		if args.MetricsPort == 0 || !drv.SharesHostPorts() {
			return false
		}
		return slices.Contains(engine.PortsFrom(port, step == 2), args.MetricsPort)
	}
	if len(held.Ports) > 0 {
		for _, id := range ids {
			if _, ok := at.Ports[id]; !ok {
				port := highest + 1
				for clash(port) {
					port += step
				}
				at.Ports[id] = port
				highest = port + step - 1
			}
		}
	} else {
		at.Ports = engine.PinnedPorts(trial)
	}
	if at.Hosts, err = drv.Hosts(subnet, ids, held.Hosts); err != nil {
		return at, err
	}
	return at, nil
}
