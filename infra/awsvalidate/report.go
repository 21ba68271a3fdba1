package awsvalidate

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Finding is one thing the provider said, put back onto the plan: the stack, the Pulumi resource
// and input, and the provider's own words.
type Finding struct {
	Stack    string
	Severity string
	// Type and Resource are the Pulumi type token and resource name; Address the provider's.
	Type, Resource, Address string
	// Attribute is the input the provider's diagnostic points at, in Pulumi's names
	// (Attribute) and the provider's (TFAttribute); empty when it points at the whole resource.
	Attribute, TFAttribute string
	// Mentioned are the inputs the provider's message names when it points at the whole
	// resource (a plan-time check across attributes), as "pulumiName (provider_name)".
	Mentioned []string
	Summary   string
	Detail    string
}

// Message is the provider's own message.
func (f Finding) Message() string {
	if f.Detail == "" {
		return f.Summary
	}
	return f.Summary + ": " + f.Detail
}

func (f Finding) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stack %s", f.Stack)
	if f.Resource != "" {
		fmt.Fprintf(&b, ", resource %s %q (%s)", f.Type, f.Resource, f.Address)
	}
	switch {
	case f.Attribute != "":
		fmt.Fprintf(&b, ", input %s (%s)", f.Attribute, f.TFAttribute)
	case len(f.Mentioned) > 0:
		fmt.Fprintf(&b, ", inputs named: %s", strings.Join(f.Mentioned, ", "))
	}
	fmt.Fprintf(&b, ": %s", f.Message())
	return b.String()
}

// finding places a diagnostic: by the line of the configuration it points at, which names the
// resource and the input, or else by the resource address Terraform gives.
func (r *Rendered) finding(d diagnostic) Finding {
	f := Finding{Stack: r.Stack, Severity: d.Severity, Summary: d.Summary, Detail: strings.TrimSpace(d.Detail)}
	res, found := -1, false
	if d.Range != nil && d.Range.Filename == configFile {
		var i int
		if i, f.Attribute, f.TFAttribute, found = r.at(d.Range.Start.Line); found {
			res = i
		}
	}
	if d.Address != "" {
		if i, ok := r.resourceByAddress(strings.TrimSuffix(d.Address, "[0]")); ok && (!found || i != res) {
			res, found, f.Attribute, f.TFAttribute = i, true, "", ""
		}
	}
	if !found {
		return f
	}
	rr := r.Resources[res]
	f.Type, f.Resource, f.Address = rr.Type, rr.Name, rr.Address
	if f.Attribute == "" {
		f.Mentioned = mentioned(rr.mapping.Attrs, f.Summary+" "+f.Detail)
	}
	return f
}

// mentioned lists the mapped inputs whose provider names occur in a message as whole words.
func mentioned(attrs map[string]Attr, msg string) []string {
	var out []string
	var walk func(map[string]Attr, string, string)
	walk = func(table map[string]Attr, pp, tp string) {
		for p, a := range table {
			if wordIn(a.TF, msg) {
				out = append(out, fmt.Sprintf("%s (%s)", join(pp, p), join(tp, a.TF)))
			}
			if a.Kind == Block {
				walk(a.Fields, join(pp, p), join(tp, a.TF))
			}
		}
	}
	walk(attrs, "", "")
	sort.Strings(out)
	return out
}

func wordIn(word, s string) bool {
	return regexp.MustCompile(`(^|[^A-Za-z0-9_])` + regexp.QuoteMeta(word) + `($|[^A-Za-z0-9_])`).MatchString(s)
}
