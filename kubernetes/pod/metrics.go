package pod

import (
	"net"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
)

// The metrics container of a node's pod: the engine binary's MetricsSubcommand serves the
// node's metrics under CloudWatch's names (engine.Metrics) on MetricsPort, read from its own
// node only, so a scrape of every pod of a cache covers the cache and a pod's metrics go
// where its node goes.
const (
	MetricsSubcommand = "pod-metrics"
	MetricsPort       = 9121
	// EnvCache names the cache: the ReplicationGroupId of every series.
	EnvCache = "RK_CACHE"
)

// Metrics is the pod's own node's metrics: its identity, port and the admin credential read
// from the mounted files as pod-start reads them, the node reached on the pod's loopback and
// its certificate checked against its own DNS name.
func Metrics(env Env, cache string) (*engine.Metrics, error) {
	s, err := Load(env)
	if err != nil {
		return nil, err
	}
	n := &engine.Node{ID: s.Facts.Node.ID, Shard: s.Facts.Node.Shard, ShardID: s.Facts.Node.ShardID}
	return &engine.Metrics{Group: cache, Sources: []engine.MetricsSource{{Node: n, Client: s.localClient}}}, nil
}

// localClient connects to the pod's own node on the loopback as the admin user.
func (s *Start) localClient() *redis.Client {
	o := s.options(s.Facts.Node.Host, s.Facts.Conf.Port)
	o.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Facts.Conf.Port))
	o.ReadTimeout, o.WriteTimeout = 5*time.Second, 5*time.Second
	return redis.NewClient(o)
}
