// Package deploy runs the rediskit program on a stack through the Automation API, inline: no
// Go language host and no login are needed. State lives in a file backend under the project
// (.pulumi-state), secrets in it are encrypted with a passphrase generated once and kept
// beside it (mode 0600), and the rediskit provider plugin is taken from bin/.
package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/rediskit/rediskit/infra/program"
)

// Options say which stack of which checkout to run.
type Options struct {
	// Root is the project root (holding Pulumi.yaml, stacks/ and bin/).
	Root string
	// Stack is the stack name; its config is stacks/Pulumi.<Stack>.yaml.
	Stack string
	// StateDir holds the file backend, the passphrase and the workspace (default Root/.pulumi-state).
	StateDir string
	// PluginDir holds pulumi-resource-rediskit (default Root/bin).
	PluginDir string
	// Config overrides or adds stack config values (key "rediskit:cache" etc.), for tests.
	Config map[string]string
	// Progress receives Pulumi's progress output; nil discards it.
	Progress io.Writer
	// Program is the inline program to run; nil runs rediskit's own (infra/program) on the
	// stack's config. Another program (examples/go) needs no stack file.
	Program pulumi.RunFunc
	// Project names the project (default rediskit); a program of its own has its own.
	Project string
	// AcquirePlugins lets the CLI download provider plugins it lacks (the AWS provider for the
	// AWS stacks, where a registry is reachable); off by default so nothing is fetched unasked.
	AcquirePlugins bool
}

func (o *Options) defaults() error {
	if o.Root == "" {
		return fmt.Errorf("root: missing; the project directory is required")
	}
	abs, err := filepath.Abs(o.Root)
	if err != nil {
		return err
	}
	o.Root = abs
	if o.Stack == "" {
		o.Stack = "local"
	}
	if o.StateDir == "" {
		o.StateDir = filepath.Join(o.Root, ".pulumi-state")
	}
	if o.PluginDir == "" {
		o.PluginDir = filepath.Join(o.Root, "bin")
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Project == "" {
		o.Project = "rediskit"
	}
	if o.Program == nil {
		o.Program = program.RunAt(o.Root)
	}
	return nil
}

// passphraseFile returns the file holding the state's passphrase, creating it once.
func passphraseFile(dir string) (string, error) {
	path := filepath.Join(dir, "passphrase")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating the state passphrase: %w", err)
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(b)), 0o600); err != nil {
		return "", fmt.Errorf("writing the state passphrase: %w", err)
	}
	return path, nil
}

// stackSettings reads stacks/Pulumi.<stack>.yaml as the workspace's stack settings.
// A program of its own (own) may have none: Options.Config configures it.
func stackSettings(o *Options, own bool) (workspace.ProjectStack, error) {
	path := filepath.Join(o.Root, "stacks", "Pulumi."+o.Stack+".yaml")
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) && own {
		return workspace.ProjectStack{}, nil // a program of its own, configured by Options.Config
	}
	if err != nil {
		return workspace.ProjectStack{}, fmt.Errorf("reading stack %q: %w", o.Stack, err)
	}
	var ps workspace.ProjectStack
	if err := yaml.Unmarshal(raw, &ps); err != nil {
		return ps, fmt.Errorf("parsing %s: %w", path, err)
	}
	return ps, nil
}

