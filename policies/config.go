package policies

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/rediskit/rediskit/internal/validate"
	"github.com/rediskit/rediskit/paramgroup"
)

// Config holds every level and threshold of the pack. The zero value is not useful; start
// from DefaultConfig or ParseConfig.
type Config struct {
	levels map[string]Level // only the overridden ones

	ApprovedKMSKeyIDs         []string            // encryption-at-rest.approvedKmsKeyIds
	AllowPreferredTransitMode bool                // encryption-in-transit.allowPreferredMode
	IngressPorts              []int               // public-ingress.ports
	MinSnapshotRetentionDays  int                 // automatic-backups.minRetentionDays
	AllowedEngines            []string            // supported-engine-version.allowedEngines
	AllowedVersions           map[string][]string // supported-engine-version.allowedVersions
	RequiredLogTypes          []string            // log-delivery.requiredLogTypes
	RequiredAlarmMetrics      []string            // cache-alarms.requiredMetrics
	DeniedNodeFamilies        []string            // production-node-types.deniedFamilies
	AllowedNodeFamilies       []string            // production-node-types.allowedFamilies
	ProductionStacks          []string            // environment.productionStacks
	ProductionEnvironments    []string            // environment.productionEnvironments
	EnvironmentKeys           []string            // environment.environmentKeys
	KnownEnvironments         []string            // environment.knownEnvironments
	NonPersistentEnvironments []string            // persistence.nonPersistentEnvironments
}

// Level returns the level rule id runs at under this config.
func (c *Config) Level(r *Rule) Level {
	if l, ok := c.levels[r.ID]; ok {
		return l
	}
	return r.Level
}

// RuleSetting is one rule's entry in a policy-pack config: `"rule": "advisory"` or
// `"rule": {"enforcementLevel": "advisory", "key": value}`.
type RuleSetting struct {
	Level string
	Props map[string]any
}

// ConfigKey is one configurable threshold of a rule.
type ConfigKey struct {
	Rule    string
	Name    string
	Doc     string
	Default any            // a JSON value; also the schema default the Pulumi engine fills in
	Schema  map[string]any // JSON schema of the value, for the engine's own validation
	set     func(c *Config, field string, v any, ps *validate.Problems)
}

