package engine

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// SlotMover moves hash slots with their keys between a cluster's primaries while clients
// keep working: the engine's scaling and the Kubernetes operator's both move slots with it,
// each telling it how its nodes are reached.
type SlotMover struct {
	// Password is the admin user's.
	Password string
	// Addr is where the mover connects to a node, and the TLS configuration for it (nil
	// without TLS).
	Addr func(n *Node) (string, *tls.Config)
	// Reach is the host a source's MIGRATE connects to the destination at.
	Reach func(n *Node) string
	// Running says whether a node is up to be told of new owners (nil: every node is).
	Running func(n *Node) bool
	// Logf reports each pair's progress (nil: quiet).
	Logf func(format string, args ...any)
}

func (m *SlotMover) running(n *Node) bool { return m.Running == nil || m.Running(n) }

func (m *SlotMover) logf(format string, args ...any) {
	if m.Logf != nil {
		m.Logf(format, args...)
	}
}

// Move moves every pair's slots, one worker per pair side by side. primaries are the
// shards' current primaries by shard index (the sources, destinations and the others told of
// each new owner), idOf the nodes' cluster ids by node id.
func (m *SlotMover) Move(ctx context.Context, pairs []SlotPairMoves, primaries []*Node, idOf map[string]string) error {
	for _, pm := range pairs {
		if pm.From >= len(primaries) || pm.To >= len(primaries) {
			return fmt.Errorf("moving slots from shard %d to shard %d: only %d shards have a primary", pm.From+1, pm.To+1, len(primaries))
		}
		if primaries[pm.From] == nil || primaries[pm.To] == nil {
			return fmt.Errorf("moving slots from shard %d to shard %d: a shard has no primary to move them with", pm.From+1, pm.To+1)
		}
	}
	// One failed pair stops the others at their next batch: slots already assigned stay
	// assigned, an open batch stays open (IMPORTING/MIGRATING), and scaling again resumes it.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(pairs))
	var wg sync.WaitGroup
	for i, pm := range pairs {
		src, dst := primaries[pm.From], primaries[pm.To]
		w := &slotMover{m: m, src: src, dst: dst, srcID: idOf[src.ID], dstID: idOf[dst.ID]}
		for _, p := range primaries {
			if p != nil && p.ID != src.ID && p.ID != dst.ID {
				w.others = append(w.others, p)
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.run(wctx, pm); err != nil {
				errs[i] = fmt.Errorf("moving slots from shard %d (%s) to shard %d (%s): %w", pm.From+1, src.ID, pm.To+1, dst.ID, err)
				cancel()
			}
		}()
	}
	wg.Wait()
	// The pairs stopped because another failed say only that; the failure is the news.
	var failed []error
	for _, err := range errs {
		if err != nil && !(errors.Is(err, context.Canceled) && ctx.Err() == nil) {
			failed = append(failed, err)
		}
	}
	if len(failed) == 0 {
		for _, err := range errs {
			if err != nil {
				failed = append(failed, err)
			}
		}
	}
	return errors.Join(failed...)
}

// How slots move. A worker per source and destination pair takes a batch of slots at once:
// IMPORTING on the destination in one pipeline, then MIGRATING and the key listing on the
// source in one pipeline, then each slot's keys in one MIGRATE (the keys of one MIGRATE must
// share a slot) followed by a count of what is left, pipelined, then SETSLOT NODE in one
// pipeline per node. Round trips, and the node's save of its cluster configuration after each
// pipeline of SETSLOTs, are paid per batch instead of per slot; sources work side by side.
const (
	SlotsPerBatch  = 512
	keysPerMigrate = 1000 // per GETKEYSINSLOT and per MIGRATE; a fuller slot takes more rounds
	migrateTimeout = 10 * time.Second
	// migratesPerPipeline bounds one pipeline of MIGRATEs: each answers within about its
	// own timeout, so the pipeline's replies come within this many timeouts.
	migratesPerPipeline = 32
)

// SlotPairMoves is every slot one shard gives another, in the batches a worker moves together.
type SlotPairMoves struct {
	From, To int // shard indexes
	Batches  [][]int
}

// GroupSlotMoves groups moves by source and destination shard, in slot order, into batches
// of at most size slots; pairs come in (From, To) order. Each pair gets its own worker:
// pairs never share a slot, so their moves are independent.
func GroupSlotMoves(moves []SlotMove, size int) []SlotPairMoves {
	if size < 1 {
		size = 1
	}
	type pair struct{ from, to int }
	slots := map[pair][]int{}
	var order []pair
	for _, m := range moves {
		k := pair{m.From, m.To}
		if _, ok := slots[k]; !ok {
			order = append(order, k)
		}
		slots[k] = append(slots[k], m.Slot)
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].from != order[j].from {
			return order[i].from < order[j].from
		}
		return order[i].to < order[j].to
	})
	var out []SlotPairMoves
	for _, k := range order {
		ss := slots[k]
		sort.Ints(ss)
		pm := SlotPairMoves{From: k.from, To: k.to}
		for len(ss) > 0 {
			n := min(size, len(ss))
			pm.Batches = append(pm.Batches, ss[:n:n])
			ss = ss[n:]
		}
		out = append(out, pm)
	}
	return out
}

