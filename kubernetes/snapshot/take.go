// Package snapshot is what a cache's snapshot Jobs run on Kubernetes (render.SnapshotCronJob,
// FinalSnapshotJob, RestoreJob): taking a snapshot of a running cache into the namespace's
// snapshot volume, and loading one into a new cache. Snapshots use the engine's layout and
// manifest (engine.SnapshotStore), so retention, checks and restores follow the same rules
// as on a machine; only the way RDB files travel differs, since a Job cannot read the nodes'
// volumes: it fetches each shard's RDB over the replication protocol.
package snapshot

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/paramgroup"
)

// The Jobs' contract with what renders them (render.SnapshotCronJob and the others): the
// commands, where the snapshot volume is mounted, and the variable the admin password is in
// (from the cache's credentials Secret, never on a command line).
const (
	TakeCmd          = "snapshot-take"
	RestoreCmd       = "snapshot-restore"
	MountPath        = "/snapshots"
	EnvAdminPassword = "RK_ADMIN_PASSWORD"
)

// Target is the cache a Job works on, as its arguments name it.
type Target struct {
	// Addr is the client endpoint, host:port: the configuration endpoint in cluster mode,
	// the primary endpoint otherwise.
	Addr          string
	Cache         string
	Engine        paramgroup.Engine
	EngineVersion string
	Mode          engine.Mode
	// Password is the engine admin's; CAFile, when set, turns TLS on.
	Password string
	CAFile   string
}

// Shard is one shard as the cache reports it: its primary's and replicas' addresses
// (host:port, the names the nodes announce) and, in cluster mode, its slots.
type Shard struct {
	ID       string
	Primary  string
	Replicas []string
	Slots    []engine.SlotRange
}

// Fetcher copies a node's data set, as an RDB file, to dest.
type Fetcher func(ctx context.Context, node, dest string) error

// tlsConfig reads the CA when the target speaks TLS (nil otherwise).
func (t Target) tlsConfig() (*tls.Config, error) {
	if t.CAFile == "" {
		return nil, nil
	}
	return engine.ClientTLSConfig(&engine.TLSFiles{CAFile: t.CAFile})
}

// client connects to one node (or the endpoint) as the admin; the certificate is checked
// against the name dialled.
func (t Target) client(addr string) (*redis.Client, error) {
	tc, err := t.tlsConfig()
	if err != nil {
		return nil, err
	}
	if tc != nil {
		tc.ServerName = hostOf(addr)
	}
	return redis.NewClient(&redis.Options{Addr: addr, Username: engine.AdminUser, Password: t.Password, TLSConfig: tc,
		DialTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, Protocol: 2, DisableIdentity: true}), nil
}

func hostOf(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}

// ShardOf is the shard id in a node's announced name: its pod's, <cache>-<shard>-<ordinal>.
func ShardOf(cache, addr string) (string, error) {
	pod, _, _ := strings.Cut(hostOf(addr), ".")
	rest, ok := strings.CutPrefix(pod, cache+"-")
	i := strings.LastIndex(rest, "-")
	if !ok || i <= 0 {
		return "", fmt.Errorf("node %s is not a pod of cache %s (<cache>-<shard>-<ordinal>)", addr, cache)
	}
	return rest[:i], nil
}

