// Package program is the rediskit Pulumi program as one Go function: `pulumi up` runs it through
// infra/main.go, and the Automation API and the offline planner run the very same function inline.
package program

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/rediskit/rediskit/components/cache"
	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/validate"
)

// Config is a stack's rediskit configuration, read from stacks/Pulumi.<stack>.yaml.
type Config struct {
	Target      spec.Target
	Environment string
	Cache       spec.Cache
	Network     spec.Network
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
	decodeStrict(cfg.Get("cache"), &out.Cache, "rediskit:cache", ps)
	decodeStrict(cfg.Get("network"), &out.Network, "rediskit:network", ps)
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

// decodeStrict decodes a config object into its Go type. Its shape is checked first, so that
// every unknown key and every value of the wrong type is named with its path (e.g.
// rediskit:cache.snapshots.retentionDays) instead of the decoder's first complaint.
func decodeStrict(raw string, into any, key string, ps *validate.Problems) {
	if raw == "" {
		return
	}
	var generic any
	if err := json.Unmarshal([]byte(raw), &generic); err != nil {
		ps.Add(key, "(unreadable)", "an object (a YAML map) of settings; reading it failed: %v", err)
		return
	}
	before := len(ps.List)
	checkShape(generic, reflect.TypeOf(into).Elem(), key, ps)
	if len(ps.List) > before {
		return
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		ps.Add(key, "(unreadable)", "an object (a YAML map) of settings; reading it failed: %v", err)
	}
}

// jsonValue shows a config value as it was written (JSON), in problems.
type jsonValue string

func (v jsonValue) String() string { return string(v) }

func shown(v any) jsonValue {
	b, err := json.Marshal(v)
	if err != nil {
		return jsonValue(fmt.Sprint(v))
	}
	return jsonValue(b)
}

// checkShape compares a decoded JSON value with the Go type it has to fill and records each
// unknown key and each value of the wrong type, with its path and what the type accepts.
func checkShape(v any, t reflect.Type, path string, ps *validate.Problems) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return // null: the default
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			ps.Add(path, shown(v), "%s", describe(t))
			return
		}
		fields := jsonFields(t)
		for _, k := range sortedKeys(m) {
			ft, known := fields[k]
			if !known {
				ps.Add(path+"."+k, shown(m[k]), "%q is not a key of %s%s; its keys are %s", k, path, suggestKey(k, fields), strings.Join(sortedKeys(fields), ", "))
				continue
			}
			checkShape(m[k], ft, path+"."+k, ps)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			ps.Add(path, shown(v), "%s", describe(t))
			return
		}
		for _, k := range sortedKeys(m) {
			checkShape(m[k], t.Elem(), path+"."+k, ps)
		}
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			ps.Add(path, shown(v), "%s", describe(t))
			return
		}
		for i, e := range a {
			checkShape(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), ps)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			ps.Add(path, shown(v), "%s", describe(t))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			ps.Add(path, shown(v), "%s", describe(t))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if f, ok := v.(float64); !ok || f != math.Trunc(f) {
			ps.Add(path, shown(v), "%s", describe(t))
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(float64); !ok {
			ps.Add(path, shown(v), "%s", describe(t))
		}
	}
}

// describe says in words what a Go type accepts in stack config.
func describe(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		return "an object (a YAML map) with the keys " + strings.Join(sortedKeys(jsonFields(t)), ", ")
	case reflect.Map:
		return "an object (a YAML map) of " + plural(t.Elem())
	case reflect.Slice:
		return "a list of " + plural(t.Elem())
	case reflect.String:
		return `a string (quote numbers in YAML, e.g. "8.0")`
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return t.String()
}

func plural(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "strings"
	case reflect.Struct, reflect.Map:
		return "objects"
	case reflect.Bool:
		return "true/false values"
	case reflect.Slice:
		return "lists"
	}
	return "numbers"
}

// jsonFields maps a struct's JSON keys to their types; fields tagged "-" (the AUTH token,
// which never comes from the cache object) are not keys.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// suggestKey names the known key closest to a misspelt one (a missing or extra letter or two).
func suggestKey(k string, fields map[string]reflect.Type) string {
	best, bestD := "", 3
	for _, f := range sortedKeys(fields) {
		if d := distance(strings.ToLower(k), strings.ToLower(f)); d < bestD {
			best, bestD = f, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance of two short strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
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
		Target:  cfg.Target,
		Cache:   cfg.Cache,
		Network: cfg.Network,
		Root:    root,
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
