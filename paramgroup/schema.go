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

// Param describes one parameter of a family as ElastiCache documents it on "Engine specific
// parameters" (docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Engine.html).
// The pages list changes per version; a family's set is the sum of every section up to it,
// minus what a later section removes.
type Param struct {
	Name        string
	Default     string
	Description string
	Kind        string
	Allowed     []string // for enums
	Min, Max    int64    // for ints (and memory, in bytes)
	// Modifiable is ElastiCache's "Modifiable" column.
	Modifiable bool
	Apply      Apply
	// Since is the first engine version of the family that has the parameter ("" = all of
	// them): valkey8's commandlog-* arrived in 8.1 and AWS refuses them on 8.0.
	Since string
	// SelfHosted is how the self-hosted engine treats the parameter where it differs from
	// ElastiCache; Why says why.
	SelfHosted SelfHostedRule
	Why        string
}

// SelfHostedRule says how the self-hosted engine differs from ElastiCache for one parameter.
type SelfHostedRule int

const (
	// AsElastiCache: a server directive the engine renders with ElastiCache's default and
	// accepts exactly when ElastiCache does.
	AsElastiCache SelfHostedRule = iota
	// EngineModifiable: ElastiCache fixes it, but the engine honours a change (it runs the
	// server itself, e.g. AOF for its own persistence).
	EngineModifiable
	// EngineRefused: an ElastiCache feature the engine cannot honour; refused there, never
	// rendered.
	EngineRefused
	// RenderedWhenSet: the engine passes it only when the user sets it, because servers it may
	// run (Redis OSS 7.0 for every family in tests) do not know the directive or its default.
	RenderedWhenSet
)

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

func memP(name, def string, min, max int64, apply Apply, desc string) Param {
	return Param{Name: name, Default: def, Kind: KindMemory, Min: min, Max: max, Modifiable: true, Apply: apply, Description: desc}
}

func fixed(p Param) Param {
	p.Modifiable = false
	return p
}

func since(v string, p Param) Param {
	p.Since = v
	return p
}

func selfHosted(rule SelfHostedRule, why string, p Param) Param {
	p.SelfHosted, p.Why = rule, why
	return p
}

// EvictionPolicies are the maxmemory-policy values ElastiCache accepts ("Redis OSS 4.0.10
// parameter changes": LFU policies added to the 2.6.13 set).
var EvictionPolicies = []string{
	"volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu",
	"volatile-random", "allkeys-random", "volatile-ttl", "noeviction",
}

// DataTieringEvictionPolicies are the only maxmemory-policy values ElastiCache allows on r6gd
// (data tiering) nodes ("Redis OSS 6.x parameter changes" and "Redis OSS 4.0.10 parameter
// changes" notes; "Data tiering" prerequisites).
var DataTieringEvictionPolicies = []string{"noeviction", "volatile-lru", "allkeys-lru"}

