// Package clientcheck is an application's view of a cache, run where applications run (for
// the Kubernetes target: in a pod, by `rediskit-engine load`): a cluster-aware client with TLS
// and the app user's token writes keys over every shard, each acknowledged by a replica (WAIT)
// when asked, for as long as it is told, while a test fails nodes under it; then it reads every
// acknowledged key back. The report says what applications would have seen: writes made and
// failed, acknowledged keys lost, the longest time without an acknowledged write, and whether
// a command ElastiCache restricts was denied.
package clientcheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/internal/writeload"
)

// Options say where the cache is and what to do.
type Options struct {
	// Addr is host:port of the cache's endpoint (the configuration endpoint in cluster mode).
	Addr    string
	Cluster bool
	// CAFile, when set, turns TLS on and verifies the cache's certificate with it.
	CAFile         string
	User, Password string
	// Prefix starts every key (keys spread over every slot otherwise).
	Prefix string
	// Duration of the writing; it also ends when ctx does.
	Duration time.Duration
	// Replicas is how many replicas must acknowledge each write (WAIT); 0: a write counts
	// when the primary answers OK.
	Replicas int
	// WaitTimeout bounds each WAIT.
	WaitTimeout time.Duration
	// Every is the pause between writes.
	Every time.Duration
	// Count, when set, writes keys Prefix0 .. Prefix<Count-1>, each until it is
	// acknowledged, and stops (or when the duration ends).
	Count int
	// Verify, when set, writes nothing: it reads back keys Prefix0 .. Prefix<Verify-1>, as a
	// run with Count wrote them (before a restart, say).
	Verify int
	// ConnectWait is how long the first connection is retried, as an application retries
	// while the endpoint's addresses change under it (default 30 s).
	ConnectWait time.Duration
}

// Report is what the client saw.
type Report struct {
	Ops    int `json:"ops"`
	Failed int `json:"failed"`
	Acked  int `json:"acked"`
	// Lost are acknowledged keys missing or wrong when read back at the end; Unverified those
	// whose reads kept failing (ReadError the first such error), which prove nothing.
	Lost       int      `json:"lost"`
	LostKeys   []string `json:"lostKeys,omitempty"`
	Unverified int      `json:"unverified"`
	ReadError  string   `json:"readError,omitempty"`
	// MaxGapMS is the longest time without an acknowledged write (WAIT satisfied);
	// MaxWriteGapMS the longest without a write the primary answered OK, which is when
	// writes resume after a failover even while the new primary has no replica to WAIT for.
	MaxGapMS      int64  `json:"maxGapMs"`
	MaxWriteGapMS int64  `json:"maxWriteGapMs"`
	FirstError    string `json:"firstError,omitempty"`
	// RestrictedDenied: CONFIG GET was refused to the user with NOPERM, as ElastiCache does.
	RestrictedDenied bool   `json:"restrictedDenied"`
	RestrictedReply  string `json:"restrictedReply,omitempty"`
	// ConnectRetries counts first connections that failed before one succeeded;
	// ConnectError is the first such failure.
	ConnectRetries int    `json:"connectRetries,omitempty"`
	ConnectError   string `json:"connectError,omitempty"`
}

// ReadBackPatience is how long a key's read-back is retried while it errs.
var ReadBackPatience = 30 * time.Second

// beforeReadBack lets a test lose keys on purpose, to see the report count them.
var beforeReadBack func(acked []string)

