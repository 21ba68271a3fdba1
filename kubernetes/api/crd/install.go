package crd

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
)

// EstablishTimeout bounds how long Install waits for the API server to serve the Cache kind.
var EstablishTimeout = 2 * time.Minute

// Install applies the CRD (server-side, as field manager "rediskit") and returns once the API
// server serves caches: the CRD's Established condition is True and discovery lists the kind.
// A client built before that point caches a REST mapping without the kind and answers "no
// matches for kind Cache", so callers install first and build their clients after.
func Install(ctx context.Context, cfg *rest.Config) error {
	cl, err := client.New(cfg, client.Options{Scheme: runtime.NewScheme()})
	if err != nil {
		return fmt.Errorf("installing the CRD %s: connecting: %w", Name, err)
	}
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(manifest, &obj.Object); err != nil {
		return fmt.Errorf("installing the CRD %s: reading the manifest: %w", Name, err)
	}
	//nolint:staticcheck // Patch with client.Apply works on unstructured objects without generated apply configurations.
	if err := cl.Patch(ctx, obj, client.Apply, client.FieldOwner("rediskit"), client.ForceOwnership); err != nil {
		return fmt.Errorf("installing the CRD %s: %w", Name, err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("installing the CRD %s: %w", Name, err)
	}
	deadline := time.Now().Add(EstablishTimeout)
	var last string
	for {
		last = servedState(ctx, cl, dc)
		if last == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("installing the CRD %s: not served after %s: %s (raise crd.EstablishTimeout on a slow API server)", Name, EstablishTimeout, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("installing the CRD %s: %w (%s)", Name, ctx.Err(), last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// servedState is "" once the kind is served, else what is still pending.
func servedState(ctx context.Context, cl client.Client, dc discovery.DiscoveryInterface) string {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("apiextensions.k8s.io/v1")
	u.SetKind("CustomResourceDefinition")
	if err := cl.Get(ctx, client.ObjectKey{Name: Name}, u); err != nil {
		return "reading it back: " + err.Error()
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	established := false
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			established = true
		}
	}
	if !established {
		return "condition Established not True yet"
	}
	list, err := dc.ServerResourcesForGroupVersion(v1alpha1.Group + "/" + v1alpha1.Version)
	if err != nil {
		return "discovery: " + err.Error()
	}
	for _, r := range list.APIResources {
		if r.Kind == v1alpha1.Kind {
			return ""
		}
	}
	return "discovery does not list kind " + v1alpha1.Kind + " yet"
}
