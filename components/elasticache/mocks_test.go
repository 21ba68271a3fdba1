package elasticache

import (
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/rediskit/rediskit/internal/pulumitest"
)

// awsMocks are pulumitest's mocks with the few provider answers these tests look at made
// realistic (an SNS topic ARN, a random id's hex, a password that a provider draws anew when
// its keepers change), and with each registration's resource options kept.
type awsMocks struct {
	*pulumitest.Mocks
	mu   sync.Mutex
	opts map[string]*pulumirpc.RegisterResourceRequest // by type + " " + name
}

const testAccount = "111122223333"

func (m *awsMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, state, err := m.Mocks.NewResource(args)
	if err != nil {
		return id, state, err
	}
	switch args.TypeToken {
	case "aws:sns/topic:Topic":
		state["arn"] = resource.NewProperty("arn:aws:sns:eu-west-1:" + testAccount + ":" + args.Inputs["name"].StringValue())
	case "aws:ec2/vpc:Vpc":
		if v, ok := args.Inputs["assignGeneratedIpv6CidrBlock"]; ok && v.IsBool() && v.BoolValue() {
			state["ipv6CidrBlock"] = resource.NewProperty("2a05:d018:c8e:3a00::/56")
		}
	case "random:index/randomId:RandomId":
		state["hex"] = resource.NewProperty("0a1b2c3d")
	case "random:index/randomPassword:RandomPassword":
		rev := ""
		if k, ok := args.Inputs["keepers"]; ok && k.IsObject() {
			rev = k.ObjectValue()["revision"].StringValue()
		}
		state["result"] = resource.MakeSecret(resource.NewProperty("generated-" + args.Name + "-rev-" + rev))
	}
	if args.RegisterRPC != nil {
		m.mu.Lock()
		m.opts[args.TypeToken+" "+args.Name] = args.RegisterRPC
		m.mu.Unlock()
	}
	return id, state, nil
}

// options returns what a resource was registered with.
func (m *awsMocks) options(t *testing.T, typ, name string) *pulumirpc.RegisterResourceRequest {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.opts[typ+" "+name]
	if !ok {
		t.Fatalf("no %s %s registered", typ, name)
	}
	return r
}

func runAWS(t *testing.T, program pulumi.RunFunc) *awsMocks {
	t.Helper()
	m := &awsMocks{Mocks: &pulumitest.Mocks{}, opts: map[string]*pulumirpc.RegisterResourceRequest{}}
	if err := pulumi.RunErr(program, pulumi.WithMocks("rediskit", "test", m)); err != nil {
		t.Fatal(err)
	}
	return m
}

// resourceKey names an input of a registration.
func resourceKey(k string) resource.PropertyKey { return resource.PropertyKey(k) }
