// Package report renders the outcome of a policy check for people and for tools: a readable
// text report, SARIF 2.1.0 for code-scanning UIs (GitHub, GitLab, Azure DevOps) and JUnit XML
// for CI test views.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rediskit/rediskit/policies"
)

// Result is one policy check of one stack.
type Result struct {
	Stack      string
	Project    string
	Source     string // the file the stack is defined in, e.g. stacks/Pulumi.prod.yaml
	Resources  int
	Config     *policies.Config
	Violations []policies.Violation
}

// Counts returns the number of mandatory and advisory violations.
func (r *Result) Counts() (mandatory, advisory int) {
	for _, v := range r.Violations {
		if v.Level == policies.Mandatory {
			mandatory++
		} else {
			advisory++
		}
	}
	return mandatory, advisory
}

// Sorted returns the violations, mandatory first, then by rule and resource.
func (r *Result) Sorted() []policies.Violation {
	vs := append([]policies.Violation(nil), r.Violations...)
	sort.SliceStable(vs, func(i, j int) bool {
		a, b := vs[i], vs[j]
		if (a.Level == policies.Mandatory) != (b.Level == policies.Mandatory) {
			return a.Level == policies.Mandatory
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.ResourceName != b.ResourceName {
			return a.ResourceName < b.ResourceName
		}
		return a.Message < b.Message
	})
	return vs
}

// Text writes the report for a terminal or a CI log.
func Text(w io.Writer, r *Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Policy check of stack %s (project %s): %d rules on %d resources\n", r.Stack, r.Project, len(policies.Rules()), r.Resources)
	for _, v := range r.Sorted() {
		what := v.ResourceName
		if v.ResourceType != "" {
			what += " (" + v.ResourceType + ")"
		}
		fmt.Fprintf(&b, "\n%-9s  %s  %s\n", strings.ToUpper(string(v.Level)), v.Rule, what)
		fmt.Fprintf(&b, "           %s\n", v.Message)
		fmt.Fprintf(&b, "           maps to: %s\n", v.Mapped)
	}
	m, a := r.Counts()
	verdict := "PASSED"
	if m > 0 {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "\n%s: %d mandatory, %d advisory violation(s)\n", verdict, m, a)
	_, err := io.WriteString(w, b.String())
	return err
}