// RenameableCommands are the commands ElastiCache lets rename-commands rename ("Redis OSS 5.0.3
// parameter changes").
var RenameableCommands = strings.Fields(`APPEND AUTH BITCOUNT BITFIELD BITOP BITPOS BLPOP BRPOP
BRPOPLPUSH BZPOPMIN BZPOPMAX CLIENT CLUSTER COMMAND DBSIZE DECR DECRBY DEL DISCARD DUMP ECHO EVAL
EVALSHA EXEC EXISTS EXPIRE EXPIREAT FLUSHALL FLUSHDB GEOADD GEOHASH GEOPOS GEODIST GEORADIUS
GEORADIUSBYMEMBER GET GETBIT GETRANGE GETSET HDEL HEXISTS HGET HGETALL HINCRBY HINCRBYFLOAT HKEYS
HLEN HMGET HMSET HSET HSETNX HSTRLEN HVALS INCR INCRBY INCRBYFLOAT INFO KEYS LASTSAVE LINDEX
LINSERT LLEN LPOP LPUSH LPUSHX LRANGE LREM LSET LTRIM MEMORY MGET MONITOR MOVE MSET MSETNX MULTI
OBJECT PERSIST PEXPIRE PEXPIREAT PFADD PFCOUNT PFMERGE PING PSETEX PSUBSCRIBE PUBSUB PTTL PUBLISH
PUNSUBSCRIBE RANDOMKEY READONLY READWRITE RENAME RENAMENX RESTORE ROLE RPOP RPOPLPUSH RPUSH RPUSHX
SADD SCARD SCRIPT SDIFF SDIFFSTORE SELECT SET SETBIT SETEX SETNX SETRANGE SINTER SINTERSTORE
SISMEMBER SLOWLOG SMEMBERS SMOVE SORT SPOP SRANDMEMBER SREM STRLEN SUBSCRIBE SUNION SUNIONSTORE
SWAPDB TIME TOUCH TTL TYPE UNSUBSCRIBE UNLINK UNWATCH WAIT WATCH ZADD ZCARD ZCOUNT ZINCRBY
ZINTERSTORE ZLEXCOUNT ZPOPMAX ZPOPMIN ZRANGE ZRANGEBYLEX ZREVRANGEBYLEX ZRANGEBYSCORE ZRANK ZREM
ZREMRANGEBYLEX ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREVRANGE ZREVRANGEBYSCORE ZREVRANK ZSCORE
ZUNIONSTORE SCAN SSCAN HSCAN ZSCAN XINFO XADD XTRIM XDEL XRANGE XREVRANGE XLEN XREAD XGROUP
XREADGROUP XACK XCLAIM XPENDING GEORADIUS_RO GEORADIUSBYMEMBER_RO LOLWUT XSETID SUBSTR`)

