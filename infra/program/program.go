// Package program is the rediskit Pulumi program as one Go function: `pulumi up` runs it through
// infra/main.go, and the Automation API and the offline planner run the very same function inline.
package program

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/rediskit/rediskit/components/cache"
	"github.com/rediskit/rediskit/components/spec"
)

// Config is a stack's rediskit configuration, read from stacks/Pulumi.<stack>.yaml.
type Config struct {
	Target      spec.Target
	Environment string
	Cache       spec.Cache
	Network     spec.Network
}

// LoadConfig reads and strictly decodes the stack's config: an unknown key (a typo such as
// `replica:`) is an error, not a silently ignored setting.
func LoadConfig(ctx *pulumi.Context) (*Config, error) {
	cfg := config.New(ctx, "rediskit")
	out := &Config{
		Target:      spec.Target(cfg.Get("target")),
		Environment: cfg.Get("environment"),
	}
	if out.Target == "" {
		out.Target = spec.TargetAWS
	}
	if err := decodeStrict(cfg.Get("cache"), &out.Cache, "rediskit:cache"); err != nil {
		return nil, err
	}
	if err := decodeStrict(cfg.Get("network"), &out.Network, "rediskit:network"); err != nil {
		return nil, err
	}
	if out.Cache.Name == "" {
		out.Cache.Name = "rediskit-" + strings.ToLower(ctx.Stack())
	}
	if out.Cache.Environment == "" {
		out.Cache.Environment = out.Environment
	}
	// The token is read as plain text only to validate it; it reaches resources as a secret.
	out.Cache.Auth.Token = cfg.Get("authToken")
	return out, nil
}

func decodeStrict(raw string, into any, key string) error {
	if raw == "" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("reading config %s: %w", key, err)
	}
	return nil
}

// Run is the program: one cache per stack, its connection facts as stack outputs.
func Run(ctx *pulumi.Context) error {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return err
	}
	c, err := cache.NewCache(ctx, cfg.Cache.Name, &cache.CacheArgs{
		Target:  cfg.Target,
		Cache:   cfg.Cache,
		Network: cfg.Network,
	})
	if err != nil {
		return err
	}
	ctx.Export("target", c.Target)
	ctx.Export("mode", c.Mode)
	ctx.Export("endpoint", c.Endpoint)
	ctx.Export("primaryEndpoint", c.PrimaryEndpoint)
	ctx.Export("readerEndpoint", c.ReaderEndpoint)
	ctx.Export("configurationEndpoint", c.ConfigurationEndpoint)
	ctx.Export("sentinels", c.Sentinels)
	ctx.Export("port", c.Port)
	ctx.Export("tlsEnabled", c.TLSEnabled)
	ctx.Export("clusterModeEnabled", c.ClusterModeEnabled)
	ctx.Export("authMode", c.AuthMode)
	ctx.Export("authToken", c.AuthToken)
	ctx.Export("authSecretArn", c.AuthSecretArn)
	ctx.Export("connectionUrl", c.ConnectionURL)
	ctx.Export("authUser", c.AuthUser)
	ctx.Export("caFile", c.CAFile)
	ctx.Export("nodes", c.Nodes)
	return nil
}
