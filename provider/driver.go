package provider

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/provider/schema"
)

// runnerFor returns the runner of a deployment's driver: detached local processes, or one
// container of the engine image per node on the deployment's private Docker network.
func runnerFor(args schema.DeploymentArgs) (engine.Runner, error) {
	switch args.Driver {
	case "process":
		return NewDaemonRunner(args.DataDir), nil
	case "docker":
		r := &engine.DockerRunner{Image: args.EngineImage(), Network: schema.NetworkName(args.Name)}
		if args.TLS {
			// The generated certificates live beside the node directories.
			r.Mounts = []string{filepath.Join(args.DataDir, "tls")}
		}
		return r, nil
	}
	return nil, fmt.Errorf("driver %q: want process or docker", args.Driver)
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
		if args.MetricsPort == 0 || args.Driver != "process" {
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
	if args.Driver == "docker" {
		if at.Hosts, err = schema.AssignHosts(subnet, ids, held.Hosts); err != nil {
			return at, err
		}
	}
	return at, nil
}
