package policies

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Mapped names the IDs of other tools a rule corresponds to, so a security team can map it.
type Mapped struct {
	Checkov     []string
	Tfsec       []string
	AWSConfig   []string
	SecurityHub []string
	// Note says where no tool has the rule, or which related IDs exist.
	Note string
}

// IDs lists every mapped ID, in the order Checkov, tfsec, AWS Config, Security Hub.
func (m Mapped) IDs() []string {
	var out []string
	out = append(out, m.Checkov...)
	out = append(out, m.Tfsec...)
	out = append(out, m.AWSConfig...)
	out = append(out, m.SecurityHub...)
	return out
}

// String is the mapping as descriptions and reports print it.
func (m Mapped) String() string {
	var parts []string
	add := func(tool string, ids []string) {
		if len(ids) > 0 {
			parts = append(parts, tool+" "+strings.Join(ids, ", "))
		}
	}
	add("Checkov", m.Checkov)
	add("tfsec/Trivy", m.Tfsec)
	add("AWS Config", m.AWSConfig)
	add("Security Hub", m.SecurityHub)
	if m.Note != "" {
		parts = append(parts, m.Note)
	}
	if len(parts) == 0 {
		return "no equivalent in Checkov, tfsec, AWS Config or Security Hub"
	}
	return strings.Join(parts, "; ")
}

// Finding is one violation a rule reports; URN defaults to the resource being checked.
type Finding struct {
	URN     string
	Message string
}

// Context is what a rule knows besides the resource: the stack (its resources are empty when
// a single resource is analyzed during a preview), its environment and the config.
type Context struct {
	Stack       *Stack
	Environment string // as resolved by the environment settings; "" when unknown
	Production  bool
	Config      *Config
}

// NewContext resolves the stack's environment under cfg.
func NewContext(s *Stack, cfg *Config) *Context {
	env, _ := ResolveEnvironment(s, cfg)
	return &Context{Stack: s, Environment: env, Production: IsProduction(s, cfg), Config: cfg}
}

// Rule is one policy. At least one of CheckResource and CheckStack is set; a rule with both
// (public-ingress) judges each resource alone and adds what only the whole stack shows, under
// the same rule id. Its two parts never report the same finding.
type Rule struct {
	ID    string
	Title string // what it checks, one line
	Why   string // why it matters, for the docs and SARIF help
	Level Level  // default level
	Maps  Mapped
	// Applies names what the rule looks at, for the docs.
	Applies string
	// CheckResource judges one resource.
	CheckResource func(r Resource, ctx *Context) []Finding
	// CheckStack judges the stack as a whole (alarms need caches and alarms side by side).
	CheckStack func(ctx *Context) []Finding
}

// StackOnly reports whether the rule has no per-resource part: the engine sees it as a stack
// policy.
func (r *Rule) StackOnly() bool { return r.CheckResource == nil }

// Description is what Pulumi shows with a violation: the check and the mapped IDs.
func (r *Rule) Description() string {
	return fmt.Sprintf("%s [%s]", r.Title, r.Maps)
}

// Rules returns every rule of the pack, in a stable order.
func Rules() []*Rule { return allRules() }

var allRules = sync.OnceValue(func() []*Rule {
	var out []*Rule
	out = append(out, securityRules()...)
	out = append(out, operationsRules()...)
	out = append(out, productionRules()...)
	out = append(out, stackRules()...)
	return out
})

// RuleIDs lists the rule ids.
func RuleIDs() []string {
	var out []string
	for _, r := range Rules() {
		out = append(out, r.ID)
	}
	return out
}

// RuleByID finds a rule.
func RuleByID(id string) *Rule {
	i := slices.IndexFunc(Rules(), func(r *Rule) bool { return r.ID == id })
	if i < 0 {
		return nil
	}
	return Rules()[i]
}

// Violation is a finding with everything a report needs.
type Violation struct {
	Rule         string
	Level        Level
	URN          string
	ResourceType string
	ResourceName string
	Message      string
	Mapped       Mapped
}

func (v Violation) String() string {
	return fmt.Sprintf("%s [%s] %s: %s", v.Level, v.Rule, v.ResourceName, v.Message)
}

// CheckResource runs every enabled resource rule on r.
func CheckResource(r Resource, ctx *Context) []Violation {
	var out []Violation
	for _, rule := range Rules() {
		if rule.CheckResource == nil || ctx.Config.Level(rule) == Disabled {
			continue
		}
		for _, f := range rule.CheckResource(r, ctx) {
			out = append(out, violation(rule, ctx, f, r))
		}
	}
	return out
}

// CheckStack runs every enabled stack rule.
func CheckStack(ctx *Context) []Violation {
	var out []Violation
	byURN := map[string]Resource{}
	for _, r := range ctx.Stack.Resources {
		byURN[r.URN] = r
	}
	for _, rule := range Rules() {
		if rule.CheckStack == nil || ctx.Config.Level(rule) == Disabled {
			continue
		}
		for _, f := range rule.CheckStack(ctx) {
			out = append(out, violation(rule, ctx, f, byURN[f.URN]))
		}
	}
	return out
}

// Evaluate runs the whole pack on a stack: every resource rule on every resource, then the
// stack rules.
func Evaluate(s *Stack, cfg *Config) []Violation {
	ctx := NewContext(s, cfg)
	var out []Violation
	for _, r := range s.Resources {
		out = append(out, CheckResource(r, ctx)...)
	}
	return append(out, CheckStack(ctx)...)
}

func violation(rule *Rule, ctx *Context, f Finding, r Resource) Violation {
	urn := f.URN
	if urn == "" {
		urn = r.URN
	}
	name, typ := r.Name, r.Type
	if name == "" && urn != "" {
		name = urn[strings.LastIndex(urn, "::")+2:]
	}
	if name == "" {
		name = "stack " + ctx.Stack.Name
	}
	return Violation{Rule: rule.ID, Level: ctx.Config.Level(rule), URN: urn, ResourceType: typ,
		ResourceName: name, Message: f.Message, Mapped: rule.Maps}
}

// HasMandatory reports whether any violation is mandatory.
func HasMandatory(vs []Violation) bool {
	return slices.ContainsFunc(vs, func(v Violation) bool { return v.Level == Mandatory })
}