// Discover reads the cache's shards from its endpoint: CLUSTER NODES in cluster mode (it
// refuses while a slot is being moved, when the shards' RDB files would not match the slot
// map), the primary's replicas otherwise.
func Discover(ctx context.Context, t Target) ([]Shard, error) {
	c, err := t.client(t.Addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if t.Mode != engine.ModeCluster {
		info, err := engine.Info(ctx, c, "replication")
		if err != nil {
			return nil, fmt.Errorf("asking %s for its replicas: %w", t.Addr, err)
		}
		if info["role"] != "master" {
			return nil, fmt.Errorf("%s answers as a %s; the primary endpoint must reach the primary", t.Addr, info["role"])
		}
		_, port, _ := net.SplitHostPort(t.Addr)
		sh := Shard{}
		self, err := c.ConfigGet(ctx, "replica-announce-ip").Result()
		if err != nil || self["replica-announce-ip"] == "" {
			return nil, fmt.Errorf("reading the primary's announced name from %s: %v", t.Addr, err)
		}
		sh.Primary = net.JoinHostPort(self["replica-announce-ip"], port)
		if sh.ID, err = ShardOf(t.Cache, sh.Primary); err != nil {
			return nil, err
		}
		for k, v := range info {
			if !strings.HasPrefix(k, "slave") || !strings.Contains(v, "ip=") {
				continue
			}
			f := fields(v)
			if f["state"] == "online" {
				sh.Replicas = append(sh.Replicas, net.JoinHostPort(f["ip"], f["port"]))
			}
		}
		sort.Strings(sh.Replicas)
		return []Shard{sh}, nil
	}
	raw, err := c.ClusterNodes(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("reading the slot map from %s: %w", t.Addr, err)
	}
	nodes, err := engine.ParseClusterNodes(raw)
	if err != nil {
		return nil, err
	}
	return shardsOf(t.Cache, nodes)
}

// shardsOf groups a CLUSTER NODES view into shards that serve slots.
func shardsOf(cache string, nodes []engine.ClusterNode) ([]Shard, error) {
	byID := map[string]*Shard{}
	var out []*Shard
	covered := 0
	for _, n := range nodes {
		if !n.Has("master") || n.Has("fail") || len(n.Slots) == 0 {
			continue
		}
		if len(n.Open) > 0 {
			return nil, fmt.Errorf("slots are being moved between shards (%s); take the snapshot when that is done", n.Addr)
		}
		id, err := ShardOf(cache, n.Addr)
		if err != nil {
			return nil, err
		}
		sh := &Shard{ID: id, Primary: n.Addr, Slots: n.Slots}
		for _, r := range n.Slots {
			covered += r.End - r.Start + 1
		}
		byID[n.ID] = sh
		out = append(out, sh)
	}
	if covered != engine.TotalSlots {
		return nil, fmt.Errorf("the primaries serve %d of %d slots; a snapshot needs every slot served", covered, engine.TotalSlots)
	}
	for _, n := range nodes {
		if sh := byID[n.MasterID]; sh != nil && n.Has("slave") && !n.Has("fail") {
			sh.Replicas = append(sh.Replicas, n.Addr)
		}
	}
	res := make([]Shard, len(out))
	for i, sh := range out {
		sort.Strings(sh.Replicas)
		res[i] = *sh
	}
	sort.Slice(res, func(i, j int) bool { return res[i].ID < res[j].ID })
	return res, nil
}

// fields splits INFO's "ip=a,port=b,state=c" values.
func fields(v string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(v, ",") {
		if k, val, ok := strings.Cut(kv, "="); ok {
			out[k] = val
		}
	}
	return out
}

// ReplicaWait bounds how long a snapshot waits for one of a shard's replicas to be in sync
// (one resynchronising after a restart or a planned failover) before it takes the primary's
// RDB instead.
var ReplicaWait = 30 * time.Second

// Roles a snapshot's source had when it was chosen (engine.ShardSnapshot.SourceRole).
const (
	RoleReplica = "replica"
	RolePrimary = "primary"
)

// source picks the node to snapshot a shard from, as the engine does on a machine: a
// replica in sync, so the primary does not fork under load, else, after ReplicaWait, the
// primary. It says why it passed over each replica.
func source(ctx context.Context, t Target, sh Shard, logf func(string, ...any)) (addr, role string) {
	if len(sh.Replicas) == 0 {
		return sh.Primary, RolePrimary
	}
	deadline := time.Now().Add(ReplicaWait)
	for {
		var why []string
		for _, r := range sh.Replicas {
			reason := inSync(ctx, t, r)
			if reason == "" {
				return r, RoleReplica
			}
			why = append(why, r+": "+reason)
		}
		if !time.Now().Before(deadline) || ctx.Err() != nil {
			logf("shard %s: no replica in sync after %s (%s); taking the primary %s", sh.ID, ReplicaWait, strings.Join(why, "; "), sh.Primary)
			return sh.Primary, RolePrimary
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// inSync says why replica r cannot be a snapshot's source, or "" when it can.
func inSync(ctx context.Context, t Target, r string) string {
	c, err := t.client(r)
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	info, err := engine.Info(ctx, c, "replication")
	switch {
	case err != nil:
		return err.Error()
	case info["role"] != "slave":
		return "answers as " + info["role"]
	case info["master_link_status"] != "up":
		return "its link to the primary is " + info["master_link_status"]
	}
	return ""
}

// FetchArgv is the command that fetches node's RDB to dest with the engine's client: it
// asks the node for a full synchronisation and keeps the RDB it is sent (--rdb). The password
// travels in the environment (REDISCLI_AUTH), never on the command line.
func FetchArgv(cli string, t Target, node, dest string) []string {
	host, port, _ := net.SplitHostPort(node)
	argv := []string{cli, "-h", host, "-p", port, "--user", engine.AdminUser}
	if t.CAFile != "" {
		argv = append(argv, "--tls", "--cacert", t.CAFile, "--sni", host)
	}
	return append(argv, "--rdb", dest)
}

// Take snapshots every shard of the cache into store as snapshot name: each shard's RDB from
// its source node, with the manifest the engine reads. The snapshot appears whole or not at
// all ("<name>.partial" until renamed). Automatic snapshots are subject to retention.
func Take(ctx context.Context, t Target, store engine.SnapshotStore, name string, automatic bool, now time.Time, fetch Fetcher, logf func(string, ...any)) (*engine.Manifest, error) {
	dir := store.Path(name)
	if _, err := os.Stat(dir); err == nil {
		return nil, fmt.Errorf("snapshot %s: already exists in %s", name, store.Root)
	}
	shards, err := Discover(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", name, err)
	}
	tmp := dir + ".partial"
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", name, err)
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", name, err)
	}
	defer os.RemoveAll(tmp)
	m := &engine.Manifest{Name: name, Deployment: t.Cache, Engine: t.Engine, EngineVersion: t.EngineVersion,
		Mode: t.Mode, Created: now.UTC(), Automatic: automatic}
	for _, sh := range shards {
		src, role := source(ctx, t, sh, logf)
		file := "shard-" + sh.ID + ".rdb"
		if err := fetch(ctx, src, filepath.Join(tmp, file)); err != nil {
			return nil, fmt.Errorf("snapshot %s: fetching the RDB of shard %s from %s: %w", name, sh.ID, src, err)
		}
		size, sum, err := digest(filepath.Join(tmp, file))
		if err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", name, err)
		}
		m.Shards = append(m.Shards, engine.ShardSnapshot{ShardID: sh.ID, Slots: sh.Slots, Source: src, SourceRole: role, File: file, Size: size, SHA256: sum})
	}
	// Slots may have moved while the files were fetched: the manifest must say where each
	// shard's keys were, so the map is read again and must not have changed.
	if t.Mode == engine.ModeCluster {
		again, err := Discover(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", name, err)
		}
		if !sameSlots(shards, again) {
			return nil, fmt.Errorf("snapshot %s: slots moved between shards while it was taken; take it again", name)
		}
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, engine.ManifestFile), b, 0o600); err != nil {
		return nil, fmt.Errorf("snapshot %s: writing the manifest: %w", name, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", name, err)
	}
	return m, nil
}

func sameSlots(a, b []Shard) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || fmt.Sprint(a[i].Slots) != fmt.Sprint(b[i].Slots) {
			return false
		}
	}
	return true
}

func digest(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	if n == 0 {
		return 0, "", fmt.Errorf("%s is empty", path)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
