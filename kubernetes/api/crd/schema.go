package crd

import (
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Props is the subset of apiextensions.k8s.io/v1 JSONSchemaProps the Cache's schema uses, with
// the same JSON names (a local type keeps k8s.io/apiextensions-apiserver out of the module).
type Props struct {
	Description          string           `json:"description,omitempty"`
	Type                 string           `json:"type,omitempty"`
	Format               string           `json:"format,omitempty"`
	Pattern              string           `json:"pattern,omitempty"`
	AnyOf                []Props          `json:"anyOf,omitempty"`
	Items                *Props           `json:"items,omitempty"`
	Properties           map[string]Props `json:"properties,omitempty"`
	AdditionalProperties *Props           `json:"additionalProperties,omitempty"`
	Required             []string         `json:"required,omitempty"`
	IntOrString          bool             `json:"x-kubernetes-int-or-string,omitempty"`
	ListType             string           `json:"x-kubernetes-list-type,omitempty"`
	ListMapKeys          []string         `json:"x-kubernetes-list-map-keys,omitempty"`
}

var (
	quantityType  = reflect.TypeOf(resource.Quantity{})
	timeType      = reflect.TypeOf(metav1.Time{})
	objectMeta    = reflect.TypeOf(metav1.ObjectMeta{})
	conditionType = reflect.TypeOf(metav1.Condition{})
)

// quantityPattern is the pattern Kubernetes' own schemas give a resource.Quantity.
const quantityPattern = `^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$`

// schemaOf derives the schema of a Go type from its JSON encoding: what encoding/json writes
// is what the API server stores.
func (g *generator) schemaOf(t reflect.Type) Props {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case quantityType:
		return Props{AnyOf: []Props{{Type: "integer"}, {Type: "string"}}, Pattern: quantityPattern, IntOrString: true}
	case timeType:
		return Props{Type: "string", Format: "date-time"}
	case objectMeta:
		return Props{Type: "object"} // the API server owns metadata's schema
	}
	switch t.Kind() {
	case reflect.String:
		return Props{Type: "string"}
	case reflect.Bool:
		return Props{Type: "boolean"}
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64:
		return Props{Type: "integer", Format: "int64"}
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return Props{Type: "integer", Format: "int32"}
	case reflect.Float32, reflect.Float64:
		return Props{Type: "number"}
	case reflect.Slice, reflect.Array:
		items := g.schemaOf(t.Elem())
		p := Props{Type: "array", Items: &items}
		if t.Elem() == conditionType {
			// Conditions are a map keyed by type, as everywhere in Kubernetes: server-side
			// apply merges them by type rather than replacing the list.
			// The API server wants a list-map key required (or defaulted); metav1.Condition
			// always carries all five of these.
			p.ListType, p.ListMapKeys = "map", []string{"type"}
			items.Required = []string{"lastTransitionTime", "message", "reason", "status", "type"}
			p.Items = &items
		}
		return p
	case reflect.Map:
		v := g.schemaOf(t.Elem())
		return Props{Type: "object", AdditionalProperties: &v}
	case reflect.Struct:
		p := Props{Type: "object", Properties: map[string]Props{}}
		g.addFields(&p, t)
		return p
	}
	panic("crd: no schema for " + t.String())
}

// addFields adds a struct's JSON fields to p, inlining embedded structs without a name as
// encoding/json does.
func (g *generator) addFields(p *Props, t reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.addFields(p, ft)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		s := g.schemaOf(f.Type)
		if d := g.docs.field(t, f.Name); d != "" {
			s.Description = d
		}
		p.Properties[name] = s
	}
}
