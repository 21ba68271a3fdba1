package pack

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/rediskit/rediskit/policies"
)

// Server answers the engine's analyzer protocol around the pack's policies. Unlike
// policyx.Main it holds the pack from the start, so it answers GetPluginInfo and
// GetAnalyzerInfo whether or not ConfigureStack came first: `pulumi preview` sends
// Handshake, ConfigureStack, GetPluginInfo, GetAnalyzerInfo, Configure, then Analyze per
// resource and AnalyzeStack; `pulumi policy analyze` skips ConfigureStack.
type Server struct {
	pulumirpc.UnimplementedAnalyzerServer
	session *Session
	pack    policyx.PolicyPack
	rules   map[string]*policies.Rule
}

// NewServer builds the pack and its server.
func NewServer() (*Server, error) {
	s := NewSession()
	p, err := New(s)
	if err != nil {
		return nil, err
	}
	rules := map[string]*policies.Rule{}
	for _, r := range policies.Rules() {
		rules[r.ID] = r
	}
	return &Server{session: s, pack: p, rules: rules}, nil
}

// Main serves the pack on a free port and prints the port, as the engine expects from a
// plugin it launched, until the engine closes it.
func Main() error {
	srv, err := NewServer()
	if err != nil {
		return err
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(g *grpc.Server) error {
			pulumirpc.RegisterAnalyzerServer(g, srv)
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("starting the analyzer server: %w", err)
	}
	fmt.Fprintf(os.Stdout, "%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		return fmt.Errorf("analyzer server: %w", err)
	}
	return nil
}

func (s *Server) Handshake(context.Context, *pulumirpc.AnalyzerHandshakeRequest) (*pulumirpc.AnalyzerHandshakeResponse, error) {
	return &pulumirpc.AnalyzerHandshakeResponse{}, nil
}

func (s *Server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: s.pack.Version().String()}, nil
}

func (s *Server) ConfigureStack(_ context.Context, req *pulumirpc.AnalyzerStackConfigureRequest) (*pulumirpc.AnalyzerStackConfigureResponse, error) {
	cfg := map[string]string{}
	for k, v := range req.GetConfig() {
		cfg[k] = v
	}
	s.session.SetStack(req.GetStack(), req.GetProject(), cfg, req.GetTags())
	return &pulumirpc.AnalyzerStackConfigureResponse{}, nil
}

func (s *Server) GetAnalyzerInfo(context.Context, *emptypb.Empty) (*pulumirpc.AnalyzerInfo, error) {
	var infos []*pulumirpc.PolicyInfo
	for _, p := range s.pack.Policies() {
		rule := s.rules[p.Name()]
		info := &pulumirpc.PolicyInfo{
			Name:             p.Name(),
			DisplayName:      rule.Title,
			Description:      p.Description(),
			Message:          rule.Why,
			EnforcementLevel: pulumirpc.EnforcementLevel(p.EnforcementLevel()),
			PolicyType:       pulumirpc.PolicyType_POLICY_TYPE_RESOURCE,
			Severity:         severity(rule.Level),
		}
		if rule.StackOnly() {
			info.PolicyType = pulumirpc.PolicyType_POLICY_TYPE_STACK
		}
		if schema := p.ConfigSchema(); schema != nil {
			m := make(map[string]any, len(schema.Properties))
			for k, v := range schema.Properties {
				m[k] = v
			}
			props, err := structpb.NewStruct(m)
			if err != nil {
				return nil, fmt.Errorf("config schema of %s: %w", p.Name(), err)
			}
			info.ConfigSchema = &pulumirpc.PolicyConfigSchema{Properties: props, Required: schema.Required}
		}
		infos = append(infos, info)
	}
	return &pulumirpc.AnalyzerInfo{
		Name:           s.pack.Name(),
		DisplayName:    "rediskit ElastiCache and cache best practices",
		Version:        s.pack.Version().String(),
		Description:    "Encryption, AUTH, exposure, backups, failover and production rules for ElastiCache (Redis OSS/Valkey) caches",
		Provider:       "aws",
		Policies:       infos,
		SupportsConfig: true,
	}, nil
}

// Configure receives the reconciled `--policy-pack-config`: the engine has already filled in
// the schema defaults; the pack validates the rest and answers with every problem at once.
func (s *Server) Configure(_ context.Context, req *pulumirpc.ConfigureAnalyzerRequest) (*emptypb.Empty, error) {
	settings := map[string]policies.RuleSetting{}
	for name, pc := range req.GetPolicyConfig() {
		var props map[string]any
		if pc.GetProperties() != nil {
			// Through JSON so numbers and lists have the shapes the config parser expects.
			b, err := pc.GetProperties().MarshalJSON()
			if err != nil {
				return nil, fmt.Errorf("reading config of %s: %w", name, err)
			}
			if err := json.Unmarshal(b, &props); err != nil {
				return nil, fmt.Errorf("reading config of %s: %w", name, err)
			}
		}
		level, err := levelName(pc.GetEnforcementLevel())
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "policy %s: %v", name, err)
		}
		settings[name] = policies.RuleSetting{Level: level, Props: props}
	}
	cfg, err := policies.NewConfig(settings)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	s.session.SetConfig(cfg)
	return &emptypb.Empty{}, nil
}

func levelName(l pulumirpc.EnforcementLevel) (string, error) {
	switch l {
	case pulumirpc.EnforcementLevel_ADVISORY:
		return string(policies.Advisory), nil
	case pulumirpc.EnforcementLevel_MANDATORY:
		return string(policies.Mandatory), nil
	case pulumirpc.EnforcementLevel_DISABLED:
		return string(policies.Disabled), nil
	}
	return "", fmt.Errorf("enforcement level %s is not supported by this pack; use mandatory, advisory or disabled", l)
}

