package crd

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "write the CRD manifest from the types")

const root = "../../.."

// The checked-in manifest is what the types generate; -update writes it.
func TestManifestUpToDate(t *testing.T) {
	got, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(FileName, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, Manifest()) {
		t.Fatalf("%s differs from what the v1alpha1 types generate; run: go test ./kubernetes/api/crd -update", filepath.Join("kubernetes/api/crd", FileName))
	}
}

// The schema has what the API server needs and a user reads: the shared vocabulary at the
// top of spec, the kubernetes block, the status subresource, descriptions from the doc
// comments, and nothing the API server refuses in a structural schema.
func TestSchemaShape(t *testing.T) {
	var d Definition
	if err := yaml.Unmarshal(Manifest(), &d); err != nil {
		t.Fatal(err)
	}
	if d.Metadata["name"] != "caches.rediskit.io" || d.Spec.Scope != "Namespaced" || len(d.Spec.Versions) != 1 {
		t.Fatalf("unexpected CRD header: %+v", d)
	}
	v := d.Spec.Versions[0]
	if _, ok := v.Subresources["status"]; !ok || !v.Served || !v.Storage {
		t.Errorf("version %s: status subresource %v served %v storage %v", v.Name, v.Subresources, v.Served, v.Storage)
	}
	root := v.Schema.OpenAPIV3Schema
	sp := root.Properties["spec"]
	for _, f := range []string{"name", "mode", "engine", "engineVersion", "shards", "replicas", "zones", "parameters", "auth", "encryption", "snapshots", "maintenanceWindow", "tags", "kubernetes"} {
		if _, ok := sp.Properties[f]; !ok {
			t.Errorf("spec lacks %s (the shared vocabulary is inlined at spec's top)", f)
		}
	}
	if _, ok := sp.Properties["auth"].Properties["token"]; ok {
		t.Error("spec.auth has a token field: the token never comes from the object (json:\"-\")")
	}
	k := sp.Properties["kubernetes"]
	for _, f := range []string{"storageClass", "storageSize", "resources", "serviceType", "image", "persistence", "tlsSecret", "authSecret"} {
		if _, ok := k.Properties[f]; !ok {
			t.Errorf("spec.kubernetes lacks %s", f)
		}
	}
	lim := k.Properties["resources"].Properties["limits"].AdditionalProperties
	if lim == nil || !lim.IntOrString {
		t.Errorf("resource quantities are not int-or-string: %+v", lim)
	}
	if !strings.Contains(sp.Properties["shards"].Description, "node groups") {
		t.Errorf("spec.shards has no description from its doc comment: %q", sp.Properties["shards"].Description)
	}
	conds := root.Properties["status"].Properties["conditions"]
	if conds.ListType != "map" || len(conds.ListMapKeys) != 1 || conds.ListMapKeys[0] != "type" {
		t.Errorf("status.conditions is not a list map keyed by type: %+v", conds)
	}
	for _, f := range []string{"phase", "nodes", "slotsCovered", "endpoints", "shards", "observedGeneration"} {
		if _, ok := root.Properties["status"].Properties[f]; !ok {
			t.Errorf("status lacks %s", f)
		}
	}
	structural(t, "", root)
}

// structural checks the rules of a structural schema the generator could break: every node
// has a type, except int-or-string ones, which have none.
func structural(t *testing.T, path string, p Props) {
	t.Helper()
	if p.IntOrString {
		if p.Type != "" {
			t.Errorf("%s: int-or-string with type %q", path, p.Type)
		}
	} else if p.Type == "" {
		t.Errorf("%s: no type", path)
	}
	for name, c := range p.Properties {
		structural(t, path+"."+name, c)
	}
	if p.Items != nil {
		structural(t, path+"[]", *p.Items)
	}
	if p.AdditionalProperties != nil {
		structural(t, path+"{}", *p.AdditionalProperties)
	}
}
