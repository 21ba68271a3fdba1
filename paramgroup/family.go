// Package paramgroup is the ElastiCache parameter-group vocabulary shared by both targets:
// which engine versions exist, which parameter-group family each belongs to, and (in schema.go)
// which parameters a family knows, their ElastiCache defaults and allowed values. The AWS
// components use it to validate before anything is created; the self-hosted engine uses the
// same schema to turn a parameter group into redis.conf.
package paramgroup

import (
	"fmt"
	"sort"
	"strings"
)

// Engine is a cache engine as ElastiCache names it.
type Engine string

const (
	Valkey Engine = "valkey"
	Redis  Engine = "redis"
)

// Family is an ElastiCache parameter-group family.
type Family string

const (
	Redis7  Family = "redis7"
	Valkey7 Family = "valkey7"
	Valkey8 Family = "valkey8"
	Valkey9 Family = "valkey9"
)

// versions lists the engine versions rediskit supports, newest first, with their family.
// Redis OSS stops at 7.1 on ElastiCache; Valkey 7.2 shares Redis 7's parameters; Valkey 9.0
// and 9.1 share the valkey9 family (AWS: "Engine specific parameters", "Valkey 9.1 and Valkey
// 9.0 parameter changes").
var versions = map[Engine][]struct {
	Version string
	Family  Family
}{
	Valkey: {{"9.1", Valkey9}, {"9.0", Valkey9}, {"8.2", Valkey8}, {"8.1", Valkey8}, {"8.0", Valkey8}, {"7.2", Valkey7}},
	Redis:  {{"7.1", Redis7}, {"7.0", Redis7}},
}

// defaultVersions are chosen when only the engine is given. They are deliberately not the
// newest: a new default major version would move every cache that does not pin its version to
// a new parameter-group family (a replacement of the group and an engine upgrade) on the next
// `pulumi up`. Valkey 9 is opted into by setting engineVersion.
var defaultVersions = map[Engine]string{Valkey: "8.2", Redis: "7.1"}

// DefaultVersion is the version chosen when only the engine is given.
func DefaultVersion(e Engine) string {
	return defaultVersions[e]
}

// Engines lists the supported engines.
func Engines() []string { return []string{string(Valkey), string(Redis)} }

// Versions lists the supported versions of an engine, newest first.
func Versions(e Engine) []string {
	var out []string
	for _, v := range versions[e] {
		out = append(out, v.Version)
	}
	return out
}

// FamilyFor returns the parameter-group family of an engine version.
func FamilyFor(e Engine, version string) (Family, error) {
	vs, ok := versions[e]
	if !ok {
		return "", fmt.Errorf("engine %q is not supported; allowed: %s", e, strings.Join(Engines(), ", "))
	}
	for _, v := range vs {
		if v.Version == version {
			return v.Family, nil
		}
	}
	return "", fmt.Errorf("%s version %q is not supported; allowed: %s", e, version, strings.Join(Versions(e), ", "))
}

// Families lists every family, sorted.
func Families() []Family {
	seen := map[Family]bool{}
	var out []Family
	for _, vs := range versions {
		for _, v := range vs {
			if !seen[v.Family] {
				seen[v.Family] = true
				out = append(out, v.Family)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// EngineOf returns the engine a family belongs to.
func EngineOf(f Family) Engine {
	if strings.HasPrefix(string(f), "valkey") {
		return Valkey
	}
	return Redis
}
