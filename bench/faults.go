package bench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// The fault kinds of the failover section.
const (
	// FaultKill is kill -9 of the primary.
	FaultKill = "kill"
	// FaultPause is SIGSTOP of the primary for FaultHoldFactor x the setup's detection time,
	// then SIGCONT: a node that stalls (swap, a long fork, a frozen VM) and comes back
	// believing it is still the primary.
	FaultPause = "pause"
	// FaultPartition cuts the primary off from its replicas, the sentinels and the other
	// cluster nodes for FaultHoldFactor x the detection time, then heals; the writer stays on
	// the primary's side, so it keeps writing to it as long as the primary takes writes.
	FaultPartition = "partition"
)

// Faults are the fault kinds in the order they run.
var Faults = []string{FaultKill, FaultPause, FaultPartition}

// FaultHoldFactor is how many detection times a pause or partition lasts: long enough that
// every setup fails over during it, so the old primary returns into a shard with a new one.
const FaultHoldFactor = 2

// faultHold is how long a fault lasts before it is undone (0: a kill is not undone by the
// benchmark; the node is started again between repetitions): FaultHoldFactor x detect, plus
// extra (Config.FaultHoldExtra: a smoke run divides detection times, not the seconds that
// Sentinel's once-a-second exchanges, its election and the promotion take, about 3-4 s
// with down-after 0.5 s, so its pauses get that back to fail over at all).
func faultHold(fault string, detect, extra time.Duration) time.Duration {
	if fault == FaultKill {
		return 0
	}
	return FaultHoldFactor*detect + extra
}

// faultSchedule is what a fault does and for how long, as results.json and the report show it.
func faultSchedule(fault string, detect, extra time.Duration) string {
	hold := faultHold(fault, detect, extra)
	why := fmt.Sprintf("%d x detection %s", FaultHoldFactor, secs(detect))
	if extra > 0 {
		why += " + " + secs(extra)
	}
	switch fault {
	case FaultKill:
		return "SIGKILL of the primary"
	case FaultPause:
		return fmt.Sprintf("SIGSTOP of the primary for %s (%s), then SIGCONT", secs(hold), why)
	case FaultPartition:
		return fmt.Sprintf("primary cut off from replicas, sentinels and other nodes for %s (%s), then healed; the writer stays on its side", secs(hold), why)
	}
	return "unknown fault " + fault
}

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s" }

// ParseFaults checks a -faults value (comma-separated; empty: all).
func ParseFaults(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return Faults, nil
	}
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		ok := false
		for _, k := range Faults {
			ok = ok || k == f
		}
		if !ok {
			return nil, fmt.Errorf("unknown fault %q (one of %s)", f, strings.Join(Faults, ", "))
		}
		out = append(out, f)
	}
	return out, nil
}

// ---- the writer's side of a partition

// The partition is made on the loopback interface, where every process of a setup listens
// on 127.0.0.1: the writer connects from writerIP, so its packets can be told from the
// nodes' own; the faulted primary's new outbound connections (cluster bus links it dials
// again, a replication link) leave from isolatedIP (bind-source-addr), so they can be told
// from everybody else's. Linux routes all of 127.0.0.0/8 to lo.
var (
	writerIP   = net.IPv4(127, 0, 0, 2)
	isolatedIP = net.IPv4(127, 0, 0, 3)
)

// writerDialer dials from writerIP (to loopback addresses; others as usual), with TLS when
// tlsConf is set, as go-redis' own dialer would.
func writerDialer(tlsConf *tls.Config) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{Timeout: 500 * time.Millisecond, KeepAlive: 5 * time.Minute}
		if host, _, err := net.SplitHostPort(addr); err == nil {
			if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() && ip.To4() != nil {
				d.LocalAddr = &net.TCPAddr{IP: writerIP}
			}
		}
		c, err := d.DialContext(ctx, network, addr)
		if err != nil || tlsConf == nil {
			return c, err
		}
		return tls.Client(c, tlsConf), nil
	}
}

// ---- processes by port

