package writeload

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The writer counts what each write returned: acknowledged keys in order, failures (errors and
// writes not acknowledged), the first error, and the pause the failures made.
func TestWriterCountsWhatTheWritesSaw(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	enough := make(chan struct{})
	w := Start(context.Background(), nil, Options{Prefix: "k:", KeySpace: 4, RetryPause: 30 * time.Millisecond, Record: true,
		Write: func(_ context.Context, _ redis.Cmdable, key string) (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, key)
			switch n := len(seen); {
			case n == 2:
				return false, errors.New("first")
			case n == 3:
				return false, errors.New("second")
			case n == 4:
				return false, nil // written, not acknowledged
			case n == 6:
				close(enough)
			case n > 6:
				return false, errors.New("after")
			}
			return true, nil
		}})
	<-enough
	r := w.Stop()
	if again := w.Stop(); !slices.Equal(again.Acked, r.Acked) {
		t.Errorf("a second Stop returned %+v, want %+v", again, r)
	}
	if want := []string{"k:0", "k:1", "k:2", "k:3", "k:0", "k:1"}; !slices.Equal(seen[:6], want) {
		t.Errorf("keys written %q, want %q first", seen, want)
	}
	if want := []string{"k:0", "k:0", "k:1"}; !slices.Equal(r.Acked, want) {
		t.Errorf("acknowledged %q, want %q", r.Acked, want)
	}
	if r.Ops != len(seen) || r.Failed != r.Ops-3 || r.FirstError != "first" || w.Acked() != 3 {
		t.Errorf("ops %d (wrote %d), failed %d, first error %q, Acked() %d", r.Ops, len(seen), r.Failed, r.FirstError, w.Acked())
	}
	// Three failures in a row, each followed by its pause, stand between two acknowledged writes.
	if r.MaxGap < 90*time.Millisecond {
		t.Errorf("longest gap %s, want at least the three retry pauses (90ms)", r.MaxGap)
	}
}

// Without Record nothing is kept but the counts; the writer stops when its context ends.
func TestWriterStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	w := Start(ctx, nil, Options{Every: time.Millisecond, Write: func(context.Context, redis.Cmdable, string) (bool, error) {
		return true, nil
	}})
	time.Sleep(20 * time.Millisecond)
	cancel()
	done := make(chan Result)
	go func() { done <- w.Stop() }()
	select {
	case r := <-done:
		if r.Ops == 0 || r.Failed != 0 || r.Acked != nil {
			t.Errorf("result %+v: want writes counted, none failed, no keys kept", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the writer did not stop when its context ended")
	}
}
