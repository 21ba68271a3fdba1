package crd

import (
	_ "embed"
	"fmt"
	"reflect"

	"sigs.k8s.io/yaml"

	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
)

// FileName is the checked-in manifest, next to this file.
const FileName = "caches.rediskit.io.yaml"

//go:embed caches.rediskit.io.yaml
var manifest []byte

// Manifest is the checked-in CRD, what the operator and the Pulumi component install.
func Manifest() []byte { return manifest }

// Name is the CRD's object name.
const Name = v1alpha1.Plural + "." + v1alpha1.Group

// Definition is an apiextensions.k8s.io/v1 CustomResourceDefinition, reduced to the fields this
// one sets.
type Definition struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   map[string]string `json:"metadata"`
	Spec       DefinitionSpec    `json:"spec"`
}

// DefinitionSpec is a CRD's spec.
type DefinitionSpec struct {
	Group    string    `json:"group"`
	Names    Names     `json:"names"`
	Scope    string    `json:"scope"`
	Versions []Version `json:"versions"`
}

// Names are a CRD's names.
type Names struct {
	Kind       string   `json:"kind"`
	ListKind   string   `json:"listKind"`
	Plural     string   `json:"plural"`
	Singular   string   `json:"singular"`
	Categories []string `json:"categories,omitempty"`
}

// Version is one served version of a CRD.
type Version struct {
	Name                     string         `json:"name"`
	Served                   bool           `json:"served"`
	Storage                  bool           `json:"storage"`
	Subresources             map[string]any `json:"subresources,omitempty"`
	AdditionalPrinterColumns []Column       `json:"additionalPrinterColumns,omitempty"`
	Schema                   struct {
		OpenAPIV3Schema Props `json:"openAPIV3Schema"`
	} `json:"schema"`
}

// Column is a printer column of `kubectl get caches`.
type Column struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	JSONPath    string `json:"jsonPath"`
	Description string `json:"description,omitempty"`
	Priority    int    `json:"priority,omitempty"`
}

// columns are what `kubectl get caches` shows: where the cache is, its shape, and where to
// connect (the wide output adds the engine and the primary endpoint).
var columns = []Column{
	{Name: "Phase", Type: "string", JSONPath: ".status.phase", Description: "where the cache is in its life"},
	{Name: "Mode", Type: "string", JSONPath: ".spec.mode"},
	{Name: "Shards", Type: "integer", JSONPath: ".status.shards", Description: "shards serving slots"},
	{Name: "Slots", Type: "integer", JSONPath: ".status.slotsCovered", Description: "hash slots served, of 16384"},
	{Name: "Endpoint", Type: "string", JSONPath: ".status.endpoints.configuration", Description: "the configuration endpoint (cluster mode)"},
	{Name: "Engine", Type: "string", JSONPath: ".spec.engine", Priority: 1},
	{Name: "Version", Type: "string", JSONPath: ".spec.engineVersion", Priority: 1},
	{Name: "Primary", Type: "string", JSONPath: ".status.endpoints.primary", Description: "the primary endpoint (outside cluster mode)", Priority: 1},
	{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"},
}

type generator struct{ docs *docs }

// Generate derives the CRD from the v1alpha1 types; root is the module's root directory, whose
// sources give the descriptions.
func Generate(root string) ([]byte, error) {
	g := &generator{docs: &docs{root: root, pkgs: map[string]map[string]string{}}}
	s := g.schemaOf(reflect.TypeOf(v1alpha1.Cache{}))
	s.Description = "Cache is one rediskit cache (Redis OSS or Valkey: a single node, a replication group or a cluster) on this Kubernetes cluster, kept by the rediskit operator."
	s.Required = []string{"spec"}
	if g.docs.err != nil {
		return nil, fmt.Errorf("reading the API's doc comments: %w", g.docs.err)
	}
	v := Version{Name: v1alpha1.Version, Served: true, Storage: true,
		Subresources:             map[string]any{"status": map[string]any{}},
		AdditionalPrinterColumns: columns}
	v.Schema.OpenAPIV3Schema = s
	d := Definition{
		APIVersion: "apiextensions.k8s.io/v1",
		Kind:       "CustomResourceDefinition",
		Metadata:   map[string]string{"name": Name},
		Spec: DefinitionSpec{
			Group: v1alpha1.Group,
			Names: Names{Kind: v1alpha1.Kind, ListKind: v1alpha1.Kind + "List", Plural: v1alpha1.Plural,
				Singular: "cache", Categories: []string{"rediskit"}},
			Scope:    "Namespaced",
			Versions: []Version{v},
		},
	}
	b, err := yaml.Marshal(d)
	if err != nil {
		return nil, err
	}
	header := "# Generated from kubernetes/api/v1alpha1 by package kubernetes/api/crd; do not edit.\n" +
		"# Regenerate: go test ./kubernetes/api/crd -update\n"
	return append([]byte(header), b...), nil
}