// pidListening is the process that listens on 127.0.0.1:port (or any address).
func pidListening(port int) (int, error) {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		socks, err := readTCP(f)
		if err != nil && f == "/proc/net/tcp" {
			return 0, fmt.Errorf("finding the process on port %d: %w", port, err)
		}
		for _, s := range socks {
			if s.state == tcpListen && s.localPort == port {
				inodes[s.inode] = true
			}
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("finding the process on port %d: nothing listens there", port)
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("finding the process on port %d: %w", port, err)
	}
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		for ino := range socketInodes(pid) {
			if inodes[ino] {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("finding the process on port %d: no process holds its socket", port)
}

// socketInodes are the inodes of the sockets pid has open.
func socketInodes(pid int) map[string]bool {
	out := map[string]bool{}
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	fds, err := os.ReadDir(dir)
	if err != nil {
		return out
	}
	for _, fd := range fds {
		l, err := os.Readlink(filepath.Join(dir, fd.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			out[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	return out
}

const (
	tcpEstablished = "01"
	tcpSynSent     = "02"
	tcpListen      = "0A"
)

type tcpSock struct {
	localPort, remotePort int
	state, inode          string
}

// readTCP parses /proc/net/tcp: "sl local_address rem_address st ... inode" with addresses
// as hex IP:port.
func readTCP(path string) ([]tcpSock, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseTCP(string(b)), nil
}

func parseTCP(s string) []tcpSock {
	var out []tcpSock
	for i, l := range strings.Split(s, "\n") {
		f := strings.Fields(l)
		if i == 0 || len(f) < 10 {
			continue
		}
		port := func(a string) int {
			_, p, _ := strings.Cut(a, ":")
			v, _ := strconv.ParseInt(p, 16, 32)
			return int(v)
		}
		out = append(out, tcpSock{localPort: port(f[1]), remotePort: port(f[2]), state: f[3], inode: f[9]})
	}
	return out
}

// conn is one TCP connection by its ports (every address is a loopback one here).
type conn struct{ local, remote int }

// outboundConns are the connections pid dialed (established or being dialed, not on one of
// its listening ports).
func outboundConns(pid int, listening []int) []conn {
	mine := socketInodes(pid)
	socks, _ := readTCP(filepath.Join("/proc", strconv.Itoa(pid), "net", "tcp"))
	var out []conn
	for _, s := range socks {
		if !mine[s.inode] || (s.state != tcpEstablished && s.state != tcpSynSent) {
			continue
		}
		isListen := false
		for _, p := range listening {
			isListen = isListen || s.localPort == p
		}
		if !isListen {
			out = append(out, conn{s.localPort, s.remotePort})
		}
	}
	return out
}

// ---- pause

// pause stops pid (SIGSTOP); the returned function continues it (SIGCONT), once.
func pause(pid int) (func() error, error) {
	if pid <= 0 {
		return nil, errors.New("pausing the primary: no process")
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return nil, fmt.Errorf("pausing the primary (SIGSTOP %d): %w", pid, err)
	}
	done := false
	return func() error {
		if done {
			return nil
		}
		done = true
		if err := syscall.Kill(pid, syscall.SIGCONT); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("continuing the primary (SIGCONT %d): %w", pid, err)
		}
		return nil
	}, nil
}

// ---- partition

// partitionRules are the iptables rules (of one chain, jumped to from INPUT on lo) that cut
// a node listening on ports off from every other process on 127.0.0.1 but the writer:
// packets to or from its ports (inbound connections: replicas, sentinels, other nodes' bus
// links, the controller), to or from isolatedIP (what it dials from now on) and to or from
// the connections it had dialed before (its cluster bus links, matched by both ports so that
// no other process's connection is touched) are dropped, silently, as a cut network drops
// them. The writer's packets are let through first.
func partitionRules(chain string, ports []int, outbound []conn) [][]string {
	rules := [][]string{
		{"-A", chain, "-s", writerIP.String(), "-j", "RETURN"},
		{"-A", chain, "-d", writerIP.String(), "-j", "RETURN"},
		{"-A", chain, "-s", isolatedIP.String(), "-j", "DROP"},
		{"-A", chain, "-d", isolatedIP.String(), "-j", "DROP"},
	}
	for _, p := range ports {
		for _, dir := range []string{"--sport", "--dport"} {
			rules = append(rules, []string{"-A", chain, "-p", "tcp", dir, strconv.Itoa(p), "-j", "DROP"})
		}
	}
	for _, c := range outbound {
		l, r := strconv.Itoa(c.local), strconv.Itoa(c.remote)
		rules = append(rules,
			[]string{"-A", chain, "-p", "tcp", "--sport", l, "--dport", r, "-j", "DROP"},
			[]string{"-A", chain, "-p", "tcp", "--sport", r, "--dport", l, "-j", "DROP"})
	}
	return rules
}

func iptables(ctx context.Context, args ...string) error {
	_, err := runCmdAs(ctx, 30*time.Second, "iptables", append([]string{"-w"}, args...)...)
	return err
}

// partitionNode cuts n off (see partitionRules) and returns the function that heals it. n's
// admin client sets bind-source-addr first, so that no connection it dials afterwards escapes
// the rules.
func partitionNode(ctx context.Context, n *foNode) (func() error, error) {
	if n.pid <= 0 {
		return nil, errors.New("partitioning the primary: no process")
	}
	admin := n.admin()
	defer admin.Close()
	if err := admin.ConfigSet(ctx, "bind-source-addr", isolatedIP.String()).Err(); err != nil {
		return nil, fmt.Errorf("partitioning the primary %s: CONFIG SET bind-source-addr: %w", n.addr, err)
	}
	chain := fmt.Sprintf("RKBENCH-%d", n.ports[0])
	_ = iptables(ctx, "-D", "INPUT", "-i", "lo", "-j", chain) // left over by a killed run
	_ = iptables(ctx, "-F", chain)
	_ = iptables(ctx, "-X", chain)
	heal := func() error {
		hctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := errors.Join(iptables(hctx, "-D", "INPUT", "-i", "lo", "-j", chain), iptables(hctx, "-F", chain), iptables(hctx, "-X", chain))
		if err != nil {
			return fmt.Errorf("healing the partition of %s: %w", n.addr, err)
		}
		// Back to dialing from 127.0.0.1 (best effort: the node may be gone).
		a := n.admin()
		a.ConfigSet(hctx, "bind-source-addr", "")
		a.Close()
		return nil
	}
	if err := iptables(ctx, "-N", chain); err != nil {
		return nil, fmt.Errorf("partitioning the primary %s: %w", n.addr, err)
	}
	for _, r := range partitionRules(chain, n.ports, outboundConns(n.pid, n.ports)) {
		if err := iptables(ctx, r...); err != nil {
			return nil, errors.Join(fmt.Errorf("partitioning the primary %s: %w", n.addr, err), heal())
		}
	}
	if err := iptables(ctx, "-I", "INPUT", "1", "-i", "lo", "-j", chain); err != nil {
		return nil, errors.Join(fmt.Errorf("partitioning the primary %s: %w", n.addr, err), heal())
	}
	once := false
	return func() error {
		if once {
			return nil
		}
		once = true
		return heal()
	}, nil
}

// foNode is the node a fault hits.
type foNode struct {
	addr  string
	ports []int // client port, then the cluster bus port if any
	pid   int
	// admin connects as the deployment's administrator (CONFIG SET).
	admin func() *redis.Client
	// kill kill -9s it; restart starts it again after a kill.
	kill    func() error
	restart func(ctx context.Context) error
	// pause and partition apply those faults and return what undoes them (see withFaults).
	pause     func() (func() error, error)
	partition func(ctx context.Context) (func() error, error)
}

// withFaults gives n the real pause (signals to its process) and partition (iptables).
func withFaults(n *foNode) *foNode {
	n.pause = func() (func() error, error) { return pause(n.pid) }
	n.partition = func(ctx context.Context) (func() error, error) { return partitionNode(ctx, n) }
	return n
}
