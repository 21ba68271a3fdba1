package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// ConfigTester is a Runner that can have the deployment's server program read a
// configuration and exit, without serving anything: the way to learn, before a node starts,
// whether the binary that will run accepts every parameter. Schemas follow ElastiCache's
// documented ranges, which are wider than some binaries take (Redis 7.0 refuses a timeout
// over 2147483647; Debian's build refuses activedefrag), and such a value would otherwise
// surface as a node that exits at every start.
type ConfigTester interface {
	// TestConfig runs program on conf and returns what it printed. A configuration it
	// accepts ends with the program exiting because it listens nowhere (port 0).
	TestConfig(ctx context.Context, program string, conf []byte) (string, error)
}

// ConfigRejection is a configuration line the server program refused when it read it.
type ConfigRejection struct {
	// Field is the deployment field the line came from ("parameters.timeout"), or the
	// directive when the engine rendered it itself.
	Field     string
	Directive string
	Value     string
	Reason    string
	// Server is how the program named itself ("Redis 7.0.15", "Version 8.0.1").
	Server string
}

func (r *ConfigRejection) Error() string {
	return fmt.Sprintf("%s: %q is refused by the server that runs it (%s): %s", r.Field, r.Value, r.Server, r.Reason)
}

// parseConfigRejection finds the FATAL CONFIG FILE ERROR report in a server program's
// output: the server's name on the banner, the offending line after ">>>" and the reason
// on the line after it.
func parseConfigRejection(out string) *ConfigRejection {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		_, banner, ok := strings.Cut(l, "*** FATAL CONFIG FILE ERROR (")
		if !ok {
			continue
		}
		r := &ConfigRejection{Server: strings.TrimSuffix(strings.TrimSpace(banner), ") ***")}
		for j := i + 1; j < len(lines); j++ {
			if line, ok := strings.CutPrefix(strings.TrimSpace(lines[j]), ">>> "); ok {
				line = strings.Trim(line, "'")
				r.Directive, r.Value, _ = strings.Cut(line, " ")
				r.Value = strings.Trim(r.Value, `"`)
				if j+1 < len(lines) {
					r.Reason = strings.TrimSpace(lines[j+1])
				}
				break
			}
		}
		r.Field = r.Directive
		return r
	}
	return nil
}

// rejection attributes a rejected line to the deployment field it came from.
func (p *Plan) rejection(out string) *ConfigRejection {
	r := parseConfigRejection(out)
	if r == nil {
		return nil
	}
	if _, ok := p.Params[r.Directive]; ok {
		r.Field = "parameters." + r.Directive
	} else if strings.HasPrefix(r.Directive, "client-output-buffer-limit") {
		r.Field = "parameters.client-output-buffer-limit-*"
	}
	return r
}

// CheckConfig has the server program that will run the deployment read its parameter
// group, when the runner can (ConfigTester), and returns the line it refuses as a
// ConfigRejection. Create and ApplyParameters call it before anything changes.
func (e *Engine) CheckConfig(ctx context.Context) error {
	t, ok := e.Runner.(ConfigTester)
	if !ok {
		return nil
	}
	var b strings.Builder
	b.WriteString("port 0\n") // read the file, listen nowhere, exit
	b.WriteString("save \"\"\n")
	e.Plan.renderParams(&b, e.Plan.Nodes[0])
	out, err := t.TestConfig(ctx, e.programs().Server, []byte(b.String()))
	if err != nil {
		return fmt.Errorf("checking the parameter group with %s: %w", e.programs().Server, err)
	}
	if r := e.Plan.rejection(out); r != nil {
		return r
	}
	return nil
}

// configCheckTimeout bounds one configuration check: the program reads its file and exits
// at once (port 0), so only a hung program or a slow container start comes near it.
const configCheckTimeout = 60 * time.Second

// TestConfigLocal runs a server program of this machine on a configuration read from its
// standard input (the "-" argument) and returns its output.
func TestConfigLocal(ctx context.Context, program string, conf []byte) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, configCheckTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, program, "-")
	cmd.Stdin = bytes.NewReader(conf)
	cmd.Dir = "/" // nothing is written: persistence is off and the program exits at once
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return string(out), err
	}
	return string(out), nil
}

// TestConfig implements ConfigTester.
func (r *LocalRunner) TestConfig(ctx context.Context, program string, conf []byte) (string, error) {
	return TestConfigLocal(ctx, program, conf)
}

// TestConfig implements ConfigTester: the program of the runner's image, in a container
// with no network, reads the configuration from its standard input.
func (r *DockerRunner) TestConfig(ctx context.Context, program string, conf []byte) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, configCheckTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", "run", "--rm", "-i", "--network", "none",
		"--user", fmt.Sprintf("%d:%d", r.uid(), r.uid()), r.Image, "exec", program, "-")
	cmd.Stdin = bytes.NewReader(conf)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return string(out), err
	}
	return string(out), nil
}
