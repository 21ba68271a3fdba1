package pod

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
)

// Env is where pod-start finds its inputs: the container's environment, as render sets it,
// with the contract's paths when unset.
type Env struct {
	Pod            string
	ConfigDir      string
	DataDir        string
	CredentialsDir string
	Server         string
}

// servers are the programs a node's pod may become (engine.ProgramsFor's servers).
var servers = []string{"valkey-server", "redis-server"}

// EnvFromOS reads Env from the process environment.
func EnvFromOS() (Env, error) {
	get := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	e := Env{Pod: os.Getenv(EnvPodName), ConfigDir: get(EnvConfigDir, ConfigDir), DataDir: get(EnvDataDir, DataDir),
		CredentialsDir: get(EnvCredentialsDir, CredentialsDir), Server: os.Getenv(EnvServer)}
	if e.Pod == "" {
		return e, fmt.Errorf("%s is empty; it must name this pod (the pod's metadata.name)", EnvPodName)
	}
	ok := false
	for _, s := range servers {
		ok = ok || e.Server == s
	}
	if !ok {
		return e, fmt.Errorf("%s %q is not allowed; it must be one of %s", EnvServer, e.Server, strings.Join(servers, ", "))
	}
	return e, nil
}

// Start is one start of a node's pod: what Load read from the mounted files, the Facts
// Gather found, and what carrying a plan out needs besides (addresses, the admin credential).
type Start struct {
	Env   Env
	Facts Facts
	// conf is the node's redis.conf as the ConfigMap has it.
	conf string
	// peers are the shard's other nodes by id, with what their configuration says.
	peers map[string]peerConf
	// password is the engine's admin password (from the Secret's credentials.conf).
	password string
	// tls verifies nodes' certificates when the cache speaks TLS (nil otherwise).
	tls *tls.Config
	// Logf receives progress (nil: discarded).
	Logf func(format string, args ...any)
}

type peerConf struct {
	node Node
	conf Conf
}

func (p peerConf) addr() string { return net.JoinHostPort(p.node.Host, strconv.Itoa(p.conf.Port)) }

// Load reads the pod's mounted files: its node and peers from nodes.json, every node's
// configuration, and the admin credential. Nothing here changes between tries of a start.
func Load(env Env) (*Start, error) {
	b, err := os.ReadFile(filepath.Join(env.ConfigDir, NodesKey))
	if err != nil {
		return nil, fmt.Errorf("reading the shard's nodes: %w", err)
	}
	var nodes []Node
	if err := json.Unmarshal(b, &nodes); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", NodesKey, err)
	}
	s := &Start{Env: env, Facts: Facts{Server: env.Server}, peers: map[string]peerConf{}}
	found := false
	for _, n := range nodes {
		text, err := os.ReadFile(filepath.Join(env.ConfigDir, ConfKey(n.Pod)))
		if err != nil {
			return nil, fmt.Errorf("reading the configuration of %s: %w", n.ID, err)
		}
		c, err := ParseConf(string(text))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ConfKey(n.Pod), err)
		}
		if n.Pod == env.Pod {
			found = true
			s.Facts.Node, s.Facts.Conf, s.conf = n, c, string(text)
			continue
		}
		s.peers[n.ID] = peerConf{node: n, conf: c}
	}
	if !found {
		return nil, fmt.Errorf("pod %q is not in %s; it lists this shard's pods: %s", env.Pod, NodesKey, podNames(nodes))
	}
	if want := filepath.Join(env.DataDir, s.Facts.Node.ID); filepath.Clean(s.Facts.Conf.Dir) != want {
		return nil, fmt.Errorf("%s: dir %q is not allowed; it must be %s, the node's directory on its volume", ConfKey(env.Pod), s.Facts.Conf.Dir, want)
	}
	if s.password, err = readPassword(filepath.Join(env.CredentialsDir, CredentialsFile)); err != nil {
		return nil, err
	}
	if s.Facts.Conf.TLS {
		if s.tls, err = caConfig(s.Facts.Conf.CAFile); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func podNames(nodes []Node) string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.Pod)
	}
	return strings.Join(out, ", ")
}

// readPassword reads the admin password from the credentials file, which holds exactly
// engine.CredentialsConf: "masterauth <password>".
func readPassword(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the admin credential: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) != 2 || f[0] != "masterauth" {
		return "", fmt.Errorf("%s is not a masterauth line (engine.CredentialsConf)", path)
	}
	return f[1], nil
}

