package bench

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestFaultSchedule(t *testing.T) {
	for _, c := range []struct {
		fault         string
		detect, extra time.Duration
		hold          time.Duration
		want          string
	}{
		{FaultKill, 5 * time.Second, 0, 0, "SIGKILL of the primary"},
		{FaultPause, 5 * time.Second, 0, 10 * time.Second, "SIGSTOP of the primary for 10 s (2 x detection 5 s), then SIGCONT"},
		{FaultPause, 30 * time.Second, 0, time.Minute, "SIGSTOP of the primary for 60 s (2 x detection 30 s), then SIGCONT"},
		{FaultPartition, 15 * time.Second, 0, 30 * time.Second, "primary cut off from replicas, sentinels and other nodes for 30 s (2 x detection 15 s), then healed; the writer stays on its side"},
		// A smoke run: detection divided by 10, 3 s added back.
		{FaultPause, 500 * time.Millisecond, 3 * time.Second, 4 * time.Second, "SIGSTOP of the primary for 4 s (2 x detection 0.5 s + 3 s), then SIGCONT"},
		{FaultPartition, 1500 * time.Millisecond, 3 * time.Second, 6 * time.Second, "primary cut off from replicas, sentinels and other nodes for 6 s (2 x detection 1.5 s + 3 s), then healed; the writer stays on its side"},
	} {
		if got := faultHold(c.fault, c.detect, c.extra); got != c.hold {
			t.Errorf("faultHold(%s, %s, %s) = %s, want %s", c.fault, c.detect, c.extra, got, c.hold)
		}
		if got := faultSchedule(c.fault, c.detect, c.extra); got != c.want {
			t.Errorf("faultSchedule(%s, %s, %s)\n got %q\nwant %q", c.fault, c.detect, c.extra, got, c.want)
		}
	}
}

func TestParseFaultsAndSetups(t *testing.T) {
	if f, err := ParseFaults(""); err != nil || !reflect.DeepEqual(f, Faults) {
		t.Errorf("ParseFaults(\"\") = %v, %v; want all", f, err)
	}
	if f, err := ParseFaults("pause, partition"); err != nil || !reflect.DeepEqual(f, []string{FaultPause, FaultPartition}) {
		t.Errorf("ParseFaults = %v, %v", f, err)
	}
	if _, err := ParseFaults("kill,stop"); err == nil || !strings.Contains(err.Error(), `"stop"`) {
		t.Errorf("ParseFaults(kill,stop) error = %v", err)
	}
	if s, err := ParseSetups("autoRecover,redis-defaults"); err != nil || !reflect.DeepEqual(s, []string{SetupAutoRecover, SetupReference}) {
		t.Errorf("ParseSetups = %v, %v", s, err)
	}
	if _, err := ParseSetups("rediskit,bare"); err == nil {
		t.Error("ParseSetups accepted bare")
	}
	if got := failoverFlags(Config{Faults: []string{FaultPause}, Setups: []string{SetupAutoRecover}}); got != " -faults pause -setups autoRecover" {
		t.Errorf("failoverFlags = %q", got)
	}
	if got := failoverFlags(Config{Faults: Faults, Setups: FailoverSetups}); got != "" {
		t.Errorf("failoverFlags of everything = %q, want none", got)
	}
}

