package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rediskit/rediskit/paramgroup"
)

// ManifestFile describes a snapshot directory.
const ManifestFile = "manifest.json"

// Manifest is what a snapshot records about itself, so a restore can check it fits.
type Manifest struct {
	Name          string            `json:"name"`
	Deployment    string            `json:"deployment"`
	Engine        paramgroup.Engine `json:"engine"`
	EngineVersion string            `json:"engineVersion"`
	Mode          Mode              `json:"mode"`
	Created       time.Time         `json:"created"`
	// Automatic snapshots are subject to the retention period; manual ones are kept until
	// deleted, as on ElastiCache.
	Automatic bool            `json:"automatic"`
	Shards    []ShardSnapshot `json:"shards"`
}

// ShardSnapshot is one shard's RDB file in a snapshot.
type ShardSnapshot struct {
	ShardID string      `json:"shardId"`
	Slots   []SlotRange `json:"slots,omitempty"`
	Source  string      `json:"source"` // the node it was taken from
	// SourceRole is that node's role when it was chosen ("replica" or "primary"), where
	// the taker records it (the Kubernetes snapshot Jobs).
	SourceRole string `json:"sourceRole,omitempty"`
	File       string `json:"file"`
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256"`
}

// Snapshots is the store of this deployment's snapshots.
func (e *Engine) Snapshots() SnapshotStore {
	d := e.Plan.Deployment
	dir := d.Snapshot.Dir
	if dir == "" {
		dir = filepath.Join(d.DataDir, "snapshots")
	}
	return SnapshotStore{Root: dir, Deployment: d.Name}
}

// Snapshot takes a snapshot of every shard now, each from a replica in sync where one
// exists (so the primary does not fork under load), and writes it with its manifest under
// the snapshot directory. It returns the snapshot's directory.
func (e *Engine) Snapshot(ctx context.Context, name string) (string, error) {
	return e.takeSnapshot(ctx, name, false, time.Now().UTC())
}

// AutomaticSnapshot takes a snapshot that the retention period applies to and prunes the
// automatic snapshots older than it. A scheduler calls it in the snapshot window.
func (e *Engine) AutomaticSnapshot(ctx context.Context, now time.Time) (string, error) {
	name := AutomaticSnapshotName(e.Plan.Deployment.Name, now)
	dir, err := e.takeSnapshot(ctx, name, true, now.UTC())
	if err != nil {
		return "", err
	}
	if _, err := e.Snapshots().Prune(now, e.Plan.Deployment.Snapshot.RetentionDays); err != nil {
		return dir, fmt.Errorf("snapshot %s taken, but pruning old ones: %w", name, err)
	}
	return dir, nil
}

// AutomaticSnapshotName names an automatic snapshot after its deployment and the scheduled
// time, so the day's automatic snapshot is recognisable (and pruned by SnapshotStore.Prune).
func AutomaticSnapshotName(deployment string, at time.Time) string {
	return fmt.Sprintf("%s-auto-%s", deployment, at.UTC().Format("20060102-150405"))
}

// CheckRestoreEngine accepts restoring snapshot m into a deployment running engine e at
// version: the same engine and major version (an RDB file is read by its own engine, by
// versions of the same major at least).
func CheckRestoreEngine(m *Manifest, e paramgroup.Engine, version string) error {
	if m.Engine != e || majorVersion(m.EngineVersion) != majorVersion(version) {
		return fmt.Errorf("restoring %s: snapshot was taken with %s %s, deployment runs %s %s; the engine and major version must match",
			m.Name, m.Engine, m.EngineVersion, e, version)
	}
	return nil
}