var (
	familyRE  = regexp.MustCompile(`^[a-z]+[0-9]+[a-z]*$`)
	versionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
	envRE     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// BurstableFamilies are the node families with CPU credits: fine for dev, a latency cliff in
// production when credits run out.
var BurstableFamilies = []string{"t2", "t3", "t4g"}

// PreviousGenerationFamilies are the families the ElastiCache "Supported node types" page lists
// as previous generation (no new clusters can be created on them). M4 and R4 are still current.
var PreviousGenerationFamilies = []string{"t1", "m1", "m2", "m3", "c1", "r3"}

func defaultVersions() map[string][]string {
	out := map[string][]string{}
	for _, e := range paramgroup.Engines() {
		out[e] = paramgroup.Versions(paramgroup.Engine(e))
	}
	return out
}

var stringList = map[string]any{"type": "array", "items": map[string]any{"type": "string"}}

// ConfigKeys lists every configurable key, in documentation order.
func ConfigKeys() []ConfigKey {
	return []ConfigKey{
		{Rule: "encryption-at-rest", Name: "approvedKmsKeyIds", Default: []string{},
			Doc:    "KMS key ids or ARNs a cache may be encrypted with; empty accepts any key (AWS Config approvedKMSKeyIds)",
			Schema: stringList, set: setStrings(func(c *Config) *[]string { return &c.ApprovedKMSKeyIDs }, nonEmpty)},
		{Rule: "encryption-in-transit", Name: "allowPreferredMode", Default: false,
			Doc:    "accept transitEncryptionMode \"preferred\" (TLS optional, used while migrating clients)",
			Schema: map[string]any{"type": "boolean"}, set: setBool(func(c *Config) *bool { return &c.AllowPreferredTransitMode })},
		{Rule: "public-ingress", Name: "ports", Default: []int{6379},
			Doc:    "cache ports that must not be open to 0.0.0.0/0 or ::/0 (a cache's own port is always added)",
			Schema: map[string]any{"type": "array", "items": map[string]any{"type": "integer"}}, set: setPorts},
		{Rule: "automatic-backups", Name: "minRetentionDays", Default: 1,
			Doc:    "minimum snapshotRetentionLimit in days, 1-35 (Security Hub default 1, AWS Config default 15)",
			Schema: map[string]any{"type": "integer"}, set: setRetention},
		{Rule: "supported-engine-version", Name: "allowedEngines", Default: paramgroup.Engines(),
			Doc:    "engines a cache may run",
			Schema: stringList, set: setStrings(func(c *Config) *[]string { return &c.AllowedEngines }, isEngine)},
		{Rule: "supported-engine-version", Name: "allowedVersions", Default: defaultVersions(),
			Doc:    "per engine, the major.minor versions a cache may run",
			Schema: map[string]any{"type": "object", "additionalProperties": stringList}, set: setVersions},
		{Rule: "log-delivery", Name: "requiredLogTypes", Default: []string{"slow-log"},
			Doc:    "log types that must be delivered: slow-log, engine-log",
			Schema: stringList, set: setStrings(func(c *Config) *[]string { return &c.RequiredLogTypes }, isLogType)},
		{Rule: "cache-alarms", Name: "requiredMetrics", Default: []string{},
			Doc:    "CloudWatch metrics each cache needs an alarm on (e.g. CPUUtilization, DatabaseMemoryUsagePercentage); empty: any alarm",
			Schema: stringList, set: setStrings(func(c *Config) *[]string { return &c.RequiredAlarmMetrics }, nonEmpty)},
		{Rule: "production-node-types", Name: "deniedFamilies", Default: append(slices.Clone(BurstableFamilies), PreviousGenerationFamilies...),
			Doc:    "node families (cache.<family>.<size>) not allowed in production: burstable and previous generation",
			Schema: stringList, set: setStrings(func(c *Config) *[]string { return &c.DeniedNodeFamilies }, isFamily)},
		{Rule: "production-node-types", Name: "allowedFamilies", Default: []string{},
			Doc:    "when not empty, the only node families allowed in production",
			Schema: stringList, set: setStrings(func(c *Config) *[]string { return &c.AllowedNodeFamilies }, isFamily)},
		{Rule: "environment", Name: "productionStacks", Default: []string{"prod", "production"},
			Doc:    "stack names that are production whatever their environment setting says",
			Schema: stringList, set: setStrings(func(c *Config) *[]string { return &c.ProductionStacks }, isEnvName)},
		{Rule: "environment", Name: "productionEnvironments", Default: []string{"prod", "production"},
			Doc:    "environment values (from environmentKeys) that mark a stack as production",
			Schema: stringList, set: setStrings(func(c *Config) *[]string { return &c.ProductionEnvironments }, isEnvName)},
		{Rule: "environment", Name: "environmentKeys", Default: []string{"rediskit:environment"},
			Doc:    "stack config keys and stack tags, in order, that name a stack's environment; the stack name is the fallback",
			Schema: stringList, set: setStrings(func(c *Config) *[]string { return &c.EnvironmentKeys }, nonEmpty)},
		{Rule: "environment", Name: "knownEnvironments", Default: []string{"dev", "staging", "prod", "local"},
			Doc:    "environments a stack may declare; any other is reported, because production rules would silently not apply",
			Schema: stringList, set: setStrings(func(c *Config) *[]string { return &c.KnownEnvironments }, isEnvName)},
		{Rule: "persistence", Name: "nonPersistentEnvironments", Default: []string{"dev"},
			Doc:    "environments where a self-hosted cache may run without RDB/AOF persistence",
			Schema: stringList, set: setStrings(func(c *Config) *[]string { return &c.NonPersistentEnvironments }, isEnvName)},
	}
}

// DefaultConfig is the pack's configuration when nothing is configured.
func DefaultConfig() *Config {
	c, err := NewConfig(nil)
	if err != nil {
		panic(fmt.Sprintf("policies: the default config is invalid: %v", err)) // a bug in ConfigKeys
	}
	return c
}

// NewConfig applies settings (rule id or "all" -> setting) over the defaults and validates
// them, returning one error that lists every problem with the field, the value and what is allowed.
func NewConfig(settings map[string]RuleSetting) (*Config, error) {
	c := &Config{levels: map[string]Level{}}
	ps := &validate.Problems{What: "policy pack config"}
	keys := ConfigKeys()
	for _, k := range keys {
		k.set(c, k.Rule+"."+k.Name, jsonRoundTrip(k.Default), ps)
	}
	ruleIDs := RuleIDs()
	names := make([]string, 0, len(settings))
	for n := range settings {
		names = append(names, n)
	}
	sort.Strings(names)
	// "all" first, so that a rule's own level wins over it.
	if _, ok := settings["all"]; ok {
		names = append([]string{"all"}, slices.DeleteFunc(names, func(s string) bool { return s == "all" })...)
	}
	for _, name := range names {
		s := settings[name]
		if name != "all" && !slices.Contains(ruleIDs, name) {
			ps.Add(name, name, "not a rule of this pack; rules: %s", strings.Join(ruleIDs, ", "))
			continue
		}
		if s.Level != "" {
			l, err := ParseLevel(s.Level)
			if err != nil {
				ps.Add(name+".enforcementLevel", s.Level, "allowed: %s", strings.Join(Levels(), ", "))
			} else if name == "all" {
				for _, id := range ruleIDs {
					c.levels[id] = l
				}
			} else {
				c.levels[name] = l
			}
		}
		if name == "all" {
			for p := range s.Props {
				ps.Add("all."+p, s.Props[p], "\"all\" takes only an enforcementLevel")
			}
			continue
		}
		var ruleKeys []string
		for _, k := range keys {
			if k.Rule == name {
				ruleKeys = append(ruleKeys, k.Name)
			}
		}
		for p, v := range s.Props {
			i := slices.IndexFunc(keys, func(k ConfigKey) bool { return k.Rule == name && k.Name == p })
			if i < 0 {
				allowed := "this rule takes no settings besides enforcementLevel"
				if len(ruleKeys) > 0 {
					allowed = "allowed keys: " + strings.Join(ruleKeys, ", ")
				}
				ps.Add(name+"."+p, v, "%s", allowed)
				continue
			}
			keys[i].set(c, name+"."+p, v, ps)
		}
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// ParseConfigJSON reads the `--policy-pack-config` file format, so one file configures the
// preview, the audit and the offline check alike.
func ParseConfigJSON(data []byte) (*Config, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("policy pack config is not a JSON object: %w", err)
	}
	settings := map[string]RuleSetting{}
	ps := &validate.Problems{What: "policy pack config"}
	for name, msg := range raw {
		var level string
		if json.Unmarshal(msg, &level) == nil {
			settings[name] = RuleSetting{Level: level}
			continue
		}
		var props map[string]any
		if err := json.Unmarshal(msg, &props); err != nil {
			ps.Add(name, string(msg), "a level (%s) or an object of settings", strings.Join(Levels(), ", "))
			continue
		}
		s := RuleSetting{Props: props}
		if l, ok := props["enforcementLevel"]; ok {
			delete(props, "enforcementLevel")
			ls, isString := l.(string)
			if !isString {
				ps.Add(name+".enforcementLevel", l, "allowed: %s", strings.Join(Levels(), ", "))
			}
			s.Level = ls
		}
		settings[name] = s
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return NewConfig(settings)
}

// LoadConfig reads a config file; an empty path means the defaults.
func LoadConfig(path string) (*Config, error) {
	if path == "" {
		return DefaultConfig(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading policy config %s: %w", path, err)
	}
	c, err := ParseConfigJSON(data)
	if err != nil {
		return nil, fmt.Errorf("loading policy config %s: %w", path, err)
	}
	return c, nil
}

// jsonRoundTrip turns a Go default into the shape JSON decoding gives, so defaults and user
// values go through the same setters.
func jsonRoundTrip(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func setStrings(field func(*Config) *[]string, check func(string) string) func(*Config, string, any, *validate.Problems) {
	return func(c *Config, name string, v any, ps *validate.Problems) {
		list, ok := v.([]any)
		if !ok {
			ps.Add(name, v, "a list of strings")
			return
		}
		out := make([]string, 0, len(list))
		for i, e := range list {
			s, ok := e.(string)
			if !ok {
				ps.Add(fmt.Sprintf("%s[%d]", name, i), e, "a string")
				continue
			}
			if msg := check(s); msg != "" {
				ps.Add(fmt.Sprintf("%s[%d]", name, i), s, "%s", msg)
				continue
			}
			out = append(out, s)
		}
		*field(c) = out
	}
}

func setBool(field func(*Config) *bool) func(*Config, string, any, *validate.Problems) {
	return func(c *Config, name string, v any, ps *validate.Problems) {
		b, ok := v.(bool)
		if !ok {
			ps.Add(name, v, "true or false")
			return
		}
		*field(c) = b
	}
}

func asInt(v any) (int, bool) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) {
		return 0, false
	}
	return int(f), true
}

func setRetention(c *Config, name string, v any, ps *validate.Problems) {
	n, ok := asInt(v)
	if !ok || n < 1 || n > 35 {
		ps.Add(name, v, "a whole number of days from 1 to 35 (ElastiCache keeps snapshots at most 35 days)")
		return
	}
	c.MinSnapshotRetentionDays = n
}

func setPorts(c *Config, name string, v any, ps *validate.Problems) {
	list, ok := v.([]any)
	if !ok {
		ps.Add(name, v, "a list of port numbers")
		return
	}
	c.IngressPorts = nil
	for i, e := range list {
		n, ok := asInt(e)
		if !ok || n < 1 || n > 65535 {
			ps.Add(fmt.Sprintf("%s[%d]", name, i), e, "a port number from 1 to 65535")
			continue
		}
		c.IngressPorts = append(c.IngressPorts, n)
	}
}

func setVersions(c *Config, name string, v any, ps *validate.Problems) {
	m, ok := v.(map[string]any)
	if !ok {
		ps.Add(name, v, "an object of engine -> list of versions, e.g. {\"valkey\": [\"8.2\"]}")
		return
	}
	c.AllowedVersions = map[string][]string{}
	for engine, list := range m {
		if msg := isEngine(engine); msg != "" {
			ps.Add(name+"."+engine, engine, "%s", msg)
			continue
		}
		var out []string
		setStrings(func(*Config) *[]string { return &out }, func(s string) string {
			if !versionRE.MatchString(s) {
				return "a major.minor version such as \"7.1\""
			}
			return ""
		})(c, name+"."+engine, list, ps)
		c.AllowedVersions[engine] = out
	}
}

func nonEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "a non-empty string"
	}
	return ""
}

func isEngine(s string) string {
	if !slices.Contains(paramgroup.Engines(), s) {
		return "allowed: " + strings.Join(paramgroup.Engines(), ", ")
	}
	return ""
}

func isFamily(s string) string {
	if !familyRE.MatchString(s) {
		return "a node family as in cache.<family>.<size>, e.g. \"r7g\" or \"t4g\""
	}
	return ""
}

func isLogType(s string) string {
	if s != "slow-log" && s != "engine-log" {
		return "allowed: slow-log, engine-log"
	}
	return ""
}

func isEnvName(s string) string {
	if !envRE.MatchString(s) {
		return "a stack or environment name (letters, digits, '.', '_', '-')"
	}
	return ""
}
