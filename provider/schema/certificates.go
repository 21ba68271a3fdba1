package schema

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"time"

	"github.com/rediskit/rediskit/internal/validate"
)

// Certificates a team brings (its own CA: cert-manager, Vault, a corporate PKI) in place of the
// CA the engine generates for local use. They are written where the generated ones would be
// (DataDir/tls), so every driver and the controller find them the same way.

// CertificateFiles are the paths the given certificates are written to.
func CertificateFiles(dataDir string) (cert, key, ca string) {
	dir := filepath.Join(dataDir, "tls")
	return filepath.Join(dir, "node.crt"), filepath.Join(dir, "node.key"), filepath.Join(dir, "ca.crt")
}

// GivenCertificates tells whether the inputs bring certificates.
func (a DeploymentArgs) GivenCertificates() bool {
	return a.TLSCertificate != nil || a.TLSPrivateKey != nil || a.TLSCACertificate != nil
}

// checkCertificates checks brought certificates as the nodes and their clients will use them:
// all three PEM blocks, the key matching the certificate, the certificate signed by the CA,
// valid now, for server and client use (replication and the cluster bus present it) and for the
// address nodes announce. The private key is never shown.
func checkCertificates(a DeploymentArgs, ps *validate.Problems) {
	if !a.GivenCertificates() {
		return
	}
	if !a.TLS {
		ps.Add("tlsCertificate", "set", "certificates only with in-transit encryption on (tls: true)")
		return
	}
	missing := false
	for _, f := range []struct {
		name string
		v    *string
	}{{"tlsCertificate", a.TLSCertificate}, {"tlsPrivateKey", a.TLSPrivateKey}, {"tlsCaCertificate", a.TLSCACertificate}} {
		if f.v == nil || *f.v == "" {
			ps.Add(f.name, "missing", "tlsCertificate, tlsPrivateKey and tlsCaCertificate are given together (PEM)")
			missing = true
		}
	}
	if missing {
		return
	}
	pair, err := tls.X509KeyPair([]byte(*a.TLSCertificate), []byte(*a.TLSPrivateKey))
	if err != nil {
		ps.Add("tlsPrivateKey", "(secret)", "the PEM private key of tlsCertificate: %v", err)
		return
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		ps.Add("tlsCertificate", "(unreadable)", "a PEM certificate: %v", err)
		return
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(*a.TLSCACertificate)) {
		ps.Add("tlsCaCertificate", "(unreadable)", "one or more PEM CA certificates")
		return
	}
	inter := x509.NewCertPool()
	for _, der := range pair.Certificate[1:] {
		if c, err := x509.ParseCertificate(der); err == nil {
			inter.AddCert(c)
		}
	}
	what := fmt.Sprintf("%q (expires %s)", cert.Subject.CommonName, cert.NotAfter.UTC().Format(time.DateOnly))
	for _, use := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{use}}); err != nil {
			ps.Add("tlsCertificate", what, "a certificate signed by tlsCaCertificate, valid now, for server and client authentication (nodes present it to each other): %v", err)
			return
		}
	}
	for _, h := range certificateHosts(a) {
		if err := cert.VerifyHostname(h); err != nil {
			ps.Add("tlsCertificate", what, "a certificate naming %s, where clients reach the nodes (a DNS or IP SAN): %v", h, err)
		}
	}
}

// certificateHosts are the names clients and nodes check the certificate against.
func certificateHosts(a DeploymentArgs) []string {
	hosts := []string{}
	switch {
	case a.Host == "" || a.Host == "0.0.0.0" || a.Host == "::":
		hosts = append(hosts, "127.0.0.1")
	default:
		hosts = append(hosts, a.Host)
	}
	return hosts
}

// CABundle is the CA file's content while certificates rotate: the given CA, then each CA
// of previous that it lacks, so that a node still presenting a certificate of the old CA is
// trusted until it restarts.
func CABundle(given, previous string) string {
	have := map[string]bool{}
	for b, r := pem.Decode([]byte(given)); b != nil; b, r = pem.Decode(r) {
		have[string(b.Bytes)] = true
	}
	out := given
	for b, r := pem.Decode([]byte(previous)); b != nil; b, r = pem.Decode(r) {
		if !have[string(b.Bytes)] {
			have[string(b.Bytes)] = true
			if out != "" && out[len(out)-1] != '\n' {
				out += "\n"
			}
			out += string(pem.EncodeToMemory(b))
		}
	}
	return out
}
