package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	pschema "github.com/pulumi/pulumi/pkg/v3/codegen/schema"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/validate"
)

// The components' `cache` and `network` arguments are the stack config's vocabulary. Their
// schema types are derived here from the JSON shape of spec.Cache and spec.Network, the shape
// the strict decoder reads, so the vocabulary stays defined once: a field added to spec appears
// in every language's SDK with the next build of the plugin. (infer cannot derive them itself:
// spec's nested settings are optional structs held by value.)

// vocabularyModule is the schema module of the vocabulary's types (rediskit:spec:Cache, ...),
// apart from the index module so that no type shares a name with a resource.
const vocabularyModule = "rediskit:spec:"

// vocabularyArgs are the component inputs typed by the vocabulary, and their Go types.
var vocabularyArgs = map[string]reflect.Type{
	"cache":   reflect.TypeFor[spec.Cache](),
	"network": reflect.TypeFor[spec.Network](),
}

// withVocabulary wraps a provider's schema with the vocabulary's types.
func withVocabulary(prov p.Provider) p.Provider {
	inner := prov.GetSchema
	prov.GetSchema = func(ctx context.Context, req p.GetSchemaRequest) (p.GetSchemaResponse, error) {
		r, err := inner(ctx, req)
		if err != nil {
			return r, err
		}
		s, err := addVocabulary(r.Schema)
		if err != nil {
			return r, fmt.Errorf("adding the cache vocabulary to the schema: %w", err)
		}
		return p.GetSchemaResponse{Schema: s}, nil
	}
	return prov
}

// addVocabulary types every component's cache and network inputs with the vocabulary.
func addVocabulary(schemaJSON string) (string, error) {
	var pkg pschema.PackageSpec
	if err := json.Unmarshal([]byte(schemaJSON), &pkg); err != nil {
		return "", err
	}
	if pkg.Types == nil {
		pkg.Types = map[string]pschema.ComplexTypeSpec{}
	}
	for tok, r := range pkg.Resources {
		if !r.IsComponent {
			continue
		}
		for name, t := range vocabularyArgs {
			prop, ok := r.InputProperties[name]
			if !ok {
				continue
			}
			prop.TypeSpec = vocabularyType(t, pkg.Types)
			r.InputProperties[name] = prop
		}
		pkg.Resources[tok] = r
	}
	out, err := json.Marshal(pkg)
	return string(out), err
}

// vocabularyType is the schema type of a vocabulary value, registering the object types it
// uses. Every value is plain: a value from another resource goes to the component's own
// Inputs (vpcId, kmsKeyId, ...), which are checked when they resolve.
func vocabularyType(t reflect.Type, types map[string]pschema.ComplexTypeSpec) pschema.TypeSpec {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		tok := vocabularyModule + t.Name()
		if _, done := types[tok]; !done {
			types[tok] = pschema.ComplexTypeSpec{} // recursion guard
			types[tok] = vocabularyObject(t, types)
		}
		return pschema.TypeSpec{Ref: "#/types/" + tok, Plain: true}
	case reflect.Map:
		el := vocabularyType(t.Elem(), types)
		return pschema.TypeSpec{Type: "object", AdditionalProperties: &el, Plain: true}
	case reflect.Slice:
		el := vocabularyType(t.Elem(), types)
		return pschema.TypeSpec{Type: "array", Items: &el, Plain: true}
	case reflect.Bool:
		return pschema.TypeSpec{Type: "boolean", Plain: true}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return pschema.TypeSpec{Type: "integer", Plain: true}
	case reflect.Float32, reflect.Float64:
		return pschema.TypeSpec{Type: "number", Plain: true}
	default:
		return pschema.TypeSpec{Type: "string", Plain: true}
	}
}

func vocabularyObject(t reflect.Type, types map[string]pschema.ComplexTypeSpec) pschema.ComplexTypeSpec {
	obj := pschema.ObjectTypeSpec{Type: "object", Properties: map[string]pschema.PropertySpec{},
		Description: fmt.Sprintf("%s settings of the rediskit vocabulary (spec.%s); see docs/components.md.", t.Name(), t.Name())}
	for name, ft := range spec.JSONFields(t) {
		obj.Properties[name] = pschema.PropertySpec{TypeSpec: vocabularyType(ft, types)}
	}
	obj.Required = vocabularyRequired(t)
	return pschema.ComplexTypeSpec{ObjectTypeSpec: obj}
}

// vocabularyRequired are the keys the decoder cannot do without: those not omitted when empty,
// except a cache's name, which a component defaults to its resource name.
func vocabularyRequired(t reflect.Type) []string {
	var req []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" || name == "" || strings.Contains(opts, "omitempty") || f.Type.Kind() == reflect.Pointer {
			continue
		}
		if t == reflect.TypeFor[spec.Cache]() && name == "name" {
			continue
		}
		req = append(req, name)
	}
	sort.Strings(req)
	return req
}

// decodeVocabulary reads a component's cache and network arguments strictly, as a stack's
// config is read: every unknown key and wrong type is named with its path.
func decodeVocabulary(resource string, cacheIn, networkIn map[string]any) (spec.Cache, spec.Network, error) {
	var c spec.Cache
	var n spec.Network
	ps := &validate.Problems{What: fmt.Sprintf("arguments of %q", resource)}
	for _, v := range []struct {
		key  string
		in   map[string]any
		into any
	}{{"cache", cacheIn, &c}, {"network", networkIn, &n}} {
		if v.in == nil {
			continue
		}
		raw, err := json.Marshal(v.in)
		if err != nil {
			ps.Add(v.key, "(unreadable)", "an object of settings: %v", err)
			continue
		}
		spec.DecodeStrict(string(raw), v.into, v.key, ps)
	}
	if c.Name == "" {
		c.Name = resource
	}
	return c, n, ps.Err()
}
