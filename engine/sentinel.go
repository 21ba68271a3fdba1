package engine

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// replicationGroup is the engine's work on a replication group: its sentinels (their
// files, starts, agreement, resets) and the moves of the primary role between nodes. It is
// the Engine seen through that concern; the lifecycle in engine.go hands over to it.
type replicationGroup struct{ *Engine }

// repl is the engine's replication-group work.
func (e *Engine) repl() replicationGroup { return replicationGroup{e} }

// createReplication starts the primary, its replicas (waiting until each is in sync) and
// then the sentinels (waiting until they see each other and every replica).
func (e replicationGroup) createReplication(ctx context.Context) error {
	p := e.Plan
	prim := p.Nodes[0]
	if err := e.startNode(ctx, prim, ""); err != nil {
		return err
	}
	hold, err := e.dropSyncDelay(ctx, []*Node{prim}) // an empty primary: no transfer to share
	if err != nil {
		return err
	}
	for _, n := range p.Nodes[1:] {
		if err := e.startNode(ctx, n, replicaOfArg(prim)); err != nil {
			return err
		}
	}
	for _, n := range p.Nodes[1:] {
		if err := e.waitInSync(ctx, n); err != nil {
			return err
		}
	}
	if err := hold.Restore(ctx); err != nil {
		return err
	}
	for _, s := range p.Sentinels {
		if err := e.files().Write(ctx, s.Home(), SentinelConfFile, []byte(p.renderSentinelConf(s, prim))); err != nil {
			return fmt.Errorf("starting sentinel %s: %w", s.ID, err)
		}
		if err := e.startSentinel(ctx, s); err != nil {
			return err
		}
	}
	return e.waitSentinelsAgree(ctx, prim, len(p.Nodes)-1)
}

func replicaOfArg(n *Node) string { return fmt.Sprintf("%s %d", n.Host, n.Port()) }

func (e replicationGroup) startSentinel(ctx context.Context, s *Sentinel) error {
	e.logf("starting sentinel %s on %s", s.ID, s.Addr())
	if err := e.Runner.Start(ctx, Process{ID: s.ID, Kind: KindSentinel, Program: e.programs().Sentinel, Dir: s.Dir, ConfFile: SentinelConfFile, Host: s.Host, Port: s.Port(),
		TLS: s.TLSPort != 0}); err != nil {
		return fmt.Errorf("starting sentinel %s: %w", s.ID, err)
	}
	c := e.sentinelClient(s)
	defer c.Close()
	return waitFor(ctx, e.timeout(), "sentinel "+s.ID+" to answer", func(ctx context.Context) error {
		if !e.Runner.Running(s.ID) {
			log := filepath.Join(s.Dir, "sentinel.log")
			return permanent(fmt.Errorf("sentinel %s exited; %s ends with:\n%s", s.ID, log, TailLog(log, 5)))
		}
		return c.Ping(ctx).Err()
	})
}

func (e replicationGroup) sentinelClient(s *Sentinel) *redis.SentinelClient {
	return redis.NewSentinelClient(&redis.Options{
		Addr: s.Addr(), Username: AdminUser, Password: e.Plan.Deployment.Auth.AdminPassword,
		TLSConfig: e.tlsConf, DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second,
		MaxRetries: -1, PoolSize: 2, Protocol: 2, DisableIdentity: true, DialerRetries: 1,
	})
}

// waitInSync waits until a replica's link to its primary is up and the initial sync done.
func (e replicationGroup) waitInSync(ctx context.Context, n *Node) error {
	c := e.admin(n.Addr())
	defer c.Close()
	return waitSoon(ctx, e.timeout(), "replica "+n.ID+" to sync", func(ctx context.Context) error {
		info, err := Info(ctx, c, "replication")
		if err != nil {
			return err
		}
		if info["role"] != "slave" || info["master_link_status"] != "up" || info["master_sync_in_progress"] != "0" {
			return fmt.Errorf("role %s, link %s", info["role"], info["master_link_status"])
		}
		return nil
	})
}

// waitSentinelsAgree waits until every sentinel names prim as primary, knows the other
// sentinels and the expected number of replicas, and can reach its quorum.
func (e replicationGroup) waitSentinelsAgree(ctx context.Context, prim *Node, replicas int) error {
	for _, s := range e.Plan.Sentinels {
		if err := e.waitSentinelAgrees(ctx, s, prim, replicas); err != nil {
			return err
		}
	}
	return nil
}

