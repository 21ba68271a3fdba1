package engine

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func evenOwners(shards int) map[int]int {
	o := map[int]int{}
	for s := 0; s < shards; s++ {
		for slot := s * TotalSlots / shards; slot < (s+1)*TotalSlots/shards; slot++ {
			o[slot] = s
		}
	}
	return o
}

func applyMoves(owners map[int]int, moves []SlotMove) map[int]int {
	out := map[int]int{}
	for k, v := range owners {
		out[k] = v
	}
	for _, m := range moves {
		if out[m.Slot] != m.From {
			panic("a move must start at the slot's owner")
		}
		out[m.Slot] = m.To
	}
	return out
}

func counts(owners map[int]int) map[int]int {
	c := map[int]int{}
	for _, s := range owners {
		c[s]++
	}
	return c
}

func TestPlanSlotMovesScaleOutAndIn(t *testing.T) {
	owners := evenOwners(3)
	out := PlanSlotMoves(owners, 4)
	after := applyMoves(owners, out)
	c := counts(after)
	if len(after) != TotalSlots || c[0] != 4096 || c[1] != 4096 || c[2] != 4096 || c[3] != 4096 {
		t.Fatalf("3 -> 4 shards must end even with every slot owned: %v", c)
	}
	if len(out) != 4096 {
		t.Errorf("only the new shard's share should move, moved %d", len(out))
	}
	back := PlanSlotMoves(after, 3)
	c = counts(applyMoves(after, back))
	if c[3] != 0 || c[0]+c[1]+c[2] != TotalSlots || c[0] < 5461 || c[1] < 5461 || c[2] < 5461 {
		t.Fatalf("4 -> 3 shards must empty shard 4 and even the rest: %v", c)
	}
	for _, m := range back {
		if m.From != 3 {
			t.Errorf("scaling in should only move the removed shard's slots, moved %d from %d", m.Slot, m.From)
			break
		}
	}
	if n := len(PlanSlotMoves(evenOwners(3), 3)); n != 0 {
		t.Errorf("a balanced cluster moves nothing, planned %d", n)
	}
}

func TestGroupSlotMovesBatchesPerPair(t *testing.T) {
	check := func(name string, moves []SlotMove, size, wantPairs int) []SlotPairMoves {
		t.Helper()
		pairs := GroupSlotMoves(moves, size)
		if len(pairs) != wantPairs {
			var names []string
			for _, pm := range pairs {
				names = append(names, fmt.Sprintf("%d->%d", pm.From, pm.To))
			}
			t.Fatalf("%s: %d source/destination pairs, want %d: %v", name, len(pairs), wantPairs, names)
		}
		want := map[int]SlotMove{}
		for _, m := range moves {
			want[m.Slot] = m
		}
		seen := map[int]bool{}
		for i, pm := range pairs {
			if i > 0 && (pairs[i-1].From > pm.From || pairs[i-1].From == pm.From && pairs[i-1].To >= pm.To) {
				t.Errorf("%s: pairs out of order or repeated: %d->%d after %d->%d", name, pm.From, pm.To, pairs[i-1].From, pairs[i-1].To)
			}
			prev := -1
			for _, b := range pm.Batches {
				if len(b) == 0 || len(b) > size {
					t.Errorf("%s: a batch of %d slots, want 1..%d", name, len(b), size)
				}
				for _, s := range b {
					m, ok := want[s]
					if !ok || m.From != pm.From || m.To != pm.To {
						t.Errorf("%s: slot %d in pair %d->%d, planned %+v", name, s, pm.From, pm.To, m)
					}
					if seen[s] {
						t.Errorf("%s: slot %d moved twice", name, s)
					}
					if s <= prev {
						t.Errorf("%s: slot %d after %d: batches must keep slot order", name, s, prev)
					}
					seen[s], prev = true, s
				}
			}
		}
		if len(seen) != len(moves) {
			t.Errorf("%s: %d slots in batches, %d planned", name, len(seen), len(moves))
		}
		return pairs
	}
	out := PlanSlotMoves(evenOwners(3), 4)
	pairs := check("3 -> 4", out, 128, 3)
	for _, pm := range pairs {
		if pm.To != 3 {
			t.Errorf("3 -> 4: pair %d->%d, every slot goes to the new shard", pm.From, pm.To)
		}
	}
	in := PlanSlotMoves(applyMoves(evenOwners(3), out), 3)
	for _, pm := range check("4 -> 3", in, 128, 3) {
		if pm.From != 3 {
			t.Errorf("4 -> 3: pair %d->%d, every slot leaves the removed shard", pm.From, pm.To)
		}
	}
	// 2 -> 5: shard 0 gives to 2 and 3, shard 1 to 3 and 4.
	check("2 -> 5", PlanSlotMoves(evenOwners(2), 5), 100, 4)
	if got := GroupSlotMoves([]SlotMove{{Slot: 9, From: 1, To: 0}, {Slot: 3, From: 1, To: 0}, {Slot: 5, From: 1, To: 0}}, 2); len(got) != 1 ||
		fmt.Sprint(got[0].Batches) != "[[3 5] [9]]" {
		t.Errorf("batches of 2 in slot order: got %+v", got)
	}
	if got := GroupSlotMoves(nil, 128); len(got) != 0 {
		t.Errorf("no moves, no pairs: %+v", got)
	}
}

func TestSlotMoveErrorNamesSlotAndNodes(t *testing.T) {
	for _, tc := range []struct {
		reply string
		want  []string
	}{
		{"BUSYKEY Target key name already exists.", []string{"slot 42", "rg-0001-001", "rg-0004-001", "MIGRATE", "BUSYKEY", "already holds a key"}},
		{"IOERR error or timeout reading to target instance", []string{"slot 42", "rg-0001-001", "rg-0004-001", "IOERR", "could not talk to the destination", "resumes"}},
		{"ERR something else", []string{"slot 42", "ERR something else"}},
	} {
		inner := errors.New(tc.reply)
		err := fmt.Errorf("moving slots: %w", &SlotMoveError{Slot: 42, From: "rg-0001-001", To: "rg-0004-001", Step: "MIGRATE to 127.0.0.1:7003", Err: inner})
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: the error %q does not say %q", tc.reply, err, w)
			}
		}
		var sm *SlotMoveError
		if !errors.As(err, &sm) || sm.Slot != 42 || !errors.Is(err, inner) {
			t.Errorf("%q: the slot move error is not reachable with errors.As/Is: %v", tc.reply, err)
		}
	}
}
