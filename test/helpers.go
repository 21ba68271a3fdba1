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
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gruntwork-io/terratest/modules/retry"
	"github.com/gruntwork-io/terratest/modules/testing"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/infra/deploy"
	"github.com/rediskit/rediskit/internal/httpget"
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
	// Sentinels are the Sentinel addresses of a replication group.
	Sentinels []string
	// ConfigurationEndpoints is the cluster-mode seed list (every node's host:port).
	ConfigurationEndpoints []string
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
	strs := func(k string) []string {
		var out []string
		if v, ok := outs[k].Value.([]any); ok {
			for _, s := range v {
				if str, ok := s.(string); ok {
					out = append(out, str)
				}
			}
		}
		return out
	}
	d.Sentinels, d.ConfigurationEndpoints = strs("sentinels"), strs("configurationEndpoints")
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

// KillNodeE kills a node as a crash would: its process (the pid file is in its directory)
// with the process driver, its container with the docker driver.
func KillNodeE(driver, dataDir, id string) error {
	if driver == "docker" {
		if out, err := exec.Command("docker", "kill", id).CombinedOutput(); err != nil {
			return fmt.Errorf("docker kill %s: %v: %s", id, err, out)
		}
		return nil
	}
	// The pid file holds the pid and the process's start time; only the pid matters here.
	raw, err := os.ReadFile(filepath.Join(dataDir, id, "process.pid"))
	if err != nil {
		return err
	}
	fields := strings.Fields(string(raw))
	if len(fields) == 0 {
		return fmt.Errorf("%s: empty pid file", id)
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil {
		return fmt.Errorf("%s: pid file %q: %w", id, raw, err)
	}
	return syscall.Kill(pid, syscall.SIGKILL)
}

// KillNode is KillNodeE that fails the test.
func KillNode(t testing.TestingT, driver, dataDir, id string) {
	if err := KillNodeE(driver, dataDir, id); err != nil {
		t.Fatal(err)
	}
}

// PrimaryE returns the one node the outputs name primary.
func (d *Deployed) PrimaryE() (Node, error) {
	var out []Node
	for _, n := range d.Nodes {
		if n.Role == "primary" {
			out = append(out, n)
		}
	}
	if len(out) != 1 {
		return Node{}, fmt.Errorf("want exactly one primary, the outputs list %d: %+v", len(out), d.Nodes)
	}
	return out[0], nil
}

// FailoverClientE connects a Sentinel-aware client (TLS and the app user's token, on the
// sentinels as on the nodes): how applications reach a self-hosted replication group.
func FailoverClientE(d *Deployed, masterName string) (*redis.Client, error) {
	if len(d.Sentinels) == 0 {
		return nil, fmt.Errorf("the outputs list no sentinels")
	}
	tc, err := TLSConfigE(d.CAFile)
	if err != nil {
		return nil, err
	}
	return redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: masterName, SentinelAddrs: d.Sentinels,
		SentinelUsername: d.User, SentinelPassword: d.Token,
		Username: d.User, Password: d.Token, TLSConfig: tc,
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second,
		MaxRetries: -1,
	}), nil
}

// UpE deploys (refresh and update) and reads the outputs.
func UpE(ctx context.Context, o deploy.Options) (*Deployed, auto.UpResult, error) {
	res, err := deploy.Up(ctx, o)
	if err != nil {
		return nil, res, err
	}
	d, err := DeployedFromOutputsE(res.Outputs)
	return d, res, err
}

// Up is UpE that fails the test.
func Up(t testing.TestingT, ctx context.Context, o deploy.Options) *Deployed {
	d, _, err := UpE(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// DeployIdempotent deploys and deploys again: the second run must change nothing.
func DeployIdempotent(t testing.TestingT, ctx context.Context, o deploy.Options) *Deployed {
	d := Up(t, ctx, o)
	_, again, err := UpE(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if again.Summary.ResourceChanges == nil {
		t.Fatal("the second up reported no resource changes summary")
	}
	if n := changed(*again.Summary.ResourceChanges); n != 0 {
		t.Errorf("a second up must change nothing, changed %d: %v", n, *again.Summary.ResourceChanges)
	}
	return d
}

// changed counts the resources an update touched.
func changed(m map[string]int) int {
	n := 0
	for k, v := range m {
		if k != "same" {
			n += v
		}
	}
	return n
}

// DestroyE destroys the stack and checks that the data directory is gone and, when a final
// snapshot is expected, that it was left beside it.
func DestroyE(ctx context.Context, o deploy.Options, dataDir string, finalSnapshot bool) error {
	if err := deploy.Destroy(ctx, o); err != nil {
		return fmt.Errorf("destroy: %w", err)
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		return fmt.Errorf("the data directory must be gone after destroy: %v", err)
	}
	if snaps, _ := filepath.Glob(dataDir + "-snapshots/final-*"); finalSnapshot && len(snaps) == 0 {
		return fmt.Errorf("destroy must leave a final snapshot in %s-snapshots", dataDir)
	}
	return nil
}

// Destroy is DestroyE that fails the test (without stopping it: it runs in deferred stages).
func Destroy(t testing.TestingT, ctx context.Context, o deploy.Options, dataDir string, finalSnapshot bool) {
	if err := DestroyE(ctx, o, dataDir, finalSnapshot); err != nil {
		t.Errorf("%v", err)
	}
}

// AutomaticSnapshotsE lists the names of the automatic snapshots under a deployment's
// snapshot directory (a missing directory holds none).
func AutomaticSnapshotsE(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, ent := range ents {
		if strings.HasSuffix(ent.Name(), ".partial") {
			continue // being written
		}
		m, err := engine.ReadManifest(filepath.Join(dir, ent.Name()))
		if err != nil {
			return nil, err
		}
		if m.Automatic {
			names = append(names, m.Name)
		}
	}
	return names, nil
}

// processAlive reports whether pid is a live (not zombie) process.
func processAlive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// HTTPGetE returns the body of a 200 answer to GET url.
func HTTPGetE(url string) (string, error) { return httpget.Body(url) }

// HTTPGet is HTTPGetE that fails the test.
func HTTPGet(t testing.TestingT, url string) string {
	body, err := HTTPGetE(url)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// CountLogLines counts the lines of a log file that contain substr (0 for a missing file).
func CountLogLines(file, substr string) int {
	raw, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	n := 0
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}

// WaitForLogLineE waits until at least n lines of the log file contain substr.
func WaitForLogLineE(file, substr string, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		got := CountLogLines(file, substr)
		if got >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %d lines with %q after %s, want %d", file, got, substr, timeout, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WaitForLogLine is WaitForLogLineE that fails the test.
func WaitForLogLine(t testing.TestingT, file, substr string, n int, timeout time.Duration) {
	if err := WaitForLogLineE(file, substr, n, timeout); err != nil {
		t.Fatal(err)
	}
}

// NewClientPingE bootstraps a new cluster-aware client (TLS, the app user) from the given seeds
// and writes one key through it.
func NewClientPingE(ctx context.Context, d *Deployed, seeds []string) error {
	tc, err := TLSConfigE(d.CAFile)
	if err != nil {
		return err
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: seeds, Username: d.User, Password: d.Token, TLSConfig: tc,
		DialTimeout: 2 * time.Second, ReadTimeout: 3 * time.Second, WriteTimeout: 3 * time.Second})
	defer c.Close()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return c.Set(wctx, "seed-bootstrap", "ok", 0).Err()
}
