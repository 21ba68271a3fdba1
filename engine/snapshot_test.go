package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rediskit/rediskit/paramgroup"
)

func TestSnapshotFromReplicaAndRestore(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeReplication, 1, 1)
	d.Name = "rk-snap"
	d.Persistence = Persistence{AOF: true}
	e := Up(t, d)
	c := failoverClient(e)
	defer c.Close()
	for i := 0; i < 500; i++ {
		if ok, err := writeAcked(ctx, c, fmt.Sprintf("s%d", i), "v"); err != nil || !ok {
			t.Fatalf("write: %v %v", ok, err)
		}
	}
	dir, err := e.Snapshot(ctx, "nightly")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Engine != "redis" || m.EngineVersion != "7.0" || len(m.Shards) != 1 || m.Shards[0].Source != "rk-snap-002" ||
		m.Shards[0].Size == 0 || len(m.Shards[0].SHA256) != 64 || time.Since(m.Created) > time.Minute || m.Automatic {
		t.Fatalf("manifest %+v (must be taken from the replica rk-snap-002)", m)
	}
	if _, err := e.Snapshot(ctx, "nightly"); err == nil {
		t.Fatal("a snapshot name was reused")
	}

	t.Run("automatic snapshots follow the retention period, manual ones stay", func(t *testing.T) {
		e.Plan.Deployment.Snapshot.RetentionDays = 1
		auto, err := e.AutomaticSnapshot(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if am, err := ReadManifest(auto); err != nil || !am.Automatic {
			t.Fatalf("automatic manifest %+v, %v", am, err)
		}
		removed, err := e.Snapshots().Prune(time.Now().Add(49*time.Hour), e.Plan.Deployment.Snapshot.RetentionDays)
		if err != nil || len(removed) != 1 {
			t.Fatalf("pruned %v, %v", removed, err)
		}
		if _, err := os.Stat(auto); !os.IsNotExist(err) {
			t.Fatal("expired automatic snapshot kept")
		}
		if _, err := ReadManifest(dir); err != nil {
			t.Fatalf("manual snapshot pruned: %v", err)
		}
	})

	t.Run("restore into a new deployment of the same shape", func(t *testing.T) {
		d2 := newDeployment(t, ModeReplication, 1, 1)
		d2.Name = "rk-restored"
		d2.Persistence = Persistence{AOF: true}
		d2.Snapshot.RestoreFrom = dir
		e2 := Up(t, d2)
		c2 := failoverClient(e2)
		defer c2.Close()
		if n, err := c2.DBSize(ctx).Result(); err != nil || n != 500 {
			t.Fatalf("restored %d keys, %v", n, err)
		}
		// AOF is on after the seeding start, so the restored data survives a kill -9.
		if info := NodeInfo(t, e2, e2.Plan.Nodes[0], "persistence"); info["aof_enabled"] != "1" {
			t.Fatalf("AOF not enabled after restore: %v", info["aof_enabled"])
		}
	})

	t.Run("a snapshot of another shape is refused", func(t *testing.T) {
		d3 := newDeployment(t, ModeCluster, 2, 0)
		d3.Snapshot.RestoreFrom = dir
		_, err := UpE(t, d3)
		if err == nil || !strings.Contains(err.Error(), "snapshot has mode replication with 1 shards") {
			t.Fatalf("want a shape error, got %v", err)
		}
	})

	t.Run("a corrupted snapshot is refused", func(t *testing.T) {
		f := filepath.Join(dir, m.Shards[0].File)
		b, _ := os.ReadFile(f)
		b[len(b)/2] ^= 0xff
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadManifest(dir); err == nil || !strings.Contains(err.Error(), "checksum") {
			t.Fatalf("want a checksum error, got %v", err)
		}
	})
}

