package operator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/internal/testenv"
	"github.com/rediskit/rediskit/internal/testports"
	"github.com/rediskit/rediskit/kubernetes/render"
)

// A node serving another certificate than the TLS Secret's (the Secret re-issued) is told to
// read its files again; until the kubelet has updated the mounted files that changes nothing
// and the node stays stale; once it has, the node serves the Secret's certificate, without a
// restart.
func TestReloadCertificates(t *testing.T) {
	testenv.RequireCommands(t, "apt-get install valkey-server (make apt-packages)", "valkey-server")
	dir := t.TempDir()
	ca := newTestCA(t)
	leaf := func(serial int64) (crt, key []byte) { return ca.leaf(t, serial, "n1", "n1.test") }
	files := &engine.TLSFiles{CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key"), CAFile: filepath.Join(dir, "ca.crt")}
	write := func(crt, key []byte) {
		for f, b := range map[string][]byte{files.CertFile: crt, files.KeyFile: key, files.CAFile: ca.pem()} {
			if err := os.WriteFile(f, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(leaf(0x10))
	port, err := testports.Block(1, false)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("valkey-server", "--port", "0", "--tls-port", fmt.Sprint(port), "--bind", "127.0.0.1", "--tls-cert-file", files.CertFile,
		"--tls-key-file", files.KeyFile, "--tls-ca-cert-file", files.CAFile, "--tls-auth-clients", "no", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	next, nextKey := leaf(0x11)
	d := &dialer{password: liveAdminPass, tls: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, certSerial: "11"}
	targets := []target{{Node: render.Node{ID: "n1", Host: "n1.test"}, IP: "127.0.0.1", Port: port}}
	ctx := context.Background()
	boot := redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", fmt.Sprint(port)), TLSConfig: d.tlsFor("n1.test"), Protocol: 2, DisableIdentity: true})
	defer boot.Close()
	if err := engine.Poll(ctx, 10*time.Second, 50*time.Millisecond, "the node to answer", func(ctx context.Context) error {
		return boot.Do(ctx, "acl", "setuser", engine.AdminUser, "on", ">"+liveAdminPass, "~*", "&*", "+@all").Err()
	}); err != nil {
		t.Fatal(err)
	}
	plan := &engine.Plan{TLS: files}
	stale := func() int { return len(staleCertificates(d, gather(ctx, d, false, targets))) }
	if n := stale(); n != 1 {
		t.Fatalf("serving serial 10 with the Secret at 11: %d stale; want 1", n)
	}
	// The Secret changed, the mounted files not yet: a reload reads the same old files.
	if err := reloadCertificates(ctx, d, plan, gather(ctx, d, false, targets)); err != nil {
		t.Fatal(err)
	}
	if n := stale(); n != 1 {
		t.Errorf("reloaded before the files changed: %d stale; want 1", n)
	}
	write(next, nextKey) // the kubelet's update of the mounted Secret
	if err := reloadCertificates(ctx, d, plan, gather(ctx, d, false, targets)); err != nil {
		t.Fatal(err)
	}
	if n := stale(); n != 0 {
		t.Errorf("after the files changed and a reload: %d stale; want 0", n)
	}
	if pid := cmd.Process.Pid; pid == 0 || cmd.ProcessState != nil {
		t.Error("the node restarted")
	}
}
