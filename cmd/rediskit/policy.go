package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rediskit/rediskit/infra/plan"
	"github.com/rediskit/rediskit/policies"
	"github.com/rediskit/rediskit/policies/fromplan"
	"github.com/rediskit/rediskit/policies/report"
)

func init() {
	register("policy", "check a stack's offline plan against the policy pack (policy check -s <stack>)", func(args []string) error {
		return runPolicy(args, os.Stdout)
	})
}

// exitError carries the exit code main uses: 1 for mandatory violations, as opposed to 2 for
// misuse, so CI can tell a failed check from a broken invocation.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }
func (e *exitError) ExitCode() int { return e.code }

func runPolicy(args []string, out io.Writer) error {
	if len(args) == 1 && args[0] == "docs" {
		return report.RuleTable(out)
	}
	if len(args) == 0 || args[0] != "check" {
		return &exitError{2, "usage: rediskit policy check -s <stack> [--config policy.json] [--sarif out.sarif] [--junit out.xml]\n       rediskit policy docs   (the rule table of docs/policies.md)"}
	}
	fs := flag.NewFlagSet("policy check", flag.ContinueOnError)
	stack := fs.String("s", "", "stack name (stacks/Pulumi.<stack>.yaml)")
	root := fs.String("C", ".", "project root (the directory holding Pulumi.yaml)")
	configPath := fs.String("config", "", "policy pack config, the same JSON file as `--policy-pack-config`")
	sarifPath := fs.String("sarif", "", "write a SARIF 2.1.0 report here")
	junitPath := fs.String("junit", "", "write a JUnit XML report here")
	if err := fs.Parse(args[1:]); err != nil {
		return &exitError{2, err.Error()}
	}
	if *stack == "" {
		return &exitError{2, "-s: missing; name a stack, e.g. -s prod"}
	}
	cfg, err := policies.LoadConfig(*configPath)
	if err != nil {
		return &exitError{2, err.Error()}
	}
	res, err := checkStack(*root, *stack, cfg)
	if err != nil {
		// A stack that cannot be planned is not a policy failure: CI must tell them apart.
		return &exitError{2, err.Error()}
	}
	if err := report.Text(out, res); err != nil {
		return err
	}
	for _, w := range []struct {
		path  string
		write func(io.Writer, *report.Result) error
	}{{*sarifPath, report.SARIF}, {*junitPath, report.JUnit}} {
		if w.path == "" {
			continue
		}
		var buf bytes.Buffer
		if err := w.write(&buf, res); err != nil {
			return fmt.Errorf("rendering %s: %w", w.path, err)
		}
		if err := os.WriteFile(w.path, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing report: %w", err)
		}
	}
	if m, _ := res.Counts(); m > 0 {
		return &exitError{1, fmt.Sprintf("stack %s: %d mandatory policy violation(s)", *stack, m)}
	}
	return nil
}

// checkStack plans the stack offline and evaluates the pack on the plan.
func checkStack(root, stackName string, cfg *policies.Config) (*report.Result, error) {
	p, err := plan.Stack(root, stackName)
	if err != nil {
		return nil, err
	}
	stackCfg, _, _, err := plan.StackConfig(root, stackName)
	if err != nil {
		return nil, err
	}
	s := fromplan.Stack(p, stackCfg)
	return &report.Result{
		Stack: p.Stack, Project: p.Project, Resources: len(p.Resources), Config: cfg,
		Source:     filepath.ToSlash(filepath.Join("stacks", "Pulumi."+stackName+".yaml")),
		Violations: policies.Evaluate(s, cfg),
	}, nil
}
