// Package test holds rediskit's end-to-end tests: the self-hosted target deployed through the
// Automation API and validated with Terratest, and (behind the awsacceptance build tag) the
// AWS stacks checked with aws-sdk-go-v2.
package test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gruntwork-io/terratest/modules/retry"
	"github.com/gruntwork-io/terratest/modules/testing"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/redis/go-redis/v9"
)

// Node is one entry of the stack's "nodes" output.
type Node struct {
	ID        string `json:"id"`
	Shard     int    `json:"shard"`
	Role      string `json:"role"`
	Zone      string `json:"zone"`
	Host      string `json:"host"`
	Port      int    `json:"port"`
	PrimaryID string `json:"primaryId"`
	Alive     bool   `json:"alive"`
}

// Deployed is what the tests need from a stack's outputs.
type Deployed struct {
	Endpoint string
	Port     int
	User     string
	Token    string
	CAFile   string
	Nodes    []Node
}

// DeployedFromOutputsE reads the stack outputs.
func DeployedFromOutputsE(outs auto.OutputMap) (*Deployed, error) {
	d := &Deployed{}
	str := func(k string) string { s, _ := outs[k].Value.(string); return s }
	d.Endpoint, d.User, d.Token, d.CAFile = str("endpoint"), str("authUser"), str("authToken"), str("caFile")
	if p, ok := outs["port"].Value.(float64); ok {
		d.Port = int(p)
	}
	raw, err := json.Marshal(outs["nodes"].Value)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &d.Nodes); err != nil {
		return nil, fmt.Errorf("reading nodes output: %w", err)
	}
	if d.Endpoint == "" || d.Port == 0 || d.Token == "" || len(d.Nodes) == 0 {
		return nil, fmt.Errorf("incomplete outputs: endpoint %q port %d token set %v nodes %d", d.Endpoint, d.Port, d.Token != "", len(d.Nodes))
	}
	return d, nil
}

// TLSConfigE trusts the deployment's CA.
func TLSConfigE(caFile string) (*tls.Config, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", caFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// ClusterClientE connects a cluster-aware client with TLS and the app user's token.
func ClusterClientE(d *Deployed) (*redis.ClusterClient, error) {
	tc, err := TLSConfigE(d.CAFile)
	if err != nil {
		return nil, err
	}
	// Seeded with every node, as production clients should be: the endpoint node may be the one
	// that is down.
	addrs := []string{fmt.Sprintf("%s:%d", d.Endpoint, d.Port)}
	for _, n := range d.Nodes {
		addrs = append(addrs, fmt.Sprintf("%s:%d", n.Host, n.Port))
	}
	return redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:    addrs,
		Username: d.User, Password: d.Token, TLSConfig: tc,
		MaxRedirects: 16, ReadTimeout: 3 * time.Second, WriteTimeout: 3 * time.Second,
	}), nil
}

// WaitForClusterOK waits until every node reports cluster_state:ok with all slots assigned and
// the expected number of shards serving them.
func WaitForClusterOK(t testing.TestingT, c *redis.ClusterClient, shards int) {
	retry.DoWithRetry(t, "cluster to be ok", 60, time.Second, func() (string, error) {
		info, err := c.ClusterInfo(context.Background()).Result()
		if err != nil {
			return "", err
		}
		if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_slots_assigned:16384") ||
			!strings.Contains(info, "cluster_size:"+strconv.Itoa(shards)+"\r") {
			return "", fmt.Errorf("not yet: %s", strings.ReplaceAll(info, "\r\n", " "))
		}
		return "ok", nil
	})
}

// KillNodeE kills a node's process as a crash would (the pid file is in its directory).
func KillNodeE(dataDir, id string) error {
	raw, err := os.ReadFile(filepath.Join(dataDir, id, "process.pid"))
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return err
	}
	return syscall.Kill(pid, syscall.SIGKILL)
}
