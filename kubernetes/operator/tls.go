package operator

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
	"github.com/rediskit/rediskit/kubernetes/render"
)

// Keys of the TLS Secret the node pods mount (kubernetes.tlsSecret's too) and of the CA
// Secret the operator keeps beside it.
const (
	keyTLSCert = corev1.TLSCertKey
	keyTLSKey  = corev1.TLSPrivateKeyKey
	keyCACert  = "ca.crt"
	keyCAKey   = "ca.key"
)

// Lifetimes of what the operator issues. The leaf is re-issued well before it expires, on a
// pass that the manager's periodic resync (ten hours by default) guarantees; the CA lives
// long because clients hold a copy of its certificate and a new one means handing it out
// again.
const (
	caValidity   = 10 * 365 * 24 * time.Hour
	leafValidity = 365 * 24 * time.Hour
	renewBefore  = 30 * 24 * time.Hour
	// backdate keeps a certificate valid on a node whose clock is somewhat behind ours.
	backdate = time.Hour
)

// caSecretName is where the operator keeps the cache's CA, key included. It is a Secret of
// its own rather than a key of <cache>-tls because the node pods mount <cache>-tls whole: a
// CA key there would let anyone who reads a pod's files mint certificates every client of
// the cache trusts.
func caSecretName(c *v1alpha1.Cache) string { return c.Name + "-tls-ca" }

// ensureTLS makes sure the TLS Secret the node pods mount holds a usable certificate when
// encryption in transit is on. A Secret named by kubernetes.tlsSecret is the user's: it is
// only read, and a missing key is an error naming it. Otherwise the operator keeps
// <cache>-tls itself: a leaf certificate for every name the cache serves, signed by a CA of
// the cache's own (kept in <cache>-tls-ca), both generated once and read back on every pass;
// the leaf is re-issued under the same CA when it nears its expiry or lacks a name.
func (r *Reconciler) ensureTLS(ctx context.Context, c *v1alpha1.Cache, res *render.Resolved) error {
	if render.TLSSecretName(res) == "" {
		// No TLS: the pods mount no certificate.
		return nil
	}
	if name := res.Kubernetes.TLSSecret; name != "" {
		return r.checkUserTLS(ctx, c.Namespace, name)
	}
	ca, err := r.ensureCA(ctx, c, res)
	if err != nil {
		return err
	}
	return r.ensureLeaf(ctx, c, res, ca)
}

