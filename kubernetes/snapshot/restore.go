package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
)

// RestoreBatch is how many keys one round trip dumps and restores.
const RestoreBatch = 500

// Restore loads snapshot name from store into the cache: each shard's RDB is opened by a
// throwaway server of the engine (no port, a Unix socket in a private directory) and its
// keys are copied with DUMP and RESTORE ... REPLACE, TTLs kept, through a client that routes
// each key to the shard serving its slot now. So a snapshot restores into a cache of another
// shape (more or fewer shards, another mode), and a restore that is repeated after a failed
// attempt ends the same. It returns how many keys it restored.
func Restore(ctx context.Context, t Target, store engine.SnapshotStore, name, server string, logf func(string, ...any)) (int64, error) {
	m, err := engine.ReadManifest(store.Path(name)) // checks every file's digest
	if err != nil {
		return 0, fmt.Errorf("restoring %s from %s: %w", name, store.Root, err)
	}
	if err := engine.CheckRestoreEngine(m, t.Engine, t.EngineVersion); err != nil {
		return 0, err
	}
	dst, err := t.writer()
	if err != nil {
		return 0, err
	}
	defer dst.Close()
	var total int64
	for _, sh := range m.Shards {
		n, err := restoreShard(ctx, t, dst, filepath.Join(store.Path(name), sh.File), server)
		total += n
		if err != nil {
			return total, fmt.Errorf("restoring %s: shard %s: %w", name, sh.ShardID, err)
		}
		logf("restored shard %s of %s: %d keys", sh.ShardID, name, n)
	}
	return total, nil
}

// writer is the client keys are restored through: cluster-aware in cluster mode.
func (t Target) writer() (redis.UniversalClient, error) {
	tc, err := t.tlsConfig()
	if err != nil {
		return nil, err
	}
	if t.Mode != engine.ModeCluster {
		c, err := t.client(t.Addr)
		return c, err
	}
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{t.Addr}, Username: engine.AdminUser, Password: t.Password, TLSConfig: tc,
		DialTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, Protocol: 2, DisableIdentity: true,
		// Each node's certificate names the node: check each against the name it announces.
		NewClient: func(opt *redis.Options) *redis.Client {
			if opt.TLSConfig != nil {
				opt.TLSConfig = opt.TLSConfig.Clone()
				opt.TLSConfig.ServerName = hostOf(opt.Addr)
			}
			return redis.NewClient(opt)
		}}), nil
}

// ServerArgv starts a throwaway server on rdb's directory: no TCP port, a Unix socket only,
// nothing ever saved, no cluster.
func ServerArgv(server, dir string) []string {
	return []string{server, "--port", "0", "--unixsocket", filepath.Join(dir, "s.sock"), "--unixsocketperm", "700",
		"--dir", dir, "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no", "--daemonize", "no",
		"--databases", "256", "--loglevel", "warning"}
}

func restoreShard(ctx context.Context, t Target, dst redis.UniversalClient, rdb, server string) (int64, error) {
	dir, err := os.MkdirTemp("", "rk-restore-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	if err := copyFile(rdb, filepath.Join(dir, "dump.rdb")); err != nil {
		return 0, err
	}
	argv := ServerArgv(server, dir)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting %s on the snapshot: %w", server, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()
	src := redis.NewClient(&redis.Options{Network: "unix", Addr: filepath.Join(dir, "s.sock"), Protocol: 2, DisableIdentity: true, ReadTimeout: time.Minute})
	defer src.Close()
	if err := waitLoaded(ctx, src, exited); err != nil {
		return 0, err
	}
	ks, err := src.Info(ctx, "keyspace").Result()
	if err != nil {
		return 0, fmt.Errorf("reading the snapshot's keyspace: %w", err)
	}
	var total int64
	for _, db := range databases(ks) {
		if db != 0 && t.Mode == engine.ModeCluster {
			return total, fmt.Errorf("the snapshot has keys in database %d; a cluster-mode cache has database 0 only", db)
		}
		n, err := copyDatabase(ctx, src, dst, db)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// waitLoaded waits until the throwaway server answers with its data set loaded.
func waitLoaded(ctx context.Context, c *redis.Client, exited <-chan error) error {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		info, err := c.Info(ctx, "persistence").Result()
		if err == nil && engine.ParseInfo(info)["loading"] == "0" {
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the server reading the snapshot exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server reading the snapshot has not loaded it after 10 minutes: %v", err)
		}
	}
}

// databases lists the databases INFO keyspace names ("db0:keys=...").
func databases(info string) []int {
	var out []int
	for _, line := range strings.Split(info, "\n") {
		name, _, ok := strings.Cut(strings.TrimSpace(line), ":")
		if n, err := strconv.Atoi(strings.TrimPrefix(name, "db")); ok && strings.HasPrefix(name, "db") && err == nil {
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out
}

// copyDatabase copies every key of one database of the throwaway server into the cache.
func copyDatabase(ctx context.Context, src *redis.Client, dst redis.UniversalClient, db int) (int64, error) {
	if db != 0 {
		// Outside cluster mode (the only mode with other databases) the writer is one
		// client: each database gets its own connections on both sides, selected once.
		src = withDB(src, db)
		defer src.Close()
		d := withDB(dst.(*redis.Client), db)
		defer d.Close()
		dst = d
	}
	var total int64
	var cursor uint64
	for {
		keys, next, err := src.Scan(ctx, cursor, "*", RestoreBatch).Result()
		if err != nil {
			return total, fmt.Errorf("scanning database %d of the snapshot: %w", db, err)
		}
		n, err := copyKeys(ctx, src, dst, keys)
		total += n
		if err != nil {
			return total, fmt.Errorf("database %d: %w", db, err)
		}
		if next == 0 {
			return total, nil
		}
		cursor = next
	}
}

// copyKeys dumps keys with their remaining time to live and restores them, replacing what
// the cache has under the same names (so a repeated restore ends the same).
func copyKeys(ctx context.Context, src *redis.Client, dst redis.UniversalClient, keys []string) (int64, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	dumps := make([]*redis.StringCmd, len(keys))
	ttls := make([]*redis.IntCmd, len(keys))
	_, err := src.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			dumps[i] = p.Dump(ctx, k)
			ttls[i] = redis.NewIntCmd(ctx, "pttl", k)
			_ = p.Process(ctx, ttls[i])
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("dumping keys: %w", err)
	}
	var n int64
	_, err = dst.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			payload, derr := dumps[i].Result()
			ttl, terr := ttls[i].Result()
			if derr != nil || terr != nil || ttl == -2 {
				continue // gone (expired) since it was listed
			}
			if ttl < 0 {
				ttl = 0 // no expiry
			}
			p.RestoreReplace(ctx, k, time.Duration(ttl)*time.Millisecond, payload)
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("restoring keys into the cache: %w", err)
	}
	return n, nil
}

// withDB is a client like c on database db.
func withDB(c *redis.Client, db int) *redis.Client {
	o := c.Options()
	o.DB = db
	return redis.NewClient(o)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
