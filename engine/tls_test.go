package engine

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestGenerateCerts(t *testing.T) {
	dir := t.TempDir()
	files := &TLSFiles{CertFile: dir + "/node.crt", KeyFile: dir + "/node.key", CAFile: dir + "/ca.crt"}
	if err := GenerateCerts(files, "10.1.2.3", "cache.internal"); err != nil {
		t.Fatal(err)
	}
	pemCert, _ := os.ReadFile(files.CertFile)
	block, _ := pem.Decode(pemCert)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pool, _ := ClientTLSConfig(files)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool.RootCAs, DNSName: "cache.internal"}); err != nil {
		t.Fatalf("node certificate does not verify against the CA: %v", err)
	}
	if err := cert.VerifyHostname("10.1.2.3"); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(files.KeyFile); st.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v", st.Mode())
	}
	// A second call keeps the CA clients already trust.
	before, _ := os.ReadFile(files.CAFile)
	if err := GenerateCerts(files); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(files.CAFile); string(after) != string(before) {
		t.Fatal("CA regenerated")
	}
}

// TLS in replication mode: clients, replication and Sentinel (discovery and its links to
// the nodes) all over TLS; the plaintext ports are closed.
func TestReplicationTLS(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeReplication, 1, 1)
	d.Name = "rk-tls"
	d.TLS = TLS{Enabled: true, Mode: "required"}
	e := Up(t, d)
	c := failoverClient(e)
	defer c.Close()
	if ok, err := writeAcked(ctx, c, "secure", "1"); err != nil || !ok {
		t.Fatalf("write over TLS acknowledged by the replica: %v %v", ok, err)
	}
	if info := NodeInfo(t, e, e.Plan.Nodes[1], "replication"); info["master_link_status"] != "up" {
		t.Fatalf("TLS replication link %s", info["master_link_status"])
	}
	for _, addr := range []string{e.Plan.Nodes[0].Addr(), e.Plan.Sentinels[0].Addr()} {
		plain := redis.NewClient(&redis.Options{Addr: addr, Username: AdminUser, Password: adminPass,
			DialTimeout: time.Second, ReadTimeout: time.Second, MaxRetries: -1})
		if err := plain.Ping(ctx).Err(); err == nil {
			t.Errorf("plaintext PING to %s succeeded", addr)
		}
		plain.Close()
	}
	if e.Plan.Nodes[0].PlainPort != 0 || e.Plan.Sentinels[0].PlainPort != 0 {
		t.Fatal("plaintext ports open with TLS required")
	}
	// Failover works over TLS too.
	if err := e.Failover(ctx); err != nil {
		t.Fatal(err)
	}
	if p := assertOnePrimary(t, e); p.ID != e.Plan.Nodes[1].ID {
		t.Fatalf("primary after failover %s", p.ID)
	}
	if v, err := c.Get(ctx, "secure").Result(); err != nil || v != "1" {
		t.Fatalf("GET after failover: %q %v", v, err)
	}
}

// TLS "preferred" is the migration mode (terraform-aws-modules #55, #57): both ports serve,
// and TLS works on a standalone node too.
func TestSingleNodeTLSPreferred(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeSingle, 1, 0)
	d.Name = "rk-tlspref"
	d.TLS = TLS{Enabled: true, Mode: "preferred"}
	e := Up(t, d)
	n := e.Plan.Nodes[0]
	if n.PlainPort == 0 || n.TLSPort == 0 || n.PlainPort == n.TLSPort {
		t.Fatalf("ports %d/%d", n.PlainPort, n.TLSPort)
	}
	secure := appClient(e, n) // n.Addr() is the TLS port
	defer secure.Close()
	if err := secure.Set(ctx, "k", "tls", 0).Err(); err != nil {
		t.Fatalf("TLS client: %v", err)
	}
	plain := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", n.PlainPort), Username: "app", Password: appToken})
	defer plain.Close()
	if v, err := plain.Get(ctx, "k").Result(); err != nil || v != "tls" {
		t.Fatalf("plaintext client during migration: %q %v", v, err)
	}
}

