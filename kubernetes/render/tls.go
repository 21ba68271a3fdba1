package render

// CertificateNames are the DNS names a certificate for the cache's nodes must carry: every
// pod under the headless Service by wildcard (a new shard needs no new certificate), the
// client and the reader Service, each fully qualified and in the shorter forms a client in
// the cluster resolves through its search path. The reader is listed whether or not the cache
// has one, so a change of replicas never calls for a new certificate.
func CertificateNames(r *Resolved) []string {
	name, ns := r.Cache.Name, r.Namespace
	pods := "*." + headlessName(name) + "." + ns
	// No "*.<cache>-nodes": OpenSSL, which clients verify with, matches no wildcard followed by
	// a single label.
	out := []string{"*." + serviceHost(r, headlessName(name)), pods + ".svc", pods}
	for _, svc := range []string{clientName(name), readerName(name)} {
		out = append(out, serviceHost(r, svc), svc+"."+ns+".svc", svc+"."+ns, svc)
	}
	return out
}