func (e *Engine) takeSnapshot(ctx context.Context, name string, automatic bool, created time.Time) (string, error) {
	p := e.Plan
	if name == "" {
		name = fmt.Sprintf("%s-%s", p.Deployment.Name, time.Now().UTC().Format("20060102-150405"))
	}
	dir := filepath.Join(e.Snapshots().Root, name)
	if _, err := os.Stat(dir); err == nil {
		return "", fmt.Errorf("snapshot %s: already exists", name)
	}
	tmp := dir + ".partial"
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return "", fmt.Errorf("snapshot %s: %w", name, err)
	}
	defer os.RemoveAll(tmp)
	m := Manifest{Name: name, Deployment: p.Deployment.Name, Engine: p.Deployment.Engine,
		EngineVersion: p.Deployment.EngineVersion, Mode: p.Deployment.Mode, Created: created, Automatic: automatic}
	// A cluster that was resharded online no longer has the plan's even split: the manifest
	// records the slots each shard serves now, which is what its RDB holds.
	var live map[int][]SlotRange
	if p.Deployment.Mode == ModeCluster {
		var err error
		if live, err = e.liveSlots(ctx); err != nil {
			return "", fmt.Errorf("snapshot %s: %w", name, err)
		}
	}
	for s := 0; s < p.Deployment.shardCount(); s++ {
		src, err := e.snapshotSource(ctx, s)
		if err != nil {
			return "", fmt.Errorf("snapshot %s: %w", name, err)
		}
		if err := e.bgsave(ctx, src); err != nil {
			return "", fmt.Errorf("snapshot %s: %w", name, err)
		}
		nodes := p.ShardNodes(s)
		file := "shard-" + nodes[0].ShardID + ".rdb"
		size, sum, err := exportFile(ctx, e.files(), src.Home(), RDBFile, filepath.Join(tmp, file))
		if err != nil {
			return "", fmt.Errorf("snapshot %s: copying the RDB of %s: %w", name, src.ID, err)
		}
		m.Shards = append(m.Shards, ShardSnapshot{ShardID: nodes[0].ShardID, Slots: live[s], Source: src.ID, File: file, Size: size, SHA256: sum})
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, ManifestFile), b, 0o600); err != nil {
		return "", fmt.Errorf("snapshot %s: writing manifest: %w", name, err)
	}
	// Rename last: a snapshot directory without ".partial" is always complete.
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("snapshot %s: %w", name, err)
	}
	e.logf("snapshot %s written to %s", name, dir)
	return dir, nil
}

// liveSlots returns the slots each shard's primary serves now, by plan shard. It refuses
// while a slot is being migrated (its keys are on two shards) or a shard serves no slot.
func (e *Engine) liveSlots(ctx context.Context) (map[int][]SlotRange, error) {
	var seed *Node
	for _, n := range e.Plan.Nodes {
		if e.Runner.Running(n.ID) {
			seed = n
			break
		}
	}
	if seed == nil {
		return nil, fmt.Errorf("no running node to read the slot map from")
	}
	c := e.admin(seed.Addr())
	defer c.Close()
	raw, err := c.ClusterNodes(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("reading the slot map from %s: %w", seed.ID, err)
	}
	if strings.Contains(raw, "->-") || strings.Contains(raw, "-<-") {
		return nil, fmt.Errorf("slots are being migrated between shards (resharding in progress); take the snapshot when it is done")
	}
	nodes, err := ParseClusterNodes(raw)
	if err != nil {
		return nil, err
	}
	shardOf := map[string]int{}
	for _, n := range e.Plan.Nodes {
		shardOf[n.Addr()] = n.Shard
	}
	live := map[int][]SlotRange{}
	for _, cn := range nodes {
		if s, ok := shardOf[cn.Addr]; ok && cn.Has("master") && len(cn.Slots) > 0 {
			live[s] = append(live[s], cn.Slots...)
		}
	}
	total := 0
	for s := 0; s < e.Plan.Deployment.shardCount(); s++ {
		if len(live[s]) == 0 {
			return nil, fmt.Errorf("shard %d serves no slot in %s's view", s+1, seed.ID)
		}
		for _, r := range live[s] {
			total += r.End - r.Start + 1
		}
	}
	if total != TotalSlots {
		return nil, fmt.Errorf("the shards serve %d of %d slots", total, TotalSlots)
	}
	return live, nil
}

// snapshotSource picks the node of a shard to snapshot: a running replica in sync, or the
// running primary when there is no such replica.
func (e *Engine) snapshotSource(ctx context.Context, shard int) (*Node, error) {
	var primary *Node
	for _, n := range e.Plan.ShardNodes(shard) {
		// Reachability, not the runner's view: snapshots may be taken from another process.
		c := e.admin(n.Addr())
		info, err := Info(ctx, c, "replication")
		c.Close()
		if err != nil {
			continue
		}
		if info["role"] == "slave" && info["master_link_status"] == "up" {
			return n, nil
		}
		if info["role"] == "master" {
			primary = n
		}
	}
	if primary == nil {
		return nil, fmt.Errorf("no running node in shard %d", shard+1)
	}
	return primary, nil
}

