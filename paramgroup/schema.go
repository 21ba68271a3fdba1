package paramgroup

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/rediskit/rediskit/internal/validate"
)

// Apply says when ElastiCache applies a changed parameter.
type Apply string

const (
	// ApplyImmediate parameters take effect on a running node (CONFIG SET).
	ApplyImmediate Apply = "immediate"
	// ApplyRestart parameters take effect only after the node restarts (or at creation).
	ApplyRestart Apply = "restart"
)

// Parameter kinds, used to check values.
const (
	KindInt     = "int"     // a decimal integer within [Min, Max]
	KindEnum    = "enum"    // one of Allowed
	KindBool    = "bool"    // yes or no
	KindString  = "string"  // free text, checked by a per-parameter rule where one exists
	KindMemory  = "memory"  // bytes, optionally with a unit: 100mb, 1gb, 64k
	KindPercent = "percent" // an integer 0-100
)

// Param describes one parameter of a family as ElastiCache documents it.
type Param struct {
	Name        string
	Default     string
	Description string
	Kind        string
	Allowed     []string // for enums
	Min, Max    int64    // for ints (and memory, in bytes)
	Modifiable  bool
	Apply       Apply
}

// noLimit is the upper bound of ints ElastiCache documents without a maximum.
const noLimit = int64(1<<63 - 1)

func intP(name, def string, min, max int64, apply Apply, desc string) Param {
	return Param{Name: name, Default: def, Kind: KindInt, Min: min, Max: max, Modifiable: true, Apply: apply, Description: desc}
}

func boolP(name, def string, apply Apply, desc string) Param {
	return Param{Name: name, Default: def, Kind: KindBool, Allowed: []string{"yes", "no"}, Modifiable: true, Apply: apply, Description: desc}
}

func enumP(name, def string, allowed []string, apply Apply, desc string) Param {
	return Param{Name: name, Default: def, Kind: KindEnum, Allowed: allowed, Modifiable: true, Apply: apply, Description: desc}
}

func memP(name, def string, min int64, apply Apply, desc string) Param {
	return Param{Name: name, Default: def, Kind: KindMemory, Min: min, Max: noLimit, Modifiable: true, Apply: apply, Description: desc}
}

func fixed(p Param) Param {
	p.Modifiable = false
	return p
}

// EvictionPolicies are the maxmemory-policy values ElastiCache accepts.
var EvictionPolicies = []string{
	"volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu",
	"volatile-random", "allkeys-random", "volatile-ttl", "noeviction",
}

