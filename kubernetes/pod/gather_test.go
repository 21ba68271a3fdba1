package pod

import (
	"bufio"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rediskit/rediskit/engine"
)

// What a pod reads from its configuration is what the engine rendered: ports (the TLS one
// when there is one), bus port, directory, CA file and persistence.
func TestPodStartParseConf(t *testing.T) {
	d := engine.Deployment{Name: "rk", Mode: engine.ModeCluster, Shards: 1, ReplicasPerShard: 1, Engine: "valkey", EngineVersion: "8.0",
		Auth: engine.Auth{AppToken: "app-token-0123456789abcdef", AdminPassword: "admin-0123456789"}, BasePort: 7460, DataDir: "/data",
		Persistence: engine.Persistence{AOF: true},
		TLS:         engine.TLS{Enabled: true, CertFile: "/tls/tls.crt", KeyFile: "/tls/tls.key", CAFile: "/tls/ca.crt"}}
	p, err := engine.PlanFor(d)
	if err != nil {
		t.Fatal(err)
	}
	n := p.Nodes[1]
	text, _ := p.RedisConf(n.ID)
	c, err := ParseConf(text)
	if err != nil {
		t.Fatal(err)
	}
	want := Conf{Cluster: true, Dir: n.Dir, Port: n.TLSPort, BusPort: n.BusPort, TLS: true, CAFile: "/tls/ca.crt", Persistent: true}
	if c != want {
		t.Fatalf("parsed %+v, want %+v", c, want)
	}
	d.Persistence, d.TLS, d.Mode, d.Shards = engine.Persistence{}, engine.TLS{}, engine.ModeReplication, 0
	if p, err = engine.PlanFor(d); err != nil {
		t.Fatal(err)
	}
	text, _ = p.RedisConf(p.Nodes[0].ID)
	if c, err = ParseConf(text); err != nil || c.Persistent || c.Cluster || c.TLS || c.Port != p.Nodes[0].PlainPort {
		t.Fatalf("replication without persistence parsed as %+v (%v)", c, err)
	}
	for text, word := range map[string]string{"port 7450\n": "dir", "dir /d\nport x\n": "port", "dir /d\nport 0\n": "listens nowhere",
		"dir /d\nport 1\ncluster-enabled yes\n": "cluster-port"} {
		if _, err := ParseConf(text); err == nil || !strings.Contains(err.Error(), word) {
			t.Errorf("ParseConf(%q) = %v, want an error about %s", text, err, word)
		}
	}
}

// The volume's facts: a nodes.conf that knows only its own node is a node never joined (new),
// data is an RDB or an AOF, and a volume another node marked is never started as this one.
func TestPodStartReadVolume(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	read := func() Volume {
		v, err := readVolume(dir, "rk-0001-001")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := read(); v != (Volume{}) {
		t.Fatalf("empty directory read as %+v", v)
	}
	alone := "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:7450@17450 myself,master - 0 0 0 connected\nvars currentEpoch 0 lastVoteEpoch 0\n"
	write(engine.NodesConfFile, alone)
	if v := read(); v.NodesConf {
		t.Fatal("a nodes.conf with only its own node, no slots, counts as being in a cluster")
	}
	write(engine.NodesConfFile, strings.Replace(alone, "connected\n", "connected 0-16383\n", 1))
	if v := read(); !v.NodesConf {
		t.Fatal("a node serving slots is not seen in a cluster")
	}
	write(engine.NodesConfFile, alone+"a7d1eecce10fd6bb5eb35b9f99a514335d9ba9cb 127.0.0.1:7451@17451 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 0 1 connected\n")
	if v := read(); !v.NodesConf || v.Data {
		t.Fatalf("a node that knows a peer read as %+v", v)
	}
	write(engine.RDBFile, "REDIS0011")
	write(StartedFile, `{"node": "rk-0001-001"}`)
	if v := read(); !v.Data || !v.Started {
		t.Fatalf("RDB and mark not seen: %+v", v)
	}
	write(StartedFile, `{"node": "rk-0002-001"}`)
	if _, err := readVolume(dir, "rk-0001-001"); err == nil || !strings.Contains(err.Error(), "rk-0002-001") {
		t.Fatalf("another node's volume: %v", err)
	}
}

// A peer whose name accepts no connection is away (its pod is down, or in its own pod-start);
// one that answers with an error (here LOADING, as a node loading its dataset does) is there
// and may hold the data: Unknown, around which nothing is decided.
func TestPodStartAskPeers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:7498")
	if err != nil {
		t.Skipf("port 7498: %v", err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					if _, err := r.ReadString('\n'); err != nil {
						return
					}
					if _, err := c.Write([]byte("-LOADING Valkey is loading the dataset in memory\r\n")); err != nil {
						return
					}
				}
			}()
		}
	}()
	s := &Start{password: "x"}
	loading := s.ask(context.Background(), peerConf{node: Node{ID: "rk-0001-002", Host: "127.0.0.1"}, conf: Conf{Port: 7498}})
	if loading.State != Unknown || !strings.Contains(loading.Err, "LOADING") {
		t.Fatalf("a loading peer: %+v", loading)
	}
	away := s.ask(context.Background(), peerConf{node: Node{ID: "rk-0001-003", Host: "127.0.0.1"}, conf: Conf{Port: 7499}})
	if away.State != Unreachable {
		t.Fatalf("a peer nothing listens for: %+v", away)
	}
	gone := s.ask(context.Background(), peerConf{node: Node{ID: "rk-0001-004", Host: "no-such-pod.invalid"}, conf: Conf{Port: 7499}})
	if gone.State != Unreachable {
		t.Fatalf("a peer whose name does not resolve: %+v", gone)
	}
}
