package provider

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/provider/schema"
)

// certSet is the content of a deployment's three TLS files.
type certSet struct{ cert, key, ca string }

func givenCerts(a schema.DeploymentArgs) certSet {
	return certSet{cert: *a.TLSCertificate, key: *a.TLSPrivateKey, ca: *a.TLSCACertificate}
}

// runningCerts reads the files the nodes started with (generated or brought); ok is false
// where there are none.
func runningCerts(dataDir string) (certSet, bool) {
	certF, keyF, caF := schema.CertificateFiles(dataDir)
	var s certSet
	for _, f := range []struct {
		path string
		into *string
	}{{certF, &s.cert}, {keyF, &s.key}, {caF, &s.ca}} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			return s, false
		}
		*f.into = string(b)
	}
	return s, true
}

// writeCerts replaces the files, each by a rename so that no process reads half a file; the
// key is readable by its owner only.
func writeCerts(dataDir string, s certSet) error {
	certF, keyF, caF := schema.CertificateFiles(dataDir)
	if err := os.MkdirAll(filepath.Dir(certF), 0o700); err != nil {
		return fmt.Errorf("writing certificates: %w", err)
	}
	for _, f := range []struct {
		path, body string
		mode       os.FileMode
	}{{certF, s.cert, 0o644}, {keyF, s.key, 0o600}, {caF, s.ca, 0o644}} {
		tmp := f.path + ".new"
		if err := os.WriteFile(tmp, []byte(f.body), f.mode); err != nil {
			return fmt.Errorf("writing certificates: %w", err)
		}
		if err := os.Rename(tmp, f.path); err != nil {
			return fmt.Errorf("writing certificates: %w", err)
		}
	}
	return nil
}

// certRotation is how running nodes move to brought certificates: the files to write before
// the engine is placed (now), then for each rolling restart the files it rolls in.
type certRotation struct {
	now   certSet
	rolls []certSet
}

// planCertRotation decides the rotation from the certificates the nodes run with to the
// given ones. The same certificate needs no restart (only the CA file may lose a CA a previous
// rotation kept). A new certificate of a CA the nodes trust needs one rolling restart. A new CA
// (or the switch from the generated one) goes in first, beside the old CA and under the old
// certificate, so that no node meets a peer whose certificate it cannot verify (replication
// links and the cluster bus check each other's); a second rolling restart then brings the new
// certificate. The old CA stays in the bundle until the next update, for clients holding it.
func planCertRotation(running certSet, hasRunning bool, want certSet) certRotation {
	switch {
	case !hasRunning || (running.cert == want.cert && running.key == want.key):
		return certRotation{now: want}
	case signedBy(running.cert, want.ca):
		return certRotation{now: want, rolls: []certSet{want}}
	}
	bundle := schema.CABundle(want.ca, running.ca)
	first := certSet{cert: running.cert, key: running.key, ca: bundle}
	return certRotation{now: first, rolls: []certSet{first, {cert: want.cert, key: want.key, ca: bundle}}}
}

// signedBy tells whether a PEM certificate verifies against PEM CAs.
func signedBy(certPEM, caPEM string) bool {
	b, _ := pem.Decode([]byte(certPEM))
	if b == nil {
		return false
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return false
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(caPEM)) {
		return false
	}
	_, err = c.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, CurrentTime: c.NotBefore.Add(time.Second)})
	return err == nil
}

// applyCertRotation runs the restarts of a rotation on the placed engine.
func applyCertRotation(ctx context.Context, e *engine.Engine, dataDir string, rot certRotation) error {
	for _, files := range rot.rolls {
		if err := writeCerts(dataDir, files); err != nil {
			return err
		}
		if err := e.RollCertificates(ctx); err != nil {
			return fmt.Errorf("rolling the new certificates in: %w", err)
		}
	}
	return nil
}
