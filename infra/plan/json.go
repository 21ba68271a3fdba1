package plan

import (
	"encoding/json"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// MarshalJSON renders a resource with its inputs. Unknown values print as {"$unknown": true};
// secret values print as {"$secret": true} and never with their value.
func (r Resource) MarshalJSON() ([]byte, error) {
	type plain Resource
	return json.Marshal(struct {
		plain
		Inputs map[string]any `json:"inputs"`
	}{plain(r), mapJSON(r.Inputs)})
}

func mapJSON(m property.Map) map[string]any {
	out := map[string]any{}
	for k, v := range m.All {
		out[k] = valueJSON(v)
	}
	return out
}

func valueJSON(v property.Value) any {
	switch {
	case v.Secret():
		return map[string]any{"$secret": true}
	case v.IsComputed():
		return map[string]any{"$unknown": true}
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.AsBool()
	case v.IsNumber():
		return v.AsNumber()
	case v.IsString():
		return v.AsString()
	case v.IsArray():
		arr := v.AsArray()
		out := make([]any, 0, arr.Len())
		for _, e := range arr.All {
			out = append(out, valueJSON(e))
		}
		return out
	case v.IsMap():
		return mapJSON(v.AsMap())
	case v.IsResourceReference():
		return map[string]any{"$resource": string(v.AsResourceReference().URN)}
	default:
		return map[string]any{"$unsupported": true}
	}
}

// Summary counts resources by type, for the human-readable plan.
func (p *Plan) Summary() []TypeCount {
	counts := map[string]int{}
	for _, r := range p.Resources {
		counts[r.Type]++
	}
	var out []TypeCount
	for t, n := range counts {
		out = append(out, TypeCount{t, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// TypeCount is a line of the summary.
type TypeCount struct {
	Type  string `json:"type"`
	Count int    `json:"count"`
}