// redis7Params is the parameter set of redis7 (Redis OSS 7.0/7.1), which valkey7 shares
// ("Valkey 7.2 and Redis OSS 7 parameter changes": Valkey 7.2's parameters equal Redis OSS 7's).
// Each group names the section of "Engine specific parameters" the facts come from. Defaults
// are ElastiCache's, which differ from OSS in places (maxmemory-policy, maxmemory-samples,
// tcp-keepalive, hash-max-listpack-entries, latency-tracking, active-defrag-cycle-min).
//
// Left out because ElastiCache does not list them for these families: list-max-listpack-size
// (only its old name list-max-ziplist-size, removed in Redis OSS 7, was listed),
// lazyfree-lazy-user-flush, latency-monitor-threshold, cluster-node-timeout (the self-hosted
// engine renders it from its own timing) and repl-timeout (removed in Redis OSS 5.0).
func redis7Params() []Param {
	I, R := ApplyImmediate, ApplyRestart
	return []Param{
		// 2.6.13 and 4.0.10: memory and eviction; reserved-memory(-percent) from 3.2.4.
		enumP("maxmemory-policy", "volatile-lru", EvictionPolicies, I, "eviction policy once maxmemory is reached"),
		intP("maxmemory-samples", "3", 1, 64, I, "keys sampled per eviction by the LRU/LFU/TTL approximations"),
		{Name: "reserved-memory-percent", Default: "25", Kind: KindPercent, Min: 0, Max: 100, Modifiable: true, Apply: I,
			Description: "share of the node's memory kept out of maxmemory for replication buffers, forks and the OS"},
		memP("reserved-memory", "0", 0, noLimit, I, "bytes kept out of maxmemory; used instead of reserved-memory-percent when non-zero"),
		// 4.0.10: "any integer > 0" for the factor.
		intP("lfu-log-factor", "10", 1, noLimit, I, "LFU counter logarithm factor"),
		intP("lfu-decay-time", "1", 0, noLimit, I, "minutes after which the LFU counter is halved"),
		// 4.0.10 (lazyfree-lazy-eviction/expire/server-del) and 6.x (lazyfree-lazy-user-del).
		boolP("lazyfree-lazy-eviction", "no", I, "free evicted keys in a background thread"),
		boolP("lazyfree-lazy-expire", "no", I, "free expired keys in a background thread"),
		boolP("lazyfree-lazy-server-del", "no", I, "free keys deleted implicitly (RENAME, SET over a value) in the background"),
		boolP("lazyfree-lazy-user-del", "no", I, "make DEL behave like UNLINK"),
		// 5.0.0 renames: "Modifiable: No".
		fixed(boolP("replica-lazy-flush", "yes", I, "flush a replica's old data asynchronously during full resync")),
		// 5.0.0: not modifiable; not a directive every server knows, so never rendered by default.
		selfHosted(RenderedWhenSet, "ElastiCache's fixed value equals the server default",
			fixed(boolP("replica-ignore-maxmemory", "yes", I, "replicas do not evict on their own"))),
		selfHosted(RenderedWhenSet, "an ElastiCache setting with no server directive",
			fixed(boolP("replica-allow-chaining", "no", I, "replicas of replicas (never on ElastiCache)"))),

		// 4.0.10 and 5.0.0: defragmentation; 6.x: active-expire-effort.
		boolP("activedefrag", "no", I, "active memory defragmentation"),
		memP("active-defrag-ignore-bytes", "104857600", 10485760, 104857600, I, "minimum fragmentation waste before defragmentation starts"),
		intP("active-defrag-threshold-lower", "10", 1, 100, I, "minimum fragmentation percentage before defragmentation starts"),
		intP("active-defrag-threshold-upper", "100", 1, 100, I, "fragmentation percentage at which the maximum effort is used"),
		intP("active-defrag-cycle-min", "25", 1, 75, I, "minimal CPU effort for defragmentation, percent"),
		intP("active-defrag-cycle-max", "75", 1, 75, I, "maximal CPU effort for defragmentation, percent"),
		intP("active-defrag-max-scan-fields", "1000", 1, 1000000, I, "maximum set/hash/zset/list fields processed from the main dictionary scan"),
		intP("active-expire-effort", "1", 1, 10, I, "effort spent expiring keys actively"),
		// "Parameters changed in Redis OSS 7": hidden and always on; only a support case turns it
		// off. The self-hosted engine still applies it at restart, as ElastiCache did before 7.
		selfHosted(EngineModifiable, "the engine restarts its own nodes, so it applies a change at the next restart",
			fixed(boolP("activerehashing", "yes", R, "incremental rehashing of the main dictionary (applied at creation/restart)"))),

		// 2.6.13 connections; tcp-keepalive's default changed to 300 in 3.2.4; 4.0.10 caps the
		// query buffer and the bulk length.
		{Name: "timeout", Default: "0", Kind: KindInt, Min: 0, Max: noLimit, Modifiable: true, Apply: I,
			Description: "seconds an idle client is kept; 0 never closes it, 1-19 are invalid on ElastiCache"},
		intP("tcp-keepalive", "300", 0, noLimit, I, "TCP keepalive interval in seconds"),
		fixed(intP("maxclients", "65000", 1, 65000, R, "maximum number of connected clients")),
		memP("client-query-buffer-limit", "1073741824", 1048576, 1073741824, I, "maximum size of a single client query buffer"),
		memP("proto-max-bulk-len", "536870912", 1048576, 536870912, I, "maximum size of a single bulk request"),
		memP("client-output-buffer-limit-normal-hard-limit", "0", 0, noLimit, I, "normal clients: hard output buffer limit, 0 = none"),
		memP("client-output-buffer-limit-normal-soft-limit", "0", 0, noLimit, I, "normal clients: soft output buffer limit, 0 = none"),
		intP("client-output-buffer-limit-normal-soft-seconds", "0", 0, noLimit, I, "normal clients: seconds over the soft limit before disconnect"),
		memP("client-output-buffer-limit-pubsub-hard-limit", "33554432", 0, noLimit, I, "pub/sub clients: hard output buffer limit"),
		memP("client-output-buffer-limit-pubsub-soft-limit", "8388608", 0, noLimit, I, "pub/sub clients: soft output buffer limit"),
		intP("client-output-buffer-limit-pubsub-soft-seconds", "60", 0, noLimit, I, "pub/sub clients: seconds over the soft limit before disconnect"),
		// ElastiCache sizes replica buffers itself from the node type ("Redis OSS node-type
		// specific parameters"); they are not modifiable there.
		fixed(memP("client-output-buffer-limit-replica-hard-limit", "268435456", 0, noLimit, I, "replica links: hard output buffer limit (managed)")),
		fixed(memP("client-output-buffer-limit-replica-soft-limit", "67108864", 0, noLimit, I, "replica links: soft output buffer limit (managed)")),
		fixed(intP("client-output-buffer-limit-replica-soft-seconds", "60", 0, noLimit, I, "replica links: seconds over the soft limit (managed)")),

		// Observability: 2.6.13 slow log, 2.8.6 notifications, 6.x ACL log and tracking, 7 latency.
		intP("slowlog-log-slower-than", "10000", -1, noLimit, I, "microseconds above which a command is logged in the slow log; -1 disables"),
		intP("slowlog-max-len", "128", 0, noLimit, I, "slow log length"),
		{Name: "notify-keyspace-events", Default: "", Kind: KindString, Modifiable: true, Apply: I,
			Description: "keyspace notification classes, a combination of KEg$lshzxetmdnA (empty disables)"},
		boolP("latency-tracking", "no", I, "per-command latency tracking for INFO latencystats"),
		intP("acllog-max-len", "128", 1, 10000, I, "maximum entries of the ACL log"),
		intP("tracking-table-max-keys", "1000000", 1, 100000000, I, "keys tracked for client-side caching"),

		// Security: 6.x acl-pubsub-default (added in 6.2), 5.0.3 rename-commands.
		enumP("acl-pubsub-default", "allchannels", []string{"allchannels", "resetchannels"}, I,
			"pub/sub channel permissions of ACL users that do not say (existing users keep theirs until a reboot)"),
		selfHosted(EngineRefused, "redis-server renames commands only in its config file (rename-command), which the engine does not offer",
			Param{Name: "rename-commands", Default: "", Kind: KindString, Modifiable: true, Apply: I,
				Description: "space-separated pairs of a command and its new name; only the commands ElastiCache lists"}),

		// Replication: 2.8.6 and the 5.0.0 renames.
		memP("repl-backlog-size", "1048576", 16384, noLimit, I, "replication backlog; bigger allows longer partial resyncs"),
		intP("repl-backlog-ttl", "3600", 0, noLimit, I, "seconds the backlog is kept after the last replica disconnected"),
		intP("min-replicas-to-write", "0", 0, 5, I, "refuse writes when fewer replicas are connected (0 disables)"),
		intP("min-replicas-max-lag", "10", 0, noLimit, I, "seconds of lag at which a replica stops counting for min-replicas-to-write"),
		boolP("close-on-replica-write", "yes", I, "disconnect clients that write to a replica instead of answering READONLY"),

		// Cluster mode: 3.2.4, 6.x and 7. cluster-enabled belongs to the parameter group on
		// ElastiCache but is fixed by the deployment mode here, so it is not user-modifiable.
		fixed(enumP("cluster-enabled", "no", []string{"yes", "no"}, R, "cluster mode; set from the deployment mode")),
		boolP("cluster-require-full-coverage", "no", I, "refuse all queries when a slot is not covered"),
		boolP("cluster-allow-reads-when-down", "no", I, "serve reads while the cluster is marked failed"),
		boolP("cluster-allow-pubsubshard-when-down", "yes", I, "serve sharded pub/sub while the cluster is marked failed"),
		// tls-dynamic is ElastiCache's own value (a hostname with TLS, an IP without); servers
		// know ip, hostname and unknown-endpoint, and the engine announces its planned address.
		selfHosted(EngineRefused, "the engine announces each node's planned address itself",
			enumP("cluster-preferred-endpoint-type", "tls-dynamic", []string{"ip", "tls-dynamic"}, I,
				"what MOVED/ASK and CLUSTER SLOTS/SHARDS advertise: ip, or a hostname with TLS (tls-dynamic)")),

		// Persistence: appendonly and appendfsync are not modifiable since 2.8.22 / 3.2.4
		// (ElastiCache relies on replicas and snapshots). The self-hosted engine offers AOF
		// persistence of its own (selfHosted.persistence), so it honours them.
		selfHosted(EngineModifiable, "the engine's AOF persistence (selfHosted.persistence) uses them",
			fixed(boolP("appendonly", "no", R, "append-only file persistence"))),
		selfHosted(EngineModifiable, "the engine's AOF persistence (selfHosted.persistence) uses them",
			fixed(enumP("appendfsync", "everysec", []string{"always", "everysec", "no"}, I, "when the append-only file is fsynced"))),
		// 3.2.4: "Modifiable: Yes if the parameter group is not associated with any clusters".
		// rediskit creates each cache's group with the cache, so it is set at creation; AWS
		// refuses a later change while the group is attached.
		intP("databases", "16", 1, 1200000, R, "number of logical databases (set at creation; AWS refuses a change while the group is attached)"),
		fixed(intP("lua-time-limit", "5000", 5000, 5000, I, "maximum execution time of a Lua script in milliseconds (managed)")),

		// Data structure encodings: Redis OSS 7's listpack names; 2.6.13 intset; 3.2.4 list
		// compression and HyperLogLog; 5.0.0 streams.
		intP("hash-max-listpack-entries", "512", 0, noLimit, I, "hashes up to this many fields use the compact encoding"),
		intP("hash-max-listpack-value", "64", 0, noLimit, I, "hash fields up to this size use the compact encoding"),
		intP("list-compress-depth", "0", 0, noLimit, I, "list nodes left uncompressed at each end; 0 disables compression"),
		intP("set-max-intset-entries", "512", 0, noLimit, I, "integer sets up to this size use the intset encoding"),
		intP("zset-max-listpack-entries", "128", 0, noLimit, I, "sorted sets up to this many members use the compact encoding"),
		intP("zset-max-listpack-value", "64", 0, noLimit, I, "sorted set members up to this size use the compact encoding"),
		// AWS documents no maximum (above 16000 is only "not recommended").
		intP("hll-sparse-max-bytes", "3000", 0, noLimit, I, "HyperLogLog sparse representation limit"),
		memP("stream-node-max-bytes", "4096", 0, noLimit, I, "maximum bytes of a stream node"),
		intP("stream-node-max-entries", "100", 0, noLimit, I, "maximum entries of a stream node"),
	}
}

