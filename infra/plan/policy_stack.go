package plan

import "github.com/rediskit/rediskit/policies"

// PolicyStack gives the policy rules a plan's resources and the stack's config, where
// rediskit:environment says whether production rules apply. `rediskit policy check` and the
// policy benchmark evaluate exactly this.
func PolicyStack(p *Plan, config map[string]string) *policies.Stack {
	s := &policies.Stack{Name: p.Stack, Project: p.Project, Config: config}
	for _, r := range p.Resources {
		s.Resources = append(s.Resources, policies.Resource{URN: r.URN, Type: r.Type, Name: r.Name, Custom: r.Custom,
			Parent: r.Parent, Inputs: r.Inputs, DependsOn: r.DependsOn})
	}
	return s
}
