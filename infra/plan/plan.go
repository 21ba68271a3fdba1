// Package plan runs a Pulumi program under mocks and records what it would create: every
// resource with its type, name, parent, dependencies, options and inputs. Values that only the
// cloud provider can tell (ids, ARNs, endpoints, generated secrets) stay unknown: the recorder
// answers each registration with the inputs it was given and nothing else. Reviewers read the
// plan of a change without cloud credentials, and the policy pack evaluates it.
package plan

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Plan is what a program would create.
type Plan struct {
	Project   string     `json:"project"`
	Stack     string     `json:"stack"`
	Notes     []string   `json:"notes,omitempty"`
	Resources []Resource `json:"resources"`
}

// Resource is one registered resource.
type Resource struct {
	URN    string `json:"urn"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	Custom bool   `json:"custom"`
	Parent string `json:"parent,omitempty"`
	// Inputs are the resource's inputs; unknown values are property.Computed, secrets are secret.
	Inputs    property.Map `json:"-"`
	DependsOn []string     `json:"dependsOn,omitempty"`
	Options   Options      `json:"options"`
}

// Options are the resource options that change how a deployment treats the resource.
type Options struct {
	Protect                 bool     `json:"protect,omitempty"`
	DeleteBeforeReplace     bool     `json:"deleteBeforeReplace,omitempty"`
	IgnoreChanges           []string `json:"ignoreChanges,omitempty"`
	ReplaceOnChanges        []string `json:"replaceOnChanges,omitempty"`
	AdditionalSecretOutputs []string `json:"additionalSecretOutputs,omitempty"`
	RetainOnDelete          bool     `json:"retainOnDelete,omitempty"`
}

// Recorder keeps the registrations a program makes.
type Recorder struct {
	project, stack string
	mu             sync.Mutex
	resources      []Resource
}

// NewRecorder returns an empty recorder.
func NewRecorder(project, stack string) *Recorder { return &Recorder{project: project, stack: stack} }

// record adds a registration.
func (r *Recorder) record(rpc *pulumirpc.RegisterResourceRequest, inputs resource.PropertyMap) Resource {
	res := Resource{
		Type:      rpc.GetType(),
		Name:      rpc.GetName(),
		Custom:    rpc.GetCustom(),
		Inputs:    resource.FromResourcePropertyMap(inputs),
		Parent:    rpc.GetParent(),
		DependsOn: append([]string(nil), rpc.GetDependencies()...),
		Options: Options{
			Protect:                 rpc.GetProtect(),
			DeleteBeforeReplace:     rpc.GetDeleteBeforeReplace(),
			IgnoreChanges:           rpc.GetIgnoreChanges(),
			ReplaceOnChanges:        rpc.GetReplaceOnChanges(),
			AdditionalSecretOutputs: rpc.GetAdditionalSecretOutputs(),
			RetainOnDelete:          rpc.GetRetainOnDelete(),
		},
	}
	sort.Strings(res.DependsOn)
	res.URN = urn(r.stack, r.project, r.parentType(res.Parent), res.Type, res.Name)
	r.mu.Lock()
	r.resources = append(r.resources, res)
	r.mu.Unlock()
	return res
}

// knownOnly drops inputs that hold unknowns: the program reads absent outputs as unknown.
func knownOnly(in resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range in {
		if !v.ContainsUnknowns() {
			out[k] = v
		}
	}
	return out
}

func (r *Recorder) parentType(parent string) string {
	if parent == "" {
		return ""
	}
	// URN form: urn:pulumi:stack::project::type$chain::name
	parts := strings.SplitN(parent, "::", 4)
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

func urn(stack, project, parentType, typ, name string) string {
	chain := typ
	if parentType != "" && !strings.HasPrefix(parentType, "pulumi:pulumi:Stack") {
		chain = parentType + "$" + typ
	}
	return fmt.Sprintf("urn:pulumi:%s::%s::%s::%s", stack, project, chain, name)
}

// Resources returns what was recorded, in registration order.
func (r *Recorder) Resources() []Resource {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Resource(nil), r.resources...)
}

// Run runs program as a dry run against the recorder, with the given config (keys like
// "rediskit:cache", values as the engine passes them: strings, JSON for objects).
func Run(program pulumi.RunFunc, project, stack string, config map[string]string, secretKeys []string) (*Plan, error) {
	rec := NewRecorder(project, stack)
	eng := &engineServer{}
	addr, stop, err := serve(rec, eng)
	if err != nil {
		return nil, err
	}
	defer stop()
	err = pulumi.RunErr(program, func(info *pulumi.RunInfo) {
		*info = pulumi.RunInfo{
			Project: project, Stack: stack, Config: config, ConfigSecretKeys: secretKeys,
			DryRun: true, MonitorAddr: addr, EngineAddr: addr, Parallel: 1,
		}
	})
	if err != nil {
		if len(eng.errors) > 0 {
			return nil, fmt.Errorf("%w: %s", err, strings.Join(eng.errors, "; "))
		}
		return nil, err
	}
	return &Plan{Project: project, Stack: stack, Resources: rec.Resources()}, nil
}

// ByType returns the resources of a type.
func (p *Plan) ByType(typ string) []Resource {
	var out []Resource
	for _, r := range p.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Find returns the resource of a type and name.
func (p *Plan) Find(typ, name string) (Resource, bool) {
	for _, r := range p.Resources {
		if r.Type == typ && r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}
