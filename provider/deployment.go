package provider

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/internal/secret"
	"github.com/rediskit/rediskit/provider/schema"
)

// Deployment is the rediskit:index:Deployment resource.
type Deployment struct{}

// Annotate names and describes the resource.
func (d *Deployment) Annotate(a infer.Annotator) {
	a.SetToken("index", "Deployment")
	a.Describe(&d, "A self-hosted Redis/Valkey deployment (single node, replication group or cluster mode) run by the rediskit engine.")
}

// Check validates the inputs as the engine will, naming each bad field.
func (d *Deployment) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[schema.DeploymentArgs], error) {
	args, failures, err := infer.DefaultCheck[schema.DeploymentArgs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[schema.DeploymentArgs]{Inputs: args, Failures: failures}, err
	}
	for _, prob := range schema.Validate(args) {
		failures = append(failures, p.CheckFailure{Property: prob.Field, Reason: prob.String()})
	}
	return infer.CheckResponse[schema.DeploymentArgs]{Inputs: args, Failures: failures}, nil
}

// secretsFor keeps the credentials a state already has and generates the missing ones.
func secretsFor(args schema.DeploymentArgs, old *schema.DeploymentState) (schema.Secrets, error) {
	s := schema.Secrets{UserPasswords: map[string]string{}}
	if old != nil {
		s = old.Secrets()
		if s.UserPasswords == nil {
			s.UserPasswords = map[string]string{}
		}
	}
	var err error
	before := s.AppToken
	switch {
	case args.AuthToken != nil:
		s.AppToken = *args.AuthToken
	case s.AppToken == "" || (old != nil && old.TokenRevision != args.TokenRevision):
		if s.AppToken, err = secret.Generate(48); err != nil {
			return s, err
		}
	}
	// ElastiCache's strategies: ROTATE keeps the token being replaced valid beside the new one
	// (until the next change); SET drops every other token.
	switch {
	case args.TokenUpdateStrategy == "set":
		s.PreviousAppToken = ""
	case old != nil && before != "" && before != s.AppToken:
		s.PreviousAppToken = before
	}
	if s.AdminPassword == "" {
		if s.AdminPassword, err = secret.Generate(48); err != nil {
			return s, err
		}
	}
	keep := map[string]bool{}
	for _, u := range args.Users {
		keep[u.Name] = true
		if s.UserPasswords[u.Name] == "" {
			if s.UserPasswords[u.Name], err = secret.Generate(48); err != nil {
				return s, err
			}
		}
	}
	for n := range s.UserPasswords {
		if !keep[n] {
			delete(s.UserPasswords, n)
		}
	}
	return s, nil
}

// engineFor plans the deployment with its nodes where at says and returns its engine with
// the runner of its driver.
// placedEngine places a deployment's processes (keeping the ports and addresses held) and
// returns the engine for that placement, with the controller's metrics port checked
// against it: the one way Create and Update decide where everything runs.
func placedEngine(ctx context.Context, args schema.DeploymentArgs, s schema.Secrets, held schema.Placement, subnet string) (*engine.Engine, schema.Placement, error) {
	at, err := place(args, s, held, subnet)
	if err != nil {
		return nil, at, err
	}
	e, err := engineFor(ctx, args, s, at)
	if err != nil {
		return nil, at, err
	}
	if err := checkMetricsPort(args, e.Plan); err != nil {
		return nil, at, err
	}
	return e, at, nil
}

func engineFor(ctx context.Context, args schema.DeploymentArgs, s schema.Secrets, at schema.Placement) (*engine.Engine, error) {
	drv, err := driverFor(args)
	if err != nil {
		return nil, err
	}
	e, err := engine.New(schema.ToEngine(args, s, at), drv.Runner())
	if err != nil {
		return nil, err
	}
	log := p.GetLogger(ctx)
	e.Logf = func(format string, a ...any) { log.InfoStatusf(format, a...) }
	if _, err := os.Stat(args.DataDir); err == nil {
		// An existing deployment: the engine's own connections need its TLS material.
		if err := e.PrepareTLS(); err != nil {
			return nil, fmt.Errorf("preparing TLS for %s: %w", args.Name, err)
		}
	}
	return e, nil
}

