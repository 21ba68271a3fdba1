package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/rediskit/rediskit/window"
)

func TestDefaultSnapshotWindow(t *testing.T) {
	for _, name := range []string{"rk", "orders-cache", "a-very-long-replication-group-name-0001"} {
		w := DefaultSnapshotWindow(name)
		p, err := window.ParseDaily(w)
		if err != nil {
			t.Fatalf("%s: window %q: %v", name, w, err)
		}
		if p.Start < 0 || p.Start > 7*60 || p.Start%60 != 0 || p.Minutes() != 60 {
			t.Fatalf("%s: window %q is not 60 minutes starting between 00:00 and 07:00", name, w)
		}
		if DefaultSnapshotWindow(name) != w {
			t.Fatalf("%s: window not stable", name)
		}
	}
	d := testDeployment(ModeSingle, 1, 0)
	if w := d.snapshotWindow(); w != "" {
		t.Fatalf("no retention: window %q, want automatic snapshots off", w)
	}
	d.Snapshot.RetentionDays = 7
	if w := d.snapshotWindow(); w != DefaultSnapshotWindow(d.Name) {
		t.Fatalf("retention without a window: %q, want the default %q", w, DefaultSnapshotWindow(d.Name))
	}
	d.Snapshot.Window = "05:00-06:00"
	if w := d.snapshotWindow(); w != "05:00-06:00" {
		t.Fatalf("given window: %q", w)
	}
}

// automaticSnapshotsE lists the automatic snapshots under dir by name.
func automaticSnapshotsE(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ent := range ents {
		m, err := ReadManifest(filepath.Join(dir, ent.Name()))
		if err != nil {
			return nil, err
		}
		if m.Automatic {
			out = append(out, m.Name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// The schedule takes exactly one automatic snapshot per day in the window, none outside it.
func TestSnapshotSchedule(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeSingle, 1, 0)
	d.Name = "rk-sched"
	now := time.Now().UTC()
	d.Snapshot = Snapshot{RetentionDays: 35, Window: now.Add(-10*time.Minute).Format("15:04") + "-" + now.Add(20*time.Minute).Format("15:04")}
	e := Up(t, d)
	app := appClient(e, e.Plan.Nodes[0])
	defer app.Close()
	if err := app.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}

	t.Run("a window containing now: one snapshot", func(t *testing.T) {
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { e.RunSnapshotSchedule(sctx, 20*time.Millisecond); close(done) }()
		var names []string
		WaitFor(t, "the automatic snapshot", 30*time.Second, func() error {
			var err error
			names, err = automaticSnapshotsE(e.Snapshots().Root)
			if err == nil && len(names) == 0 {
				err = fmt.Errorf("none yet")
			}
			return err
		})
		cancel()
		<-done
		names, err := automaticSnapshotsE(e.Snapshots().Root)
		if err != nil || len(names) != 1 {
			t.Fatalf("automatic snapshots %v, %v; want exactly one", names, err)
		}
	})

	t.Run("exactly one per day, only in the window", func(t *testing.T) {
		e.Plan.Deployment.Snapshot.Window = "05:00-06:00"
		e.Plan.Deployment.Snapshot.Dir = t.TempDir()
		ticks := make(chan time.Time)
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { e.runSnapshotSchedule(sctx, ticks); close(done) }()
		at := func(day, h, m int) time.Time { return time.Date(2030, 1, day, h, m, 0, 0, time.UTC) }
		for _, tick := range []time.Time{
			at(1, 4, 59), // before the window
			at(1, 5, 0),  // in it: the day's snapshot
			at(1, 5, 10), // same day: none
			at(1, 5, 59),
			at(1, 6, 0), // window over
			at(2, 4, 59),
			at(2, 5, 1), // the next day's snapshot
			at(2, 5, 30),
		} {
			ticks <- tick
		}
		cancel() // every tick before the last was fully handled; the last one takes no snapshot
		<-done
		names, err := automaticSnapshotsE(e.Snapshots().Root)
		want := []string{"rk-sched-auto-20300101-050000", "rk-sched-auto-20300102-050100"}
		if err != nil || !reflect.DeepEqual(names, want) {
			t.Fatalf("automatic snapshots %v, %v; want %v", names, err, want)
		}
	})

	t.Run("a schedule started again in the window keeps to one a day", func(t *testing.T) {
		e.Plan.Deployment.Snapshot.Dir = t.TempDir()
		at := func(day, h, m int) time.Time { return time.Date(2030, 1, day, h, m, 0, 0, time.UTC) }
		run := func(ticks ...time.Time) {
			ch := make(chan time.Time)
			sctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { e.runSnapshotSchedule(sctx, ch); close(done) }()
			for _, tick := range ticks {
				ch <- tick
			}
			cancel()
			<-done
		}
		run(at(2, 5, 1), at(2, 5, 2))
		// A new schedule (a controller started again by an update) in the same window.
		run(at(2, 5, 40), at(2, 5, 50), at(3, 5, 5), at(3, 5, 6))
		names, err := automaticSnapshotsE(e.Snapshots().Root)
		want := []string{"rk-sched-auto-20300102-050100", "rk-sched-auto-20300103-050500"}
		if err != nil || !reflect.DeepEqual(names, want) {
			t.Fatalf("automatic snapshots %v, %v; want %v", names, err, want)
		}
		last, err := e.Snapshots().LastAutomatic()
		if err != nil || last == nil || last.Name != want[1] {
			t.Fatalf("LastAutomaticSnapshot = %+v, %v; want %s", last, err, want[1])
		}
	})
}
