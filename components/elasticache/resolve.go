package elasticache

import (
	"fmt"

	"github.com/rediskit/rediskit/components/inputs"
	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/validate"
)

// resolveIn resolves a cache for a constructor that builds one mode only, with the values the
// program wires in. It returns the resolved cache, its deploy-time inputs (checked against
// the same validation when they resolve) and the problems found so far, so that the
// constructor adds those of its own arguments and reports them all at once; err is set only
// when the cache is unusable for another reason (a mode this constructor does not build).
func resolveIn(cache spec.Cache, mode spec.Mode, in inputs.Inputs) (spec.Cache, *inputs.Wired, *validate.Problems, error) {
	ps := &validate.Problems{What: fmt.Sprintf("cache %q", cache.Name)}
	if cache.Mode != "" && cache.Mode != mode {
		return cache, nil, ps, fmt.Errorf("invalid cache %q: mode: %q is not allowed; this constructor builds mode %q", cache.Name, cache.Mode, mode)
	}
	cache.Mode = mode
	var n spec.Network
	w, twice := inputs.Fold(&cache, &n, in, inputs.Scope{})
	ps.List = append(ps.List, twice...)
	// The network reaches a cache as its subnet group (or subnets) and security groups; a
	// network input here would be dropped without a word.
	if n.VpcID != "" || len(n.SubnetIDs) > 0 || len(n.AllowedSecurityGroups) > 0 {
		ps.Add("inputs", "network values", "vpcId, subnetIds and allowedSecurityGroups go to NewNetwork and NewSecurityGroup; the cache takes their subnet group (or subnets) and security groups")
	}
	c, err := spec.ResolveAWS(cache)
	if verr, ok := err.(*validate.Error); ok {
		ps.List = append(ps.List, verr.Problems...)
	} else if err != nil {
		return c, w, ps, err
	}
	w.Validate(inputs.Check{What: ps.What, Cache: c, Problems: func(c spec.Cache, _ spec.Network) []validate.Problem { return awsProblems(c) }})
	return c, w, ps, nil
}

// awsProblems is what spec.ResolveAWS checks, on a cache whose defaults are in place.
func awsProblems(c spec.Cache) []validate.Problem {
	var out []validate.Problem
	if verr, ok := c.Validate().(*validate.Error); ok {
		out = append(out, verr.Problems...)
	}
	return append(out, c.ValidateAWS()...)
}