// waitSentinelAgrees waits until one sentinel names prim as primary, knows every other
// running sentinel and the expected number of replicas, and can reach its quorum.
func (e replicationGroup) waitSentinelAgrees(ctx context.Context, s *Sentinel, prim *Node, replicas int) error {
	p := e.Plan
	name := p.Deployment.Name
	others := 0
	for _, o := range p.Sentinels {
		if o.ID != s.ID && e.Runner.Running(o.ID) {
			others++
		}
	}
	c := e.sentinelClient(s)
	defer c.Close()
	return waitFor(ctx, e.timeout(), "sentinel "+s.ID+" to see the group", func(ctx context.Context) error {
		m, err := c.Master(ctx, name).Result()
		if err != nil {
			return err
		}
		if net.JoinHostPort(m["ip"], m["port"]) != prim.Addr() {
			return fmt.Errorf("primary is %s:%s, want %s", m["ip"], m["port"], prim.Addr())
		}
		if m["num-other-sentinels"] != strconv.Itoa(others) || m["num-slaves"] != strconv.Itoa(replicas) {
			return fmt.Errorf("sees %s other sentinels and %s replicas, want %d and %d", m["num-other-sentinels"], m["num-slaves"], others, replicas)
		}
		return c.CkQuorum(ctx, name).Err()
	})
}

// CurrentPrimary asks the sentinels which node is the primary now. A majority of all the
// group's sentinels (not only of those that answered) must name the same node, so a lone
// sentinel with an old view, or a minority cut off from the rest, cannot mislead the engine
// into a second primary. This is also the stable way for clients to find the primary
// (Sentinel-aware clients ask the same question).
func (e *Engine) CurrentPrimary(ctx context.Context) (*Node, error) {
	p := e.Plan
	if p.Deployment.Mode != ModeReplication {
		return nil, fmt.Errorf("finding the primary: only replication mode has a single primary per group")
	}
	votes := map[string]int{}
	var errs []error
	// Every sentinel is asked, not only those this process started: status and snapshot
	// commands run in other processes than the one that started the deployment.
	for _, s := range p.Sentinels {
		c := e.repl().sentinelClient(s)
		addr, err := c.GetMasterAddrByName(ctx, p.Deployment.Name).Result()
		c.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.ID, err))
			continue
		}
		votes[net.JoinHostPort(addr[0], addr[1])]++
	}
	addr, err := majorityPrimary(votes, len(p.Sentinels))
	if err != nil {
		if len(errs) > 0 {
			return nil, fmt.Errorf("finding the primary: %w (%v)", err, errs)
		}
		return nil, fmt.Errorf("finding the primary: %w", err)
	}
	for _, n := range p.Nodes {
		if n.Addr() == addr {
			return n, nil
		}
	}
	// A stopped node whose planned address changed is still named at the address it last
	// ran at: it is that node (starting it hands the role over first, see
	// startReplicationNode).
	for _, n := range p.Nodes {
		if !e.Runner.Running(n.ID) && e.repl().lastNodeAddr(ctx, n) == addr {
			return n, nil
		}
	}
	return nil, fmt.Errorf("finding the primary: sentinels name %s, which is neither the planned address of a node nor the last one of a stopped node", addr)
}

// majorityPrimary returns the address that more than half of all sentinels (total, the
// planned number, whether they answered or not) name as the primary.
func majorityPrimary(votes map[string]int, total int) (string, error) {
	answered := 0
	for addr, v := range votes {
		answered += v
		if v*2 > total {
			return addr, nil
		}
	}
	if answered == 0 {
		return "", fmt.Errorf("no sentinel answered")
	}
	return "", fmt.Errorf("no majority of the %d sentinels names one primary: %d answered, votes %v", total, answered, votes)
}

// Failover hands the primary role to the best replica (Sentinel chooses by priority and
// replication offset) and waits until the sentinels name the new primary.
func (e *Engine) Failover(ctx context.Context) error {
	old, err := e.CurrentPrimary(ctx)
	if err != nil {
		return err
	}
	return e.repl().failoverFrom(ctx, old)
}

