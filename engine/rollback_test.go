package engine

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultyRunner wraps a Runner and lets a test interfere right after a process started,
// the moment a liveness probe or a crash would hit a node mid-bootstrap.
type faultyRunner struct {
	Runner
	mu      sync.Mutex
	afterUp func(r Runner, p Process)
	started []string
}

func (f *faultyRunner) Start(ctx context.Context, p Process) error {
	err := f.Runner.Start(ctx, p)
	f.mu.Lock()
	hook := f.afterUp
	if err == nil {
		f.started = append(f.started, p.ID)
	}
	f.mu.Unlock()
	if err == nil && hook != nil {
		hook(f.Runner, p)
	}
	return err
}

// assertRolledBack checks that a failed creation left nothing behind: no process running,
// no state file, and no configuration, cluster state or data in any node directory.
func assertRolledBack(t *testing.T, e *Engine, f *faultyRunner) {
	t.Helper()
	f.mu.Lock()
	started := append([]string(nil), f.started...)
	f.mu.Unlock()
	if len(started) == 0 {
		t.Fatal("nothing was started: the fault was not exercised")
	}
	for _, id := range started {
		if f.Running(id) {
			t.Errorf("%s still running after the failed creation", id)
		}
	}
	if e.Created() {
		t.Error("state file left behind")
	}
	if _, err := os.Stat(filepath.Join(e.Plan.Deployment.DataDir, StateFile)); !os.IsNotExist(err) {
		t.Errorf("state file: %v", err)
	}
	for _, n := range e.Plan.Nodes {
		for _, file := range []string{NodesConfFile, RedisConfFile, ACLFile, RDBFile, AOFDir} {
			if _, err := os.Stat(filepath.Join(n.Dir, file)); !os.IsNotExist(err) {
				t.Errorf("%s of %s left behind (%v)", file, n.ID, err)
			}
		}
	}
}

// Complaint 3: a node that dies mid-bootstrap (a probe killing it, a crash, a port already
// taken) must not leave a half-made cluster or a standalone node that a later start takes
// for a working one. Creation fails, everything it did is undone, and the next Up makes a
// healthy cluster from scratch.
func TestCreateRollsBack(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	for _, fault := range []string{"killed right after its start", "port already taken"} {
		t.Run(fault, func(t *testing.T) {
			d := newDeployment(t, ModeCluster, 3, 1)
			d.Name = "rk-rollback"
			f := &faultyRunner{Runner: NewLocalRunner()}
			e, err := New(d, f)
			if err != nil {
				t.Fatal(err)
			}
			e.Logf = t.Logf
			e.Timeouts.Start = 20 * time.Second
			t.Cleanup(func() { _ = e.Stop(context.Background()) })
			victim := e.Plan.Nodes[4] // three nodes are up (with nodes.conf) when it starts
			var l net.Listener
			switch fault {
			case "killed right after its start":
				f.afterUp = func(r Runner, p Process) {
					if p.ID == victim.ID {
						if err := r.Kill(p.ID); err != nil {
							t.Errorf("killing %s: %v", p.ID, err)
						}
					}
				}
			case "port already taken":
				l, err = net.Listen("tcp", victim.Addr())
				if err != nil {
					t.Fatal(err)
				}
			}
			err = e.Up(ctx)
			if err == nil {
				t.Fatal("creation succeeded although a node failed")
			}
			if !strings.Contains(err.Error(), victim.ID) {
				t.Errorf("error does not name the failed node %s: %v", victim.ID, err)
			}
			t.Logf("creation failed as it should: %v", err)
			assertRolledBack(t, e, f)

			f.afterUp = nil
			if l != nil {
				l.Close()
			}
			if err := e.Up(ctx); err != nil {
				t.Fatalf("second Up: %v", err)
			}
			if !e.Created() {
				t.Fatal("no state file after a successful creation")
			}
			assertClusterHealthy(t, e)
			if st := e.Status(ctx); !st.Ready || st.SlotsCovered != TotalSlots || len(st.Nodes) != 6 {
				t.Fatalf("status after the second Up: %+v", st)
			}
		})
	}
}
