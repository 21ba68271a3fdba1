// Package writeload is the client that keeps writing while a test or benchmark changes a
// deployment under it (a failover, a rolling restart, resharding), so that what the change
// cost applications can be measured and asserted: which writes were acknowledged, how many
// failed, the longest pause between two acknowledged writes.
package writeload

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options say what to write and how fast.
type Options struct {
	// Prefix starts every key; a counter follows it ("w:0", "w:1", ...).
	Prefix string
	// KeySpace, when set, reuses keys: the counter is taken modulo KeySpace.
	KeySpace int
	// Write writes key; acked says whether it counts as acknowledged. Nil: SET key key, which
	// counts when it succeeds.
	Write func(ctx context.Context, c redis.Cmdable, key string) (acked bool, err error)
	// Every is the pause after every write (0: none); RetryPause the pause after one that
	// failed or was not acknowledged, as an application backs off (0: none).
	Every, RetryPause time.Duration
	// Record keeps the acknowledged keys (Result.Acked), for reading them back afterwards.
	Record bool
}

// Result is what the writes saw.
type Result struct {
	// Ops counts the writes made, Failed those that failed or were not acknowledged.
	Ops, Failed int
	// Acked are the acknowledged keys, in order (with Options.Record).
	Acked []string
	// FirstError is the first write error, "" when none.
	FirstError string
	// MaxGap is the longest time without an acknowledged write, from the start.
	MaxGap time.Duration
}

// Writer writes in the background until stopped.
type Writer struct {
	acked   atomic.Int64
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
	res     Result
}

// Start writes through c until Stop is called or ctx ends.
func Start(ctx context.Context, c redis.Cmdable, o Options) *Writer {
	if o.Write == nil {
		o.Write = func(ctx context.Context, c redis.Cmdable, key string) (bool, error) {
			err := c.Set(ctx, key, key, 0).Err()
			return err == nil, err
		}
	}
	w := &Writer{stop: make(chan struct{}), stopped: make(chan struct{})}
	go w.run(ctx, c, o)
	return w
}

func (w *Writer) run(ctx context.Context, c redis.Cmdable, o Options) {
	defer close(w.stopped)
	last := time.Now()
	for i := 0; ; i++ {
		select {
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		default:
		}
		n := i
		if o.KeySpace > 0 {
			n = i % o.KeySpace
		}
		key := o.Prefix + strconv.Itoa(n)
		acked, err := o.Write(ctx, c, key)
		w.res.Ops++
		if err != nil && w.res.FirstError == "" {
			w.res.FirstError = err.Error()
		}
		pause := o.Every
		if acked {
			w.acked.Add(1)
			if o.Record {
				w.res.Acked = append(w.res.Acked, key)
			}
			if gap := time.Since(last); gap > w.res.MaxGap {
				w.res.MaxGap = gap
			}
			last = time.Now()
		} else {
			w.res.Failed++
			pause += o.RetryPause
		}
		if pause > 0 {
			time.Sleep(pause)
		}
	}
}

// Acked is how many writes have been acknowledged so far.
func (w *Writer) Acked() int { return int(w.acked.Load()) }

// Stop stops the writes (the one under way completes) and returns what they saw; it may be
// called again and returns the same.
func (w *Writer) Stop() Result {
	w.once.Do(func() { close(w.stop) })
	<-w.stopped
	return w.res
}
