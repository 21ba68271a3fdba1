package operator

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/rediskit/rediskit/internal/secret"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
	"github.com/rediskit/rediskit/kubernetes/render"
)

// The credentials Secret the operator keeps for a cache: generated once, then read back on
// every pass, so a credential never changes because the operator restarted.
const (
	keyAppToken      = "token"
	keyAdminPassword = render.KeyAdminPassword
	// User passwords are under the user's name, as in kubernetes.authSecret.
)

func authSecretName(c *v1alpha1.Cache) string { return render.AuthSecretName(c.Name) }

// ensureCredentials returns the cache's credentials: the app token and user passwords from
// kubernetes.authSecret when it names one, else from the operator's own Secret <cache>-auth,
// generating what is missing there. The admin password (the operator's and the nodes'
// replication user) is always the operator's.
func (r *Reconciler) ensureCredentials(ctx context.Context, c *v1alpha1.Cache, res *render.Resolved) (render.Credentials, error) {
	own := &corev1.Secret{}
	key := types.NamespacedName{Namespace: c.Namespace, Name: authSecretName(c)}
	err := r.Get(ctx, key, own)
	switch {
	case apierrors.IsNotFound(err):
		own = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: key.Name, Namespace: key.Namespace,
			Labels: map[string]string{render.LabelCache: c.Name, render.LabelManagedBy: "rediskit-operator"}}}
		if err := controllerutil.SetControllerReference(c, own, r.Scheme); err != nil {
			return render.Credentials{}, err
		}
	case err != nil:
		return render.Credentials{}, fmt.Errorf("reading secret %s: %w", key, err)
	}
	if own.Data == nil {
		own.Data = map[string][]byte{}
	}
	changed := false
	want := []string{keyAdminPassword}
	var given *corev1.Secret
	if name := res.Kubernetes.AuthSecret; name != "" {
		given = &corev1.Secret{}
		if err := r.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: name}, given); err != nil {
			return render.Credentials{}, fmt.Errorf("reading kubernetes.authSecret %q: %w", name, err)
		}
	} else {
		want = append(want, keyAppToken)
		for _, u := range res.Cache.Auth.Users {
			want = append(want, u.Name)
		}
	}
	for _, k := range want {
		if len(own.Data[k]) == 0 {
			v, err := secret.Generate(48)
			if err != nil {
				return render.Credentials{}, err
			}
			own.Data[k] = []byte(v)
			changed = true
		}
	}
	if own.ResourceVersion == "" {
		if err := r.Create(ctx, own); err != nil {
			return render.Credentials{}, fmt.Errorf("creating secret %s: %w", key, err)
		}
	} else if changed {
		if err := r.Update(ctx, own); err != nil {
			return render.Credentials{}, fmt.Errorf("updating secret %s: %w", key, err)
		}
	}
	from := own
	if given != nil {
		from = given
		missing := []string{}
		for _, k := range append([]string{keyAppToken}, userNames(res)...) {
			if len(given.Data[k]) == 0 {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			return render.Credentials{}, fmt.Errorf("kubernetes.authSecret %q: no key %v; it holds the app user's token (key %q) and each RBAC user's password (key: the user's name)",
				given.Name, missing, keyAppToken)
		}
	}
	cr := render.Credentials{AppToken: string(from.Data[keyAppToken]), AdminPassword: string(own.Data[keyAdminPassword]),
		UserPasswords: map[string]string{}}
	for _, u := range res.Cache.Auth.Users {
		cr.UserPasswords[u.Name] = string(from.Data[u.Name])
	}
	return cr, nil
}

func userNames(res *render.Resolved) []string {
	var out []string
	for _, u := range res.Cache.Auth.Users {
		out = append(out, u.Name)
	}
	return out
}

// AppTokenSecret is where a cache's app token is: the Secret the user named in
// kubernetes.authSecret, else the operator's own, under key "token" either way. What deploys a
// cache (the Pulumi resource) reads the token there to hand it to the cache's clients.
func AppTokenSecret(c *v1alpha1.Cache) (name, key string) {
	if c.Spec.Kubernetes.AuthSecret != "" {
		return c.Spec.Kubernetes.AuthSecret, keyAppToken
	}
	return authSecretName(c), keyAppToken
}

// TLSSecret is the Secret with a cache's CA and certificate ("" without TLS, or when the spec
// does not resolve).
func TLSSecret(c *v1alpha1.Cache) string {
	r, err := render.Resolve(c)
	if err != nil {
		return ""
	}
	return render.TLSSecretName(r)
}
