package engine

import "testing"

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
