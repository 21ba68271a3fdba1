package engine

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// sentinelState is what Sentinel writes into its own configuration file: its identity,
// the epochs, the primary it monitors and the replicas and peers it learned. The engine
// keeps it across starts and re-renders everything else (ports, announced address, TLS,
// users) from the plan, so a sentinel whose address changed starts at its new one.
type sentinelState struct {
	myID         string
	currentEpoch int64
	configEpoch  int64
	leaderEpoch  int64
	primary      string   // host:port of the monitored primary
	replicas     []string // host:port
	peers        []sentinelPeer
}

type sentinelPeer struct{ addr, runID string }

// readSentinelState reads a sentinel's configuration file; ok is false when it does not
// exist (a sentinel that never ran).
func (e replicationGroup) readSentinelState(ctx context.Context, s *Sentinel, name string) (st sentinelState, ok bool, err error) {
	b, ok, err := readIfExists(ctx, e.files(), s.Home(), SentinelConfFile)
	if !ok || err != nil {
		return st, false, err
	}
	st, err = parseSentinelState(b, name)
	return st, true, err
}

// parseSentinelState parses the text of a sentinel's configuration file.
func parseSentinelState(b []byte, name string) (st sentinelState, err error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 2 || fs[0] != "sentinel" {
			continue
		}
		switch {
		case fs[1] == "myid" && len(fs) == 3:
			st.myID = fs[2]
		case fs[1] == "current-epoch" && len(fs) == 3:
			st.currentEpoch, _ = strconv.ParseInt(fs[2], 10, 64)
		case len(fs) < 3 || fs[2] != name:
		case fs[1] == "config-epoch" && len(fs) == 4:
			st.configEpoch, _ = strconv.ParseInt(fs[3], 10, 64)
		case fs[1] == "leader-epoch" && len(fs) == 4:
			st.leaderEpoch, _ = strconv.ParseInt(fs[3], 10, 64)
		case fs[1] == "monitor" && len(fs) >= 5:
			st.primary = net.JoinHostPort(fs[3], fs[4])
		case (fs[1] == "known-replica" || fs[1] == "known-slave") && len(fs) == 5:
			st.replicas = append(st.replicas, net.JoinHostPort(fs[3], fs[4]))
		case fs[1] == "known-sentinel" && len(fs) == 6:
			st.peers = append(st.peers, sentinelPeer{addr: net.JoinHostPort(fs[3], fs[4]), runID: fs[5]})
		}
	}
	return st, sc.Err()
}

// lastNodeAddr is the address a node announced when it last ran, from the configuration
// the engine rendered for that start ("" if it never ran).
func (e replicationGroup) lastNodeAddr(ctx context.Context, n *Node) string {
	b, ok, _ := readIfExists(ctx, e.files(), n.Home(), RedisConfFile)
	if !ok {
		return ""
	}
	return announcedAddr(b)
}

// announcedAddr is the address a rendered (or redis-rewritten) redis.conf announces.
func announcedAddr(b []byte) string {
	var host, port string
	for _, line := range strings.Split(string(b), "\n") {
		fs := strings.Fields(line)
		if len(fs) != 2 {
			continue
		}
		// Redis quotes strings when it rewrites the file (CONFIG REWRITE after a failover).
		v := fs[1]
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		}
		switch fs[0] {
		case "replica-announce-ip":
			host = v
		case "replica-announce-port":
			port = v
		}
	}
	if host == "" || port == "" {
		return ""
	}
	return net.JoinHostPort(host, port)
}

// nodeAddressBook maps every address a node is known by (its planned one, and the one it
// announced when it last ran) to the node, so state that names an old address can be
// carried over to where the node is now.
func (e replicationGroup) nodeAddressBook(ctx context.Context) map[string]*Node {
	p := e.Plan
	book := map[string]*Node{}
	for _, n := range p.Nodes {
		book[n.Addr()] = n
	}
	// The last-run address wins: Sentinel wrote its state while the nodes were there.
	for _, n := range p.Nodes {
		if a := e.lastNodeAddr(ctx, n); a != "" {
			book[a] = n
		}
	}
	return book
}

