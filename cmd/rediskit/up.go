package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/rediskit/rediskit/infra/deploy"
)

func init() {
	register("up", "deploy a stack through the Automation API (default: local)", func(args []string) error {
		return runUp(args, os.Stdout)
	})
	register("down", "destroy a stack deployed with up", func(args []string) error {
		return runDown(args, os.Stdout)
	})
	register("token", "print the stack's auth token (for REDISCLI_AUTH; never logged)", func(args []string) error {
		return runToken(args, os.Stdout)
	})
}

func deployFlags(name string, args []string) (deploy.Options, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	stack := fs.String("s", "local", "stack name (stacks/Pulumi.<stack>.yaml)")
	root := fs.String("C", ".", "project root (the directory holding Pulumi.yaml)")
	if err := fs.Parse(args); err != nil {
		return deploy.Options{}, err
	}
	return deploy.Options{Root: *root, Stack: *stack}, nil
}

func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

func runUp(args []string, out io.Writer) error {
	o, err := deployFlags("up", args)
	if err != nil {
		return err
	}
	o.Progress = out
	ctx, cancel := interruptible()
	defer cancel()
	res, err := deploy.Up(ctx, o)
	if err != nil {
		return err
	}
	get := func(k string) any {
		if v, ok := res.Outputs[k]; ok && !v.Secret {
			return v.Value
		}
		return ""
	}
	fmt.Fprintf(out, "\nrediskit stack %s is up: %v mode, endpoint %v:%v (TLS %v)\n", o.Stack, get("mode"), get("endpoint"), get("port"), get("tlsEnabled"))
	if get("target") == "kubernetes" {
		printKubernetesConnect(out, o.Stack, get)
		return nil
	}
	cluster := ""
	if get("clusterModeEnabled") == true {
		cluster = " -c"
	}
	tls := ""
	if ca := get("caFile"); ca != "" {
		tls = fmt.Sprintf(" --tls --cacert %s", ca)
	}
	user := ""
	if u := get("authUser"); u != "" {
		user = fmt.Sprintf(" --user %s", u)
	}
	fmt.Fprintf(out, "Connect (the token is read at run time, never printed):\n  REDISCLI_AUTH=\"$(go run ./cmd/rediskit token -s %s)\" redis-cli%s%s -h %v -p %v%s\n",
		o.Stack, cluster, tls, get("endpoint"), get("port"), user)
	if seeds := seedList(get("configurationEndpoints")); seeds != "" {
		// Cluster clients take a seed list; any live node bootstraps them, so a client still
		// connects while the node behind the endpoint is down.
		fmt.Fprintf(out, "Seed nodes (cluster clients: any one bootstraps; e.g. go-redis ClusterOptions.Addrs, Lettuce/Jedis cluster URIs):\n  %s\n", seeds)
	}
	if m := get("metricsEndpoint"); m != "" && m != nil {
		fmt.Fprintf(out, "Metrics (Prometheus, CloudWatch's names): %v\n", m)
	}
	return nil
}

func runDown(args []string, out io.Writer) error {
	o, err := deployFlags("down", args)
	if err != nil {
		return err
	}
	o.Progress = out
	ctx, cancel := interruptible()
	defer cancel()
	return deploy.Destroy(ctx, o)
}

func runToken(args []string, out io.Writer) error {
	o, err := deployFlags("token", args)
	if err != nil {
		return err
	}
	outs, err := deploy.Outputs(context.Background(), o)
	if err != nil {
		return err
	}
	v, ok := outs["authToken"]
	if !ok || v.Value == "" {
		return fmt.Errorf("stack %s has no auth token output; is it deployed?", o.Stack)
	}
	_, err = fmt.Fprint(out, v.Value)
	return err
}

// seedList renders the configurationEndpoints output as host:port,host:port.
func seedList(v any) string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, ",")
}

// printKubernetesConnect says how to reach a cache on Kubernetes: its endpoint is a Service,
// reachable from pods, so the example runs the engine's CLI in one of the cache's own pods
// (its image has it and the CA is mounted there).
func printKubernetesConnect(out io.Writer, stack string, get func(string) any) {
	host, _ := get("endpoint").(string)
	ns := ""
	if parts := strings.Split(host, "."); len(parts) > 2 {
		ns = parts[1]
	}
	pod := ""
	if nodes, ok := get("nodes").([]any); ok && len(nodes) > 0 {
		if n, ok := nodes[0].(map[string]any); ok {
			pod, _ = n["pod"].(string)
		}
	}
	flags := ""
	if get("clusterModeEnabled") == true {
		flags += " -c"
	}
	if get("tlsEnabled") == true {
		flags += " --tls --cacert /etc/rediskit/tls/ca.crt"
	}
	fmt.Fprintf(out, "From a pod of the cluster (the token is read at run time, never printed):\n"+
		"  kubectl -n %s exec -it %s -- env REDISCLI_AUTH=\"$(go run ./cmd/rediskit token -s %s)\" valkey-cli%s -h %s -p %v --user %v\n",
		ns, pod, stack, flags, host, get("port"), get("authUser"))
	fmt.Fprintf(out, "Applications in the cluster connect to %s:%v (the CA is caCertificate in the stack's outputs and ca.crt of the cache's TLS Secret).\n", host, get("port"))
}
