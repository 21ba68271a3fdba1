package engine

import (
	"context"
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/internal/writeload"
)

// faultTag puts every key of the fault tests in one hash slot: in cluster mode they all live
// on the shard whose primary the test harms.
const faultTag = "{f}"

// faultClient writes to and reads from the primary of the keys' shard, wherever it is now.
type faultClient struct {
	cc *redis.ClusterClient // cluster mode
	fc *redis.Client        // replication mode, through the sentinels
}

func newFaultClient(e *Engine) *faultClient {
	if e.Plan.Deployment.Mode == ModeCluster {
		return &faultClient{cc: clusterClient(e)}
	}
	return &faultClient{fc: failoverClient(e)}
}

func (f *faultClient) close() {
	if f.cc != nil {
		f.cc.Close()
	} else {
		f.fc.Close()
	}
}

// node is the client of the keys' primary.
func (f *faultClient) node(ctx context.Context) (redis.Cmdable, error) {
	if f.fc != nil {
		return f.fc, nil
	}
	return f.cc.MasterForKey(ctx, faultTag)
}

func (f *faultClient) failed(ctx context.Context) {
	if f.cc != nil {
		f.cc.ReloadState(ctx) // what an application does on errors
	}
}

// faultWrites are the writes made around one fault.
type faultWrites struct {
	w         *writeload.Writer
	mu        sync.Mutex
	waitAcked map[string]bool
	firstAt   chan time.Time // the first acknowledged write started after the fault
	faultAt   time.Time
}

// startFaultWrites writes SET + WAIT 1 continuously, as an application that wants a write on
// a replica too would, and remembers which writes a replica acknowledged.
func startFaultWrites(ctx context.Context, f *faultClient, prefix string) *faultWrites {
	fw := &faultWrites{waitAcked: map[string]bool{}, firstAt: make(chan time.Time, 1)}
	fw.w = writeload.Start(ctx, nil, writeload.Options{
		Prefix: prefix + faultTag + ":", Record: true, Every: 2 * time.Millisecond, RetryPause: 20 * time.Millisecond,
		Write: func(ctx context.Context, _ redis.Cmdable, key string) (bool, error) {
			started := time.Now()
			c, err := f.node(ctx)
			if err != nil {
				f.failed(ctx)
				return false, err
			}
			var set *redis.StatusCmd
			wait := redis.NewIntCmd(ctx, "wait", 1, 100)
			_, err = c.Pipelined(ctx, func(p redis.Pipeliner) error {
				set = p.Set(ctx, key, "1", 0)
				_ = p.Process(ctx, wait)
				return nil
			})
			if set == nil || set.Err() != nil {
				f.failed(ctx)
				if err == nil {
					err = set.Err()
				}
				return false, err
			}
			fw.mu.Lock()
			if wait.Err() == nil && wait.Val() >= 1 {
				fw.waitAcked[key] = true
			}
			if at := fw.faultAt; !at.IsZero() && started.After(at) {
				select {
				case fw.firstAt <- time.Now():
				default:
				}
			}
			fw.mu.Unlock()
			return true, nil
		},
	})
	return fw
}

func (fw *faultWrites) fault() {
	fw.mu.Lock()
	fw.faultAt = time.Now()
	fw.mu.Unlock()
}

// lost stops the writes and reads every acknowledged one back: how many acknowledged writes
// and how many WAIT-acknowledged writes are gone.
func (fw *faultWrites) lost(t *testing.T, ctx context.Context, f *faultClient) (acked, ackedLost, waitAcked, waitLost int) {
	t.Helper()
	res := fw.w.Stop()
	WaitFor(t, "the acknowledged writes read back", 30*time.Second, func() error {
		c, err := f.node(ctx)
		if err != nil {
			f.failed(ctx)
			return err
		}
		cmds := make([]*redis.IntCmd, len(res.Acked))
		if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range res.Acked {
				cmds[i] = p.Exists(ctx, k)
			}
			return nil
		}); err != nil {
			f.failed(ctx)
			return err
		}
		acked, ackedLost, waitAcked, waitLost = 0, 0, 0, 0
		for i, k := range res.Acked {
			acked++
			gone := cmds[i].Val() != 1
			if gone {
				ackedLost++
			}
			if fw.waitAcked[k] {
				waitAcked++
				if gone {
					waitLost++
				}
			}
		}
		return nil
	})
	return
}

// keysPrimary is the node that leads the keys' shard now.
func keysPrimary(t *testing.T, ctx context.Context, e *Engine, f *faultClient) *Node {
	t.Helper()
	var found *Node
	WaitFor(t, "the keys' primary", 30*time.Second, func() error {
		if f.fc != nil {
			n, err := e.CurrentPrimary(ctx)
			found = n
			return err
		}
		c, err := f.cc.MasterForKey(ctx, faultTag)
		if err != nil {
			f.failed(ctx)
			return err
		}
		for _, n := range e.Plan.Nodes {
			if n.Addr() == c.Options().Addr {
				found = n
				return nil
			}
		}
		return fmt.Errorf("no planned node at %s", c.Options().Addr)
	})
	return found
}