// checkUserTLS reads the user's Secret and checks it has what the pods read from it.
func (r *Reconciler) checkUserTLS(ctx context.Context, ns, name string) error {
	s := &corev1.Secret{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, s); err != nil {
		return fmt.Errorf("reading kubernetes.tlsSecret %q: %w", name, err)
	}
	var missing []string
	for _, k := range []string{keyTLSCert, keyTLSKey, keyCACert} {
		if len(s.Data[k]) == 0 {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("kubernetes.tlsSecret %q: no key %v; it holds the nodes' certificate (key %q), its private key (%q) and the CA certificate that verifies it (%q)",
			name, missing, keyTLSCert, keyTLSKey, keyCACert)
	}
	return nil
}

// authority is a cache's CA: its certificate (as stored, PEM) and key.
type authority struct {
	cert    *x509.Certificate
	certPEM []byte
	key     *ecdsa.PrivateKey
}

// ensureCA reads the cache's CA back, or generates it on the first pass. A damaged CA Secret
// is an error rather than a new CA: clients trust the old one, and replacing it silently
// would cut them off.
func (r *Reconciler) ensureCA(ctx context.Context, c *v1alpha1.Cache, res *render.Resolved) (*authority, error) {
	name := caSecretName(c)
	s, err := r.ownedSecret(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if s != nil {
		ca, err := parseAuthority(s.Data)
		if err != nil {
			return nil, fmt.Errorf("reading the CA of cache %s from secret %s/%s: %w; delete secrets %s and %s to have a new CA generated (clients must then trust its %s)",
				c.Name, c.Namespace, name, err, name, render.TLSSecretName(res), keyCACert)
		}
		return ca, nil
	}
	ca, keyPEM, err := newAuthority(fmt.Sprintf("rediskit cache %s/%s CA", c.Namespace, c.Name), time.Now())
	if err != nil {
		return nil, fmt.Errorf("generating the CA of cache %s/%s: %w", c.Namespace, c.Name, err)
	}
	s, err = r.newOwnedSecret(c, name, corev1.SecretTypeOpaque)
	if err != nil {
		return nil, err
	}
	s.Data = map[string][]byte{keyCACert: ca.certPEM, keyCAKey: keyPEM}
	if err := r.Create(ctx, s); err != nil {
		return nil, fmt.Errorf("creating secret %s/%s (the cache's CA): %w", c.Namespace, name, err)
	}
	return ca, nil
}

// ensureLeaf keeps <cache>-tls: the leaf, its key and the CA certificate, re-issued only when
// leafProblem finds a reason.
func (r *Reconciler) ensureLeaf(ctx context.Context, c *v1alpha1.Cache, res *render.Resolved, ca *authority) error {
	name := render.TLSSecretName(res)
	names := render.CertificateNames(res)
	s, err := r.ownedSecret(ctx, c, name)
	if err != nil {
		return err
	}
	now := time.Now()
	reason := "none issued yet"
	if s != nil {
		if reason = leafProblem(s.Data, ca, names, now); reason == "" {
			return nil
		}
	}
	certPEM, keyPEM, err := issueLeaf(ca, c.Name, names, now, now.Add(leafValidity))
	if err != nil {
		return fmt.Errorf("issuing the certificate of cache %s/%s: %w", c.Namespace, c.Name, err)
	}
	data := map[string][]byte{keyTLSCert: certPEM, keyTLSKey: keyPEM, keyCACert: ca.certPEM}
	if s == nil {
		if s, err = r.newOwnedSecret(c, name, corev1.SecretTypeTLS); err != nil {
			return err
		}
		s.Data = data
		if err := r.Create(ctx, s); err != nil {
			return fmt.Errorf("creating secret %s/%s (the nodes' certificate): %w", c.Namespace, name, err)
		}
	} else {
		s.Data = data
		if err := r.Update(ctx, s); err != nil {
			return fmt.Errorf("updating secret %s/%s (re-issuing the nodes' certificate: %s): %w", c.Namespace, name, reason, err)
		}
	}
	log.FromContext(ctx).Info("issued the nodes' certificate", "secret", name, "reason", reason, "names", names)
	return nil
}

// ownedSecret reads a Secret the operator keeps for the cache: nil when it does not exist,
// an error when a Secret of that name exists that the cache does not control, which the
// operator never takes over (it may be the user's, made for another purpose).
func (r *Reconciler) ownedSecret(ctx context.Context, c *v1alpha1.Cache, name string) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	err := r.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: name}, s)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading secret %s/%s: %w", c.Namespace, name, err)
	}
	if !metav1.IsControlledBy(s, c) {
		return nil, fmt.Errorf("secret %s/%s exists but cache %s does not control it, so the operator leaves it alone: name it in kubernetes.tlsSecret to use it as it is, or delete it to have the operator generate one",
			c.Namespace, name, c.Name)
	}
	return s, nil
}

// newOwnedSecret is a Secret of the cache's, labelled like <cache>-auth and controlled by
// the Cache, so it goes when the Cache does.
func (r *Reconciler) newOwnedSecret(c *v1alpha1.Cache, name string, typ corev1.SecretType) (*corev1.Secret, error) {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.Namespace,
		Labels: map[string]string{render.LabelCache: c.Name, render.LabelManagedBy: "rediskit-operator"}}, Type: typ}
	if err := controllerutil.SetControllerReference(c, s, r.Scheme); err != nil {
		return nil, fmt.Errorf("making cache %s/%s the owner of secret %s: %w", c.Namespace, c.Name, name, err)
	}
	return s, nil
}