// Create bootstraps the deployment and waits until it is healthy.
func (d *Deployment) Create(ctx context.Context, req infer.CreateRequest[schema.DeploymentArgs]) (infer.CreateResponse[schema.DeploymentState], error) {
	args := req.Inputs
	resp := infer.CreateResponse[schema.DeploymentState]{ID: args.Name}
	if req.DryRun {
		resp.Output = schema.DeploymentState{DeploymentArgs: args}
		return resp, nil
	}
	s, err := secretsFor(args, nil)
	if err != nil {
		return resp, err
	}
	drv, err := driverFor(args)
	if err != nil {
		return resp, err
	}
	subnet, err := drv.Prepare(ctx)
	if err != nil {
		return resp, err
	}
	e, at, err := placedEngine(ctx, args, s, schema.Placement{}, subnet)
	if err != nil {
		return resp, err
	}
	if err := os.MkdirAll(args.DataDir, 0o700); err != nil {
		return resp, fmt.Errorf("creating data directory: %w", err)
	}
	if args.TLS && args.GivenCertificates() {
		if err := writeCerts(args.DataDir, givenCerts(args)); err != nil {
			return resp, fmt.Errorf("creating deployment %s: %w", args.Name, err)
		}
	}
	if err := e.Up(ctx); err != nil {
		// The engine stopped what it started; what the driver made goes too, so nothing is
		// left over.
		_ = drv.Teardown(ctx, placedIDs(at))
		return resp, fmt.Errorf("creating deployment %s: %w", args.Name, err)
	}
	st := newState(args, s, e, subnet)
	cerr := startController(ctx, ControllerSpec{Args: args, Secrets: s, Placement: at})
	observe(ctx, e, &st)
	resp.Output = st
	if cerr != nil {
		// The nodes run and are recorded; the next up sees the controller missing and retries.
		return resp, infer.ResourceInitFailedError{Reasons: []string{cerr.Error()}}
	}
	return resp, nil
}

func newState(args schema.DeploymentArgs, s schema.Secrets, e *engine.Engine, subnet string) schema.DeploymentState {
	st := schema.DeploymentState{
		DeploymentArgs:   args,
		AppUser:          e.Plan.Deployment.AppUserName(),
		AppToken:         s.AppToken,
		PreviousAppToken: s.PreviousAppToken,
		AdminPassword:    s.AdminPassword,
		UserPasswords:    s.UserPasswords,
		SnapshotDir:      e.Plan.Deployment.Snapshot.Dir,
		MetricsEndpoint:  metricsEndpoint(args),
	}
	if e.Plan.TLS != nil {
		st.CAFile = e.Plan.TLS.CAFile
	}
	st.NodePorts = engine.PinnedPorts(e.Plan)
	if drv, err := driverFor(args); err == nil && drv.Network() != "" {
		st.Network, st.Subnet = drv.Network(), subnet
		st.NodeHosts = e.Plan.Deployment.NodeHosts
	}
	for _, sn := range e.Plan.Sentinels {
		st.Sentinels = append(st.Sentinels, sn.Addr())
	}
	return st
}

// Read refreshes what the deployment looks like now: a dead node or a changed role shows up
// as drift. A deployment whose data directory is gone no longer exists.
func (d *Deployment) Read(ctx context.Context, req infer.ReadRequest[schema.DeploymentArgs, schema.DeploymentState]) (infer.ReadResponse[schema.DeploymentArgs, schema.DeploymentState], error) {
	st := req.State
	resp := infer.ReadResponse[schema.DeploymentArgs, schema.DeploymentState]{ID: req.ID, Inputs: req.Inputs, State: st}
	if _, err := os.Stat(st.DataDir); os.IsNotExist(err) {
		resp.ID = ""
		return resp, nil
	}
	e, err := engineFor(ctx, st.DeploymentArgs, st.Secrets(), st.Placement())
	if err != nil {
		return resp, err
	}
	observe(ctx, e, &resp.State)
	return resp, nil
}

// replaceFields cannot change in place: they are the deployment's identity and layout.
var replaceFields = map[string]bool{"name": true, "mode": true, "dataDir": true, "host": true, "basePort": true, "driver": true, "engine": true}