// redis7Params is the parameter set of redis7 (Redis OSS 7.0/7.1), which valkey7 shares
// (Valkey 7.2's parameters equal Redis OSS 7's). Defaults are ElastiCache's, which differ
// from OSS in places (maxmemory-policy, maxmemory-samples, cluster-require-full-coverage,
// reserved-memory-percent, maxclients, tcp-keepalive).
func redis7Params() []Param {
	I, R := ApplyImmediate, ApplyRestart
	return []Param{
		// Memory and eviction.
		enumP("maxmemory-policy", "volatile-lru", EvictionPolicies, I, "eviction policy once maxmemory is reached"),
		intP("maxmemory-samples", "3", 1, 64, I, "keys sampled per eviction by the LRU/LFU/TTL approximations"),
		{Name: "reserved-memory-percent", Default: "25", Kind: KindPercent, Min: 0, Max: 100, Modifiable: true, Apply: I,
			Description: "share of the node's memory kept out of maxmemory for replication buffers, forks and the OS"},
		memP("reserved-memory", "0", 0, I, "bytes kept out of maxmemory; used instead of reserved-memory-percent when non-zero"),
		intP("lfu-log-factor", "10", 0, noLimit, I, "LFU counter logarithm factor"),
		intP("lfu-decay-time", "1", 0, noLimit, I, "minutes after which the LFU counter is halved"),
		boolP("lazyfree-lazy-eviction", "no", I, "free evicted keys in a background thread"),
		boolP("lazyfree-lazy-expire", "no", I, "free expired keys in a background thread"),
		boolP("lazyfree-lazy-server-del", "no", I, "free keys deleted implicitly (RENAME, SET over a value) in the background"),
		boolP("lazyfree-lazy-user-del", "no", I, "make DEL behave like UNLINK"),
		boolP("lazyfree-lazy-user-flush", "no", I, "make FLUSHALL/FLUSHDB asynchronous by default"),
		boolP("replica-lazy-flush", "yes", I, "flush a replica's old data asynchronously during full resync"),

		// Defragmentation.
		boolP("activedefrag", "no", I, "active memory defragmentation"),
		memP("active-defrag-ignore-bytes", "104857600", 1048576, I, "minimum fragmentation waste before defragmentation starts"),
		intP("active-defrag-threshold-lower", "10", 1, 100, I, "minimum fragmentation percentage before defragmentation starts"),
		intP("active-defrag-threshold-upper", "100", 1, 100, I, "fragmentation percentage at which the maximum effort is used"),
		intP("active-defrag-cycle-min", "5", 1, 75, I, "minimal CPU effort for defragmentation, percent"),
		intP("active-defrag-cycle-max", "75", 1, 75, I, "maximal CPU effort for defragmentation, percent"),
		intP("active-defrag-max-scan-fields", "1000", 1, 1000000, I, "maximum set/hash/zset/list fields processed from the main dictionary scan"),
		intP("active-expire-effort", "1", 1, 10, I, "effort spent expiring keys actively"),
		{Name: "activerehashing", Default: "yes", Kind: KindBool, Allowed: []string{"yes", "no"}, Modifiable: true, Apply: R,
			Description: "incremental rehashing of the main dictionary (applied at creation/restart)"},

		// Connections.
		intP("timeout", "0", 0, noLimit, I, "seconds an idle client is kept; 0 never closes it"),
		intP("tcp-keepalive", "300", 0, noLimit, I, "TCP keepalive interval in seconds"),
		fixed(intP("maxclients", "65000", 1, 65000, R, "maximum number of connected clients")),
		memP("client-query-buffer-limit", "1073741824", 1048576, I, "maximum size of a single client query buffer"),
		memP("proto-max-bulk-len", "536870912", 1048576, I, "maximum size of a single bulk request"),
		memP("client-output-buffer-limit-normal-hard-limit", "0", 0, I, "normal clients: hard output buffer limit, 0 = none"),
		memP("client-output-buffer-limit-normal-soft-limit", "0", 0, I, "normal clients: soft output buffer limit, 0 = none"),
		intP("client-output-buffer-limit-normal-soft-seconds", "0", 0, noLimit, I, "normal clients: seconds over the soft limit before disconnect"),
		memP("client-output-buffer-limit-pubsub-hard-limit", "33554432", 0, I, "pub/sub clients: hard output buffer limit"),
		memP("client-output-buffer-limit-pubsub-soft-limit", "8388608", 0, I, "pub/sub clients: soft output buffer limit"),
		intP("client-output-buffer-limit-pubsub-soft-seconds", "60", 0, noLimit, I, "pub/sub clients: seconds over the soft limit before disconnect"),
		// ElastiCache sizes replica buffers itself from the node type; they are not modifiable there.
		fixed(memP("client-output-buffer-limit-replica-hard-limit", "268435456", 0, I, "replica links: hard output buffer limit (managed)")),
		fixed(memP("client-output-buffer-limit-replica-soft-limit", "67108864", 0, I, "replica links: soft output buffer limit (managed)")),
		fixed(intP("client-output-buffer-limit-replica-soft-seconds", "60", 0, noLimit, I, "replica links: seconds over the soft limit (managed)")),

		// Observability.
		intP("slowlog-log-slower-than", "10000", -1, noLimit, I, "microseconds above which a command is logged in the slow log; -1 disables"),
		intP("slowlog-max-len", "128", 0, noLimit, I, "slow log length"),
		{Name: "notify-keyspace-events", Default: "", Kind: KindString, Modifiable: true, Apply: I,
			Description: "keyspace notification classes, a combination of KEg$lshzxetmdnA (empty disables)"},
		intP("latency-monitor-threshold", "0", 0, noLimit, I, "milliseconds above which the latency monitor records an event"),
		boolP("latency-tracking", "yes", I, "per-command latency tracking for INFO latencystats"),
		intP("acllog-max-len", "128", 1, 10000, I, "maximum entries of the ACL log"),
		intP("tracking-table-max-keys", "1000000", 1, 100000000, I, "keys tracked for client-side caching"),

		// Replication.
		memP("repl-backlog-size", "1048576", 16384, I, "replication backlog; bigger allows longer partial resyncs"),
		intP("repl-backlog-ttl", "3600", 0, noLimit, I, "seconds the backlog is kept after the last replica disconnected"),
		fixed(intP("repl-timeout", "60", 60, 60, I, "replication timeout in seconds (managed)")),
		intP("min-replicas-to-write", "0", 0, 5, I, "refuse writes when fewer replicas are connected (0 disables)"),
		intP("min-replicas-max-lag", "10", 0, noLimit, I, "seconds of lag at which a replica stops counting for min-replicas-to-write"),
		boolP("close-on-replica-write", "yes", I, "disconnect clients that write to a replica instead of answering READONLY"),

		// Cluster mode. cluster-enabled belongs to the parameter group on ElastiCache but is
		// fixed by the deployment mode here, so it is not user-modifiable.
		fixed(enumP("cluster-enabled", "no", []string{"yes", "no"}, R, "cluster mode; set from the deployment mode")),
		boolP("cluster-require-full-coverage", "no", I, "refuse all queries when a slot is not covered"),
		boolP("cluster-allow-reads-when-down", "no", I, "serve reads while the cluster is marked failed"),
		boolP("cluster-allow-pubsubshard-when-down", "yes", I, "serve sharded pub/sub while the cluster is marked failed"),
		fixed(intP("cluster-node-timeout", "15000", 15000, 15000, R, "milliseconds before a node is considered failing (managed)")),

		// Persistence. ElastiCache relies on replicas and snapshots; the self-hosted engine
		// also honours these for AOF durability.
		boolP("appendonly", "no", R, "append-only file persistence"),
		enumP("appendfsync", "everysec", []string{"always", "everysec", "no"}, I, "when the append-only file is fsynced"),
		fixed(intP("databases", "16", 1, 1200000, R, "number of logical databases (set at creation)")),
		fixed(intP("lua-time-limit", "5000", 5000, 5000, I, "maximum execution time of a Lua script in milliseconds (managed)")),

		// Data structure encodings (Redis 7 listpack names).
		intP("hash-max-listpack-entries", "128", 0, noLimit, I, "hashes up to this many fields use the compact encoding"),
		intP("hash-max-listpack-value", "64", 0, noLimit, I, "hash fields up to this size use the compact encoding"),
		intP("list-max-listpack-size", "-2", -5, noLimit, I, "list node size: negative = -1..-5 (4kb..64kb), positive = entries"),
		intP("list-compress-depth", "0", 0, noLimit, I, "list nodes left uncompressed at each end; 0 disables compression"),
		intP("set-max-intset-entries", "512", 0, noLimit, I, "integer sets up to this size use the intset encoding"),
		intP("zset-max-listpack-entries", "128", 0, noLimit, I, "sorted sets up to this many members use the compact encoding"),
		intP("zset-max-listpack-value", "64", 0, noLimit, I, "sorted set members up to this size use the compact encoding"),
		intP("hll-sparse-max-bytes", "3000", 0, 16000, I, "HyperLogLog sparse representation limit"),
		memP("stream-node-max-bytes", "4096", 0, I, "maximum bytes of a stream node"),
		intP("stream-node-max-entries", "100", 0, noLimit, I, "maximum entries of a stream node"),
	}
}