// prepareSentinelConfs re-renders the configuration of every sentinel that is not running,
// keeping the state Sentinel recorded, with every address in it mapped to where the node or
// sentinel is planned now. A sentinel whose port or host changed, or one monitoring a
// primary whose address changed while everything was down, therefore starts and finds the
// group. A sentinel that never ran (a new one after scaling) gets the primary the others
// recorded with the highest configuration epoch.
func (e replicationGroup) prepareSentinelConfs(ctx context.Context) error {
	p := e.Plan
	name := p.Deployment.Name
	book := e.nodeAddressBook(ctx)
	states := map[string]sentinelState{}
	byRunID := map[string]*Sentinel{}
	var best *Node
	var bestEpoch int64 = -1
	for _, s := range p.Sentinels {
		st, ok, err := e.readSentinelState(ctx, s, name)
		if err != nil {
			return fmt.Errorf("reading the state of sentinel %s: %w", s.ID, err)
		}
		if !ok {
			continue
		}
		states[s.ID] = st
		if st.myID != "" {
			byRunID[st.myID] = s
		}
		if n := book[st.primary]; n != nil && st.configEpoch > bestEpoch {
			best, bestEpoch = n, st.configEpoch
		}
	}
	for _, s := range p.Sentinels {
		if e.Runner.Running(s.ID) {
			continue // it owns its file while it runs
		}
		st, ok := states[s.ID]
		var prim *Node
		if ok {
			prim = book[st.primary]
			if prim == nil {
				return fmt.Errorf("sentinel %s monitors %s, which is neither the planned nor the last address of any node of %s",
					s.ID, st.primary, name)
			}
		} else {
			if best == nil {
				return fmt.Errorf("sentinel %s has no configuration and no other sentinel recorded the primary of %s", s.ID, name)
			}
			prim = best
		}
		conf := p.renderSentinelConf(s, prim)
		if ok {
			conf += p.renderSentinelState(s, st, prim, book, byRunID)
		}
		if prim.Addr() != st.primary && ok {
			e.logf("sentinel %s: primary %s moved from %s to %s", s.ID, prim.ID, st.primary, prim.Addr())
		}
		if err := e.files().Write(ctx, s.Home(), SentinelConfFile, []byte(conf)); err != nil {
			return fmt.Errorf("preparing sentinel %s: %w", s.ID, err)
		}
	}
	return nil
}

// renderSentinelState renders the recorded state of a sentinel with every address mapped
// to its planned one; replicas and peers that map to nothing planned are dropped (Sentinel
// rediscovers the live ones from the primary and the hello channel).
func (p *Plan) renderSentinelState(s *Sentinel, st sentinelState, prim *Node, book map[string]*Node, byRunID map[string]*Sentinel) string {
	name := p.Deployment.Name
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("# State Sentinel recorded, kept by the engine with addresses mapped to the plan:")
	if st.myID != "" {
		w("sentinel myid %s", st.myID)
	}
	w("sentinel config-epoch %s %d", name, st.configEpoch)
	w("sentinel leader-epoch %s %d", name, st.leaderEpoch)
	seen := map[string]bool{prim.Addr(): true}
	for _, a := range st.replicas {
		n := book[a]
		if n == nil || seen[n.Addr()] {
			continue
		}
		seen[n.Addr()] = true
		w("sentinel known-replica %s %s %d", name, n.Host, n.Port())
	}
	peers := map[string]bool{}
	for _, peer := range st.peers {
		o := byRunID[peer.runID]
		if o == nil || o.ID == s.ID || peers[o.ID] {
			continue
		}
		peers[o.ID] = true
		w("sentinel known-sentinel %s %s %d %s", name, o.Host, o.Port(), peer.runID)
	}
	w("sentinel current-epoch %d", st.currentEpoch)
	return b.String()
}

// resetSentinels makes every running sentinel forget the replicas and peers it knows
// (some at addresses that no longer exist, after a node moved) and rediscover the group,
// one sentinel at a time so that a quorum stays available throughout. It waits first until
// no failover is in progress and the sentinels agree on the primary: SENTINEL RESET aborts
// a failover its sentinel leads, which would leave that sentinel naming the old primary
// for good (see waitSentinelsSettled).
func (e replicationGroup) resetSentinels(ctx context.Context) error {
	p := e.Plan
	prim, err := e.waitSentinelsSettled(ctx)
	if err != nil {
		return fmt.Errorf("resetting sentinels: %w", err)
	}
	replicas := 0
	for _, n := range p.Nodes {
		if n.ID != prim.ID && e.Runner.Running(n.ID) {
			replicas++ // stopped nodes are not rediscovered until they run again
		}
	}
	for _, s := range p.Sentinels {
		if !e.Runner.Running(s.ID) {
			continue
		}
		c := e.sentinelClient(s)
		err := c.Reset(ctx, p.Deployment.Name).Err()
		c.Close()
		if err != nil {
			return fmt.Errorf("resetting sentinel %s: %w", s.ID, err)
		}
		if err := e.waitSentinelAgrees(ctx, s, prim, replicas); err != nil {
			return err
		}
	}
	return nil
}