// SlotMoveError is a failed step of moving a slot: which slot, between which nodes, what
// was being done, and what the server said.
type SlotMoveError struct {
	Slot     int
	From, To string // node ids
	Step     string
	Err      error
}

func (m *SlotMoveError) Error() string {
	msg := fmt.Sprintf("slot %d from %s to %s: %s: %v", m.Slot, m.From, m.To, m.Step, m.Err)
	s := m.Err.Error()
	switch {
	case strings.Contains(s, "BUSYKEY"):
		msg += " (the destination already holds a key of that name, left from an earlier attempt or written there directly; MIGRATE never replaces it: delete it on one side, then scale again)"
	case strings.Contains(s, "IOERR"):
		msg += fmt.Sprintf(" (the source could not talk to the destination within %s: is it reachable from the source on its client port, and not overloaded?; the slot stays open and scaling again resumes it)", migrateTimeout)
	}
	return msg
}

func (m *SlotMoveError) Unwrap() error { return m.Err }

// slotMover moves the slots of one source/destination pair, with its own connections.
type slotMover struct {
	m            *SlotMover
	src, dst     *Node
	srcID, dstID string
	others       []*Node // the other primaries, told the new owner last
}

func (w *slotMover) client(n *Node) *redis.Client {
	addr, tc := w.m.Addr(n)
	return redis.NewClient(&redis.Options{
		Addr: addr, Username: AdminUser, Password: w.m.Password,
		TLSConfig: tc, DialTimeout: 2 * time.Second,
		// A pipeline's replies are read under one deadline.
		ReadTimeout: migratesPerPipeline * migrateTimeout, WriteTimeout: 30 * time.Second,
		MaxRetries: -1, PoolSize: 1, Protocol: 2, DisableIdentity: true, DialerRetries: 1,
	})
}

func (w *slotMover) run(ctx context.Context, pm SlotPairMoves) error {
	sc, dc := w.client(w.src), w.client(w.dst)
	defer sc.Close()
	defer dc.Close()
	// The other primaries hear of each assigned batch from a goroutine of their own: they are
	// often sources busy with their own MIGRATEs, and what they are told gossip would tell
	// them anyway, so the next batch does not wait for their answer.
	assigned := make(chan []int, len(pm.Batches))
	told := make(chan struct{})
	go func() {
		defer close(told)
		w.tellOthers(ctx, assigned)
	}()
	defer func() { close(assigned); <-told }()
	start, slots, keys := time.Now(), 0, 0
	for _, b := range pm.Batches {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := w.moveBatch(ctx, sc, dc, b)
		keys += n
		if err != nil {
			return err
		}
		assigned <- b
		slots += len(b)
	}
	w.m.logf("moved %d slots (%d keys) from %s to %s in %s", slots, keys, w.src.ID, w.dst.ID, time.Since(start).Round(time.Millisecond))
	return nil
}

// tellOthers sends SETSLOT NODE for every batch it receives to the other primaries. A
// primary that misses it learns the owner through gossip: the destination's epoch is the
// highest for these slots now.
func (w *slotMover) tellOthers(ctx context.Context, assigned <-chan []int) {
	var clients []*redis.Client
	for _, n := range w.others {
		clients = append(clients, w.client(n))
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for b := range assigned {
		for i, c := range clients {
			if ctx.Err() != nil || !w.m.running(w.others[i]) {
				continue
			}
			_, _ = w.pipe(ctx, c, b, "assigning on "+w.others[i].ID, func(s int) [][]any {
				return [][]any{{"cluster", "setslot", s, "node", w.dstID}}
			})
		}
	}
}

// pipe sends the commands cmd gives for each slot to c in one pipeline and returns the
// replies per slot; the first command that failed is returned as a SlotMoveError naming its
// slot.
func (w *slotMover) pipe(ctx context.Context, c *redis.Client, slots []int, step string, cmd func(slot int) [][]any) ([][]*redis.Cmd, error) {
	if len(slots) == 0 {
		return nil, nil
	}
	out := make([][]*redis.Cmd, len(slots))
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, s := range slots {
			for _, args := range cmd(s) {
				out[i] = append(out[i], p.Do(ctx, args...))
			}
		}
		return nil
	})
	for i, rs := range out {
		for _, r := range rs {
			if r.Err() != nil {
				return out, &SlotMoveError{Slot: slots[i], From: w.src.ID, To: w.dst.ID, Step: step, Err: r.Err()}
			}
		}
	}
	if err != nil {
		return out, &SlotMoveError{Slot: slots[0], From: w.src.ID, To: w.dst.ID, Step: step, Err: err}
	}
	return out, nil
}