func (e replicationGroup) failoverFrom(ctx context.Context, old *Node) error {
	name := e.Plan.Deployment.Name
	e.promoting.Lock()
	defer e.promoting.Unlock()
	// Whoever held the lock may have failed old over already.
	if now, err := e.CurrentPrimary(ctx); err == nil && now.ID != old.ID {
		return nil
	}
	e.logf("failing over from %s", old.ID)
	var c *redis.SentinelClient
	for _, x := range e.Plan.Sentinels {
		sc := e.sentinelClient(x)
		if sc.Ping(ctx).Err() == nil {
			c = sc
			break
		}
		sc.Close()
	}
	if c == nil {
		return fmt.Errorf("failing over: no sentinel answers")
	}
	defer c.Close()
	crashed := !e.Runner.Running(old.ID)
	e.promoteSoleReplica(ctx, old)
	// Sentinel answers NOGOODSLAVE until it has fresh INFO from a replica; retry until then.
	err := waitFor(ctx, e.timeout(), "sentinel to accept the failover", func(ctx context.Context) error {
		return c.Failover(ctx, name).Err()
	})
	if err != nil {
		return fmt.Errorf("failing over from %s: %w", old.ID, err)
	}
	if crashed {
		e.pointFollowers(ctx, c, old)
	}
	err = waitFor(ctx, e.timeout(), "a new primary", func(ctx context.Context) error {
		n, err := e.CurrentPrimary(ctx)
		if err != nil {
			return err
		}
		if n.ID == old.ID {
			return fmt.Errorf("still %s", n.ID)
		}
		nc := e.admin(n.Addr())
		defer nc.Close()
		info, err := Info(ctx, nc, "replication")
		if err != nil {
			return err
		}
		if info["role"] != "master" {
			return fmt.Errorf("%s not promoted yet", n.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// A majority names the new primary as soon as the leading sentinel broadcasts it, but
	// the leader itself switches only when its failover ends (the other replicas
	// reconfigured). Until then its own entry still names the old address, and anything
	// that touches it meanwhile (a SENTINEL RESET, another failover) can leave it naming
	// the old primary for good. The failover is done when no sentinel is still in it.
	if _, err := e.waitSentinelsSettled(ctx); err != nil {
		return fmt.Errorf("failing over from %s: %w", old.ID, err)
	}
	return nil
}

// pointFollowers makes the sentinels that did not lead a failover name the new primary as
// soon as the leader does. They would learn it from the leader's hello messages, but the
// promotion kills the promoted replica's pub/sub clients, their hello subscriptions among
// them, so they learn about a second later; clients that ask whichever sentinel answers
// first would wait for them. The leader's choice is final once it names the new address, so
// re-pointing the others (SENTINEL REMOVE + MONITOR with the group's settings, as when
// addresses change) only brings that forward; they rediscover replicas and sentinels within
// seconds. Only after a crash: a planned failover has no hurry.
func (e replicationGroup) pointFollowers(ctx context.Context, leader *redis.SentinelClient, old *Node) {
	name := e.Plan.Deployment.Name
	var now string
	err := Poll(ctx, e.timeout(), 20*time.Millisecond, "the leading sentinel to name the new primary", func(ctx context.Context) error {
		a, err := leader.GetMasterAddrByName(ctx, name).Result()
		if err != nil {
			return err
		}
		if addr := net.JoinHostPort(a[0], a[1]); addr != old.Addr() {
			now = addr
			return nil
		}
		return fmt.Errorf("still %s", old.Addr())
	})
	if err != nil {
		e.logf("failover: %v", err)
		return
	}
	var prim *Node
	for _, n := range e.Plan.Nodes {
		if n.Addr() == now {
			prim = n
		}
	}
	if prim == nil {
		return
	}
	for _, s := range e.Plan.Sentinels {
		if !e.Runner.Running(s.ID) {
			continue
		}
		sc := e.sentinelClient(s)
		a, err := sc.GetMasterAddrByName(ctx, name).Result()
		if err == nil && net.JoinHostPort(a[0], a[1]) == old.Addr() {
			if err := e.monitorAt(ctx, sc, prim); err != nil {
				e.logf("failover: pointing sentinel %s at %s: %v", s.ID, prim.ID, err)
			}
		}
		sc.Close()
	}
}

// promoteSoleReplica promotes, ahead of Sentinel, the one running replica of a primary whose
// process is gone. Sentinel learns that its chosen replica was promoted only from its next
// INFO to it, sent once a second during a failover; when the first one leaves before the
// promotion it costs a whole second more (the failover benchmark's times were 1.3 s or
// 2.3 s, nothing between). A replica already promoted answers the first INFO as primary.
// Only when the choice is certain: the old primary cannot answer (its process is gone) and
// there is one replica, so Sentinel cannot choose another. It is best effort: Sentinel's
// failover follows either way.
func (e replicationGroup) promoteSoleReplica(ctx context.Context, old *Node) {
	if e.Runner.Running(old.ID) {
		return // a planned failover: the coordinated kind, by Sentinel alone
	}
	var sole *Node
	for _, n := range e.Plan.Nodes {
		if n.ID == old.ID || !e.Runner.Running(n.ID) {
			continue
		}
		if sole != nil {
			return
		}
		sole = n
	}
	if sole == nil {
		return
	}
	c := e.admin(sole.Addr())
	defer c.Close()
	if err := PromoteReplicationReplica(ctx, c); err != nil {
		e.logf("promoting %s ahead of the sentinels: %v", sole.ID, err)
	}
}

// waitSentinelsSettled waits until no sentinel is in a failover (leading one, or trying to
// be elected for one) and every sentinel that answers names the same primary, and returns
// that primary (named by a majority of all sentinels, as CurrentPrimary requires).
//
// Sentinel's view is only stable then. While a leader is reconfiguring the replicas its
// own entry still names the old primary with the new configuration epoch; resetting it
// then (SENTINEL RESET drops the failover) leaves it naming the old primary at the same
// epoch as the others' new one, and Sentinel only adopts a strictly newer epoch from its
// peers, so it never corrects itself.
func (e replicationGroup) waitSentinelsSettled(ctx context.Context) (*Node, error) {
	p := e.Plan
	name := p.Deployment.Name
	var prim *Node
	logged := false
	// A failover lasts at most Sentinel's failover-timeout once its replicas are being
	// reconfigured; waiting for one must not run out before Sentinel gives up on it.
	err := waitFor(ctx, e.timeout()+p.Timing.FailoverTimeout, "the sentinels to settle on one primary", func(ctx context.Context) error {
		named := map[string][]string{}
		for _, s := range p.Sentinels {
			c := e.sentinelClient(s)
			m, err := c.Master(ctx, name).Result()
			c.Close()
			if err != nil {
				if !e.Runner.Running(s.ID) {
					continue // stopped, or not one this process runs and unreachable
				}
				return fmt.Errorf("%s: %w", s.ID, err)
			}
			if strings.Contains(m["flags"], "failover_in_progress") {
				if !logged {
					e.logf("sentinel %s is in a failover (primary %s:%s); waiting until it ends", s.ID, m["ip"], m["port"])
					logged = true
				}
				return fmt.Errorf("%s is in a failover (%s)", s.ID, m["flags"])
			}
			a := net.JoinHostPort(m["ip"], m["port"])
			named[a] = append(named[a], s.ID)
		}
		if len(named) > 1 {
			return fmt.Errorf("the sentinels name different primaries: %v", named)
		}
		n, err := e.CurrentPrimary(ctx)
		if err != nil {
			return err
		}
		prim = n
		return nil
	})
	return prim, err
}

// startReplication restarts a created replication group: sentinels first (their files hold
// the last agreed primary and epoch), then the nodes around that primary.
func (e replicationGroup) startReplication(ctx context.Context) error {
	if err := e.prepareSentinelConfs(ctx); err != nil {
		return err
	}
	for _, s := range e.Plan.Sentinels {
		if !e.Runner.Running(s.ID) {
			if err := e.startSentinel(ctx, s); err != nil {
				return err
			}
		}
	}
	prim, err := e.waitCurrentPrimary(ctx)
	if err != nil {
		return err
	}
	// Replicas first: they load their data and keep it while the primary is away.
	for _, n := range e.Plan.Nodes {
		if n.ID != prim.ID && !e.Runner.Running(n.ID) {
			if err := e.startNode(ctx, n, replicaOfArg(prim)); err != nil {
				return err
			}
		}
	}
	return e.startReplicationNode(ctx, prim)
}

func (e replicationGroup) waitCurrentPrimary(ctx context.Context) (*Node, error) {
	var prim *Node
	err := waitFor(ctx, e.timeout(), "the sentinels to name the primary", func(ctx context.Context) error {
		n, err := e.CurrentPrimary(ctx)
		prim = n
		return err
	})
	return prim, err
}

// startReplicationNode starts one node of a replication group. If the sentinels still name
// it primary while it is down and a replica is running, the group fails over first: a
// node coming back (possibly empty, possibly stale) must never lead over replicas that
// kept the data, and never becomes a second primary.
func (e replicationGroup) startReplicationNode(ctx context.Context, n *Node) error {
	if e.Runner.Running(n.ID) {
		return nil
	}
	// Decide on a settled view: with the node down and a replica up, the sentinels may be
	// failing it over on their own right now (its down-after elapsed), and a failover of
	// the engine's on top of theirs, or a start around a primary about to change, would
	// race with it.
	prim, err := e.waitSentinelsSettled(ctx)
	if err != nil {
		return fmt.Errorf("starting node %s: %w", n.ID, err)
	}
	if prim.ID == n.ID {
		replicaUp := false
		for _, o := range e.Plan.Nodes {
			if o.ID != n.ID && e.Runner.Running(o.ID) {
				replicaUp = true
			}
		}
		if !replicaUp {
			// Nothing better exists: this node is all the group has.
			last := e.lastNodeAddr(ctx, n)
			if err := e.startNode(ctx, n, ""); err != nil {
				return err
			}
			if last != "" && last != n.Addr() {
				return e.remonitor(ctx, n)
			}
			return nil
		}
		if err := e.failoverFrom(ctx, n); err != nil {
			return fmt.Errorf("starting node %s: %w", n.ID, err)
		}
		if prim, err = e.waitSentinelsSettled(ctx); err != nil {
			return fmt.Errorf("starting node %s: %w", n.ID, err)
		}
	}
	// The address the node last ran at: if it changed, the sentinels still list it there.
	last := e.lastNodeAddr(ctx, n)
	if err := e.startNode(ctx, n, replicaOfArg(prim)); err != nil {
		return err
	}
	if err := e.waitInSync(ctx, n); err != nil {
		return err
	}
	if last != "" && last != n.Addr() {
		e.logf("node %s moved from %s to %s; the sentinels rediscover the group", n.ID, last, n.Addr())
		return e.resetSentinels(ctx)
	}
	return nil
}

// redisCmd builds an arbitrary command for clients without Do (the sentinel client).
func redisCmd(ctx context.Context, args ...any) *redis.Cmd { return redis.NewCmd(ctx, args...) }

// remonitor points every running sentinel at prim's current address (SENTINEL REMOVE and
// MONITOR with the plan's settings): the primary came back at another address with no
// replica to hand over to, so no failover can tell the sentinels where it is.
func (e replicationGroup) remonitor(ctx context.Context, prim *Node) error {
	p := e.Plan
	e.logf("primary %s is now at %s; pointing the sentinels there", prim.ID, prim.Addr())
	for _, s := range p.Sentinels {
		if !e.Runner.Running(s.ID) {
			continue
		}
		c := e.sentinelClient(s)
		err := e.monitorAt(ctx, c, prim)
		c.Close()
		if err != nil {
			return fmt.Errorf("re-pointing sentinel %s: %w", s.ID, err)
		}
	}
	return e.waitSentinelsAgreeRunning(ctx, prim)
}

// monitorAt makes one sentinel monitor the group at prim, with the group's settings.
func (e replicationGroup) monitorAt(ctx context.Context, c *redis.SentinelClient, prim *Node) error {
	p := e.Plan
	name := p.Deployment.Name
	err := c.Remove(ctx, name).Err()
	if err != nil && !strings.Contains(err.Error(), "No such master") {
		return err
	}
	err = c.Monitor(ctx, name, prim.Host, strconv.Itoa(prim.Port()), strconv.Itoa(p.Quorum)).Err()
	for _, kv := range [][2]string{
		{"auth-user", AdminUser}, {"auth-pass", p.Deployment.Auth.AdminPassword},
		{"down-after-milliseconds", strconv.FormatInt(p.Timing.DownAfter.Milliseconds(), 10)},
		{"failover-timeout", strconv.FormatInt(p.Timing.FailoverTimeout.Milliseconds(), 10)},
		{"parallel-syncs", "1"},
	} {
		if err == nil {
			err = c.Set(ctx, name, kv[0], kv[1]).Err()
		}
	}
	return err
}

// waitSentinelsAgreeRunning waits until every running sentinel names prim and sees the
// running replicas and the other running sentinels.
func (e replicationGroup) waitSentinelsAgreeRunning(ctx context.Context, prim *Node) error {
	replicas := 0
	for _, n := range e.Plan.Nodes {
		if n.ID != prim.ID && e.Runner.Running(n.ID) {
			replicas++
		}
	}
	for _, s := range e.Plan.Sentinels {
		if !e.Runner.Running(s.ID) {
			continue
		}
		if err := e.waitSentinelAgrees(ctx, s, prim, replicas); err != nil {
			return err
		}
	}
	return nil
}
