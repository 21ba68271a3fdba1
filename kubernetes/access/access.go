// Package access connects to the Kubernetes cluster a kubeconfig names, with the types rediskit
// reads and writes there: one way for the Pulumi provider, the tests and the tools to reach it.
package access

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rediskit/rediskit/kubernetes/operator"
)

// Config is the REST config of the cluster kubeconfig names (a file; empty: $KUBECONFIG or
// ~/.kube/config, as kubectl finds it) in context kubeContext (empty: its current context).
func Config(kubeconfig, kubeContext string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
	if err != nil {
		where := kubeconfig
		if where == "" {
			where = "the default kubeconfig ($KUBECONFIG or ~/.kube/config)"
		}
		return nil, fmt.Errorf("reading the cluster's address and credentials from %s (context %q): %w", where, kubeContext, err)
	}
	return cfg, nil
}

// Client is a client of the cluster cfg names that knows Caches and the objects of a cache.
func Client(cfg *rest.Config) (client.Client, error) {
	s, err := operator.Scheme()
	if err != nil {
		return nil, err
	}
	cl, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster at %s: %w", cfg.Host, err)
	}
	return cl, nil
}