func caConfig(caFile string) (*tls.Config, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("reading the CA the nodes' certificates are checked with: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// Gather finds what this try of the start depends on: the volume and every peer's answer.
func (s *Start) Gather(ctx context.Context) error {
	v, err := readVolume(s.Facts.Conf.Dir, s.Facts.Node.ID)
	if err != nil {
		return err
	}
	s.Facts.Volume = v
	s.Facts.Peers = nil
	for _, id := range sortedIDs(s.peers) {
		s.Facts.Peers = append(s.Facts.Peers, s.ask(ctx, s.peers[id]))
	}
	return nil
}

// startedMark is StartedFile's content.
type startedMark struct {
	Node  string    `json:"node"`
	First time.Time `json:"first"`
}

// readVolume reads what the node's directory holds. A directory marked by another node is an
// error: a volume bound to the wrong pod must never be started as this node.
func readVolume(dir, id string) (Volume, error) {
	var v Volume
	b, err := os.ReadFile(filepath.Join(dir, StartedFile))
	switch {
	case err == nil:
		var m startedMark
		if err := json.Unmarshal(b, &m); err != nil {
			return v, fmt.Errorf("parsing %s: %w", filepath.Join(dir, StartedFile), err)
		}
		if m.Node != id {
			return v, fmt.Errorf("%s says the volume is node %q's; not starting node %s on it", filepath.Join(dir, StartedFile), m.Node, id)
		}
		v.Started = true
	case !errors.Is(err, fs.ErrNotExist):
		return v, fmt.Errorf("reading %s: %w", StartedFile, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, engine.NodesConfFile)); err == nil {
		v.NodesConf = inCluster(string(b))
	}
	if fi, err := os.Stat(filepath.Join(dir, engine.RDBFile)); err == nil && fi.Size() > 0 {
		v.Data = true
	}
	if es, err := os.ReadDir(filepath.Join(dir, engine.AOFDir)); err == nil && len(es) > 0 {
		v.Data = true
	}
	return v, nil
}

// inCluster reports whether a nodes.conf shows its node in a cluster: it knows another node or
// serves slots. A node that started and was never met or given slots wrote one too, with
// only itself; it has no identity anyone else knows, and is new.
func inCluster(nodesConf string) bool {
	var lines []string
	for _, l := range strings.Split(nodesConf, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "vars ") {
			lines = append(lines, l)
		}
	}
	cns, err := engine.ParseClusterNodes(strings.Join(lines, "\n"))
	if err != nil || len(cns) == 0 {
		return false
	}
	return len(cns) > 1 || len(cns[0].Slots) > 0
}

// client connects to a node as the engine's admin user.
func (s *Start) client(host string, port int) *redis.Client {
	return redis.NewClient(s.options(host, port))
}

// options are a connection's to node host as the engine's admin user, its certificate
// checked against host.
func (s *Start) options(host string, port int) *redis.Options {
	var tc *tls.Config
	if s.tls != nil {
		tc = s.tls.Clone()
		tc.ServerName = host
	}
	return &redis.Options{
		Addr: net.JoinHostPort(host, strconv.Itoa(port)), Username: engine.AdminUser, Password: s.password,
		TLSConfig: tc, DialTimeout: 2 * time.Second, ReadTimeout: 3 * time.Second, WriteTimeout: 3 * time.Second,
		MaxRetries: -1, PoolSize: 1, Protocol: 2, DisableIdentity: true,
	}
}

// ask learns a peer's role, replication offset, replicas, keys and (cluster mode) slots.
func (s *Start) ask(ctx context.Context, p peerConf) Peer {
	out := Peer{Node: p.node}
	c := s.client(p.node.Host, p.conf.Port)
	defer c.Close()
	fail := func(err error) Peer {
		out.State, out.Err = classify(err), err.Error()
		return out
	}
	rep, err := engine.Info(ctx, c, "replication")
	if err != nil {
		return fail(err)
	}
	ks, err := engine.Info(ctx, c, "keyspace")
	if err != nil {
		return fail(err)
	}
	out.Role = rep["role"]
	out.Offset, _ = strconv.ParseInt(rep["slave_repl_offset"], 10, 64)
	out.Replicas, _ = strconv.Atoi(rep["connected_slaves"])
	out.Keys = engine.KeyCount(ks)
	if s.Facts.Conf.Cluster {
		nodes, err := c.ClusterNodes(ctx).Result()
		if err != nil {
			return fail(err)
		}
		cns, err := engine.ParseClusterNodes(nodes)
		if err != nil {
			return fail(err)
		}
		for _, cn := range cns {
			if cn.Has("myself") {
				for _, r := range cn.Slots {
					out.Slots += r.End - r.Start + 1
				}
			}
		}
	}
	out.State = Answered
	return out
}

// classify tells a peer that is not there (nothing listens at its name: its pod is down or
// still in its own pod-start) from one that is there but did not answer usefully (loading its
// dataset, refusing the credential, hanging): only the first may be decided around.
func classify(err error) PeerState {
	var re redis.Error
	if errors.As(err, &re) {
		return Unknown // the server answered: LOADING, NOAUTH, ...
	}
	var dns *net.DNSError
	var op *net.OpError
	if errors.As(err, &dns) || (errors.As(err, &op) && op.Op == "dial") {
		return Unreachable
	}
	return Unknown
}

func sortedIDs(m map[string]peerConf) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids) // node ids sort in the plan's order (zero-padded numbers)
	return ids
}
