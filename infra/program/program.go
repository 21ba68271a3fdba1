// Package program is the rediskit Pulumi program as one Go function: `pulumi up` runs it through
// infra/main.go, and the Automation API and the offline planner run the very same function inline.
package program

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/rediskit/rediskit/components/cache"
	"github.com/rediskit/rediskit/components/kube"
	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/validate"
)

// Config is a stack's rediskit configuration, read from stacks/Pulumi.<stack>.yaml.
type Config struct {
	Target      spec.Target
	Environment string
	Cache       spec.Cache
	Network     spec.Network
	// Kubernetes is the kubernetes target's rediskit:kubernetes block.
	Kubernetes kube.Settings
}

// AuthTokenKey is the stack config key of a user-chosen AUTH token. It must be set with
// `pulumi config set --secret`: a token in plain text in a stack file is refused.
const AuthTokenKey = "rediskit:authToken"

// LoadConfig reads and strictly decodes the stack's config: an unknown key (a typo such as
// `replica:`) or a value of the wrong type is an error naming the key, the value and what is
// allowed, not a silently ignored setting; every such problem is reported at once.
func LoadConfig(ctx *pulumi.Context) (*Config, error) {
	cfg := config.New(ctx, "rediskit")
	out := &Config{
		Target:      spec.Target(cfg.Get("target")),
		Environment: cfg.Get("environment"),
	}
	if out.Target == "" {
		out.Target = spec.TargetAWS
	}
	ps := &validate.Problems{What: fmt.Sprintf("stack config of %q", ctx.Stack())}
	spec.DecodeStrict(cfg.Get("cache"), &out.Cache, "rediskit:cache", ps)
	spec.DecodeStrict(cfg.Get("network"), &out.Network, "rediskit:network", ps)
	spec.DecodeStrict(cfg.Get("kubernetes"), &out.Kubernetes, "rediskit:kubernetes", ps)
	if cfg.Get("kubernetes") != "" && out.Target != spec.TargetKubernetes {
		ps.Add("rediskit:kubernetes", "set", "only with rediskit:target kubernetes (the target is %q)", out.Target)
	}
	// The token is read as plain text only to validate it; it reaches resources as a secret.
	// A value that is not a config secret has been in the stack file in the clear: refuse it
	// rather than deploy a token that was never kept secret.
	if tok, ok := ctx.GetConfig(AuthTokenKey); ok && tok != "" {
		if ctx.IsConfigSecret(AuthTokenKey) {
			out.Cache.Auth.Token = tok
		} else {
			ps.Add(AuthTokenKey, fmt.Sprintf("(plain text, %d characters)", len(tok)),
				"a secret: set it with `pulumi config set --secret %s <token>` so the stack file holds it encrypted", AuthTokenKey)
		}
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	if out.Cache.Name == "" {
		out.Cache.Name = "rediskit-" + strings.ToLower(ctx.Stack())
	}
	if out.Cache.Environment == "" {
		out.Cache.Environment = out.Environment
	}
	return out, nil
}

// Run is the program: one cache per stack, its connection facts as stack outputs. A relative
// self-hosted data directory is under the project root the Pulumi CLI gives the program.
func Run(ctx *pulumi.Context) error { return run(ctx, "") }

// RunAt is Run for a project at root, for the Automation API's inline programs, which the CLI
// runs without a project root (and in the caller's working directory).
func RunAt(root string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error { return run(ctx, root) }
}

func run(ctx *pulumi.Context, root string) error {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return err
	}
	c, err := cache.NewCache(ctx, cfg.Cache.Name, &cache.CacheArgs{
		Target:     cfg.Target,
		Cache:      cfg.Cache,
		Network:    cfg.Network,
		Root:       root,
		Kubernetes: cfg.Kubernetes,
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
	ctx.Export("configurationEndpoints", c.ConfigurationEndpoints)
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
	ctx.Export("metricsEndpoint", c.MetricsEndpoint)
	ctx.Export("nodes", c.Nodes)
	return nil
}