// valkey8Params is valkey8 ("Valkey 8.0/8.1/8.2 parameter changes"): Redis OSS 7's set without
// the lazyfree and replica-lazy-flush parameters Valkey 8.0 removed, with repl-backlog-size's
// new default, extended-redis-compatibility, and the 8.1 and 8.2 additions, which AWS refuses
// on earlier versions of the family.
func valkey8Params() []Param {
	removed := map[string]bool{
		"lazyfree-lazy-eviction": true, "lazyfree-lazy-expire": true, "lazyfree-lazy-server-del": true,
		"lazyfree-lazy-user-del": true, "replica-lazy-flush": true,
	}
	var ps []Param
	for _, p := range redis7Params() {
		if removed[p.Name] {
			continue
		}
		if p.Name == "repl-backlog-size" {
			p.Default = "10485760"
		}
		ps = append(ps, p)
	}
	const whenSet = "older servers (Redis OSS 7.0) do not know it"
	I := ApplyImmediate
	return append(ps,
		selfHosted(RenderedWhenSet, whenSet,
			boolP("extended-redis-compatibility", "yes", I, "answer HELLO/INFO as Redis OSS 7.2 for clients and tools that check")),
		// 8.1: the command log. AWS's table names the request size threshold
		// commandlog-large-request-max-len twice; the first row (default 1048576, "the maximum
		// size, in bytes, for requests to be logged") is Valkey's commandlog-request-larger-than.
		since("8.1", selfHosted(RenderedWhenSet, whenSet,
			memP("commandlog-request-larger-than", "1048576", 0, noLimit, I, "requests larger than this many bytes are logged in the command log"))),
		since("8.1", selfHosted(RenderedWhenSet, whenSet,
			intP("commandlog-large-request-max-len", "128", 0, 1024, I, "entries kept in the large-request command log"))),
		since("8.1", selfHosted(RenderedWhenSet, whenSet,
			memP("commandlog-reply-larger-than", "1048576", 0, noLimit, I, "replies larger than this many bytes are logged in the command log"))),
		since("8.1", selfHosted(RenderedWhenSet, whenSet,
			intP("commandlog-large-reply-max-len", "128", 0, 1024, I, "entries kept in the large-reply command log"))),
		// 8.2: vector search (the valkey-search module, which the engine does not load).
		since("8.2", selfHosted(EngineRefused, searchWhy,
			enumP("search-fanout-target-mode", "client", []string{"client", "throughput"}, I, "how search queries fan out over the cluster's nodes"))),
		since("8.2", selfHosted(EngineRefused, searchWhy,
			intP("search-default-timeout-ms", "50000", 1, 60000, I, "default search query timeout in milliseconds"))),
		since("8.2", selfHosted(EngineRefused, searchWhy,
			boolP("search-enable-partial-results", "yes", I, "return partial results when a shard times out"))),
	)
}

