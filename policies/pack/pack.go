// Package pack turns the rules of package policies into a Pulumi policy pack: policyx
// policies for every rule, and an analyzer server that serves them to the Pulumi engine for
// both `pulumi preview --policy-pack` and `pulumi policy analyze`.
//
// policyx.Main cannot serve `policy analyze` (pulumi/pulumi#24646: the engine asks for
// GetPluginInfo before ConfigureStack, which is where policyx builds its pack), and its stack
// policies see neither config nor stack tags. So the pack here is built once, up front, and
// the policies read the stack and the validated config from a Session that the server fills
// as the engine configures it.
package pack

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/rediskit/rediskit/policies"
)

// Name and Version identify the pack to the engine.
const Name = "rediskit"

// Version is the pack version the engine records with every violation.
var Version = semver.MustParse("0.1.0")

// Session is what the engine told the analyzer: the stack and the pack config.
type Session struct {
	mu     sync.Mutex
	stack  policies.Stack
	config *policies.Config
}

// NewSession starts with the default config and an unknown stack.
func NewSession() *Session { return &Session{config: policies.DefaultConfig()} }

// SetStack records the stack the engine is previewing.
func (s *Session) SetStack(name, project string, config, tags map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stack = policies.Stack{Name: name, Project: project, Config: config, Tags: tags}
}

// SetConfig replaces the pack config.
func (s *Session) SetConfig(c *policies.Config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.config = c
}

// Config returns the pack config in force.
func (s *Session) Config() *policies.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.config
}

// context builds the rule context for a set of resources. When the engine never named the
// stack (`policy analyze` does not), the stack comes from the resources' URNs.
func (s *Session) context(resources []policies.Resource) *policies.Context {
	s.mu.Lock()
	st := s.stack
	cfg := s.config
	s.mu.Unlock()
	if st.Name == "" && len(resources) > 0 {
		st.Name = policies.StackFromURN(resources[0].URN)
		st.Project = policies.ProjectFromURN(resources[0].URN)
	}
	st.Resources = resources
	return policies.NewContext(&st, cfg)
}

// ToResource converts the engine's view of a resource into the rules' view.
func ToResource(r policyx.AnalyzerResource) policies.Resource {
	return policies.Resource{URN: r.URN, Type: r.Type, Name: r.Name, Parent: r.Parent,
		Custom: r.Provider.URN != "" || r.Provider.Type != "", Inputs: r.Properties, DependsOn: r.Dependencies}
}

// New builds the policyx pack over every rule; its policies read stack and config from s.
func New(s *Session) (policyx.PolicyPack, error) {
	var ps []policyx.Policy
	for _, rule := range policies.Rules() {
		ps = append(ps, Policy(rule, s))
	}
	pack, err := policyx.NewPolicyPack(Name, Version, policyx.EnforcementLevelAdvisory, ps)
	if err != nil {
		return nil, fmt.Errorf("building policy pack: %w", err)
	}
	return pack, nil
}

// Policy wraps one rule as a policyx policy: a stack policy for a stack-only rule, else a
// resource policy. A resource policy's rule may have a stack part too (public-ingress: a
// cache's own port is only known from the whole stack); the server runs it with the stack
// policies, under the same policy name (CheckStackPart).
func Policy(rule *policies.Rule, s *Session) policyx.Policy {
	level := EnforcementLevel(rule.Level)
	schema := Schema(rule.ID)
	if rule.StackOnly() {
		return policyx.NewStackValidationPolicy(rule.ID, policyx.StackValidationPolicyArgs{
			Description: rule.Description(), EnforcementLevel: level, ConfigSchema: schema,
			ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
				CheckStackPart(rule, s, args.Resources, args.Manager)
				return nil
			},
		})
	}
	return policyx.NewResourceValidationPolicy(rule.ID, policyx.ResourceValidationPolicyArgs{
		Description: rule.Description(), EnforcementLevel: level, ConfigSchema: schema,
		ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
			r := ToResource(args.Resource)
			// A single resource is analyzed alone: the stack holds just it.
			ctx := s.context([]policies.Resource{r})
			for _, f := range rule.CheckResource(r, ctx) {
				args.Manager.ReportViolation(f.Message, f.URN)
			}
			return nil
		},
	})
}

// CheckStackPart runs a rule's stack part on every resource of the stack.
func CheckStackPart(rule *policies.Rule, s *Session, resources []policyx.AnalyzerResource, m policyx.PolicyManager) {
	if rule.CheckStack == nil {
		return
	}
	var rs []policies.Resource
	for _, r := range resources {
		rs = append(rs, ToResource(r))
	}
	for _, f := range rule.CheckStack(s.context(rs)) {
		m.ReportViolation(f.Message, f.URN)
	}
}

// EnforcementLevel maps a rule level onto the engine's.
func EnforcementLevel(l policies.Level) policyx.EnforcementLevel {
	switch l {
	case policies.Mandatory:
		return policyx.EnforcementLevelMandatory
	case policies.Disabled:
		return policyx.EnforcementLevelDisabled
	}
	return policyx.EnforcementLevelAdvisory
}

// Schema is the JSON schema of a rule's settings, so the engine validates
// `--policy-pack-config` and fills in the defaults before the pack sees it.
func Schema(ruleID string) *policyx.ConfigSchema {
	props := map[string]map[string]any{}
	for _, k := range policies.ConfigKeys() {
		if k.Rule != ruleID {
			continue
		}
		p := map[string]any{"description": k.Doc, "default": k.Default}
		for key, v := range k.Schema {
			p[key] = v
		}
		props[k.Name] = p
	}
	if len(props) == 0 {
		return nil
	}
	// The engine ships schemas as protobuf Structs, which take only JSON-shaped values
	// ([]any, not []string).
	b, _ := json.Marshal(props)
	var plain map[string]map[string]any
	_ = json.Unmarshal(b, &plain)
	return &policyx.ConfigSchema{Properties: plain}
}