// bgsave runs BGSAVE on a node and waits until a save that started after the request has
// completed successfully.
func (e *Engine) bgsave(ctx context.Context, n *Node) error {
	c := e.admin(n.Addr())
	defer c.Close()
	before, err := c.LastSave(ctx).Result()
	if err != nil {
		return fmt.Errorf("reading LASTSAVE of %s: %w", n.ID, err)
	}
	// LASTSAVE has one-second resolution: make sure the new save ends in a later second.
	time.Sleep(time.Until(time.Unix(before+1, 0)))
	err = waitFor(ctx, e.timeout(), "BGSAVE to start on "+n.ID, func(ctx context.Context) error {
		// Fails while a rewrite or another save runs; retried.
		return c.BgSave(ctx).Err()
	})
	if err != nil {
		return err
	}
	return waitFor(ctx, e.Timeouts.withDefaults().Persist, "BGSAVE on "+n.ID, func(ctx context.Context) error {
		info, err := Info(ctx, c, "persistence")
		if err != nil {
			return err
		}
		last, _ := strconv.ParseInt(info["rdb_last_save_time"], 10, 64)
		if info["rdb_bgsave_in_progress"] != "0" || last <= before {
			return fmt.Errorf("in progress")
		}
		if info["rdb_last_bgsave_status"] != "ok" {
			return permanent(fmt.Errorf("BGSAVE failed on %s", n.ID))
		}
		return nil
	})
}

// importFile seeds a node file from a file on the engine's disk.
func importFile(ctx context.Context, f NodeFiles, h FileHome, name, from string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	return f.Import(ctx, h, name, in)
}

// restoreFiles seeds a new deployment from Snapshot.RestoreFrom: each shard's RDB becomes
// its primary's dump.rdb (replicas sync from the primary). The snapshot must have the
// deployment's shape: same mode family (cluster or not), shard count and slot ranges.
func (e *Engine) restoreFiles(ctx context.Context) error {
	from := e.Plan.Deployment.Snapshot.RestoreFrom
	if from == "" {
		return nil
	}
	m, err := ReadManifest(from)
	if err != nil {
		return fmt.Errorf("restoring: %w", err)
	}
	p := e.Plan
	if err := CheckRestoreEngine(m, p.Deployment.Engine, p.Deployment.EngineVersion); err != nil {
		return err
	}
	if (m.Mode == ModeCluster) != (p.Deployment.Mode == ModeCluster) || len(m.Shards) != len(p.Primaries()) {
		return fmt.Errorf("restoring %s: snapshot has mode %s with %d shards, deployment has mode %s with %d",
			m.Name, m.Mode, len(m.Shards), p.Deployment.Mode, len(p.Primaries()))
	}
	shards := append([]ShardSnapshot(nil), m.Shards...)
	sort.Slice(shards, func(i, j int) bool { return shards[i].ShardID < shards[j].ShardID })
	if p.Deployment.Mode == ModeCluster {
		if err := checkSlotCover(shards); err != nil {
			return fmt.Errorf("restoring %s: %w", m.Name, err)
		}
	}
	for i, prim := range p.Primaries() {
		s := shards[i]
		if s.ShardID != prim.ShardID {
			return fmt.Errorf("restoring %s: shard %s does not match planned shard %s", m.Name, s.ShardID, prim.ShardID)
		}
		if p.Deployment.Mode == ModeCluster {
			// Each primary serves the slots its RDB's keys are in, which after an online
			// resharding is not the plan's even split.
			prim.Slots = append([]SlotRange(nil), s.Slots...)
		}
		if err := importFile(ctx, e.files(), prim.Home(), RDBFile, filepath.Join(from, s.File)); err != nil {
			return fmt.Errorf("restoring %s: %w", m.Name, err)
		}
	}
	e.logf("seeded %s from snapshot %s", p.Deployment.Name, m.Name)
	return nil
}

// checkSlotCover accepts a cluster snapshot whose shards serve every slot exactly once.
func checkSlotCover(shards []ShardSnapshot) error {
	var owner [TotalSlots]string
	for _, s := range shards {
		if len(s.Slots) == 0 {
			return fmt.Errorf("shard %s records no slots", s.ShardID)
		}
		for _, r := range s.Slots {
			if r.Start < 0 || r.End >= TotalSlots || r.Start > r.End {
				return fmt.Errorf("shard %s records slots %d-%d", s.ShardID, r.Start, r.End)
			}
			for slot := r.Start; slot <= r.End; slot++ {
				if owner[slot] != "" {
					return fmt.Errorf("slot %d is in shards %s and %s", slot, owner[slot], s.ShardID)
				}
				owner[slot] = s.ShardID
			}
		}
	}
	for slot, o := range owner {
		if o == "" {
			return fmt.Errorf("slot %d is in no shard", slot)
		}
	}
	return nil
}

// majorVersion is the part of an engine version before the first dot ("7" of "7.1").
func majorVersion(v string) string {
	major, _, _ := strings.Cut(v, ".")
	return major
}
