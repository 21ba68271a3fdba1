package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// FileHome names where a node's (or a sentinel's) files live: its id, and the directory the
// plan gives it. An implementation that keeps the files elsewhere (a pod's volume) finds
// them by the id; the local one uses the directory.
type FileHome struct {
	ID  string
	Dir string
}

// Home is where node n's files live.
func (n *Node) Home() FileHome { return FileHome{ID: n.ID, Dir: n.Dir} }

// Home is where sentinel s's files live.
func (s *Sentinel) Home() FileHome { return FileHome{ID: s.ID, Dir: s.Dir} }

// NodeFiles is every way the engine touches a node's files: the configuration and ACL file
// it renders before a start, the state files it reads back (a sentinel's memory, the
// address a node last announced), the data files a snapshot copies out or a restore seeds,
// and the wipe of a node that is created again or scaled in. The engine reaches a node's
// files through nothing else, so a node whose files live out of the engine's reach (in a
// pod, tended by an agent there) needs only another implementation. Names are the file
// names of conf.go (RedisConfFile, ACLFile, RDBFile, ...).
type NodeFiles interface {
	// Write replaces a file of the node as a whole (a reader never sees half of it).
	Write(ctx context.Context, h FileHome, name string, data []byte) error
	// Read returns a file of the node; an error wrapping fs.ErrNotExist when it has none.
	Read(ctx context.Context, h FileHome, name string) ([]byte, error)
	// Remove deletes the named files or directories of the node; missing ones are no error.
	Remove(ctx context.Context, h FileHome, names ...string) error
	// Wipe deletes everything the node has (it leaves the deployment).
	Wipe(ctx context.Context, h FileHome) error
	// Export streams a file of the node to w (taking a snapshot) and returns its size.
	Export(ctx context.Context, h FileHome, name string, w io.Writer) (int64, error)
	// Import creates a file of the node from r (seeding it from a snapshot).
	Import(ctx context.Context, h FileHome, name string, r io.Reader) error
}

// LocalFiles keeps node files in the node directories of the engine's own disk: the process
// driver's, and the docker driver's too (it bind-mounts each directory at the same path).
type LocalFiles struct{}

func (LocalFiles) Write(_ context.Context, h FileHome, name string, data []byte) error {
	if err := os.MkdirAll(h.Dir, 0o700); err != nil {
		return fmt.Errorf("writing %s of %s: %w", name, h.ID, err)
	}
	tmp := filepath.Join(h.Dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("writing %s of %s: %w", name, h.ID, err)
	}
	if err := os.Rename(tmp, filepath.Join(h.Dir, name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s of %s: %w", name, h.ID, err)
	}
	return nil
}

func (LocalFiles) Read(_ context.Context, h FileHome, name string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(h.Dir, name))
	if err != nil {
		return nil, fmt.Errorf("reading %s of %s: %w", name, h.ID, err)
	}
	return b, nil
}

func (LocalFiles) Remove(_ context.Context, h FileHome, names ...string) error {
	var errs []error
	for _, name := range names {
		if err := os.RemoveAll(filepath.Join(h.Dir, name)); err != nil {
			errs = append(errs, fmt.Errorf("removing %s of %s: %w", name, h.ID, err))
		}
	}
	return errors.Join(errs...)
}

func (LocalFiles) Wipe(_ context.Context, h FileHome) error {
	if err := os.RemoveAll(h.Dir); err != nil {
		return fmt.Errorf("wiping %s: %w", h.ID, err)
	}
	return nil
}

func (LocalFiles) Export(_ context.Context, h FileHome, name string, w io.Writer) (int64, error) {
	f, err := os.Open(filepath.Join(h.Dir, name))
	if err != nil {
		return 0, fmt.Errorf("exporting %s of %s: %w", name, h.ID, err)
	}
	defer f.Close()
	n, err := io.Copy(w, f)
	if err != nil {
		return n, fmt.Errorf("exporting %s of %s: %w", name, h.ID, err)
	}
	return n, nil
}

func (LocalFiles) Import(_ context.Context, h FileHome, name string, r io.Reader) error {
	if err := os.MkdirAll(h.Dir, 0o700); err != nil {
		return fmt.Errorf("importing %s of %s: %w", name, h.ID, err)
	}
	// O_EXCL: a restore seeds a wiped node; finding a file there means the wipe went wrong.
	out, err := os.OpenFile(filepath.Join(h.Dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("importing %s of %s: %w", name, h.ID, err)
	}
	_, err = io.Copy(out, r)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("importing %s of %s: %w", name, h.ID, err)
	}
	return nil
}

// files is the engine's NodeFiles (local files unless set).
func (e *Engine) files() NodeFiles {
	if e.Files == nil {
		return LocalFiles{}
	}
	return e.Files
}

// readIfExists reads a node file, reporting ok=false (and no error) when there is none.
func readIfExists(ctx context.Context, f NodeFiles, h FileHome, name string) ([]byte, bool, error) {
	b, err := f.Read(ctx, h, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	return b, err == nil, err
}

// exportFile copies a node file into a new file on the engine's disk, returning its size and
// SHA-256.
func exportFile(ctx context.Context, f NodeFiles, h FileHome, name, to string) (int64, string, error) {
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, "", err
	}
	sum := sha256.New()
	n, err := f.Export(ctx, h, name, io.MultiWriter(out, sum))
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, hex.EncodeToString(sum.Sum(nil)), err
}