// moveBatch moves the slots of one batch with their keys, in the order that keeps every
// key reachable: IMPORTING on the destination before MIGRATING on the source (the source
// sends clients asking for a missing key to a destination that already accepts them with
// ASKING), keys moved until the source holds none of these slots, then SETSLOT NODE on the
// destination first (it serves the slots from then on) and on the source next (it answers
// MOVED instead of ASK); run tells the other primaries last. It returns the keys moved.
// Once a slot is MIGRATING the source creates no key in it (a missing key is ASKed to the
// destination), so what it lists is all there is to move; the count after the MIGRATEs
// checks it before the slot changes owner.
func (w *slotMover) moveBatch(ctx context.Context, sc, dc *redis.Client, slots []int) (int, error) {
	if _, err := w.pipe(ctx, dc, slots, "IMPORTING on "+w.dst.ID, func(s int) [][]any {
		return [][]any{{"cluster", "setslot", s, "importing", w.srcID}}
	}); err != nil {
		return 0, err
	}
	// An empty slot costs an empty listing in the same round trip.
	lists, err := w.pipe(ctx, sc, slots, "MIGRATING on "+w.src.ID, func(s int) [][]any {
		return [][]any{{"cluster", "setslot", s, "migrating", w.dstID}, {"cluster", "getkeysinslot", s, keysPerMigrate}}
	})
	if err != nil {
		return 0, err
	}
	keys := map[int][]string{}
	for i, s := range slots {
		ks, err := lists[i][1].StringSlice()
		if err != nil {
			return 0, &SlotMoveError{Slot: s, From: w.src.ID, To: w.dst.ID, Step: "listing keys on " + w.src.ID, Err: err}
		}
		if len(ks) > 0 {
			keys[s] = ks
		}
	}
	pass := w.m.Password
	moved, last := 0, -1
	for len(keys) > 0 {
		var pending []int
		for _, s := range slots {
			if len(keys[s]) > 0 {
				pending = append(pending, s)
			}
		}
		// Each slot's MIGRATE, then its count, pipelined.
		var res [][]*redis.Cmd
		for i := 0; i < len(pending); i += migratesPerPipeline {
			r, err := w.pipe(ctx, sc, pending[i:min(i+migratesPerPipeline, len(pending))], "MIGRATE to "+w.dst.ID, func(s int) [][]any {
				args := []any{"migrate", w.m.Reach(w.dst), strconv.Itoa(w.dst.Port()), "", 0, migrateTimeout.Milliseconds(), "auth2", AdminUser, pass, "keys"}
				for _, k := range keys[s] {
					args = append(args, k)
				}
				return [][]any{args, {"cluster", "countkeysinslot", s}}
			})
			if err != nil {
				return moved, err
			}
			res = append(res, r...)
		}
		left, total := map[int]int{}, 0
		for i, s := range pending {
			moved += len(keys[s])
			if n, _ := res[i][1].Int(); n > 0 {
				left[s] = min(n, keysPerMigrate)
				total += n
			}
		}
		if len(left) == 0 {
			break
		}
		// MIGRATE fails on what it cannot move, so a count that does not fall means keys
		// that reappear on the source: not something more rounds fix.
		if last >= 0 && total >= last {
			for s := range left {
				return moved, &SlotMoveError{Slot: s, From: w.src.ID, To: w.dst.ID, Step: "moving keys",
					Err: fmt.Errorf("%d keys of the batch are still on %s after being moved", total, w.src.ID)}
			}
		}
		last = total
		var more []int
		for _, s := range pending {
			if left[s] > 0 {
				more = append(more, s)
			}
		}
		relist, err := w.pipe(ctx, sc, more, "listing keys on "+w.src.ID, func(s int) [][]any {
			return [][]any{{"cluster", "getkeysinslot", s, left[s]}}
		})
		if err != nil {
			return moved, err
		}
		keys = map[int][]string{}
		for i, s := range more {
			if keys[s], err = relist[i][0].StringSlice(); err != nil {
				return moved, &SlotMoveError{Slot: s, From: w.src.ID, To: w.dst.ID, Step: "listing keys on " + w.src.ID, Err: err}
			}
		}
	}
	if _, err := w.pipe(ctx, dc, slots, "assigning on "+w.dst.ID, func(s int) [][]any {
		return [][]any{{"cluster", "setslot", s, "node", w.dstID}}
	}); err != nil {
		return moved, err
	}
	if _, err := w.pipe(ctx, sc, slots, "assigning on "+w.src.ID, func(s int) [][]any {
		return [][]any{{"cluster", "setslot", s, "node", w.dstID}}
	}); err != nil {
		return moved, err
	}
	return moved, nil
}
