package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/rediskit/rediskit/policies"
)

// JUnit XML: one test case per rule, so a CI test view lists every rule that ran. A rule
// fails when it has a mandatory violation; advisory violations are printed in its output
// without failing it; disabled rules are skipped.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *struct{}     `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

// JUnit writes the result as JUnit XML.
func JUnit(w io.Writer, r *Result) error {
	suite := junitSuite{Name: "rediskit policy check: stack " + r.Stack}
	for _, rule := range policies.Rules() {
		c := junitCase{Name: rule.ID, Classname: "rediskit.policy." + r.Stack}
		level := r.Config.Level(rule)
		var mandatory, advisory []string
		for _, v := range r.Sorted() {
			if v.Rule != rule.ID {
				continue
			}
			line := fmt.Sprintf("%s (%s): %s", v.ResourceName, v.URN, v.Message)
			if v.Level == policies.Mandatory {
				mandatory = append(mandatory, line)
			} else {
				advisory = append(advisory, line)
			}
		}
		switch {
		case level == policies.Disabled:
			c.Skipped = &struct{}{}
			suite.Skipped++
		case len(mandatory) > 0:
			c.Failure = &junitFailure{
				Message: fmt.Sprintf("%d mandatory violation(s) of %s", len(mandatory), rule.ID),
				Type:    "mandatory",
				Body:    strings.Join(mandatory, "\n") + "\nmaps to: " + rule.Maps.String(),
			}
			suite.Failures++
		}
		if len(advisory) > 0 {
			c.SystemOut = "advisory:\n" + strings.Join(advisory, "\n")
		}
		suite.Cases = append(suite.Cases, c)
		suite.Tests++
	}
	doc := junitSuites{Name: "rediskit policy check", Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
