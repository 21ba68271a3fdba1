// Package validate collects input problems so that a user sees every mistake in one error,
// each naming the field, the value given and what is allowed, before any resource exists.
package validate

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one invalid input.
type Problem struct {
	Field   string // the config path as the user writes it, e.g. "cache.replicasPerShard"
	Value   any    // what was given; nil when the field was missing
	Allowed string // what would be accepted, in words
}

func (p Problem) String() string {
	if p.Value == nil {
		return fmt.Sprintf("%s: missing; %s", p.Field, p.Allowed)
	}
	return fmt.Sprintf("%s: %s is not allowed; %s", p.Field, show(p.Value), p.Allowed)
}

func show(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case []string:
		q := make([]string, len(x))
		for i, s := range x {
			q[i] = fmt.Sprintf("%q", s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	default:
		return fmt.Sprint(x)
	}
}

// Problems accumulates problems; its Err is nil when there are none.
type Problems struct {
	What string // what was being validated, e.g. `cache "rk-prod"`
	List []Problem
}

// Add records a problem.
func (ps *Problems) Add(field string, value any, allowed string, args ...any) {
	ps.List = append(ps.List, Problem{Field: field, Value: value, Allowed: fmt.Sprintf(allowed, args...)})
}

// Merge appends problems found elsewhere, prefixing their fields.
func (ps *Problems) Merge(prefix string, other []Problem) {
	for _, p := range other {
		if prefix != "" {
			p.Field = prefix + "." + p.Field
		}
		ps.List = append(ps.List, p)
	}
}

// Err returns an *Error listing every problem, or nil.
func (ps *Problems) Err() error {
	if len(ps.List) == 0 {
		return nil
	}
	list := append([]Problem(nil), ps.List...)
	sort.SliceStable(list, func(i, j int) bool { return list[i].Field < list[j].Field })
	return &Error{What: ps.What, Problems: list}
}

// Error is the single error a validation returns.
type Error struct {
	What     string
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	n := len(e.Problems)
	what := e.What
	if what == "" {
		what = "input"
	}
	if n == 1 {
		fmt.Fprintf(&b, "invalid %s: %s", what, e.Problems[0])
		return b.String()
	}
	fmt.Fprintf(&b, "invalid %s: %d problems:", what, n)
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  - %s", p)
	}
	return b.String()
}