func severity(l policies.Level) pulumirpc.PolicySeverity {
	if l == policies.Mandatory {
		return pulumirpc.PolicySeverity_POLICY_SEVERITY_HIGH
	}
	return pulumirpc.PolicySeverity_POLICY_SEVERITY_MEDIUM
}

// manager collects the violations of one policy run.
type manager struct {
	report func(message, urn string)
}

func (m manager) ReportViolation(message, urn string) { m.report(message, urn) }

func (s *Server) diagnostics(p policyx.Policy, defaultURN string, run func(policyx.PolicyManager) error) (ds []*pulumirpc.AnalyzeDiagnostic, err error) {
	// A bug in one rule must fail the analysis with its name, not kill the analyzer process
	// (the engine would only report a closed connection).
	defer func() {
		if r := recover(); r != nil {
			ds, err = nil, fmt.Errorf("policy %s panicked on %s: %v", p.Name(), defaultURN, r)
		}
	}()
	rule := s.rules[p.Name()]
	level := s.session.Config().Level(rule)
	if level == policies.Disabled {
		return nil, nil
	}
	err = run(manager{report: func(message, urn string) {
		if urn == "" {
			urn = defaultURN
		}
		ds = append(ds, &pulumirpc.AnalyzeDiagnostic{
			PolicyName:        p.Name(),
			PolicyPackName:    s.pack.Name(),
			PolicyPackVersion: s.pack.Version().String(),
			Description:       p.Description(),
			Message:           message,
			EnforcementLevel:  pulumirpc.EnforcementLevel(EnforcementLevel(level)),
			Urn:               urn,
			Severity:          severity(level),
		})
	}})
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", p.Name(), err)
	}
	return ds, nil
}

func unmarshal(props *structpb.Struct, label string) (property.Map, error) {
	pm, err := plugin.UnmarshalProperties(props, plugin.MarshalOptions{
		Label: label, KeepUnknowns: true, KeepSecrets: true, KeepResources: true, KeepOutputValues: true,
	})
	if err != nil {
		return property.Map{}, err
	}
	return resource.FromResourcePropertyMap(pm), nil
}

func (s *Server) Analyze(ctx context.Context, req *pulumirpc.AnalyzeRequest) (*pulumirpc.AnalyzeResponse, error) {
	props, err := unmarshal(req.GetProperties(), "rediskit.analyze")
	if err != nil {
		return nil, fmt.Errorf("reading properties of %s: %w", req.GetUrn(), err)
	}
	r := policyx.AnalyzerResource{Type: req.GetType(), Properties: props, URN: req.GetUrn(), Name: req.GetName(),
		Parent: req.GetOptions().GetParent()}
	if pr := req.GetProvider(); pr != nil {
		r.Provider = policyx.AnalyzerProviderResource{Type: pr.GetType(), URN: pr.GetUrn(), Name: pr.GetName()}
	}
	var out []*pulumirpc.AnalyzeDiagnostic
	for _, p := range s.pack.Policies() {
		rp, ok := p.(policyx.ResourceValidationPolicy)
		if !ok {
			continue
		}
		ds, err := s.diagnostics(p, req.GetUrn(), func(m policyx.PolicyManager) error {
			return rp.Validate(ctx, policyx.ResourceValidationArgs{Manager: m, Resource: r})
		})
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	return &pulumirpc.AnalyzeResponse{Diagnostics: out}, nil
}

func (s *Server) AnalyzeStack(ctx context.Context, req *pulumirpc.AnalyzeStackRequest) (*pulumirpc.AnalyzeResponse, error) {
	var rs []policyx.AnalyzerResource
	for _, sr := range req.GetResources() {
		props, err := unmarshal(sr.GetProperties(), "rediskit.analyzeStack")
		if err != nil {
			return nil, fmt.Errorf("reading properties of %s: %w", sr.GetUrn(), err)
		}
		r := policyx.AnalyzerResource{Type: sr.GetType(), Properties: props, URN: sr.GetUrn(), Name: sr.GetName(),
			Parent: sr.GetParent(), Dependencies: sr.GetDependencies()}
		if pr := sr.GetProvider(); pr != nil {
			r.Provider = policyx.AnalyzerProviderResource{Type: pr.GetType(), URN: pr.GetUrn(), Name: pr.GetName()}
		}
		rs = append(rs, r)
	}
	var out []*pulumirpc.AnalyzeDiagnostic
	for _, p := range s.pack.Policies() {
		var run func(policyx.PolicyManager) error
		switch sp := p.(type) {
		case policyx.StackValidationPolicy:
			run = func(m policyx.PolicyManager) error {
				return sp.Validate(ctx, policyx.StackValidationArgs{Manager: m, Resources: rs})
			}
		default:
			// A resource policy's stack part (public-ingress), reported under its name.
			rule := s.rules[p.Name()]
			if rule == nil || rule.CheckStack == nil {
				continue
			}
			run = func(m policyx.PolicyManager) error {
				CheckStackPart(rule, s.session, rs, m)
				return nil
			}
		}
		ds, err := s.diagnostics(p, "", run)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	return &pulumirpc.AnalyzeResponse{Diagnostics: out}, nil
}

// Remediate changes nothing: every rule of this pack reports, none rewrites resources.
func (s *Server) Remediate(context.Context, *pulumirpc.AnalyzeRequest) (*pulumirpc.RemediateResponse, error) {
	return &pulumirpc.RemediateResponse{}, nil
}

func (s *Server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
