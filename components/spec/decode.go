package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"

	"github.com/rediskit/rediskit/internal/validate"
)

// The strict reading of the vocabulary, wherever it comes from: a stack's config or a
// component's cache object in another Pulumi language. Both name problems the same way.

// DecodeStrict decodes a config object into its Go type. Its shape is checked first, so that
// every unknown key and every value of the wrong type is named with its path (e.g.
// rediskit:cache.snapshots.retentionDays) instead of the decoder's first complaint.
func DecodeStrict(raw string, into any, key string, ps *validate.Problems) {
	if raw == "" {
		return
	}
	var generic any
	if err := json.Unmarshal([]byte(raw), &generic); err != nil {
		ps.Add(key, "(unreadable)", "an object (a YAML map) of settings; reading it failed: %v", err)
		return
	}
	before := len(ps.List)
	checkShape(generic, reflect.TypeOf(into).Elem(), key, ps)
	if len(ps.List) > before {
		return
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		ps.Add(key, "(unreadable)", "an object (a YAML map) of settings; reading it failed: %v", err)
	}
}

var unmarshaler = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

// jsonValue shows a config value as it was written (JSON), in problems.
type jsonValue string

func (v jsonValue) String() string { return string(v) }

func shown(v any) jsonValue {
	b, err := json.Marshal(v)
	if err != nil {
		return jsonValue(fmt.Sprint(v))
	}
	return jsonValue(b)
}

// checkShape compares a decoded JSON value with the Go type it has to fill and records each
// unknown key and each value of the wrong type, with its path and what the type accepts.
func checkShape(v any, t reflect.Type, path string, ps *validate.Problems) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return // null: the default
	}
	if reflect.PointerTo(t).Implements(unmarshaler) {
		// A type with its own JSON form (a Kubernetes quantity is a string such as "256Mi",
		// its Go type a struct): its decoder judges the value.
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			ps.Add(path, shown(v), "%s", describe(t))
			return
		}
		fields := JSONFields(t)
		for _, k := range sortedKeys(m) {
			ft, known := fields[k]
			if !known {
				ps.Add(path+"."+k, shown(m[k]), "%q is not a key of %s%s; its keys are %s", k, path, suggestKey(k, fields), strings.Join(sortedKeys(fields), ", "))
				continue
			}
			checkShape(m[k], ft, path+"."+k, ps)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			ps.Add(path, shown(v), "%s", describe(t))
			return
		}
		for _, k := range sortedKeys(m) {
			checkShape(m[k], t.Elem(), path+"."+k, ps)
		}
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			ps.Add(path, shown(v), "%s", describe(t))
			return
		}
		for i, e := range a {
			checkShape(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), ps)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			ps.Add(path, shown(v), "%s", describe(t))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			ps.Add(path, shown(v), "%s", describe(t))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if f, ok := v.(float64); !ok || f != math.Trunc(f) {
			ps.Add(path, shown(v), "%s", describe(t))
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(float64); !ok {
			ps.Add(path, shown(v), "%s", describe(t))
		}
	}
}

// describe says in words what a Go type accepts in stack config.
func describe(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		return "an object (a YAML map) with the keys " + strings.Join(sortedKeys(JSONFields(t)), ", ")
	case reflect.Map:
		return "an object (a YAML map) of " + pluralOf(t.Elem())
	case reflect.Slice:
		return "a list of " + pluralOf(t.Elem())
	case reflect.String:
		return `a string (quote numbers in YAML, e.g. "8.0")`
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return t.String()
}

func pluralOf(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "strings"
	case reflect.Struct, reflect.Map:
		return "objects"
	case reflect.Bool:
		return "true/false values"
	case reflect.Slice:
		return "lists"
	}
	return "numbers"
}

// JSONFields maps a struct's JSON keys to their types; fields tagged "-" (the AUTH token,
// which never comes from the cache object) are not keys.
func JSONFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" && f.Anonymous && f.Type.Kind() == reflect.Struct {
			// Embedded without a name: its keys are the embedding struct's, as encoding/json
			// reads them (a Cache object's spec inlines the vocabulary).
			for k, v := range JSONFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// suggestKey names the known key closest to a misspelt one (a missing or extra letter or two).
func suggestKey(k string, fields map[string]reflect.Type) string {
	best, bestD := "", 3
	for _, f := range sortedKeys(fields) {
		if d := distance(strings.ToLower(k), strings.ToLower(f)); d < bestD {
			best, bestD = f, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance of two short strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
