package awsvalidate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
)

// Tools are the binaries build.sh makes, for the versions tools/*/go.mod pin.
type Tools struct {
	Terraform        string // the Terraform CLI
	ProviderDir      string // the directory holding terraform-provider-aws
	TerraformVersion string
	ProviderVersion  string
}

const (
	terraformModule = "github.com/hashicorp/terraform"
	providerModule  = "github.com/hashicorp/terraform-provider-aws"
)

// ErrToolsMissing means build.sh has not built the pinned versions on this machine.
var ErrToolsMissing = errors.New("the aws-validate tools are not built (make aws-validate-tools)")

// CacheDir is where build.sh keeps the binaries: ~/.cache/rediskit/aws-validate (or under
// $XDG_CACHE_HOME).
func CacheDir() (string, error) {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("finding the cache directory: %w", err)
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "rediskit", "aws-validate"), nil
}

// LocateTools finds the built binaries of the versions pinned under toolsDir (this package's
// tools/ directory). A missing binary is ErrToolsMissing, with the path it looked at.
func LocateTools(toolsDir string) (Tools, error) {
	tfVer, err := pinnedVersion(filepath.Join(toolsDir, "terraform", "go.mod"), terraformModule)
	if err != nil {
		return Tools{}, err
	}
	provVer, err := pinnedVersion(filepath.Join(toolsDir, "provider", "go.mod"), providerModule)
	if err != nil {
		return Tools{}, err
	}
	cache, err := CacheDir()
	if err != nil {
		return Tools{}, err
	}
	t := Tools{
		Terraform:        filepath.Join(cache, "terraform-"+tfVer, "terraform"),
		ProviderDir:      filepath.Join(cache, "terraform-provider-aws-"+provVer),
		TerraformVersion: tfVer,
		ProviderVersion:  provVer,
	}
	for _, bin := range []string{t.Terraform, filepath.Join(t.ProviderDir, "terraform-provider-aws")} {
		if _, err := os.Stat(bin); err != nil {
			return t, fmt.Errorf("%w: %s: %v", ErrToolsMissing, bin, err)
		}
	}
	return t, nil
}

// pinnedVersion reads the version a tools module requires of mod.
func pinnedVersion(goMod, mod string) (string, error) {
	raw, err := os.ReadFile(goMod)
	if err != nil {
		return "", fmt.Errorf("reading the pinned version of %s: %w", mod, err)
	}
	f, err := modfile.ParseLax(goMod, raw, nil)
	if err != nil {
		return "", fmt.Errorf("parsing %s: %w", goMod, err)
	}
	for _, r := range f.Require {
		if r.Mod.Path == mod {
			return r.Mod.Version, nil
		}
	}
	return "", fmt.Errorf("%s does not require %s", goMod, mod)
}

// Result is what the provider said about one stack.
type Result struct {
	Stack    string
	Errors   []Finding
	Warnings []Finding
	// Planned is each resource the provider planned, by address, with the planned action.
	Planned map[string]string
	Elapsed time.Duration
}

