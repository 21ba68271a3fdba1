package provider_test

import "testing"

// The resource is in the plugin's schema with its token secret.
func TestSchemaHasTheKubernetesCache(t *testing.T) {
	spec, _ := boundSchema(t)
	r, ok := spec.Resources["rediskit:kubernetes:Cache"]
	if !ok {
		t.Fatal("rediskit:kubernetes:Cache is not in the schema")
	}
	if r.IsComponent {
		t.Error("rediskit:kubernetes:Cache is a component; it is a custom resource of the plugin")
	}
	if tok, ok := r.Properties["authToken"]; !ok || !tok.Secret {
		t.Errorf("authToken output %+v, want a secret", tok)
	}
	for _, tok := range []string{"rediskit:kubernetes:Cache", "rediskit:kubernetes:Operator"} {
		for _, in := range []string{"kubeconfig", "context"} {
			if _, ok := spec.Resources[tok].InputProperties[in]; !ok {
				t.Errorf("%s has no input %s", tok, in)
			}
		}
	}
	for _, in := range []string{"namespace", "name", "spec"} {
		found := false
		for _, req := range r.RequiredInputs {
			found = found || req == in
		}
		if !found {
			t.Errorf("%s is not a required input (%v)", in, r.RequiredInputs)
		}
	}
}