// valkey8Params adds what Valkey 8 introduced to the shared set.
func valkey8Params() []Param {
	ps := redis7Params()
	ps = append(ps,
		intP("set-max-listpack-entries", "128", 0, noLimit, ApplyImmediate, "small non-integer sets up to this many members use the listpack encoding"),
		intP("set-max-listpack-value", "64", 0, noLimit, ApplyImmediate, "set members up to this size use the listpack encoding"),
	)
	return ps
}

// Schema returns the parameters of a family by name; nil for an unknown family.
func Schema(f Family) map[string]Param {
	var ps []Param
	switch f {
	case Redis7, Valkey7:
		ps = redis7Params()
	case Valkey8:
		ps = valkey8Params()
	default:
		return nil
	}
	out := make(map[string]Param, len(ps))
	for _, p := range ps {
		out[p.Name] = p
	}
	return out
}

// Names returns a family's parameter names, sorted.
func Names(f Family) []string {
	s := Schema(f)
	out := make([]string, 0, len(s))
	for n := range s {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Validate checks a parameter group's values against the family's schema and returns every
// problem: unknown names, parameters that are not modifiable, values of the wrong kind.
func Validate(f Family, params map[string]string) []validate.Problem {
	var ps validate.Problems
	schema := Schema(f)
	if schema == nil {
		fams := make([]string, 0)
		for _, x := range Families() {
			fams = append(fams, string(x))
		}
		ps.Add("family", string(f), "one of %s", strings.Join(fams, ", "))
		return ps.List
	}
	names := make([]string, 0, len(params))
	for n := range params {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := params[n]
		field := "parameters." + n
		p, ok := schema[n]
		if !ok {
			ps.Add(field, v, "%q is not a parameter of family %s%s", n, f, suggest(n, schema))
			continue
		}
		if !p.Modifiable {
			why := "it is not modifiable on ElastiCache"
			if n == "cluster-enabled" {
				why = "it is set from the deployment mode (cluster mode enabled or not)"
			}
			ps.Add(field, v, "remove it: %s", why)
			continue
		}
		if msg := checkValue(p, v); msg != "" {
			ps.Add(field, v, "%s", msg)
		}
	}
	return ps.List
}

// suggest names a close known parameter, for typos such as maxmemory_policy.
func suggest(name string, schema map[string]Param) string {
	norm := strings.ReplaceAll(strings.ToLower(name), "_", "-")
	if _, ok := schema[norm]; ok {
		return fmt.Sprintf(" (did you mean %q?)", norm)
	}
	// Redis 6 names of the listpack encodings and the old replica vocabulary.
	for _, r := range [][2]string{{"ziplist", "listpack"}, {"slave", "replica"}} {
		alt := strings.ReplaceAll(norm, r[0], r[1])
		if _, ok := schema[alt]; ok {
			return fmt.Sprintf(" (did you mean %q?)", alt)
		}
	}
	return ""
}

var notifyRe = regexp.MustCompile(`^[KEg$lshzxetmdnA]*$`)

// checkValue returns what would be allowed, or "" when v is valid for p.
func checkValue(p Param, v string) string {
	switch p.Kind {
	case KindBool:
		if v != "yes" && v != "no" {
			return "yes or no"
		}
	case KindEnum:
		for _, a := range p.Allowed {
			if v == a {
				return ""
			}
		}
		return "one of " + strings.Join(p.Allowed, ", ")
	case KindInt, KindPercent:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < p.Min || n > p.Max {
			return rangeText(p)
		}
	case KindMemory:
		n, err := ParseMemory(v)
		if err != nil || n < p.Min || n > p.Max {
			return fmt.Sprintf("a size in bytes (units k, kb, m, mb, g, gb allowed) of at least %d", p.Min)
		}
	case KindString:
		if p.Name == "notify-keyspace-events" && !notifyRe.MatchString(v) {
			return "a combination of the letters K E g $ l s h z x e t m d n A, or empty"
		}
	}
	return ""
}

func rangeText(p Param) string {
	if p.Max == noLimit {
		return fmt.Sprintf("an integer >= %d", p.Min)
	}
	if p.Min == p.Max {
		return fmt.Sprintf("the integer %d", p.Min)
	}
	return fmt.Sprintf("an integer from %d to %d", p.Min, p.Max)
}

// ParseMemory reads a Redis memory value: plain bytes or a number with k/kb/m/mb/g/gb
// (k = 1000, kb = 1024, as redis.conf defines them).
func ParseMemory(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}} {
		if strings.HasSuffix(t, u.suffix) {
			mult, t = u.m, strings.TrimSuffix(t, u.suffix)
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a memory size", s)
	}
	if n > noLimit/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * mult, nil
}

// Effective returns the full parameter set a node runs with: the family's ElastiCache
// defaults overlaid with the user's values, and cluster-enabled from the deployment mode.
// It does not validate; call Validate first.
func Effective(f Family, params map[string]string, clusterMode bool) map[string]string {
	out := map[string]string{}
	for n, p := range Schema(f) {
		out[n] = p.Default
	}
	for n, v := range params {
		out[n] = v
	}
	out["cluster-enabled"] = "no"
	if clusterMode {
		out["cluster-enabled"] = "yes"
	}
	return out
}
