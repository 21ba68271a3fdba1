package engine

import "testing"

// The start guard's decision, without processes: a peer that leads is followed; without one,
// the replica with the most of the stream takes over first; with no peer, nothing happens.
func TestGuardShard(t *testing.T) {
	cases := []struct {
		name  string
		peers []ShardPeer
		want  ShardGuard
	}{
		{"no peer answers: the node is all the shard has", nil, ShardGuard{}},
		{"a peer leads: follow it", []ShardPeer{{ID: "r1", Offset: 900}, {ID: "p", Leads: true}}, ShardGuard{Leader: "p"}},
		{"no leader: the most advanced replica takes over", []ShardPeer{{ID: "r1", Offset: 10}, {ID: "r2", Offset: 30}, {ID: "r3", Offset: 20}}, ShardGuard{Promote: "r2"}},
		{"a tie goes to the first listed", []ShardPeer{{ID: "r1", Offset: 5}, {ID: "r2", Offset: 5}}, ShardGuard{Promote: "r1"}},
		{"a replica that has nothing yet still beats none", []ShardPeer{{ID: "r1"}}, ShardGuard{Promote: "r1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := GuardShard(c.peers); got != c.want {
				t.Fatalf("GuardShard(%+v) = %+v, want %+v", c.peers, got, c.want)
			}
		})
	}
}