func TestClusterSnapshotRestore(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeCluster, 2, 0)
	d.Name = "rk-csnap"
	e := Up(t, d)
	cc := clusterClient(e)
	defer cc.Close()
	for i := 0; i < 200; i++ {
		if err := cc.Set(ctx, fmt.Sprintf("c%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := e.Snapshot(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Shards) != 2 || m.Shards[1].Slots[0] != (SlotRange{8192, 16383}) {
		t.Fatalf("manifest shards %+v", m.Shards)
	}
	d2 := newDeployment(t, ModeCluster, 2, 0)
	d2.Name = "rk-crestored"
	d2.Snapshot.RestoreFrom = dir
	e2 := Up(t, d2)
	cc2 := clusterClient(e2)
	defer cc2.Close()
	for i := 0; i < 200; i++ {
		if v, err := cc2.Get(ctx, fmt.Sprintf("c%d", i)).Int(); err != nil || v != i {
			t.Fatalf("c%d after restore: %d %v", i, v, err)
		}
	}
	if st := e2.Status(ctx); !st.Ready || st.SlotsCovered != TotalSlots {
		t.Fatalf("restored cluster status %+v", st)
	}
}

func TestPruneKeepsManualSnapshots(t *testing.T) {
	d := testDeployment(ModeSingle, 1, 0)
	d.DataDir = t.TempDir()
	d.Snapshot.RetentionDays = 7
	e, err := New(d, NewLocalRunner())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for name, m := range map[string]Manifest{
		"old-auto":   {Deployment: d.Name, Automatic: true, Created: now.AddDate(0, 0, -8)},
		"new-auto":   {Deployment: d.Name, Automatic: true, Created: now.AddDate(0, 0, -6)},
		"old-manual": {Deployment: d.Name, Created: now.AddDate(0, 0, -30)},
		"other":      {Deployment: "someone-else", Automatic: true, Created: now.AddDate(0, 0, -30)},
	} {
		m.Name = name
		dir := filepath.Join(e.Snapshots().Root, name)
		os.MkdirAll(dir, 0o700)
		b, _ := json.Marshal(m)
		os.WriteFile(filepath.Join(dir, ManifestFile), b, 0o600)
	}
	removed, err := e.Snapshots().Prune(now, e.Plan.Deployment.Snapshot.RetentionDays)
	if err != nil || len(removed) != 1 || removed[0] != "old-auto" {
		t.Fatalf("removed %v, %v", removed, err)
	}
	for _, keep := range []string{"new-auto", "old-manual", "other"} {
		if _, err := os.Stat(filepath.Join(e.Snapshots().Root, keep)); err != nil {
			t.Errorf("%s pruned", keep)
		}
	}
}

// A snapshot is restored only into the engine and major version it was taken with (an RDB
// of a newer format, or of another engine, is not something to load silently).
func TestRestoreRefusesAnotherEngineOrMajorVersion(t *testing.T) {
	snap := t.TempDir()
	rdb := []byte("REDIS0010 stand-in for an RDB file")
	if err := os.WriteFile(filepath.Join(snap, "shard-0001.rdb"), rdb, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(rdb)
	for _, c := range []struct {
		engine, version string
		want            string // "" = accepted
	}{
		{"redis", "7.1", ""},
		{"redis", "7.0", ""}, // same major version
		{"redis", "6.2", "snapshot was taken with redis 6.2, deployment runs redis 7.1; the engine and major version must match"},
		{"valkey", "7.2", "snapshot was taken with valkey 7.2, deployment runs redis 7.1; the engine and major version must match"},
	} {
		m := Manifest{Name: "s", Deployment: "rk-old", Engine: paramgroup.Engine(c.engine), EngineVersion: c.version, Mode: ModeSingle,
			Shards: []ShardSnapshot{{ShardID: "0001", File: "shard-0001.rdb", Size: int64(len(rdb)), SHA256: hex.EncodeToString(sum[:])}}}
		b, _ := json.Marshal(m)
		if err := os.WriteFile(filepath.Join(snap, ManifestFile), b, 0o600); err != nil {
			t.Fatal(err)
		}
		d := testDeployment(ModeSingle, 1, 0) // redis 7.1
		d.DataDir = t.TempDir()
		d.Snapshot.RestoreFrom = snap
		e, err := New(d, NewLocalRunner())
		if err != nil {
			t.Fatal(err)
		}
		err = e.restoreFiles(context.Background())
		seeded := filepath.Join(e.Plan.Nodes[0].Dir, RDBFile)
		_, statErr := os.Stat(seeded)
		switch {
		case c.want == "" && (err != nil || statErr != nil):
			t.Errorf("%s %s: restore %v, seeded file %v", c.engine, c.version, err, statErr)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s %s: want %q, got %v", c.engine, c.version, c.want, err)
		case c.want != "" && !os.IsNotExist(statErr):
			t.Errorf("%s %s: refused but seeded %s", c.engine, c.version, seeded)
		}
	}
}

// After an online resharding the shards no longer serve the plan's even split. A snapshot
// records the slots each shard serves (what its RDB holds), and a restore gives each new
// primary those slots, so every key is found again.
func TestClusterSnapshotAfterReshardingRestoresEveryKey(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeCluster, 2, 0)
	d.Name = "rk-rsnap"
	e := Up(t, d)
	cc := clusterClient(e)
	defer cc.Close()
	for i := 0; i < 300; i++ {
		if err := cc.Set(ctx, fmt.Sprintf("r%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	old := e.Plan
	e.Plan = replan(t, old, func(d *Deployment) { d.Shards = 3 })
	if err := e.Scale(ctx, old); err != nil {
		t.Fatalf("scaling out to 3 shards: %v", err)
	}
	dir, err := e.Snapshot(ctx, "after-resharding")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	evenD := d
	evenD.Shards = 3
	even, err := PlanFor(evenD)
	if err != nil {
		t.Fatal(err)
	}
	differs := false
	for i, s := range m.Shards {
		if !slices.Equal(s.Slots, even.Primaries()[i].Slots) {
			differs = true
		}
	}
	if !differs {
		t.Fatalf("manifest slots %+v are the even split: the resharding should have left another layout", m.Shards)
	}

	d2 := newDeployment(t, ModeCluster, 3, 0)
	d2.Name = "rk-rsnap2"
	d2.Snapshot.RestoreFrom = dir
	e2 := Up(t, d2)
	cc2 := clusterClient(e2)
	defer cc2.Close()
	for i := 0; i < 300; i++ {
		if v, err := cc2.Get(ctx, fmt.Sprintf("r%d", i)).Int(); err != nil || v != i {
			t.Fatalf("r%d after restore: %d %v", i, v, err)
		}
	}
	if st := e2.Status(ctx); !st.Ready || st.SlotsCovered != TotalSlots {
		t.Fatalf("restored cluster status %+v", st)
	}
}

func TestSlotCoverOfASnapshot(t *testing.T) {
	half := func(id string, a, b int) ShardSnapshot { return ShardSnapshot{ShardID: id, Slots: []SlotRange{{a, b}}} }
	for _, c := range []struct {
		shards []ShardSnapshot
		want   string
	}{
		{[]ShardSnapshot{half("0001", 0, 8191), half("0002", 8192, 16383)}, ""},
		{[]ShardSnapshot{half("0001", 0, 8191), half("0002", 8000, 16383)}, "slot 8000 is in shards 0001 and 0002"},
		{[]ShardSnapshot{half("0001", 0, 8191), half("0002", 8193, 16383)}, "slot 8192 is in no shard"},
		{[]ShardSnapshot{half("0001", 0, 16383), {ShardID: "0002"}}, "shard 0002 records no slots"},
	} {
		err := checkSlotCover(c.shards)
		if (c.want == "" && err != nil) || (c.want != "" && (err == nil || err.Error() != c.want)) {
			t.Errorf("%+v: got %v, want %q", c.shards, err, c.want)
		}
	}
}
