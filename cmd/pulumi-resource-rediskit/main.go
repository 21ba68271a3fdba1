// Command pulumi-resource-rediskit is the rediskit Pulumi provider plugin. Started with
// `controller <spec>` it is instead a self-hosted deployment's resident controller, which the
// provider starts beside the nodes (see provider.RunController).
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	p "github.com/pulumi/pulumi-go-provider"

	"github.com/rediskit/rediskit/provider"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == provider.ControllerCommand {
		if err := controller(os.Args[2]); err != nil {
			log.Fatalf("controller: %v", err)
		}
		return
	}
	prov, err := provider.New()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-rediskit: %v\n", err)
		os.Exit(1)
	}
	if err := p.RunProvider(context.Background(), provider.Name, provider.Version, prov); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-rediskit: %v\n", err)
		os.Exit(1)
	}
}

func controller(specFile string) error {
	spec, err := provider.LoadControllerSpec(specFile)
	if err != nil {
		return err
	}
	// SIGTERM is how the provider stops it before changing the deployment.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	logger := log.New(os.Stderr, "", log.LstdFlags|log.LUTC)
	// A controller nobody can find any more (its directory removed behind Pulumi's back, or
	// its pid file naming another controller) must not keep running and holding its port.
	go func() {
		t := time.NewTicker(provider.DefaultTimeouts.OwnerCheck)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if !provider.ControllerOwnsPidFile(filepath.Dir(specFile)) {
					logger.Printf("controller of %s: its pid file is gone or names another process; exiting", spec.Args.Name)
					stop()
					return
				}
			}
		}
	}()
	err = provider.RunController(ctx, spec, provider.DefaultTimeouts.SnapshotTick, logger.Printf)
	logger.Printf("controller of %s stopped", spec.Args.Name)
	return err
}
