package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SnapshotStore is where a deployment's snapshots live: a directory per snapshot holding
// each shard's RDB and a manifest, named "<snapshot>.partial" until it is complete. It deals
// in files only; taking a snapshot (Engine.Snapshot) and the daily schedule use it, and so
// can anything that lists, prunes or restores snapshots without a running deployment.
type SnapshotStore struct {
	Root       string
	Deployment string
}

// Path is the directory of the named snapshot.
func (s SnapshotStore) Path(name string) string { return filepath.Join(s.Root, name) }

// storedSnapshot is a manifest and the directory it was read from.
type storedSnapshot struct {
	Manifest
	dir string
}

// Automatic lists the complete automatic snapshots of the deployment.
func (s SnapshotStore) Automatic() ([]storedSnapshot, error) {
	ents, err := os.ReadDir(s.Root)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing snapshots: %w", err)
	}
	var out []storedSnapshot
	for _, ent := range ents {
		if strings.HasSuffix(ent.Name(), ".partial") {
			continue // a snapshot being written, or abandoned by a stopped controller
		}
		dir := s.Path(ent.Name())
		b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
		if err != nil {
			continue // not a snapshot
		}
		var m Manifest
		if json.Unmarshal(b, &m) != nil || m.Deployment != s.Deployment || !m.Automatic {
			continue
		}
		out = append(out, storedSnapshot{Manifest: m, dir: dir})
	}
	return out, nil
}

// LastAutomatic returns the deployment's newest automatic snapshot, nil when it has none.
func (s SnapshotStore) LastAutomatic() (*Manifest, error) {
	autos, err := s.Automatic()
	if err != nil {
		return nil, err
	}
	var last *Manifest
	for i := range autos {
		if last == nil || autos[i].Created.After(last.Created) {
			last = &autos[i].Manifest
		}
	}
	return last, nil
}

// Prune removes the automatic snapshots older than retentionDays; manual snapshots are
// never pruned, as on ElastiCache.
func (s SnapshotStore) Prune(now time.Time, retentionDays int) ([]string, error) {
	autos, err := s.Automatic()
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, m := range autos {
		if now.Sub(m.Created) > time.Duration(retentionDays)*24*time.Hour {
			if err := os.RemoveAll(m.dir); err != nil {
				return removed, fmt.Errorf("removing snapshot %s: %w", m.Name, err)
			}
			removed = append(removed, m.Name)
		}
	}
	return removed, nil
}

// ClearUnfinishedAutomatic removes automatic snapshots a killed schedule left half-written
// (they are never finished) and returns how many it removed.
func (s SnapshotStore) ClearUnfinishedAutomatic() int {
	stale, _ := filepath.Glob(s.Path(s.Deployment + "-auto-*.partial"))
	for _, dir := range stale {
		_ = os.RemoveAll(dir)
	}
	return len(stale)
}

// ReadManifest reads and checks a snapshot directory: the manifest parses and every file
// has the recorded checksum.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("reading snapshot manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parsing snapshot manifest %s: %w", dir, err)
	}
	for _, s := range m.Shards {
		f, err := os.Open(filepath.Join(dir, s.File))
		if err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", m.Name, err)
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("snapshot %s: reading %s: %w", m.Name, s.File, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != s.SHA256 {
			return nil, fmt.Errorf("snapshot %s: %s has checksum %s, manifest says %s", m.Name, s.File, got, s.SHA256)
		}
	}
	return &m, nil
}