func signalNode(t *testing.T, e *Engine, n *Node, sig syscall.Signal) {
	t.Helper()
	lp := e.Runner.(*LocalRunner).get(n.ID)
	if lp == nil {
		t.Fatalf("%s: no process", n.ID)
	}
	if err := lp.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signalling %s: %v", n.ID, err)
	}
}

func nodeRole(e *Engine, n *Node) string {
	info, err := NodeInfoE(e, n, "replication")
	if err != nil {
		return "unreachable"
	}
	return info["role"]
}

// waitFenced waits until the controller fenced the primary (see fence.go).
func waitFenced(t *testing.T, ctx context.Context, e *Engine, n *Node) {
	t.Helper()
	c := adminClient(e, n)
	defer c.Close()
	WaitFor(t, "the write fence on "+n.ID, 20*time.Second, func() error {
		v, err := c.ConfigGet(ctx, "min-replicas-to-write").Result()
		if err != nil {
			return err
		}
		if v["min-replicas-to-write"] != "1" {
			return fmt.Errorf("min-replicas-to-write %q", v["min-replicas-to-write"])
		}
		return nil
	})
}

// TestFaultsLoseNoWaitAcknowledgedWrite: with the deployment's controller running (what
// autoRecover runs), and Sentinel's and the cluster's own detection at their production
// defaults (5 s, 15 s), the controller
//   - leaves a primary paused for less than half its detection time alone;
//   - fails over a primary paused for twice its detection time, which then returns as a
//     replica;
//   - fails over a killed primary, which returns as a replica;
//
// and no write a replica acknowledged (WAIT 1) is lost in any of them. Writes acknowledged
// by the primary alone that were lost are counted and logged (bounded by the fence).
func TestFaultsLoseNoWaitAcknowledgedWrite(t *testing.T) {
	requireRedis(t)
	for _, mode := range []Mode{ModeCluster, ModeReplication} {
		t.Run(string(mode), func(t *testing.T) {
			shards := 1
			if mode == ModeCluster {
				shards = 3
			}
			d := newDeployment(t, mode, shards, 1)
			d.Name = "rk-faults-" + string(mode)
			d.Timing = Timing{} // production defaults: only the controller is fast
			e := Up(t, d)
			detect := e.Plan.Timing.Detect
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go e.Supervise(ctx, time.Second)
			f := newFaultClient(e)
			defer f.close()

			prim := keysPrimary(t, ctx, e, f)
			waitFenced(t, ctx, e, prim)

			// A stall shorter than half the detection time changes nothing.
			signalNode(t, e, prim, syscall.SIGSTOP)
			time.Sleep(detect/2 - 200*time.Millisecond)
			signalNode(t, e, prim, syscall.SIGCONT)
			time.Sleep(2 * detect)
			if r := nodeRole(e, prim); r != "master" {
				t.Fatalf("after a stall of %s, %s is %s: a false failover", detect/2-200*time.Millisecond, prim.ID, r)
			}

			for _, fault := range []string{"pause", "kill"} {
				prim = keysPrimary(t, ctx, e, f)
				waitFenced(t, ctx, e, prim)
				fw := startFaultWrites(ctx, f, fault)
				time.Sleep(time.Second)
				// The clock starts once the fault is in place: a write started after it
				// cannot have been served by the primary as it was.
				switch fault {
				case "pause":
					signalNode(t, e, prim, syscall.SIGSTOP)
					fw.fault()
					time.Sleep(2 * detect)
					signalNode(t, e, prim, syscall.SIGCONT)
				case "kill":
					if err := e.KillNode(prim.ID); err != nil {
						t.Fatal(err)
					}
					fw.fault()
				}
				var took time.Duration
				select {
				case at := <-fw.firstAt:
					took = at.Sub(fw.faultAt)
				case <-time.After(60 * time.Second):
					t.Fatalf("%s of %s: no write acknowledged within 60 s", fault, prim.ID)
				}
				waitBackAsReplica(t, e, prim)
				time.Sleep(500 * time.Millisecond)
				acked, lost, waitAcked, waitLost := fw.lost(t, ctx, f)
				t.Logf("%s %s of primary %s: first write acknowledged after %s; acknowledged %d, lost %d; WAIT-acknowledged %d, lost %d",
					mode, fault, prim.ID, took.Round(10*time.Millisecond), acked, lost, waitAcked, waitLost)
				if waitAcked == 0 {
					t.Fatalf("%s: no write was WAIT-acknowledged: the test measured nothing", fault)
				}
				if waitLost > 0 {
					t.Errorf("%s of the primary: %d of %d WAIT-acknowledged writes lost", fault, waitLost, waitAcked)
				}
				if now := keysPrimary(t, ctx, e, f); now.ID == prim.ID {
					t.Errorf("%s of %s: it still leads", fault, prim.ID)
				}
			}

			// A controller that stops lifts its fences: nobody would after a replica's crash.
			prim = keysPrimary(t, ctx, e, f)
			waitFenced(t, ctx, e, prim)
			cancel()
			c := adminClient(e, prim)
			defer c.Close()
			WaitFor(t, "the fence lifted once the controller stopped", 10*time.Second, func() error {
				v, err := c.ConfigGet(context.Background(), "min-replicas-to-write").Result()
				if err != nil {
					return err
				}
				if v["min-replicas-to-write"] != "0" {
					return fmt.Errorf("min-replicas-to-write %q", v["min-replicas-to-write"])
				}
				return nil
			})
		})
	}
}

