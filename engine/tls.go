package engine

import (
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
	"time"
)

// GenerateCerts writes a private CA and one certificate for every node into the paths of
// files, for local use where nobody hands us certificates. The node certificate names
// localhost, 127.0.0.1 and the given hosts, and serves as client certificate as well (the
// cluster bus and replication links present it). Existing files are kept, so a restart
// does not change the CA clients trust.
func GenerateCerts(files *TLSFiles, hosts ...string) error {
	if _, err := os.Stat(files.CertFile); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(files.CertFile), 0o700); err != nil {
		return fmt.Errorf("generating certificates: %w", err)
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating CA key: %w", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "rediskit local CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("signing CA: %w", err)
	}
	ca, _ := x509.ParseCertificate(caDER)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating node key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "rediskit node"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(2, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("signing node certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("encoding node key: %w", err)
	}
	for _, f := range []struct {
		path, typ string
		der       []byte
		mode      os.FileMode
	}{
		{files.CAFile, "CERTIFICATE", caDER, 0o644},
		{files.KeyFile, "EC PRIVATE KEY", keyDER, 0o600},
		{files.CertFile, "CERTIFICATE", der, 0o644}, // last: its presence means "done"
	} {
		data := pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der})
		if err := os.WriteFile(f.path, data, f.mode); err != nil {
			return fmt.Errorf("writing %s: %w", f.path, err)
		}
	}
	return nil
}

// ClientTLSConfig returns a TLS configuration trusting the deployment's CA.
func ClientTLSConfig(files *TLSFiles) (*tls.Config, error) {
	if files == nil {
		return nil, nil
	}
	pemCA, err := os.ReadFile(files.CAFile)
	if err != nil {
		return nil, fmt.Errorf("reading CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemCA) {
		return nil, fmt.Errorf("no certificate in %s", files.CAFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// certHosts lists what a generated node certificate must name: the deployment's host, every
// node's and sentinel's own address, and the extra hosts of the TLS settings.
func (p *Plan) certHosts() []string {
	d := p.Deployment
	hosts := []string{d.Host}
	for _, id := range sortedKeys(d.NodeHosts) {
		hosts = append(hosts, d.NodeHosts[id])
	}
	return append(hosts, d.TLS.Hosts...)
}
