package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/kubernetes/snapshot"
	"github.com/rediskit/rediskit/paramgroup"
)

// snapshotTarget reads the flags every snapshot Job command takes (kubernetes/render's
// snapshotTarget writes them) and the admin password from the environment.
func snapshotTarget(fs *flag.FlagSet, args []string) (snapshot.Target, string, string, error) {
	t := snapshot.Target{}
	var eng, mode, store, name string
	fs.StringVar(&t.Addr, "addr", "", "the cache's client endpoint, host:port")
	fs.StringVar(&t.Cache, "cache", "", "the cache's name")
	fs.StringVar(&eng, "engine", "", "valkey or redis")
	fs.StringVar(&t.EngineVersion, "engine-version", "", "the engine version the cache runs")
	fs.StringVar(&mode, "mode", "", "single, replication or cluster")
	fs.StringVar(&t.CAFile, "cacert", "", "CA certificate file; turns TLS on")
	fs.StringVar(&store, "store", snapshot.MountPath, "the snapshot volume's mount")
	fs.StringVar(&name, "name", "", "the snapshot's name")
	_ = fs.Parse(args)
	t.Engine, t.Mode = paramgroup.Engine(eng), engine.Mode(mode)
	t.Password = os.Getenv(snapshot.EnvAdminPassword)
	switch {
	case t.Addr == "" || t.Cache == "":
		return t, "", "", fmt.Errorf("-addr and -cache are required")
	case t.Engine != paramgroup.Valkey && t.Engine != paramgroup.Redis:
		return t, "", "", fmt.Errorf("-engine %q: valkey or redis", eng)
	case t.Password == "":
		return t, "", "", fmt.Errorf("%s is empty: the Job reads the admin password from the cache's Secret", snapshot.EnvAdminPassword)
	}
	return t, store, name, nil
}

// cmdSnapshotTake is the snapshot Jobs' command: it takes a snapshot of the cache into the
// snapshot volume and, for an automatic one, prunes those past the retention period.
func cmdSnapshotTake(args []string) error {
	fs := flag.NewFlagSet(snapshot.TakeCmd, flag.ExitOnError)
	automatic := fs.Bool("automatic", false, "an automatic snapshot (named after now, subject to retention)")
	retention := fs.Int("retention-days", 0, "with -automatic: remove the cache's automatic snapshots older than this")
	t, root, name, err := snapshotTarget(fs, args)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	if *automatic {
		name = engine.AutomaticSnapshotName(t.Cache, now)
	}
	if name == "" {
		return fmt.Errorf("-name is required without -automatic")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	store := engine.SnapshotStore{Root: root, Deployment: t.Cache}
	cli := engine.ProgramsFor(t.Engine).Cli
	fetch := func(ctx context.Context, node, dest string) error {
		argv := snapshot.FetchArgv(cli, t, node, dest)
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Env = append(os.Environ(), "REDISCLI_AUTH="+t.Password, "VALKEYCLI_AUTH="+t.Password)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		return cmd.Run()
	}
	m, err := snapshot.Take(ctx, t, store, name, *automatic, now, fetch, log.Printf)
	if err != nil {
		return err
	}
	log.Printf("snapshot %s: %d shards written to %s", m.Name, len(m.Shards), store.Path(m.Name))
	if *automatic {
		removed, err := store.Prune(now, *retention)
		if err != nil {
			return fmt.Errorf("snapshot %s taken, but pruning old ones: %w", m.Name, err)
		}
		for _, r := range removed {
			log.Printf("removed %s: older than %d days", r, *retention)
		}
	}
	return json.NewEncoder(os.Stdout).Encode(m)
}

// cmdSnapshotRestore is the restore Job's command: it loads a snapshot into the cache.
func cmdSnapshotRestore(args []string) error {
	fs := flag.NewFlagSet(snapshot.RestoreCmd, flag.ExitOnError)
	t, root, name, err := snapshotTarget(fs, args)
	if err != nil {
		return err
	}
	if name == "" {
		return fmt.Errorf("-name is required: the snapshot to restore")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	store := engine.SnapshotStore{Root: root, Deployment: t.Cache}
	n, err := snapshot.Restore(ctx, t, store, name, engine.ProgramsFor(t.Engine).Server, log.Printf)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"snapshot": name, "keys": n})
}
