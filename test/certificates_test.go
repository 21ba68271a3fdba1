package test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/cache"
	"github.com/rediskit/rediskit/components/inputs"
	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/infra/deploy"
)

// pki is a team's own CA and a node certificate it signed.
type pki struct {
	ca, cert, key string
	serial        *big.Int
}

func newPKI(t *testing.T, name string, hosts ...string) pki {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: name + " CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano() + 1), Subject: pkix.Name{CommonName: name + " node"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	return pki{
		ca:     string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})),
		cert:   string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		key:    string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})),
		serial: tmpl.SerialNumber,
	}
}

// presented is the serial of the certificate a TLS port presents, verified against ca alone.
func presentedE(addr, ca string) (*big.Int, error) {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(ca))
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber, nil
}

// TestSelfHostedBroughtCertificates deploys a replication group with a team's own CA (the
// private key wired as a secret Output, so the provider checks it when it resolves), rotates to
// another CA in place (every node and sentinel presents the new certificate, the data stays,
// clients that trust only the new CA connect), refuses a certificate for the wrong host by
// name, and never writes the key in plain text into the state.
func TestSelfHostedBroughtCertificates(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: deploys real Valkey")
	}
	requireTools(t)
	work := t.TempDir()
	const name = "rk-e2e-certs"
	program := func(p pki) pulumi.RunFunc {
		return func(ctx *pulumi.Context) error {
			c, err := cache.NewCache(ctx, name, &cache.CacheArgs{
				Target: spec.TargetSelfHosted,
				Cache: spec.Cache{Name: name, Mode: spec.ModeReplication, Engine: "valkey", EngineVersion: "8.0",
					Replicas: pulumi.IntRef(1), NodeType: "cache.t4g.micro",
					SelfHosted: spec.SelfHosted{BasePort: 7350, DataDir: filepath.Join(work, "data")}},
				Inputs: inputs.Inputs{
					TLSCertificate:   pulumi.String(p.cert),
					TLSPrivateKey:    pulumi.ToSecret(pulumi.String(p.key)).(pulumi.StringOutput),
					TLSCACertificate: pulumi.String(p.ca),
				},
			})
			if err != nil {
				return err
			}
			for k, v := range map[string]pulumi.Input{"endpoint": c.Endpoint, "port": c.Port, "authUser": c.AuthUser,
				"authToken": c.AuthToken, "caFile": c.CAFile, "nodes": c.Nodes, "sentinels": c.Sentinels} {
				ctx.Export(k, v)
			}
			return nil
		}
	}
	o := func(p pki) deploy.Options {
		return deploy.Options{Root: "..", Stack: "certs", StateDir: filepath.Join(work, "state"), Project: "rk-certs",
			Program: program(p), Progress: testWriter{t}}
	}
	ctx := context.Background()
	first := newPKI(t, "team", "127.0.0.1", "localhost")
	t.Cleanup(func() {
		if err := deploy.Destroy(ctx, o(first)); err != nil {
			t.Errorf("destroy: %v", err)
		}
	})
	d := Up(t, ctx, o(first))
	everyProcess := func(d *Deployed) []string {
		addrs := append([]string(nil), d.Sentinels...)
		for _, n := range d.Nodes {
			addrs = append(addrs, fmt.Sprintf("%s:%d", n.Host, n.Port))
		}
		return addrs
	}
	presents := func(d *Deployed, p pki) {
		t.Helper()
		for _, addr := range everyProcess(d) {
			serial, err := presentedE(addr, p.ca)
			if err != nil {
				t.Fatalf("%s: TLS with only the team's CA: %v", addr, err)
			}
			if serial.Cmp(p.serial) != 0 {
				t.Errorf("%s presents certificate %v, want the team's %v", addr, serial, p.serial)
			}
		}
	}
	presents(d, first)
	c, err := FailoverClientE(d, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "order:1", "paid", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	c.Close()

	// A certificate that does not name the nodes' address is refused by name; nothing changes.
	wrongHost := newPKI(t, "wrong", "cache.example.com")
	_, _, err = UpE(ctx, o(wrongHost))
	if err == nil || !strings.Contains(err.Error(), "tlsCertificate") || !strings.Contains(err.Error(), "naming 127.0.0.1") {
		t.Fatalf("an up with a certificate for cache.example.com: %v; want tlsCertificate refused for 127.0.0.1", err)
	}
	presents(d, first)

	// Another CA: rolled in, nodes and sentinels, with the data kept.
	second := newPKI(t, "team-2027", "127.0.0.1", "localhost")
	d = Up(t, ctx, o(second))
	presents(d, second)
	ca, err := os.ReadFile(d.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ca), strings.TrimSpace(second.ca)) {
		t.Errorf("the caFile output %s does not hold the new CA", d.CAFile)
	}
	if err := os.WriteFile(filepath.Join(work, "new-ca.pem"), []byte(second.ca), 0o600); err != nil {
		t.Fatal(err)
	}
	d.CAFile = filepath.Join(work, "new-ca.pem") // a client that trusts only the new CA
	c, err = FailoverClientE(d, name)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if v, err := c.Get(ctx, "order:1").Result(); err != nil || v != "paid" {
		t.Fatalf("GET after the rotation, trusting only the new CA: %q %v", v, err)
	}
	// The private keys are in the state encrypted only.
	_ = filepath.Walk(filepath.Join(work, "state"), func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, k := range []string{first.key, second.key} {
			if strings.Contains(string(b), strings.Split(k, "\n")[1]) {
				t.Errorf("%s holds a private key in plain text", p)
			}
		}
		return nil
	})
}
