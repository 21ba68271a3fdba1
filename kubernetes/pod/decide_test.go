package pod

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Every start a pod can face, decided without a process: the start guard's cases in both
// modes, and what is safe when peers do not answer.
func TestPodStartDecide(t *testing.T) {
	me := Node{ID: "rk-0001-001", ShardID: "0001", Pod: "rk-0001-0"}
	peer := func(id string, s PeerState) Peer { return Peer{Node: Node{ID: id, ShardID: "0001"}, State: s} }
	primary := func(id string, slots, replicas int, keys int64) Peer {
		p := peer(id, Answered)
		p.Role, p.Slots, p.Replicas, p.Keys = "master", slots, replicas, keys
		return p
	}
	replica := func(id string, off int64) Peer {
		p := peer(id, Answered)
		p.Role, p.Offset = "slave", off
		return p
	}
	unknown := peer("rk-0001-002", Unknown)
	unknown.Err = "LOADING Valkey is loading the dataset in memory"
	clusterConf := Conf{Cluster: true, Dir: "/data/rk-0001-001", Persistent: true}
	replConf := Conf{Dir: "/data/rk-0001-001", Persistent: true}
	ephemeral := func(c Conf) Conf { c.Persistent = false; return c }
	returning := Volume{Started: true, NodesConf: true, Data: true}
	emptied := Volume{Started: true, NodesConf: true}
	fresh := Volume{}

	type want struct {
		replicaOf     string
		before, after []Step
		refuse        string // a word of the refusal's reason; "" for a plan
		retry         bool
	}
	cases := []struct {
		name  string
		conf  Conf
		vol   Volume
		peers []Peer
		want  want
	}{
		// Cluster mode.
		{"cluster: fresh bootstrap, no peer up yet", clusterConf, fresh,
			[]Peer{peer("rk-0001-002", Unreachable)}, want{}},
		{"cluster: fresh bootstrap, peers up but not yet a cluster (no slots)", clusterConf, fresh,
			[]Peer{primary("rk-0001-002", 0, 0, 0)}, want{}},
		{"cluster: restart with data, shard down as a whole", clusterConf, returning,
			[]Peer{peer("rk-0001-002", Unreachable)}, want{}},
		{"cluster: restart with data, its replica was promoted: returns as a replica by itself", clusterConf, returning,
			[]Peer{primary("rk-0001-002", 16384, 0, 100)}, want{}},
		{"cluster: old primary with data returns before any failover: the replica takes over first", clusterConf, returning,
			[]Peer{replica("rk-0001-002", 500)}, want{before: []Step{{Kind: Promote, Peer: "rk-0001-002"}}}},
		{"cluster: emptied primary, its replica holds the data: the replica takes over first", clusterConf, emptied,
			[]Peer{replica("rk-0001-002", 500)}, want{before: []Step{{Kind: Promote, Peer: "rk-0001-002"}}}},
		{"cluster: emptied primary, the replica furthest along takes over", clusterConf, emptied,
			[]Peer{replica("rk-0001-002", 500), replica("rk-0001-003", 900), peer("rk-0001-004", Unreachable)},
			want{before: []Step{{Kind: Promote, Peer: "rk-0001-003"}}}},
		{"cluster: emptied node, a peer leads: returns as a replica by itself", clusterConf, emptied,
			[]Peer{primary("rk-0001-002", 5461, 1, 10), replica("rk-0001-003", 9)}, want{}},
		{"cluster: volume lost, a peer leads: joins it as a replica", clusterConf, fresh,
			[]Peer{primary("rk-0001-002", 5461, 0, 10)}, want{after: []Step{{Kind: Join, Target: "rk-0001-002"}}}},
		{"cluster: volume lost, only a replica answers: it takes over, then the node joins it", clusterConf, fresh,
			[]Peer{replica("rk-0001-002", 7)}, want{before: []Step{{Kind: Promote, Peer: "rk-0001-002"}}, after: []Step{{Kind: Join, Target: "rk-0001-002"}}}},
		{"cluster: data without nodes.conf while the shard runs: refused for good", clusterConf, Volume{Started: true, Data: true},
			[]Peer{primary("rk-0001-002", 5461, 0, 10)}, want{refuse: "cluster identity is lost"}},
		{"cluster: emptied, persistent, no peer answers: waits", clusterConf, emptied,
			[]Peer{peer("rk-0001-002", Unreachable)}, want{refuse: "waiting for them", retry: true}},
		{"cluster: emptied, no persistence, no peer answers: nothing to lose", ephemeral(clusterConf), emptied,
			[]Peer{peer("rk-0001-002", Unreachable)}, want{}},
		{"cluster: a peer loading and none leading: waits", clusterConf, returning,
			[]Peer{unknown}, want{refuse: "may hold the shard's data", retry: true}},
		{"cluster: a peer loading but another leads: follows", clusterConf, emptied,
			[]Peer{unknown, primary("rk-0001-003", 100, 0, 1)}, want{}},
		{"cluster: two peers claim the shard: waits", clusterConf, returning,
			[]Peer{primary("rk-0001-002", 100, 0, 1), primary("rk-0001-003", 100, 0, 1)}, want{refuse: "all lead shard", retry: true}},

		// Replication mode.
		{"replication: fresh bootstrap, peers not up", replConf, fresh,
			[]Peer{peer("rk-0001-002", Unreachable)}, want{}},
		{"replication: fresh bootstrap, peers up empty and alone lead nothing", replConf, fresh,
			[]Peer{primary("rk-0001-002", 0, 0, 0)}, want{}},
		{"replication: old primary returns after a failover: starts as a replica", replConf, returning,
			[]Peer{primary("rk-0001-002", 0, 1, 100), replica("rk-0001-003", 50)}, want{replicaOf: "rk-0001-002"}},
		{"replication: primary with data alone, no replicas: still leads", replConf, emptied,
			[]Peer{primary("rk-0001-002", 0, 0, 3)}, want{replicaOf: "rk-0001-002"}},
		{"replication: emptied old primary, no failover yet: best replica promoted, the others follow it", replConf, emptied,
			[]Peer{replica("rk-0001-002", 100), replica("rk-0001-003", 300)},
			want{replicaOf: "rk-0001-003", before: []Step{{Kind: Promote, Peer: "rk-0001-003"}, {Kind: Follow, Peer: "rk-0001-002", Target: "rk-0001-003"}}}},
		{"replication: restart with data, group down as a whole", replConf, returning,
			[]Peer{peer("rk-0001-002", Unreachable)}, want{}},
		{"replication: emptied, persistent, no peer answers: waits", replConf, emptied,
			[]Peer{peer("rk-0001-002", Unreachable), primary("rk-0001-003", 0, 0, 0)}, want{refuse: "waiting for them", retry: true}},
		{"replication: emptied, no persistence, no peer answers: nothing to lose", ephemeral(replConf), emptied,
			[]Peer{peer("rk-0001-002", Unreachable)}, want{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan, err := Decide(Facts{Server: "valkey-server", Node: me, Conf: c.conf, Volume: c.vol, Peers: c.peers})
			if c.want.refuse != "" {
				var r *Refusal
				if !errors.As(err, &r) {
					t.Fatalf("want a refusal (%q), got plan %+v, err %v", c.want.refuse, plan, err)
				}
				if !strings.Contains(r.Reason, c.want.refuse) || r.Retry != c.want.retry || !strings.Contains(r.Reason, me.ID) {
					t.Fatalf("refusal %q retry %v; want it to name %s and say %q, retry %v", r.Reason, r.Retry, me.ID, c.want.refuse, c.want.retry)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !reflect.DeepEqual(plan.Argv, []string{"valkey-server", "/data/rk-0001-001/redis.conf"}) {
				t.Errorf("argv %q", plan.Argv)
			}
			if plan.ReplicaOf != c.want.replicaOf || !reflect.DeepEqual(plan.Before, c.want.before) || !reflect.DeepEqual(plan.After, c.want.after) {
				t.Fatalf("plan: replicaof %q, before %v, after %v; want replicaof %q, before %v, after %v (%s)",
					plan.ReplicaOf, plan.Before, plan.After, c.want.replicaOf, c.want.before, c.want.after, plan.Reason)
			}
			if plan.Reason == "" {
				t.Fatal("a plan without a reason")
			}
		})
	}
}
