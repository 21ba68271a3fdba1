package bench

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeFailover is a deployment whose primary "old" stops answering at the fault and whose
// replica "new" takes writes failAfter later; what old acknowledged after the fault (as a
// cut-off primary does) is lost once it rejoins.
type fakeFailover struct {
	mu        sync.Mutex
	faultAt   time.Time
	takeover  time.Duration
	oldAcks   bool // old keeps acknowledging during the fault (a partition), else it hangs
	undone    bool
	healthyN  int
	store     map[string]bool
	lostAfter map[string]bool
}

func (f *fakeFailover) write(ctx context.Context, key string) (bool, bool, string, error) {
	f.mu.Lock()
	at, undone, oldAcks := f.faultAt, f.undone, f.oldAcks
	f.mu.Unlock()
	time.Sleep(2 * time.Millisecond)
	switch {
	case at.IsZero():
		f.put(key, false)
		return true, true, "127.0.0.1:1", nil
	case time.Since(at) >= f.takeover:
		f.put(key, false)
		return true, false, "127.0.0.1:2", nil
	case oldAcks && !undone:
		f.put(key, true) // acknowledged by the cut-off old primary alone
		return true, false, "127.0.0.1:1", nil
	}
	return false, false, "", errors.New("i/o timeout")
}

func (f *fakeFailover) put(key string, lost bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.store[key] = true
	if lost {
		f.lostAfter[key] = true
	}
}

func (f *fakeFailover) present(ctx context.Context, keys []string) ([]bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]bool, len(keys))
	for i, k := range keys {
		out[i] = f.store[k] && !f.lostAfter[k]
	}
	return out, nil
}

func (f *fakeFailover) primary(ctx context.Context) (*foNode, error) {
	start := func() (func() error, error) {
		f.mu.Lock()
		f.faultAt = time.Now()
		f.mu.Unlock()
		return func() error {
			f.mu.Lock()
			f.undone = true
			f.mu.Unlock()
			return nil
		}, nil
	}
	return &foNode{addr: "127.0.0.1:1", ports: []int{1},
		kill: func() error { _, err := start(); return err }, restart: func(context.Context) error { return nil },
		pause: start, partition: func(context.Context) (func() error, error) { return start() }}, nil
}

func (f *fakeFailover) healthy(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.healthyN++
	return nil
}
func (f *fakeFailover) supervised() bool                   { return false }
func (f *fakeFailover) version(ctx context.Context) string { return "fake 1.0.0" }
func (f *fakeFailover) close()                             {}

// TestFailoverRep: the time is the first write the new primary acknowledged, not the last one
// before a pause or partition ends (the writer keeps offering acknowledgements while the fault
// lasts); writes the old primary acknowledged alone are counted lost, WAIT-acknowledged ones
// are not; the fault is undone and the deployment settles before the writes are read back.
func TestFailoverRep(t *testing.T) {
	for _, fault := range []string{FaultKill, FaultPause, FaultPartition} {
		t.Run(fault, func(t *testing.T) {
			f := &fakeFailover{takeover: 150 * time.Millisecond, oldAcks: fault == FaultPartition,
				store: map[string]bool{}, lostAfter: map[string]bool{}}
			hold := faultHold(fault, 300*time.Millisecond, 0)
			start := time.Now()
			r, old := failoverRep(context.Background(), f, fault, 0, 50*time.Millisecond, hold, 5*time.Second)
			if r.Error != "" || old == nil {
				t.Fatalf("rep failed: %+v", r)
			}
			if r.Seconds < 0.15 || r.Seconds > 0.4 || r.NewPrimary != "127.0.0.1:2" {
				t.Errorf("time %.3fs by %s, want the takeover at 0.15 s by 127.0.0.1:2 (the fault lasted %s)", r.Seconds, r.NewPrimary, hold)
			}
			if fault != FaultKill {
				if el := time.Since(start); el < hold {
					t.Errorf("the rep ended after %s, before the %s fault's %s were over", el, fault, hold)
				}
				if !f.undone || f.healthyN == 0 {
					t.Errorf("the %s was not undone (%v) or not let settle (%d)", fault, f.undone, f.healthyN)
				}
			}
			if fault == FaultPartition && (r.AckedLost == 0 || r.WaitAckedLost != 0) {
				t.Errorf("partition: acked lost %d, WAIT-acked lost %d; want some and none", r.AckedLost, r.WaitAckedLost)
			}
			if fault != FaultPartition && r.AckedLost != 0 {
				t.Errorf("%s: %d acked writes lost, want none", fault, r.AckedLost)
			}
			if r.Acked == 0 || r.WaitAcked == 0 {
				t.Errorf("nothing written: %+v", r)
			}
		})
	}

}
