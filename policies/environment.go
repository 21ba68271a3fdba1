package policies

import (
	"fmt"
	"slices"
	"strings"
)

// ResolveEnvironment names the stack's environment: the first of the configured keys found
// in the stack's config, then in its tags, then in the tags of its resources (when they all
// agree: `pulumi policy analyze` passes no stack config, but our resources carry the tag),
// else the stack name itself. source says where it came from, for messages.
func ResolveEnvironment(s *Stack, cfg *Config) (env, source string) {
	for _, k := range cfg.EnvironmentKeys {
		if v := s.Config[k]; v != "" {
			return v, "stack config " + k
		}
		if v := s.Tags[k]; v != "" {
			return v, "stack tag " + k
		}
	}
	for _, k := range cfg.EnvironmentKeys {
		if v := resourceTag(s.Resources, k); v != "" {
			return v, "resource tag " + k
		}
	}
	return s.Name, "stack name"
}

// resourceTag returns the value every tagged resource gives key, or "" when none has it or
// they disagree.
func resourceTag(rs []Resource, key string) string {
	found := ""
	for _, r := range rs {
		v := getString(r.Inputs, "tags."+key)
		if r.Type == TypeSelfHostedDeployment && !v.Set {
			// The self-hosted deployment carries the stack's environment as an input.
			v = getString(r.Inputs, "environment")
		}
		if !v.Set {
			continue
		}
		if found != "" && found != v.Value {
			return ""
		}
		found = v.Value
	}
	return found
}

// IsProduction decides whether production-only rules apply: the stack name is a production
// stack, or its environment is a production environment.
func IsProduction(s *Stack, cfg *Config) bool {
	if slices.Contains(cfg.ProductionStacks, s.Name) {
		return true
	}
	env, _ := ResolveEnvironment(s, cfg)
	return slices.Contains(cfg.ProductionEnvironments, env)
}

// environmentRule exists because production rules fail open: a stack called "prd" with no
// environment setting would skip every production check without anyone noticing.
func environmentRule() *Rule {
	return &Rule{
		ID:      "environment",
		Title:   "The stack declares a known environment, so that production-only rules apply where they should",
		Why:     "Multi-AZ, zone spread and node-type rules only run on production stacks; a stack whose environment is unknown escapes them silently.",
		Level:   Advisory,
		Applies: "stack (config key / stack tag / stack name)",
		Maps:    Mapped{Note: "rediskit-specific; no equivalent in Checkov, tfsec, AWS Config or Security Hub"},
		CheckStack: func(ctx *Context) []Finding {
			if ctx.Stack.Name == "" || ctx.Production {
				return nil
			}
			env, source := ResolveEnvironment(ctx.Stack, ctx.Config)
			if slices.Contains(ctx.Config.KnownEnvironments, env) {
				return nil
			}
			return []Finding{{Message: fmt.Sprintf(
				"environment %q (from %s) is not one of %s; set %s to one of them so that production rules apply when they should",
				env, source, strings.Join(ctx.Config.KnownEnvironments, ", "), strings.Join(ctx.Config.EnvironmentKeys, " or "))}}
		},
	}
}