// Run connects, writes for the duration, reads back, and reports.
func Run(ctx context.Context, o Options) (*Report, error) {
	var tc *tls.Config
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading the CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("the CA file %s holds no PEM certificate", o.CAFile)
		}
		host := o.Addr
		if i := strings.LastIndex(host, ":"); i > 0 {
			host = host[:i]
		}
		tc = &tls.Config{RootCAs: pool, ServerName: host, MinVersion: tls.VersionTLS12}
	}
	if o.WaitTimeout == 0 {
		o.WaitTimeout = time.Second
	}
	var c redis.UniversalClient
	var cc *redis.ClusterClient
	if o.Cluster {
		cc = redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{o.Addr}, Username: o.User, Password: o.Password, TLSConfig: tc,
			DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second, MaxRedirects: 3,
			// Each node's certificate names the node, not the configuration endpoint.
			NewClient: func(opt *redis.Options) *redis.Client {
				if opt.TLSConfig != nil {
					opt.TLSConfig = opt.TLSConfig.Clone()
					if i := strings.LastIndex(opt.Addr, ":"); i > 0 {
						opt.TLSConfig.ServerName = opt.Addr[:i]
					}
				}
				return redis.NewClient(opt)
			}})
		c = cc
	} else {
		c = redis.NewClient(&redis.Options{Addr: o.Addr, Username: o.User, Password: o.Password, TLSConfig: tc,
			DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
	}
	defer c.Close()
	rep := &Report{}
	if o.ConnectWait == 0 {
		o.ConnectWait = 30 * time.Second
	}
	for deadline := time.Now().Add(o.ConnectWait); ; {
		err := c.Ping(ctx).Err()
		if err == nil {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("connecting to %s as %s (%d attempts in %s): %w", o.Addr, o.User, rep.ConnectRetries+1, o.ConnectWait, err)
		}
		if rep.ConnectRetries == 0 {
			rep.ConnectError = err.Error()
		}
		rep.ConnectRetries++
		fmt.Fprintf(os.Stderr, "connecting to %s: %v; again in 1s\n", o.Addr, err)
		time.Sleep(time.Second)
	}
	if err := c.Do(ctx, "config", "get", "maxmemory").Err(); err != nil {
		rep.RestrictedReply = err.Error()
		rep.RestrictedDenied = strings.HasPrefix(err.Error(), "NOPERM")
	} else {
		rep.RestrictedReply = "allowed"
	}

	var reload sync.Mutex
	lastReload := time.Time{}
	lastOK, maxWriteGap := time.Now(), time.Duration(0)
	write := func(ctx context.Context, _ redis.Cmdable, key string) (bool, error) {
		node := redis.Cmdable(c)
		if cc != nil {
			m, err := cc.MasterForKey(ctx, key)
			if err != nil {
				return false, err
			}
			node = m
		}
		var set *redis.StatusCmd
		var wait *redis.IntCmd
		_, err := node.Pipelined(ctx, func(p redis.Pipeliner) error {
			set = p.Set(ctx, key, key, 0)
			if o.Replicas > 0 {
				wait = redis.NewIntCmd(ctx, "wait", o.Replicas, o.WaitTimeout.Milliseconds())
				_ = p.Process(ctx, wait)
			}
			return nil
		})
		if err != nil && cc != nil {
			// A failover moved the slot: the next write asks the cluster again.
			reload.Lock()
			if time.Since(lastReload) > 100*time.Millisecond {
				cc.ReloadState(ctx)
				lastReload = time.Now()
			}
			reload.Unlock()
		}
		if set == nil || set.Err() != nil {
			if err == nil {
				err = errors.New("SET not answered")
			}
			return false, err
		}
		if gap := time.Since(lastOK); gap > maxWriteGap {
			maxWriteGap = gap
		}
		lastOK = time.Now()
		if wait != nil && (wait.Err() != nil || wait.Val() < int64(o.Replicas)) {
			return false, wait.Err()
		}
		return true, nil
	}
	var res writeload.Result
	if o.Verify > 0 {
		for i := 0; i < o.Verify; i++ {
			res.Acked = append(res.Acked, fmt.Sprintf("%s%d", o.Prefix, i))
		}
	} else {
		runCtx, cancel := context.WithTimeout(ctx, o.Duration)
		defer cancel()
		if o.Count > 0 {
			// Every key of 0 .. Count-1 is written until acknowledged, so that -verify later
			// reads back exactly the keys written, whatever the writes met meanwhile.
			once := write
			write = func(ctx context.Context, c redis.Cmdable, key string) (bool, error) {
				for {
					acked, err := once(ctx, c, key)
					if acked || ctx.Err() != nil {
						return acked, err
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		}
		w := writeload.Start(runCtx, c, writeload.Options{Prefix: o.Prefix, Write: write, Every: o.Every, Record: true, RetryPause: 20 * time.Millisecond})
		for o.Count == 0 || w.Acked() < o.Count {
			select {
			case <-runCtx.Done():
			case <-time.After(5 * time.Millisecond):
				continue
			}
			break
		}
		res = w.Stop()
	}
	rep.Ops, rep.Failed, rep.Acked, rep.FirstError, rep.MaxGapMS = res.Ops, res.Failed, len(res.Acked), res.FirstError, res.MaxGap.Milliseconds()
	rep.MaxWriteGapMS = maxWriteGap.Milliseconds()

	if beforeReadBack != nil {
		beforeReadBack(res.Acked)
	}
	// Read back with a fresh view of the cluster and a little patience: a read may meet the
	// tail of a failover.
	readCtx, cancelRead := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancelRead()
	if cc != nil {
		cc.ReloadState(readCtx)
	}
	for _, k := range res.Acked {
		// A read that errs (the tail of a failover, a planned failover's pause) proves
		// nothing either way: it is asked again for up to ReadBackPatience, and a key that
		// never answered is unverified, not lost. Lost is an answer: absent, or another value.
		var v string
		var err error
		deadline := time.Now().Add(ReadBackPatience)
		for {
			if v, err = c.Get(readCtx, k).Result(); err == nil || errors.Is(err, redis.Nil) || time.Now().After(deadline) {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		switch {
		case err != nil && !errors.Is(err, redis.Nil):
			rep.Unverified++
			if rep.ReadError == "" {
				rep.ReadError = k + ": " + err.Error()
			}
		case v != k:
			rep.Lost++
			if len(rep.LostKeys) < 20 {
				rep.LostKeys = append(rep.LostKeys, k)
			}
		}
	}
	return rep, nil
}