// Stack opens (or creates) the stack with the inline program.
func Stack(ctx context.Context, o Options) (auto.Stack, error) {
	own := o.Program != nil
	if err := o.defaults(); err != nil {
		return auto.Stack{}, err
	}
	if _, err := os.Stat(filepath.Join(o.PluginDir, "pulumi-resource-rediskit")); err != nil {
		return auto.Stack{}, fmt.Errorf("the rediskit provider is not built (%v); run `make provider`", err)
	}
	for _, d := range []string{o.StateDir, filepath.Join(o.StateDir, "backend"), filepath.Join(o.StateDir, "home"), filepath.Join(o.StateDir, "work", o.Stack)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return auto.Stack{}, fmt.Errorf("preparing %s: %w", d, err)
		}
	}
	pass, err := passphraseFile(o.StateDir)
	if err != nil {
		return auto.Stack{}, err
	}
	settings, err := stackSettings(&o, own)
	if err != nil {
		return auto.Stack{}, err
	}
	cmd, err := pulumiCommand(o.Root)
	if err != nil {
		return auto.Stack{}, err
	}
	proj := workspace.Project{
		Name:    tokens.PackageName(o.Project),
		Runtime: workspace.NewProjectRuntimeInfo("go", nil),
		Plugins: &workspace.Plugins{Providers: []workspace.PluginOptions{{Name: "rediskit", Path: o.PluginDir}}},
	}
	env := map[string]string{
		"PULUMI_BACKEND_URL":            "file://" + filepath.Join(o.StateDir, "backend"),
		"PULUMI_CONFIG_PASSPHRASE_FILE": pass,
		"PULUMI_SKIP_UPDATE_CHECK":      "true",
	}
	if !o.AcquirePlugins {
		env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] = "true"
	}
	// The inline program is told the project root: the CLI gives it none, and its working
	// directory is its caller's.
	st, err := auto.UpsertStackInlineSource(ctx, o.Stack, o.Project, o.Program,
		auto.Project(proj),
		auto.Stacks(map[string]workspace.ProjectStack{o.Stack: settings}),
		auto.WorkDir(filepath.Join(o.StateDir, "work", o.Stack)),
		auto.PulumiHome(filepath.Join(o.StateDir, "home")),
		auto.EnvVars(env),
		auto.Pulumi(cmd),
	)
	if err != nil {
		return st, fmt.Errorf("opening stack %s: %w", o.Stack, err)
	}
	for k, v := range o.Config {
		if err := st.SetConfig(ctx, k, auto.ConfigValue{Value: v}); err != nil {
			return st, fmt.Errorf("setting config %s: %w", k, err)
		}
	}
	return st, nil
}

// pulumiCommand prefers the project's bin/pulumi (made by `make pulumi-cli`), then PATH.
func pulumiCommand(root string) (auto.PulumiCommand, error) {
	opts := &auto.PulumiCommandOptions{}
	if _, err := os.Stat(filepath.Join(root, "bin", "pulumi")); err == nil {
		opts.Root = root
	}
	cmd, err := auto.NewPulumiCommand(opts)
	if err != nil {
		return nil, fmt.Errorf("finding the Pulumi CLI (run `make pulumi-cli`): %w", err)
	}
	return cmd, nil
}

// Up refreshes and deploys the stack and returns its outputs.
func Up(ctx context.Context, o Options) (auto.UpResult, error) {
	st, err := Stack(ctx, o)
	if err != nil {
		return auto.UpResult{}, err
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	// Refresh first: a node that died since the last run shows as drift, and the update brings
	// it back into the topology.
	res, err := st.Up(ctx, optup.Refresh(), optup.ProgressStreams(o.Progress), optup.ErrorProgressStreams(o.Progress))
	if err != nil {
		return res, fmt.Errorf("deploying stack %s: %w", o.Stack, err)
	}
	return res, nil
}

// Destroy removes everything the stack deployed.
func Destroy(ctx context.Context, o Options) error {
	st, err := Stack(ctx, o)
	if err != nil {
		return err
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if _, err := st.Destroy(ctx, optdestroy.ProgressStreams(o.Progress), optdestroy.ErrorProgressStreams(o.Progress)); err != nil {
		return fmt.Errorf("destroying stack %s: %w", o.Stack, err)
	}
	return nil
}

// Outputs returns the stack's outputs (secrets included, for the caller to handle).
func Outputs(ctx context.Context, o Options) (auto.OutputMap, error) {
	st, err := Stack(ctx, o)
	if err != nil {
		return nil, err
	}
	return st.Outputs(ctx)
}