const searchWhy = "it configures ElastiCache's vector search module, which the engine does not load"

// valkey9Params is valkey9 ("Valkey 9.1 and Valkey 9.0 parameter changes"): valkey8's set (all
// of it: the family starts at 9.0) plus cluster-databases, fixed at creation.
func valkey9Params() []Param {
	var ps []Param
	for _, p := range valkey8Params() {
		p.Since = ""
		ps = append(ps, p)
	}
	return append(ps, selfHosted(RenderedWhenSet, "older servers (Redis OSS 7.0) do not know it",
		fixed(intP("cluster-databases", "0", 0, 10000, ApplyRestart, "databases in cluster mode (set at creation)"))))
}

// Schema returns the parameters of a family by name; nil for an unknown family.
func Schema(f Family) map[string]Param {
	var ps []Param
	switch f {
	case Redis7, Valkey7:
		ps = redis7Params()
	case Valkey8:
		ps = valkey8Params()
	case Valkey9:
		ps = valkey9Params()
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

// Target is where a parameter group is used.
type Target string

const (
	// ElastiCache: what AWS accepts for the engine version.
	ElastiCache Target = "elasticache"
	// SelfHosted: what the self-hosted engine honours.
	SelfHosted Target = "selfhosted"
	// Common: what a target-neutral check can say (the shared spec): names and values, and
	// parameters neither target lets the user change.
	Common Target = "common"
)

// Validate checks a parameter group for the self-hosted engine, which calls it: unknown
// names, parameters neither ElastiCache nor the engine lets the user change, ElastiCache
// features the engine cannot honour, values of the wrong kind. AWS callers use ValidateFor with
// ElastiCache and the engine version.
func Validate(f Family, params map[string]string) []validate.Problem {
	return ValidateFor(SelfHosted, f, "", params)
}

// ValidateFor checks a parameter group for a target and returns every problem. version (the
// engine version, e.g. "8.0") matters on ElastiCache only, where parameters a later version of
// the family added are refused; "" skips that check.
func ValidateFor(t Target, f Family, version string, params map[string]string) []validate.Problem {
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
		modifiable := p.Modifiable
		if t != ElastiCache && p.SelfHosted == EngineModifiable {
			modifiable = true
		}
		if !modifiable {
			why := "it is not modifiable on ElastiCache"
			switch {
			case n == "cluster-enabled":
				why = "it is set from the deployment mode (cluster mode enabled or not)"
			case p.SelfHosted == EngineModifiable:
				why += " (only the self-hosted engine honours it: " + p.Why + ")"
			}
			ps.Add(field, v, "remove it: %s", why)
			continue
		}
		if t == SelfHosted && p.SelfHosted == EngineRefused {
			ps.Add(field, v, "remove it: the self-hosted engine cannot honour it (%s)", p.Why)
			continue
		}
		if t == ElastiCache && version != "" && p.Since != "" && versionLess(version, p.Since) {
			ps.Add(field, v, "it needs engine version %s or later of family %s (this cache runs %s)", p.Since, f, version)
			continue
		}
		if msg := checkValue(p, v, t == ElastiCache); msg != "" {
			ps.Add(field, v, "%s", msg)
		}
	}
	return ps.List
}

// versionLess compares major.minor versions numerically.
func versionLess(a, b string) bool {
	pa, pb := strings.SplitN(a, ".", 3), strings.SplitN(b, ".", 3)
	for i := 0; i < 2; i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
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

var renameable = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range RenameableCommands {
		m[c] = true
	}
	return m
}()

// checkValue returns what would be allowed, or "" when v is valid for p. plainBytes: ElastiCache
// types sizes as integers, so units (100mb) are refused there; the engine accepts them.
func checkValue(p Param, v string, plainBytes bool) string {
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
		// "Redis OSS 2.6.13 parameters": 0 never disconnects, 1-19 are invalid.
		if p.Name == "timeout" && n > 0 && n < 20 {
			return "0 (never disconnect) or at least 20 seconds"
		}
	case KindMemory:
		n, err := ParseMemory(v)
		if plainBytes {
			n, err = strconv.ParseInt(v, 10, 64)
		}
		if err != nil || n < p.Min || n > p.Max {
			unit := " (units k, kb, m, mb, g, gb allowed)"
			if plainBytes {
				unit = " (an integer: ElastiCache takes no units)"
			}
			if p.Max == noLimit {
				return fmt.Sprintf("a size in bytes%s of at least %d", unit, p.Min)
			}
			return fmt.Sprintf("a size in bytes%s from %d to %d", unit, p.Min, p.Max)
		}
	case KindString:
		if p.Name == "notify-keyspace-events" && !notifyRe.MatchString(v) {
			return "a combination of the letters K E g $ l s h z x e t m d n A, or empty"
		}
		if p.Name == "rename-commands" {
			return checkRenames(v)
		}
	}
	return ""
}

// checkRenames checks rename-commands: pairs of a renameable command and a new name.
func checkRenames(v string) string {
	f := strings.Fields(v)
	if len(f)%2 != 0 {
		return "space-separated pairs: COMMAND new-name"
	}
	for i := 0; i < len(f); i += 2 {
		if !renameable[strings.ToUpper(f[i])] {
			return fmt.Sprintf("%s cannot be renamed on ElastiCache (see RenameableCommands)", f[i])
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

// Effective returns the parameter set a self-hosted node runs with: the family's ElastiCache
// defaults overlaid with the user's values, and cluster-enabled from the deployment mode.
// Parameters the engine cannot honour, or renders only when set, are left out unless the user
// set them. It does not validate; call Validate first.
func Effective(f Family, params map[string]string, clusterMode bool) map[string]string {
	out := map[string]string{}
	for n, p := range Schema(f) {
		if p.SelfHosted == EngineRefused || p.SelfHosted == RenderedWhenSet {
			continue
		}
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