// Plan has the provider validate and plan a rendered stack: Terraform's `plan` runs the
// provider's validation of every resource, then its plan-time checks (CustomizeDiff), with no
// state and no refresh, so nothing is read from AWS. The environment leaves the provider no way
// to reach the network: no credentials files, no instance metadata, and a proxy on a closed
// loopback port for any HTTP request it might still try, which then fails at once instead of
// leaving the machine.
func (t Tools) Plan(ctx context.Context, r *Rendered) (*Result, error) {
	dir, err := os.MkdirTemp("", "aws-validate-") // short: the plugin sockets live here
	if err != nil {
		return nil, fmt.Errorf("making a working directory for stack %s: %w", r.Stack, err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, configFile), r.JSON, 0o600); err != nil {
		return nil, fmt.Errorf("writing the configuration of stack %s: %w", r.Stack, err)
	}
	start := time.Now()
	stdout, stderr, err := t.run(ctx, dir, "plan", "-refresh=false", "-input=false", "-lock=false", "-json", "-no-color")
	res := &Result{Stack: r.Stack, Planned: map[string]string{}, Elapsed: time.Since(start)}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return nil, fmt.Errorf("running terraform plan for stack %s: %w", r.Stack, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		var m planMessage
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue // not a machine-readable line
		}
		switch m.Type {
		case "planned_change":
			res.Planned[m.Change.Resource.Addr] = m.Change.Action
		case "diagnostic":
			f := r.finding(m.Diagnostic)
			if m.Diagnostic.Severity == "error" {
				res.Errors = append(res.Errors, f)
			} else if !devOverrideWarning(m.Diagnostic) {
				res.Warnings = append(res.Warnings, f)
			}
		}
	}
	if err != nil && len(res.Errors) == 0 {
		// Terraform failed without saying why in its JSON: show what it printed.
		return nil, fmt.Errorf("terraform plan for stack %s failed (%v) without a diagnostic: %s", r.Stack, err, tail(stderr, stdout))
	}
	return res, nil
}

const configFile = "main.tf.json"

// devOverrideWarning is Terraform's reminder that the provider comes from dev_overrides, which
// is how the gate loads the built provider: expected, not a finding.
func devOverrideWarning(d diagnostic) bool {
	return strings.Contains(d.Summary, "Provider development overrides are in effect")
}

// run runs Terraform in dir with the gate's CLI configuration and a closed-off environment.
func (t Tools) run(ctx context.Context, dir string, args ...string) (stdout, stderr []byte, err error) {
	cliConfig := filepath.Join(dir, "cli.tfrc")
	rc := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n", "hashicorp/aws", t.ProviderDir)
	if err := os.WriteFile(cliConfig, []byte(rc), 0o600); err != nil {
		return nil, nil, fmt.Errorf("writing the Terraform CLI configuration: %w", err)
	}
	cmd := exec.CommandContext(ctx, t.Terraform, args...)
	cmd.Dir = dir
	cmd.Env = offlineEnv(dir, cliConfig)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.Bytes(), errb.Bytes(), err
}

// offlineEnv is the environment Terraform and the provider run in: PATH and HOME from ours,
// nothing of AWS's, and every way out of the machine closed.
func offlineEnv(dir, cliConfig string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"TMPDIR=" + dir,
		"TF_CLI_CONFIG_FILE=" + cliConfig,
		"TF_DATA_DIR=" + filepath.Join(dir, ".terraform"),
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
		"CHECKPOINT_DISABLE=1", // Terraform's version check would call out
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
		"HTTP_PROXY=" + closedProxy,
		"HTTPS_PROXY=" + closedProxy,
		"http_proxy=" + closedProxy,
		"https_proxy=" + closedProxy,
		"NO_PROXY=",
		"no_proxy=",
	}
	return env
}

// closedProxy is a loopback port nothing listens on (discard, 9): an HTTP request the provider
// might make is refused on the spot. It is not an AWS endpoint and answers nothing.
const closedProxy = "http://127.0.0.1:9"

func tail(parts ...[]byte) string {
	s := strings.TrimSpace(string(bytes.Join(parts, []byte("\n"))))
	if len(s) > 4000 {
		s = "..." + s[len(s)-4000:]
	}
	return s
}

// planMessage is one line of `terraform plan -json`.
type planMessage struct {
	Type       string     `json:"type"`
	Diagnostic diagnostic `json:"diagnostic"`
	Change     struct {
		Resource struct {
			Addr string `json:"addr"`
		} `json:"resource"`
		Action string `json:"action"`
	} `json:"change"`
}

// diagnostic is Terraform's machine-readable diagnostic.
type diagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
	Address  string `json:"address"`
	Range    *struct {
		Filename string `json:"filename"`
		Start    struct {
			Line int `json:"line"`
		} `json:"start"`
	} `json:"range"`
}
