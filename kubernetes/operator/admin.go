package operator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/kubernetes/render"
)

// Timeouts of one command to a node. A pass asks every node a few questions; a node that
// hangs must not hold the pass (and every other cache's) for long.
var (
	NodeDialTimeout = time.Second
	NodeIOTimeout   = 2 * time.Second
)

// dialer connects to a cache's nodes as the engine's admin user.
//
// It dials a node at its pod's current IP, read from the API server on every pass, and checks
// its certificate against the pod's DNS name: the operator needs no cluster DNS (it may run
// outside the cluster, or before CoreDNS has the pod's record), and a pod that came back with
// a new address is reached there at once.
type dialer struct {
	password string
	tls      *tls.Config
	// certSerial is the serial number (hex) of the certificate in the TLS Secret, which every
	// node should serve; served records what each node served at its last handshake, by host.
	certSerial string
	served     sync.Map
}

// newDialer reads the CA from the cache's TLS Secret when the cache speaks TLS.
func (r *Reconciler) newDialer(ctx context.Context, ns string, objs *render.Objects, creds render.Credentials) (*dialer, error) {
	d := &dialer{password: creds.AdminPassword}
	if objs.TLSSecret == "" {
		return d, nil
	}
	s := &corev1.Secret{}
	key := types.NamespacedName{Namespace: ns, Name: objs.TLSSecret}
	if err := r.Get(ctx, key, s); err != nil {
		return nil, fmt.Errorf("reading the TLS Secret %s to verify the nodes: %w", key, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.Data["ca.crt"]) {
		return nil, fmt.Errorf("TLS Secret %s: key ca.crt holds no PEM certificate; it must hold the CA that signed tls.crt", key)
	}
	d.tls = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if block, _ := pem.Decode(s.Data["tls.crt"]); block != nil {
		if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
			d.certSerial = cert.SerialNumber.Text(16)
		}
	}
	return d, nil
}

// client connects to node host (its DNS name, which its certificate names) at ip:port.
func (d *dialer) client(host, ip string, port int) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: net.JoinHostPort(ip, strconv.Itoa(port)), Username: engine.AdminUser, Password: d.password, TLSConfig: d.tlsFor(host),
		DialTimeout: NodeDialTimeout, ReadTimeout: NodeIOTimeout, WriteTimeout: NodeIOTimeout,
		MaxRetries: -1, PoolSize: 1, Protocol: 2, DisableIdentity: true,
	})
}

// tlsFor is the TLS configuration that checks node host's certificate (nil without TLS).
func (d *dialer) tlsFor(host string) *tls.Config {
	if d.tls == nil {
		return nil
	}
	tc := d.tls.Clone()
	tc.ServerName = host
	tc.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) > 0 {
			d.served.Store(host, cs.PeerCertificates[0].SerialNumber.Text(16))
		}
		return nil
	}
	return tc
}
