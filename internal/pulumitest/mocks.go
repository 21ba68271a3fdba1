// Package pulumitest runs Pulumi programs under the SDK's mocks for unit tests and records what
// they register, so tests can assert on resources and their inputs.
package pulumitest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Registered is one resource the program registered.
type Registered struct {
	Type, Name, Parent string
	Inputs             resource.PropertyMap
}

// Mocks answers registrations with the inputs as state plus the few outputs a program reads
// back, and records every registration.
type Mocks struct {
	mu  sync.Mutex
	All []Registered
}

// NewResource implements pulumi.MockResourceMonitor.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	parent := ""
	if args.RegisterRPC != nil {
		parent = args.RegisterRPC.GetParent()
	}
	m.mu.Lock()
	m.All = append(m.All, Registered{Type: args.TypeToken, Name: args.Name, Parent: parent, Inputs: args.Inputs})
	m.mu.Unlock()
	state := args.Inputs.Copy()
	switch args.TypeToken {
	case "random:index/randomPassword:RandomPassword":
		state["result"] = resource.MakeSecret(resource.NewProperty("generated-" + args.Name))
	case "aws:elasticache/replicationGroup:ReplicationGroup":
		state["primaryEndpointAddress"] = resource.NewProperty("master." + args.Name + ".cache.amazonaws.com")
		state["configurationEndpointAddress"] = resource.NewProperty("clustercfg." + args.Name + ".cache.amazonaws.com")
		state["readerEndpointAddress"] = resource.NewProperty("replica." + args.Name + ".cache.amazonaws.com")
	}
	state["arn"] = resource.NewProperty("arn:aws:mock:" + args.TypeToken + ":" + args.Name)
	return args.Name + "-id", state, nil
}

// Call implements pulumi.MockResourceMonitor; rediskit's components call no provider functions.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("unexpected call of %s", args.Token)
}

// OfType returns the registrations of a type.
func (m *Mocks) OfType(typ string) []Registered {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Registered
	for _, r := range m.All {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// OneE returns the single registration of a type.
func (m *Mocks) OneE(typ string) (Registered, error) {
	rs := m.OfType(typ)
	if len(rs) != 1 {
		return Registered{}, fmt.Errorf("want exactly 1 %s, got %d", typ, len(rs))
	}
	return rs[0], nil
}

// One is OneE that fails the test.
func (m *Mocks) One(t testing.TB, typ string) Registered {
	t.Helper()
	r, err := m.OneE(typ)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// RunE runs program under fresh mocks.
func RunE(program pulumi.RunFunc) (*Mocks, error) {
	return RunStackE(program, "test", nil, nil)
}

// RunStackE runs program under fresh mocks as the given stack, with its config (keys such as
// "rediskit:cache", objects as JSON) as the engine would pass it.
func RunStackE(program pulumi.RunFunc, stack string, config map[string]string, secretKeys []string) (*Mocks, error) {
	m := &Mocks{}
	err := pulumi.RunErr(program, pulumi.WithMocks("rediskit", stack, m), func(info *pulumi.RunInfo) {
		info.Config, info.ConfigSecretKeys = config, secretKeys
	})
	return m, err
}

// Run is RunE that fails the test on error.
func Run(t testing.TB, program pulumi.RunFunc) *Mocks {
	t.Helper()
	m, err := RunE(program)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Str reads a string input ("" when absent); secrets are unwrapped.
func (r Registered) Str(key string) string {
	v, ok := r.Inputs[resource.PropertyKey(key)]
	if !ok {
		return ""
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsString() {
		return v.StringValue()
	}
	return fmt.Sprint(v.V)
}

// Bool reads a bool input.
func (r Registered) Bool(key string) bool {
	v, ok := r.Inputs[resource.PropertyKey(key)]
	return ok && v.IsBool() && v.BoolValue()
}

// Num reads a number input.
func (r Registered) Num(key string) float64 {
	v, ok := r.Inputs[resource.PropertyKey(key)]
	if ok && v.IsNumber() {
		return v.NumberValue()
	}
	return -1
}

// IsSecret tells whether an input is marked secret.
func (r Registered) IsSecret(key string) bool {
	v, ok := r.Inputs[resource.PropertyKey(key)]
	return ok && v.IsSecret()
}

// Strings reads a string-array input.
func (r Registered) Strings(key string) []string {
	v, ok := r.Inputs[resource.PropertyKey(key)]
	if !ok || !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}
