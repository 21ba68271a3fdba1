package provider

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

// testCA is a CA that signs test certificates.
type testCA struct {
	pem  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T) testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: "ca"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return testCA{pem: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), cert: c, key: key}
}

func (ca testCA) sign(t *testing.T) string {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)},
		ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestPlanCertRotation(t *testing.T) {
	a, b := newTestCA(t), newTestCA(t)
	certA1, certA2, certB := a.sign(t), a.sign(t), b.sign(t)
	running := certSet{cert: certA1, key: "k1", ca: a.pem}

	if r := planCertRotation(running, false, certSet{cert: certB, key: "kb", ca: b.pem}); len(r.rolls) != 0 || r.now.cert != certB {
		t.Errorf("a new deployment: %d restarts, want none and the given files", len(r.rolls))
	}
	if r := planCertRotation(running, true, running); len(r.rolls) != 0 {
		t.Errorf("the same certificate: %d restarts, want none", len(r.rolls))
	}
	// The same CA signs the new certificate: one rolling restart with the new files.
	if r := planCertRotation(running, true, certSet{cert: certA2, key: "k2", ca: a.pem}); len(r.rolls) != 1 || r.rolls[0].cert != certA2 {
		t.Errorf("a new certificate of the same CA: %d restarts, want one with it", len(r.rolls))
	}
	// A new CA: the bundle under the old certificate first, then the new certificate.
	r := planCertRotation(running, true, certSet{cert: certB, key: "kb", ca: b.pem})
	if len(r.rolls) != 2 {
		t.Fatalf("a new CA: %d restarts, want 2", len(r.rolls))
	}
	if r.now.cert != certA1 || r.rolls[0].cert != certA1 || r.rolls[1].cert != certB {
		t.Error("a new CA: the old certificate must stay for the first restart, the new one come with the second")
	}
	for i, files := range r.rolls {
		if !signedBy(certA1, files.ca) || !signedBy(certB, files.ca) {
			t.Errorf("restart %d: the CA bundle must trust both the old and the new certificate", i+1)
		}
	}
	if signedBy(certB, a.pem) {
		t.Error("signedBy accepts a certificate of another CA")
	}
	// The rotation done, the next update keeps the certificate and drops the old CA, restarting nothing.
	after := certSet{cert: certB, key: "kb", ca: r.rolls[1].ca}
	if r := planCertRotation(after, true, certSet{cert: certB, key: "kb", ca: b.pem}); len(r.rolls) != 0 || r.now.ca != b.pem {
		t.Errorf("after a rotation: %d restarts and CA file %q, want none and the given CA", len(r.rolls), r.now.ca)
	}
}
