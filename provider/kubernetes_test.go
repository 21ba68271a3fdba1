package provider

import (
	"strings"
	"testing"
)

// The Kubernetes cache's inputs are judged before anything reaches a cluster, by the rules
// the operator applies: each problem names its field under spec.
func TestKubernetesCacheInputs(t *testing.T) {
	good := `{"mode":"cluster","engine":"valkey","engineVersion":"8.0","shards":3,"replicas":1,
		"kubernetes":{"storageSize":"256Mi","resources":{"limits":{"memory":"256Mi"}}}}`
	obj, probs := parseKubernetesCache(KubernetesCacheArgs{Namespace: "apps", Name: "orders", Spec: good})
	if len(probs) != 0 {
		t.Fatalf("a good spec: %v", probs)
	}
	if q := obj.Spec.Kubernetes.Resources.Limits.Memory(); q.String() != "256Mi" {
		t.Errorf("memory limit %s, want 256Mi (a quantity read from its string)", q)
	}
	if got := canonicalSpec(&obj.Spec); !strings.Contains(got, `"shards":3`) || strings.Contains(got, "\n") {
		t.Errorf("canonical spec %s", got)
	}

	for _, tc := range []struct {
		spec, timeout string
		want          []string
	}{
		{`{"mode":"cluster","replica":1}`, "", []string{`spec.replica`, `did you mean "replicas"`}},
		{`{"mode":"cluster","shards":"three"}`, "", []string{`spec.shards`, "a whole number"}},
		{`{"mode":"cluster","shards":600,"kubernetes":{"serviceType":"Ingress"}}`, "", []string{"spec.shards: 600", "spec.kubernetes.serviceType"}},
		{`{"mode":"cluster","kubernetes":{"storageSize":"lots"}}`, "", []string{"spec.kubernetes.storageSize"}},
		{`{"mode":"cluster"}`, "soon", []string{"readyTimeout", "a positive Go duration"}},
	} {
		_, probs := parseKubernetesCache(KubernetesCacheArgs{Namespace: "apps", Name: "orders", Spec: tc.spec, ReadyTimeout: tc.timeout})
		var all []string
		for _, p := range probs {
			all = append(all, p.String())
		}
		text := strings.Join(all, "\n")
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("spec %s: problems lack %q:\n%s", tc.spec, w, text)
			}
		}
	}
}
