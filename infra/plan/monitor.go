package plan

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The SDK's mock monitor unmarshals inputs without unknowns, so an unknown value vanishes and an
// unknown secret (a generated token, say) fails outright. The planner therefore serves the
// resource-monitor and engine protocols itself, keeping unknowns and secrets as they are.

type monitorServer struct {
	pulumirpc.UnimplementedResourceMonitorServer
	rec *Recorder
}

var marshalOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true}

func (m *monitorServer) SupportsFeature(_ context.Context, in *pulumirpc.SupportsFeatureRequest) (*pulumirpc.SupportsFeatureResponse, error) {
	switch in.GetId() {
	case "secrets", "resourceReferences":
		return &pulumirpc.SupportsFeatureResponse{HasSupport: true}, nil
	}
	return &pulumirpc.SupportsFeatureResponse{HasSupport: false}, nil
}

func (m *monitorServer) RegisterResource(_ context.Context, in *pulumirpc.RegisterResourceRequest) (*pulumirpc.RegisterResourceResponse, error) {
	if in.GetType() == string(resource.RootStackType) && in.GetParent() == "" {
		return &pulumirpc.RegisterResourceResponse{Urn: urn(m.rec.stack, m.rec.project, "", in.GetType(), in.GetName())}, nil
	}
	inputs, err := plugin.UnmarshalProperties(in.GetObject(), marshalOpts)
	if err != nil {
		return nil, fmt.Errorf("reading inputs of %s %s: %w", in.GetType(), in.GetName(), err)
	}
	res := m.rec.record(in, inputs)
	state, err := plugin.MarshalProperties(knownOnly(inputs), marshalOpts)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.RegisterResourceResponse{Urn: res.URN, Object: state}, nil
}

func (m *monitorServer) RegisterResourceOutputs(context.Context, *pulumirpc.RegisterResourceOutputsRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (m *monitorServer) Invoke(_ context.Context, in *pulumirpc.ResourceInvokeRequest) (*pulumirpc.ResourceInvokeResponse, error) {
	return nil, fmt.Errorf("the offline plan cannot call %s: its result comes from the cloud provider; set the value it looks up in stack config", in.GetTok())
}

func (m *monitorServer) ReadResource(_ context.Context, in *pulumirpc.ReadResourceRequest) (*pulumirpc.ReadResourceResponse, error) {
	return nil, fmt.Errorf("the offline plan cannot read the existing %s %s from the cloud provider", in.GetType(), in.GetName())
}

func (m *monitorServer) SignalAndWaitForShutdown(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

type engineServer struct {
	pulumirpc.UnimplementedEngineServer
	mu     sync.Mutex
	root   string
	errors []string
}

func (e *engineServer) Log(_ context.Context, in *pulumirpc.LogRequest) (*emptypb.Empty, error) {
	if in.GetSeverity() == pulumirpc.LogSeverity_ERROR {
		e.mu.Lock()
		e.errors = append(e.errors, strings.TrimSpace(in.GetMessage()))
		e.mu.Unlock()
	}
	return &emptypb.Empty{}, nil
}

func (e *engineServer) GetRootResource(context.Context, *pulumirpc.GetRootResourceRequest) (*pulumirpc.GetRootResourceResponse, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return &pulumirpc.GetRootResourceResponse{Urn: e.root}, nil
}

func (e *engineServer) SetRootResource(_ context.Context, in *pulumirpc.SetRootResourceRequest) (*pulumirpc.SetRootResourceResponse, error) {
	e.mu.Lock()
	e.root = in.GetUrn()
	e.mu.Unlock()
	return &pulumirpc.SetRootResourceResponse{}, nil
}

// serve starts both servers on loopback and returns their address and a stop function.
func serve(rec *Recorder, eng *engineServer) (string, func(), error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listening for the program: %w", err)
	}
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(400 << 20))
	pulumirpc.RegisterResourceMonitorServer(srv, &monitorServer{rec: rec})
	pulumirpc.RegisterEngineServer(srv, eng)
	go func() { _ = srv.Serve(lis) }()
	return lis.Addr().String(), srv.Stop, nil
}
