// Package fromplan feeds an offline plan (infra/plan) to the policy rules: the adapter between
// the planner, which knows nothing of policies, and the rules, which know nothing of Pulumi.
// `rediskit policy check` and the policy benchmark evaluate exactly what it builds.
package fromplan

import (
	"github.com/rediskit/rediskit/infra/plan"
	"github.com/rediskit/rediskit/policies"
)

// Stack gives the policy rules a plan's resources and the stack's config, where
// rediskit:environment says whether production rules apply.
func Stack(p *plan.Plan, config map[string]string) *policies.Stack {
	s := &policies.Stack{Name: p.Stack, Project: p.Project, Config: config}
	for _, r := range p.Resources {
		s.Resources = append(s.Resources, policies.Resource{URN: r.URN, Type: r.Type, Name: r.Name, Custom: r.Custom,
			Parent: r.Parent, Inputs: r.Inputs, DependsOn: r.DependsOn})
	}
	return s
}
