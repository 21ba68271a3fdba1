package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rediskit/rediskit/internal/clientcheck"
)

// cmdLoad is `rediskit-engine load`: an application's view of a cache from where applications
// run (a pod, for the Kubernetes target), for tests and for a platform team checking a
// deployment by hand. It prints one JSON report (clientcheck.Report) when the duration ends or
// on SIGTERM; the token comes from $RK_APP_TOKEN or the file $RK_APP_TOKEN_FILE names.
func cmdLoad(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	o := clientcheck.Options{}
	fs.StringVar(&o.Addr, "addr", "", "the cache's endpoint, host:port")
	fs.BoolVar(&o.Cluster, "cluster", false, "cluster mode (a cluster-aware client)")
	fs.StringVar(&o.CAFile, "cacert", "", "CA certificate file; turns TLS on")
	fs.StringVar(&o.User, "user", "app", "user")
	fs.StringVar(&o.Prefix, "prefix", "load:", "key prefix")
	fs.DurationVar(&o.Duration, "duration", 30*time.Second, "how long to write")
	fs.IntVar(&o.Replicas, "wait", 1, "replicas that must acknowledge each write (WAIT); 0: none")
	fs.DurationVar(&o.WaitTimeout, "wait-timeout", time.Second, "timeout of each WAIT")
	fs.DurationVar(&o.Every, "every", 5*time.Millisecond, "pause between writes")
	fs.IntVar(&o.Count, "count", 0, "stop once this many writes are acknowledged (0: write for -duration)")
	fs.IntVar(&o.Verify, "verify", 0, "write nothing; read back keys <prefix>0 .. <prefix><verify-1> (as written by -count)")
	_ = fs.Parse(args)
	if o.Addr == "" {
		return fmt.Errorf("-addr is empty; it must be the cache's endpoint as host:port")
	}
	o.Password = os.Getenv("RK_APP_TOKEN")
	if f := os.Getenv("RK_APP_TOKEN_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("reading RK_APP_TOKEN_FILE: %w", err)
		}
		o.Password = strings.TrimSpace(string(b))
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	rep, err := clientcheck.Run(ctx, o)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(rep)
}