// TestContainerPartitionLosesNoWaitAcknowledgedWrite: on the docker driver, the primary's
// container is cut off from the network (from its replica, the other primaries, the
// controller and the clients) for twice the detection time, then reconnected at its address.
// The controller fails it over (the primaries on the majority side vote), it returns as a
// replica, and no WAIT-acknowledged write is lost.
func TestContainerPartitionLosesNoWaitAcknowledgedWrite(t *testing.T) {
	requireRedis(t)
	e, runner, tag, _ := dockerCluster(t, "rk-partition", 3, &Timing{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := e.Up(ctx); err != nil {
		t.Fatalf("bringing the containers up: %v", err)
	}
	go e.Supervise(ctx, time.Second)
	f := newFaultClient(e)
	defer f.close()
	prim := keysPrimary(t, ctx, e, f)
	waitFenced(t, ctx, e, prim)
	detect := e.Plan.Timing.Detect

	fw := startFaultWrites(ctx, f, "partition")
	time.Sleep(time.Second)
	if out, err := exec.Command("docker", "network", "disconnect", tag, runner.name(prim.ID)).CombinedOutput(); err != nil {
		t.Fatalf("cutting %s off: %v %s", prim.ID, err, out)
	}
	fw.fault()
	time.Sleep(2 * detect)
	if out, err := exec.Command("docker", "network", "connect", "--ip", prim.Host, tag, runner.name(prim.ID)).CombinedOutput(); err != nil {
		t.Fatalf("reconnecting %s: %v %s", prim.ID, err, out)
	}
	var took time.Duration
	select {
	case at := <-fw.firstAt:
		took = at.Sub(fw.faultAt)
	case <-time.After(60 * time.Second):
		t.Fatalf("partition of %s: no write acknowledged within 60 s", prim.ID)
	}
	waitBackAsReplica(t, e, prim)
	time.Sleep(500 * time.Millisecond)
	acked, lost, waitAcked, waitLost := fw.lost(t, ctx, f)
	t.Logf("partition of primary %s for %s: first write acknowledged after %s; acknowledged %d, lost %d; WAIT-acknowledged %d, lost %d",
		prim.ID, 2*detect, took.Round(10*time.Millisecond), acked, lost, waitAcked, waitLost)
	if waitAcked == 0 {
		t.Fatal("no write was WAIT-acknowledged: the test measured nothing")
	}
	if waitLost > 0 {
		t.Errorf("partition: %d of %d WAIT-acknowledged writes lost", waitLost, waitAcked)
	}
	if now := keysPrimary(t, ctx, e, f); now.ID == prim.ID {
		t.Errorf("partition of %s: it still leads", prim.ID)
	}
}

// TestRepeatedCrashesOfOneShard: a cluster primary votes for the replicas of a given shard at
// most once per two node timeouts, so the third crash of one shard within 30 s cannot fail
// over by vote. Its node is known down, so the start guard takes over without the vote: the
// shard takes writes again each time long before the cluster's own detection (15 s).
func TestRepeatedCrashesOfOneShard(t *testing.T) {
	requireRedis(t)
	d := newDeployment(t, ModeCluster, 3, 1)
	d.Name = "rk-recrash"
	d.Timing = Timing{}
	e := Up(t, d)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.Supervise(ctx, time.Second)
	f := newFaultClient(e)
	defer f.close()
	for i := 0; i < 3; i++ {
		prim := keysPrimary(t, ctx, e, f)
		if err := e.KillNode(prim.ID); err != nil {
			t.Fatal(err)
		}
		killed := time.Now()
		WaitFor(t, fmt.Sprintf("crash %d: a write to the shard acknowledged", i+1), 10*time.Second, func() error {
			c, err := f.node(ctx)
			if err != nil {
				f.failed(ctx)
				return err
			}
			if err := c.Set(ctx, faultTag+"k", i, 0).Err(); err != nil {
				f.failed(ctx)
				return err
			}
			return nil
		})
		t.Logf("crash %d of %s: shard writable after %s", i+1, prim.ID, time.Since(killed).Round(10*time.Millisecond))
		waitBackAsReplica(t, e, prim)
	}
}
