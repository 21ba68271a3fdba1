package elasticache

import (
	"fmt"

	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/validate"
)

// resolveIn resolves a cache for a constructor that builds one mode only. It returns the
// resolved cache and the problems found so far, so that the constructor adds those of its
// own arguments and reports them all at once; err is set only when the cache is unusable
// for another reason (a mode this constructor does not build).
func resolveIn(cache spec.Cache, mode spec.Mode) (spec.Cache, *validate.Problems, error) {
	ps := &validate.Problems{What: fmt.Sprintf("cache %q", cache.Name)}
	if cache.Mode != "" && cache.Mode != mode {
		return cache, ps, fmt.Errorf("invalid cache %q: mode: %q is not allowed; this constructor builds mode %q", cache.Name, cache.Mode, mode)
	}
	cache.Mode = mode
	c, err := spec.ResolveAWS(cache)
	if verr, ok := err.(*validate.Error); ok {
		ps.List = append(ps.List, verr.Problems...)
	} else if err != nil {
		return c, ps, err
	}
	return c, ps, nil
}