// leafProblem says why the stored leaf must be re-issued, or "" when it serves: it must be
// the CA's (ca.crt as the CA Secret has it, and verified by it), match its key, be valid for
// server and client authentication beyond renewBefore, and carry every name in names.
func leafProblem(data map[string][]byte, ca *authority, names []string, now time.Time) string {
	if !bytes.Equal(data[keyCACert], ca.certPEM) {
		return keyCACert + " is not the cache's CA"
	}
	cert, err := parseCert(data[keyTLSCert])
	if err != nil {
		return keyTLSCert + ": " + err.Error()
	}
	key, err := parseKey(data[keyTLSKey])
	if err != nil {
		return keyTLSKey + ": " + err.Error()
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return keyTLSKey + " is not the key of " + keyTLSCert
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
			return "the CA does not verify it: " + err.Error()
		}
	}
	if left := cert.NotAfter.Sub(now); left < renewBefore {
		return fmt.Sprintf("it expires on %s, in less than %d days", cert.NotAfter.UTC().Format(time.RFC3339), int(renewBefore.Hours()/24))
	}
	var missing []string
	for _, n := range names {
		if !slices.Contains(cert.DNSNames, n) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Sprintf("it lacks the names %v", missing)
	}
	return ""
}

// newAuthority generates a CA (ECDSA P-256) that may sign leaf certificates only.
func newAuthority(commonName string, now time.Time) (*authority, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating the CA key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"rediskit"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("signing the CA certificate: %w", err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	return &authority{cert: cert, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key: key}, keyPEM, nil
}

// issueLeaf issues a certificate (ECDSA P-256, a new key) for names, for servers and
// clients alike: the nodes present it to clients and to each other (replication and the
// cluster bus authenticate both ends). It never outlives its CA.
func issueLeaf(ca *authority, commonName string, names []string, now, notAfter time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating the certificate's key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, err
	}
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName, Organization: []string{"rediskit"}},
		DNSNames:     names,
		NotBefore:    now.Add(-backdate),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, fmt.Errorf("signing the certificate: %w", err)
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM, nil
}

// parseAuthority reads a CA back from its Secret's data, checking that key and certificate
// belong together.
func parseAuthority(data map[string][]byte) (*authority, error) {
	cert, err := parseCert(data[keyCACert])
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", keyCACert, err)
	}
	key, err := parseKey(data[keyCAKey])
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", keyCAKey, err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("key %s is not the key of %s", keyCAKey, keyCACert)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("key %s is not a CA certificate", keyCACert)
	}
	return &authority{cert: cert, certPEM: data[keyCACert], key: key}, nil
}

func parseCert(b []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

// parseKey reads an ECDSA key in PKCS #8 (what the operator writes) or SEC 1 form.
func parseKey(b []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM private key")
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %T key, not ECDSA", k)
	}
	return ec, nil
}

func encodeKey(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("encoding a private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func newSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("choosing a certificate serial number: %w", err)
	}
	return n, nil
}

// staleCertificates lists the answering nodes that served another certificate than the TLS
// Secret's at this pass's handshake: the Secret was re-issued (the operator's own, before it
// expires) or replaced (the user's), and the nodes still hold the old one in memory.
func staleCertificates(d *dialer, facts []nodeFacts) []*nodeFacts {
	if d.certSerial == "" {
		return nil
	}
	var out []*nodeFacts
	for i := range facts {
		f := &facts[i]
		if !f.answered() {
			continue
		}
		if served, ok := d.served.Load(f.Node.Host); ok && served != d.certSerial {
			out = append(out, f)
		}
	}
	return out
}

// reloadCertificates has every node serving an old certificate read its files again: setting
// the TLS file parameters, even to the same paths, makes the engine reload them (its listener,
// cluster bus and replication links all use them). The kubelet updates the mounted Secret
// within about a minute of its change; until then a reload reads the old files, and the next
// pass tries again.
func reloadCertificates(ctx context.Context, d *dialer, plan *engine.Plan, facts []nodeFacts) error {
	if plan.TLS == nil {
		return nil
	}
	var errs []error
	for _, f := range staleCertificates(d, facts) {
		c := d.client(f.Node.Host, f.IP, f.Port)
		err := c.ConfigSet(ctx, "tls-cert-file", plan.TLS.CertFile).Err()
		if err == nil {
			err = c.ConfigSet(ctx, "tls-key-file", plan.TLS.KeyFile).Err()
		}
		if err == nil {
			err = c.ConfigSet(ctx, "tls-ca-cert-file", plan.TLS.CAFile).Err()
		}
		c.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("reloading the certificate of %s: %w", f.Node.ID, err))
			continue
		}
		log.FromContext(ctx).Info("the node served an old certificate; reloaded", "node", f.Node.ID)
	}
	return errors.Join(errs...)
}