func TestPartitionRules(t *testing.T) {
	got := partitionRules("RKBENCH-9001", []int{9001, 9201}, []conn{{41000, 9202}})
	want := [][]string{
		{"-A", "RKBENCH-9001", "-s", "127.0.0.2", "-j", "RETURN"},
		{"-A", "RKBENCH-9001", "-d", "127.0.0.2", "-j", "RETURN"},
		{"-A", "RKBENCH-9001", "-s", "127.0.0.3", "-j", "DROP"},
		{"-A", "RKBENCH-9001", "-d", "127.0.0.3", "-j", "DROP"},
		{"-A", "RKBENCH-9001", "-p", "tcp", "--sport", "9001", "-j", "DROP"},
		{"-A", "RKBENCH-9001", "-p", "tcp", "--dport", "9001", "-j", "DROP"},
		{"-A", "RKBENCH-9001", "-p", "tcp", "--sport", "9201", "-j", "DROP"},
		{"-A", "RKBENCH-9001", "-p", "tcp", "--dport", "9201", "-j", "DROP"},
		{"-A", "RKBENCH-9001", "-p", "tcp", "--sport", "41000", "--dport", "9202", "-j", "DROP"},
		{"-A", "RKBENCH-9001", "-p", "tcp", "--sport", "9202", "--dport", "41000", "-j", "DROP"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("partitionRules\n got %v\nwant %v", got, want)
	}
}

func TestParseTCP(t *testing.T) {
	// /proc/net/tcp: a listener on 9001 (0x2329), a connection from 41000 (0xA028) to 9201
	// (0x23F1), and a short line.
	in := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:2329 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0
   1: 0300007F:A028 0100007F:23F1 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 20 4 30 10 -1
   2: short
`
	got := parseTCP(in)
	want := []tcpSock{{localPort: 9001, remotePort: 0, state: tcpListen, inode: "111"}, {localPort: 41000, remotePort: 9201, state: tcpEstablished, inode: "222"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseTCP\n got %+v\nwant %+v", got, want)
	}
}

func TestClientInfoAndPorts(t *testing.T) {
	info := "id=4 addr=127.0.0.2:42384 laddr=127.0.0.1:9501 fd=9 name= age=0"
	if got := clientInfoField(info, "laddr"); got != "127.0.0.1:9501" {
		t.Errorf("laddr = %q", got)
	}
	if got := clientInfoField(info, "name"); got != "" {
		t.Errorf("empty name = %q", got)
	}
	if !samePort("127.0.0.1:9501", "localhost:9501") || samePort("127.0.0.1:9501", "127.0.0.1:9502") || samePort("", "127.0.0.1:9501") {
		t.Error("samePort")
	}
}

func TestEngineVersions(t *testing.T) {
	for in, want := range map[string]string{
		"Valkey server v=8.0.1 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=39f7c371e0a96e3d": "valkey 8.0.1",
		"Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ae4d7c971a948f0":  "redis 7.0.15",
	} {
		if got, err := VersionFromBinary(in); err != nil || got != want {
			t.Errorf("VersionFromBinary(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := VersionFromBinary("valkey-server: command not found"); err == nil {
		t.Error("VersionFromBinary without a version")
	}
	// Valkey keeps redis_version for clients; its own version is the one that counts.
	if got, _ := VersionFromInfo(map[string]string{"redis_version": "7.2.4", "valkey_version": "8.0.1", "server_name": "valkey"}); got != "valkey 8.0.1" {
		t.Errorf("valkey INFO = %q", got)
	}
	if got, _ := VersionFromInfo(map[string]string{"redis_version": "7.0.15"}); got != "redis 7.0.15" {
		t.Errorf("redis INFO = %q", got)
	}
	if _, err := VersionFromInfo(map[string]string{}); err == nil {
		t.Error("VersionFromInfo of nothing")
	}
	if Valkey.program("redis-server") != "valkey-server" || Valkey.program("redis-cli") != "valkey-cli" ||
		Valkey.program("redis-benchmark") != "redis-benchmark" || Redis.program("redis-sentinel") != "redis-sentinel" {
		t.Error("program mapping")
	}
	if e, err := ParseEngine(""); err != nil || e != Valkey {
		t.Errorf("default engine = %q, %v", e, err)
	}
	if _, err := ParseEngine("keydb"); err == nil {
		t.Error("ParseEngine(keydb)")
	}
}

// TestFailoverRatios: every setup of ours is compared with the reference of its own mode and
// fault, named, whatever the order of the cases (the report once took the last other case of
// the mode for the reference, which with three setups could be autoRecover).
func TestFailoverRatios(t *testing.T) {
	c := func(mode, setup, fault string, median float64) FailoverCase {
		fc := FailoverCase{Mode: mode, Setup: setup, Fault: fault}
		if median > 0 {
			fc.Time = Summary{N: 1, Median: median}
		}
		return fc
	}
	f := &FailoverResult{Cases: []FailoverCase{
		c("replication", SetupReference, FaultKill, 10),
		c("replication", SetupOurs, FaultKill, 5),
		c("replication", SetupAutoRecover, FaultKill, 2),
		c("replication", SetupOurs, FaultPause, 4),
		c("replication", SetupReference, FaultPause, 40),
		c("cluster", SetupOurs, "", 3), // from before faults were recorded: a kill
		c("cluster", SetupReference, FaultKill, 6),
		c("cluster", SetupAutoRecover, FaultKill, 0), // never succeeded: no ratio
		c("cluster", SetupOurs, FaultPartition, 1),   // no reference under this fault
	}}
	got := failoverRatios(f)
	want := []failoverRatio{
		{"replication", FaultKill, SetupOurs, SetupReference, 0.5},
		{"replication", FaultKill, SetupAutoRecover, SetupReference, 0.2},
		{"replication", FaultPause, SetupOurs, SetupReference, 0.1},
		{"cluster", FaultKill, SetupOurs, SetupReference, 0.5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("failoverRatios\n got %+v\nwant %+v", got, want)
	}
}

// TestLocalStackEngine: deploy.Up rows run what the local stack names, whatever -engine says.
func TestLocalStackEngine(t *testing.T) {
	if got := localStackEngine(".."); got != Valkey {
		t.Errorf("the repository's local stack runs %q, want valkey", got)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "stacks"), 0o755); err != nil {
		t.Fatal(err)
	}
	yaml := "config:\n  rediskit:cache:\n    engine: \"redis\"\n    engineVersion: \"7.0\"\n"
	if err := os.WriteFile(filepath.Join(dir, "stacks", "Pulumi.local.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := localStackEngine(dir); got != Redis {
		t.Errorf("a local stack of Redis reads as %q", got)
	}
}
