package policies

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// The helpers below read inputs in three states: absent (nil/null), unknown (computed during
// a preview or under mocks) and known. Rules treat unknown as "cannot tell" and stay silent,
// because a rule that fires on every unknown would make previews of new stacks unusable.

// known reports whether v holds a value that can be judged (not null, not computed).
func known(v property.Value) bool { return !v.IsNull() && !v.IsComputed() }

// lookup walks a dotted path ("nodeGroupConfigurations" or "logDeliveryConfigurations").
func lookup(m property.Map, key string) property.Value {
	cur := property.New(m)
	for _, k := range strings.Split(key, ".") {
		if !cur.IsMap() {
			return property.Value{}
		}
		cur = cur.AsMap().Get(k)
	}
	return cur
}

// optBool is a tri-state boolean: Set is false when the input is absent, Unknown when computed.
type optBool struct {
	Set, Unknown, Value bool
}

func getBool(m property.Map, key string) optBool {
	v := lookup(m, key)
	switch {
	case v.IsComputed():
		return optBool{Unknown: true}
	case v.IsBool():
		return optBool{Set: true, Value: v.AsBool()}
	case v.IsString(): // exports from some providers keep booleans as strings
		switch strings.ToLower(v.AsString()) {
		case "true":
			return optBool{Set: true, Value: true}
		case "false":
			return optBool{Set: true, Value: false}
		}
	}
	return optBool{}
}

// isTrue and isFalse answer only for known values.
func (b optBool) isTrue() bool  { return b.Set && b.Value }
func (b optBool) isFalse() bool { return b.Set && !b.Value }

type optString struct {
	Set, Unknown bool
	Value        string
}

func getString(m property.Map, key string) optString {
	v := lookup(m, key)
	switch {
	case v.IsComputed():
		return optString{Unknown: true}
	case v.IsString():
		if v.AsString() == "" {
			return optString{}
		}
		return optString{Set: true, Value: v.AsString()}
	}
	return optString{}
}

type optNumber struct {
	Set, Unknown bool
	Value        float64
}

func getNumber(m property.Map, key string) optNumber {
	v := lookup(m, key)
	switch {
	case v.IsComputed():
		return optNumber{Unknown: true}
	case v.IsNumber():
		return optNumber{Set: true, Value: v.AsNumber()}
	}
	return optNumber{}
}

// getStrings returns the known strings of a list input and whether any element (or the list
// itself) is unknown.
func getStrings(m property.Map, key string) (vals []string, unknown bool) {
	return getList(m, key, func(e property.Value) (string, bool) {
		if !e.IsString() {
			return "", false
		}
		return e.AsString(), true
	})
}

// getMaps returns the map elements of a list input.
func getMaps(m property.Map, key string) (vals []property.Map, unknown bool) {
	return getList(m, key, func(e property.Value) (property.Map, bool) {
		if !e.IsMap() {
			return property.Map{}, false
		}
		return e.AsMap(), true
	})
}

// getList returns the elements of a list input that pick accepts, and whether any element
// (or the list itself) is unknown.
func getList[T any](m property.Map, key string, pick func(property.Value) (T, bool)) (vals []T, unknown bool) {
	v := lookup(m, key)
	if v.IsComputed() {
		return nil, true
	}
	if !v.IsArray() {
		return nil, false
	}
	for _, e := range v.AsArray().AsSlice() {
		if e.IsComputed() {
			unknown = true
			continue
		}
		if x, ok := pick(e); ok {
			vals = append(vals, x)
		}
	}
	return vals, unknown
}
