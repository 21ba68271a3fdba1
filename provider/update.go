package provider

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/rediskit/rediskit/engine"
	"github.com/rediskit/rediskit/provider/schema"
)

// notOnline fields have no online path in this provider yet; the error says so before
// anything is touched.
var notOnline = map[string]string{
	"zones":   "moving nodes between zones",
	"tls":     "switching TLS on or off",
	"tlsMode": "changing the TLS mode",
}

// Update applies changes online, in the order ElastiCache would: parameters that apply
// immediately with CONFIG SET, parameters that need a restart with a rolling restart (replicas
// first, then each primary after a planned failover), credentials with ACL changes that keep
// the old token valid (a rotation), and scaling through the engine.
func (d *Deployment) Update(ctx context.Context, req infer.UpdateRequest[schema.DeploymentArgs, schema.DeploymentState]) (infer.UpdateResponse[schema.DeploymentState], error) {
	old, args := req.State, req.Inputs
	resp := infer.UpdateResponse[schema.DeploymentState]{Output: old}
	changes := diffArgs(old.DeploymentArgs, args)
	for _, f := range changes {
		if what, ok := notOnline[f]; ok {
			return resp, fmt.Errorf("updating %s: %s (%s) is not done online; create a new deployment and restore a snapshot into it", old.Name, what, f)
		}
	}
	if req.DryRun {
		resp.Output.DeploymentArgs = args
		return resp, nil
	}
	s, err := secretsFor(args, &old)
	if err != nil {
		return resp, err
	}
	// The new engine version must run here before anything of the old one is touched.
	drv, err := driverFor(args)
	if err != nil {
		return resp, err
	}
	if err := drv.CheckEngine(ctx); err != nil {
		return resp, err
	}
	oldEngine, err := engineFor(ctx, old.DeploymentArgs, old.Secrets(), old.Placement())
	if err != nil {
		return resp, err
	}
	// No automatic snapshot while the deployment changes; the controller comes back with the
	// new spec at the end, or with the old one when the update fails before changing the
	// topology (also when the update was cancelled: the restart does not inherit that).
	if err := stopController(ctx, old.DataDir); err != nil {
		return resp, fmt.Errorf("updating %s: %w", old.Name, err)
	}
	restarted := false
	defer func() {
		if !restarted {
			if err := startController(context.WithoutCancel(ctx), ControllerSpec{Args: old.DeploymentArgs, Secrets: old.Secrets(), Placement: old.Placement()}); err != nil {
				p.GetLogger(ctx).Warningf("%v", err)
			}
		}
	}()
	var rot certRotation
	if args.TLS && args.GivenCertificates() {
		running, ok := runningCerts(args.DataDir)
		rot = planCertRotation(running, ok && old.TLS, givenCerts(args))
		if err := writeCerts(args.DataDir, rot.now); err != nil {
			return resp, fmt.Errorf("updating %s: %w", old.Name, err)
		}
	}
	e, at, err := placedEngine(ctx, args, s, old.Placement(), old.Subnet)
	if err != nil {
		return resp, err
	}
	changed := map[string]bool{}
	for _, f := range changes {
		changed[f] = true
	}
	if changed["shards"] || changed["replicasPerShard"] {
		if args.TLS && args.TLSMode == "preferred" {
			return resp, fmt.Errorf("scaling %s: not with tlsMode preferred (nodes hold two ports); finish the TLS migration first", old.Name)
		}
		if err := e.Scale(ctx, oldEngine.Plan); err != nil {
			// Keep the old inputs (the next up retries the scaling) but remember every port,
			// so nodes that did start are found again, by the retry or by a destroy.
			partial := old
			partial.NodePorts, partial.NodeHosts = at.Ports, at.Hosts
			// Slots may be half moved: a snapshot now would miss keys or record wrong slot
			// ranges, so the controller stays down until an up finishes the scaling.
			restarted = true
			partial.ControllerRunning = false
			resp.Output = partial
			return resp, infer.ResourceInitFailedError{Reasons: []string{fmt.Sprintf("scaling %s: %v", old.Name, err)}}
		}
	}
	if err := e.Up(ctx); err != nil { // restarts anything down, with the new plan's files
		return resp, fmt.Errorf("updating %s: %w", old.Name, err)
	}
	if changed["parameters"] {
		if err := applyParameters(ctx, args, s, at, old.Parameters, e); err != nil {
			return resp, fmt.Errorf("updating %s: %w", old.Name, err)
		}
	}
	if changed["nodeMemoryMb"] || changed["persistence"] {
		if err := e.ApplyMemoryAndPersistence(ctx); err != nil {
			return resp, fmt.Errorf("updating %s: %w", old.Name, err)
		}
	}
	if changed["image"] || changed["engineVersion"] || old.EngineImage() != args.EngineImage() {
		// Another engine version (new executables, or the image of that version) rolls in
		// node by node, as an engine upgrade.
		if err := e.RollingRestart(ctx); err != nil {
			return resp, fmt.Errorf("updating %s to image %s: %w", old.Name, args.EngineImage(), err)
		}
	}
	if err := applyCertRotation(ctx, e, args.DataDir, rot); err != nil {
		return resp, fmt.Errorf("updating %s: %w", old.Name, err)
	}
	if credentialsChanged(old.Secrets(), s) || changed["users"] {
		if err := e.UpdateAuth(ctx, e.Plan.Deployment.Auth); err != nil {
			return resp, fmt.Errorf("updating %s: %w", old.Name, err)
		}
	}
	st := newState(args, s, e, old.Subnet)
	restarted = true
	cerr := startController(ctx, ControllerSpec{Args: args, Secrets: s, Placement: at})
	observe(ctx, e, &st)
	resp.Output = st
	if cerr != nil {
		// The nodes have changed and are recorded; the next up sees the controller missing.
		return resp, infer.ResourceInitFailedError{Reasons: []string{cerr.Error()}}
	}
	return resp, nil
}

// applyParameters changes the parameter group as ElastiCache does: the engine sets immediate
// parameters on every node now, and the ones that apply at start are applied by a rolling
// restart (replicas first, each primary after a coordinated failover), never all at once.
func applyParameters(ctx context.Context, args schema.DeploymentArgs, s schema.Secrets, at schema.Placement, oldParams map[string]string, e *engine.Engine) error {
	// The engine diffs against the group its plan holds: plan the new layout with the old group.
	withOld := args
	withOld.Parameters = oldParams
	pe, err := engineFor(ctx, withOld, s, at)
	if err != nil {
		return err
	}
	pending, err := pe.ApplyParameters(ctx, args.Parameters)
	if err != nil {
		return err
	}
	if len(pending) == 0 {
		return nil
	}
	if err := e.RollingRestart(ctx); err != nil {
		return fmt.Errorf("rolling restart for %s: %w", strings.Join(pending, ", "), err)
	}
	return nil
}

// credentialsChanged reports whether the tokens or user passwords differ.
func credentialsChanged(a, b schema.Secrets) bool {
	if len(a.UserPasswords) == 0 && len(b.UserPasswords) == 0 {
		return a.AppToken != b.AppToken || a.PreviousAppToken != b.PreviousAppToken
	}
	return a.AppToken != b.AppToken || a.PreviousAppToken != b.PreviousAppToken || !reflect.DeepEqual(a.UserPasswords, b.UserPasswords)
}
