package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/rediskit/rediskit/infra/plan"
)

func init() {
	register("plan", "print what a stack would create, offline (no cloud credentials)", func(args []string) error {
		return runPlan(args, os.Stdout)
	})
}

func runPlan(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	stack := fs.String("s", "", "stack name (stacks/Pulumi.<stack>.yaml)")
	root := fs.String("C", ".", "project root (the directory holding Pulumi.yaml)")
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *stack == "" {
		return fmt.Errorf("-s: missing; name a stack, e.g. -s prod")
	}
	p, err := plan.Stack(*root, *stack)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	fmt.Fprintf(out, "Plan of stack %s (project %s): %d resources\n", p.Stack, p.Project, len(p.Resources))
	for _, n := range p.Notes {
		fmt.Fprintf(out, "note: %s\n", n)
	}
	for _, tc := range p.Summary() {
		fmt.Fprintf(out, "  %4d  %s\n", tc.Count, tc.Type)
	}
	fmt.Fprintln(out, "\nUnknown values ({\"$unknown\": true} in --json) are known only after deployment.")
	return nil
}