// TLS required on a single node: the plaintext port is closed (port 0), a TLS client works
// and a plaintext client gets no answer at all on the node's port.
func TestSingleNodeTLSRequired(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	d := newDeployment(t, ModeSingle, 1, 0)
	d.Name = "rk-tlsreq"
	d.TLS = TLS{Enabled: true, Mode: "required"}
	e := Up(t, d)
	n := e.Plan.Nodes[0]
	if n.PlainPort != 0 || n.TLSPort != d.BasePort || n.Port() != n.TLSPort {
		t.Fatalf("ports: plain %d, tls %d (base %d)", n.PlainPort, n.TLSPort, d.BasePort)
	}
	app := appClient(e, n)
	defer app.Close()
	if err := app.Set(ctx, "k", "over-tls", 0).Err(); err != nil {
		t.Fatalf("TLS client: %v", err)
	}
	if v, err := app.Get(ctx, "k").Result(); err != nil || v != "over-tls" {
		t.Fatalf("TLS GET = %q, %v", v, err)
	}
	adm := adminClient(e, n)
	defer adm.Close()
	cfg, err := adm.ConfigGet(ctx, "*port").Result()
	if err != nil {
		t.Fatal(err)
	}
	if cfg["port"] != "0" || cfg["tls-port"] != fmt.Sprint(n.TLSPort) {
		t.Fatalf("node listens on port %q, tls-port %q", cfg["port"], cfg["tls-port"])
	}
	plain := redis.NewClient(&redis.Options{Addr: n.Addr(), Username: "app", Password: appToken,
		DialTimeout: time.Second, ReadTimeout: time.Second, MaxRetries: -1})
	defer plain.Close()
	err = plain.Ping(ctx).Err()
	if err == nil {
		t.Fatal("plaintext PING on the TLS port succeeded")
	}
	if _, isRedisErr := err.(redis.Error); isRedisErr {
		t.Fatalf("plaintext client got a Redis reply (%v): the port speaks plaintext", err)
	}
}

// Certificates given by the user (certFile/keyFile/caFile) are used as they are: nothing is
// generated, the node presents the given certificate, and clients trusting the given CA
// connect.
func TestGivenCertificates(t *testing.T) {
	requireRedis(t)
	ctx := context.Background()
	certDir := t.TempDir()
	given := &TLSFiles{CertFile: certDir + "/server.pem", KeyFile: certDir + "/server-key.pem", CAFile: certDir + "/my-ca.pem"}
	if err := GenerateCerts(given, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	d := newDeployment(t, ModeSingle, 1, 0)
	d.Name = "rk-tlsgiven"
	d.TLS = TLS{Enabled: true, CertFile: given.CertFile, KeyFile: given.KeyFile, CAFile: given.CAFile}
	e := Up(t, d)
	if e.Plan.TLS == nil || e.Plan.TLS.Generate || *e.Plan.TLS != (TLSFiles{CertFile: given.CertFile, KeyFile: given.KeyFile, CAFile: given.CAFile}) {
		t.Fatalf("plan TLS %+v, want the given files", e.Plan.TLS)
	}
	if _, err := os.Stat(d.DataDir + "/tls"); !os.IsNotExist(err) {
		t.Fatalf("certificates generated although given: %v", err)
	}
	n := e.Plan.Nodes[0]
	// The node presents exactly the given certificate, verified against the given CA.
	pool, err := ClientTLSConfig(given)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", n.Addr(), &tls.Config{RootCAs: pool.RootCAs, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("TLS handshake with the given CA: %v", err)
	}
	presented := conn.ConnectionState().PeerCertificates[0].Raw
	conn.Close()
	pemCert, _ := os.ReadFile(given.CertFile)
	block, _ := pem.Decode(pemCert)
	if block == nil || !bytes.Equal(block.Bytes, presented) {
		t.Fatal("the node does not present the given certificate")
	}
	app := appClient(e, n)
	defer app.Close()
	if err := app.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("client trusting the given CA: %v", err)
	}
	// A client trusting another CA is refused.
	other := &TLSFiles{CertFile: t.TempDir() + "/c.pem", KeyFile: t.TempDir() + "/k.pem", CAFile: t.TempDir() + "/ca.pem"}
	if err := GenerateCerts(other); err != nil {
		t.Fatal(err)
	}
	otherConf, _ := ClientTLSConfig(other)
	if c, err := tls.Dial("tcp", n.Addr(), &tls.Config{RootCAs: otherConf.RootCAs, ServerName: "127.0.0.1"}); err == nil {
		c.Close()
		t.Fatal("a client trusting another CA accepted the node's certificate")
	}
}