// Diff compares the new inputs with the checkpoint field by field.
func (d *Deployment) Diff(_ context.Context, req infer.DiffRequest[schema.DeploymentArgs, schema.DeploymentState]) (infer.DiffResponse, error) {
	changes := diffArgs(req.State.DeploymentArgs, req.Inputs)
	resp := infer.DiffResponse{DetailedDiff: map[string]p.PropertyDiff{}}
	for _, f := range changes {
		kind := p.Update
		if replaceFields[f] {
			kind = p.UpdateReplace
			// The replacement reuses the ports and the directory.
			resp.DeleteBeforeReplace = true
		}
		resp.DetailedDiff[f] = p.PropertyDiff{Kind: kind, InputDiff: true}
	}
	// A refresh that found a node down or the deployment unhealthy is drift to repair: the update
	// restarts what is missing (an old primary returns as a replica).
	if !req.State.Healthy || anyDown(req.State.Nodes) {
		resp.DetailedDiff["nodes"] = p.PropertyDiff{Kind: p.Update}
	}
	// So is a controller that should run and does not (the machine restarted, say).
	if wantsController(req.Inputs) && !req.State.ControllerRunning {
		resp.DetailedDiff["controllerRunning"] = p.PropertyDiff{Kind: p.Update}
	}
	resp.HasChanges = len(resp.DetailedDiff) > 0
	return resp, nil
}

// diffArgs lists the input fields (by their pulumi names) that differ. A nil token means "keep
// the generated one", so it differs only when one is given.
func diffArgs(old, new schema.DeploymentArgs) []string {
	ov, nv := reflect.ValueOf(old), reflect.ValueOf(new)
	t := ov.Type()
	var out []string
	for i := 0; i < t.NumField(); i++ {
		name := pulumiName(t.Field(i).Tag.Get("pulumi"))
		a, b := ov.Field(i).Interface(), nv.Field(i).Interface()
		if name == "authToken" {
			if new.AuthToken != nil && (old.AuthToken == nil || *old.AuthToken != *new.AuthToken) {
				out = append(out, name)
			}
			continue
		}
		if !equalish(a, b) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func pulumiName(tag string) string {
	for i, c := range tag {
		if c == ',' {
			return tag[:i]
		}
	}
	return tag
}

// equalish treats nil and empty maps and slices alike.
func equalish(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if (va.Kind() == reflect.Map || va.Kind() == reflect.Slice) && va.Len() == 0 && vb.Len() == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// Delete takes a final snapshot (unless finalSnapshot is false), stops every process and removes
// the data directory. The snapshot directory is kept.
func (d *Deployment) Delete(ctx context.Context, req infer.DeleteRequest[schema.DeploymentState]) (infer.DeleteResponse, error) {
	st := req.State
	e, err := engineFor(ctx, st.DeploymentArgs, st.Secrets(), st.Placement())
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	if err := stopController(ctx, st.DataDir); err != nil {
		return infer.DeleteResponse{}, err
	}
	if st.FinalSnapshot && anyRunning(e) {
		dir, err := e.Snapshot(ctx, "final-"+time.Now().UTC().Format("20060102-150405"))
		if err != nil {
			return infer.DeleteResponse{}, fmt.Errorf("taking the final snapshot of %s (set finalSnapshot false to skip it): %w", st.Name, err)
		}
		p.GetLogger(ctx).Infof("final snapshot of %s: %s", st.Name, dir)
	}
	if err := e.Stop(ctx); err != nil {
		return infer.DeleteResponse{}, fmt.Errorf("stopping %s: %w", st.Name, err)
	}
	// Any other process of the deployment (a node of an interrupted scaling) goes too.
	drv, err := driverFor(st.DeploymentArgs)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	if err := drv.Teardown(ctx, uniqueSorted(append(placedIDs(st.Placement()), strayIDs(st.DataDir)...))); err != nil {
		return infer.DeleteResponse{}, fmt.Errorf("deleting %s: %w", st.Name, err)
	}
	if err := os.RemoveAll(st.DataDir); err != nil {
		return infer.DeleteResponse{}, fmt.Errorf("removing %s: %w", st.DataDir, err)
	}
	return infer.DeleteResponse{}, nil
}

// placedIDs lists every process id a placement knows.
func placedIDs(at schema.Placement) []string {
	var ids []string
	for id := range at.Ports {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func anyDown(nodes []schema.NodeStatus) bool {
	for _, n := range nodes {
		if !n.Alive {
			return true
		}
	}
	return false
}

func anyRunning(e *engine.Engine) bool {
	for _, n := range e.Plan.Nodes {
		if e.Runner.Running(n.ID) {
			return true
		}
	}
	return false
}

func uniqueSorted(ids []string) []string {
	sort.Strings(ids)
	return slices.Compact(ids)
}
