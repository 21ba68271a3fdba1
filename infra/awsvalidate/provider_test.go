package awsvalidate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/rediskit/rediskit/infra/plan"
	"github.com/rediskit/rediskit/internal/testenv"
)

// tools finds the built provider and Terraform: a skip on a bare machine, a failure under
// `make test` and CI, where make aws-validate-tools has built them.
func tools(t *testing.T) Tools {
	t.Helper()
	tl, err := LocateTools("tools")
	if errors.Is(err, ErrToolsMissing) {
		testenv.Missing(t, "%v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

func providerPlan(t *testing.T, tl Tools, r *Rendered) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res, err := tl.Plan(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The mapping names only what the provider has, as it has it.
func TestMappingMatchesProviderSchema(t *testing.T) {
	tl := tools(t)
	s, err := tl.LoadSchema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range CheckMapping(Types, s) {
		t.Error(p)
	}
}

// Every stack, the repository's and the generated ones, passes the provider's validation and
// plan, and the provider plans every AWS resource in it.
func TestEveryStackPassesTheProvider(t *testing.T) {
	tl := tools(t)
	for _, s := range stacks(t) {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			r, err := s.Render()
			if err != nil {
				t.Fatal(err)
			}
			res := providerPlan(t, tl, r)
			for _, f := range res.Errors {
				t.Error(f)
			}
			for _, f := range res.Warnings {
				t.Logf("provider warning: %s", f)
			}
			for _, rr := range r.Resources {
				if a := res.Planned[rr.Address]; a != "create" {
					t.Errorf("%s %s (%s): planned %q, want create", rr.Type, rr.Name, rr.Address, a)
				}
			}
			t.Logf("%d AWS resources validated and planned in %s", len(r.Resources), res.Elapsed.Round(100*time.Millisecond))
		})
	}
}

// stackResources returns a copy of a stack's plan resources with one resource's inputs changed.
func stackResources(t *testing.T, stack, typ string, change func(property.Map) property.Map) (Stack, []plan.Resource) {
	t.Helper()
	for _, s := range stacks(t) {
		if s.Name != stack {
			continue
		}
		out := append([]plan.Resource(nil), s.Plan.Resources...)
		found := false
		for i := range out {
			if out[i].Type == typ && !found {
				out[i].Inputs = change(out[i].Inputs)
				found = true
			}
		}
		if !found {
			t.Fatalf("stack %s has no %s", stack, typ)
		}
		return s, out
	}
	t.Fatalf("no stack %s", stack)
	return Stack{}, nil
}

const rgType = "aws:elasticache/replicationGroup:ReplicationGroup"

// Plans the provider must refuse, each with the provider's own message, put on the input it
// concerns; and plans it must accept.
func TestProviderRefusesWhatAWSWouldRefuse(t *testing.T) {
	tl := tools(t)
	setIn := func(kv ...any) func(property.Map) property.Map {
		return func(m property.Map) property.Map {
			for i := 0; i < len(kv); i += 2 {
				var v property.Value
				switch x := kv[i+1].(type) {
				case string:
					v = property.New(x)
				case bool:
					v = property.New(x)
				}
				m = m.Set(kv[i].(string), v)
			}
			return m
		}
	}
	cases := []struct {
		name, stack, typ string
		change           func(property.Map) property.Map
		// The provider's words, and the input the finding must name (in the diagnostic's
		// position or, for a check across inputs, among the inputs the message names).
		want      []string
		attribute string
	}{
		{name: "conflicting attributes: a global datastore secondary with a node type",
			stack: "gen-global-secondary", typ: rgType, change: setIn("nodeType", "cache.r7g.large"),
			want: []string{`"global_replication_group_id": conflicts with node_type`}, attribute: "globalReplicationGroupId"},
		{name: "invalid enum value",
			stack: "dev", typ: rgType, change: setIn("transitEncryptionMode", "sometimes"),
			want: []string{"transit_encryption_mode", "sometimes"}, attribute: "transitEncryptionMode"},
		{name: "malformed snapshot window",
			stack: "dev", typ: rgType, change: setIn("snapshotWindow", "3am-4am"),
			want: []string{`(3am-4am) must satisfy the format of "hh24:mi-hh24:mi"`}, attribute: "snapshotWindow"},
		{name: "missing required attribute",
			stack: "dev", typ: "aws:elasticache/parameterGroup:ParameterGroup",
			change: func(m property.Map) property.Map { return m.Delete("family") },
			want:   []string{`"family" is required`}},
		{name: "a plan-time check across attributes: Multi-AZ without failover",
			stack: "dev", typ: rgType, change: setIn("multiAzEnabled", true, "automaticFailoverEnabled", false),
			want: []string{"automatic_failover_enabled must be true if multi_az_enabled is true"}, attribute: "multiAzEnabled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, res := stackResources(t, c.stack, c.typ, c.change)
			r, err := Render(s.Name, s.Region, res)
			if err != nil {
				t.Fatal(err)
			}
			out := providerPlan(t, tl, r)
			var hit *Finding
			for i, f := range out.Errors {
				if f.Type == c.typ && containsAll(f.Message(), c.want) {
					hit = &out.Errors[i]
				}
			}
			if hit == nil {
				t.Fatalf("the provider did not refuse it with %q; it said: %v", c.want, out.Errors)
			}
			t.Logf("%s", hit)
			if c.attribute != "" && hit.Attribute != c.attribute && !mentions(hit.Mentioned, c.attribute) {
				t.Errorf("the finding does not name input %s: %s", c.attribute, hit)
			}
			line := hit.String()
			for _, part := range []string{"stack " + c.stack, hit.Resource, c.want[0]} {
				if hit.Resource == "" || !strings.Contains(line, part) {
					t.Errorf("the report %q lacks %q", line, part)
				}
			}
		})
	}
	// The unchanged plans pass: the refusals above come from the changes alone.
	for _, stack := range []string{"dev", "gen-global-secondary"} {
		t.Run("accepts "+stack, func(t *testing.T) {
			t.Parallel()
			s, res := stackResources(t, stack, rgType, func(m property.Map) property.Map { return m })
			r, err := Render(s.Name, s.Region, res)
			if err != nil {
				t.Fatal(err)
			}
			out := providerPlan(t, tl, r)
			if len(out.Errors) > 0 {
				t.Fatalf("the provider refused the unchanged %s: %v", stack, out.Errors)
			}
		})
	}
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func mentions(list []string, input string) bool {
	for _, m := range list {
		if strings.HasPrefix(m, input+" ") {
			return true
		}
	}
	return false
}
