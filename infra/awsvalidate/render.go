package awsvalidate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/rediskit/rediskit/infra/plan"
)

// The provider is configured so that it never needs an account: dummy keys, and every look-up
// it would make at start-up (credentials, account id, instance metadata, region list) skipped.
const dummyKey = "offline-aws-validate"

// unknownAddr is a resource of Terraform's built-in provider whose id is unknown until apply:
// a value only AWS can tell (an id, an ARN, a generated token) is written as an expression over
// it, so the provider sees an unknown of the attribute's kind, as pulumi-aws would in a preview.
const unknownAddr = "terraform_data.unknown"

// Rendered is the Terraform JSON configuration of one stack's plan, with what it takes to read
// the provider's diagnostics back onto the plan's resources and inputs.
type Rendered struct {
	Stack     string
	JSON      []byte
	Resources []RenderedResource
	// Skipped are the resources outside the gate (OutsideGate), each with why.
	Skipped []string
	loci    []locus // by line
}

// RenderedResource is one plan resource as the provider sees it.
type RenderedResource struct {
	Address string // provider type and name, e.g. aws_elasticache_replication_group.rediskit_prod
	Type    string // Pulumi type token
	Name    string // Pulumi resource name
	URN     string
	mapping Type
}

// locus says which resource and input a line of the configuration holds.
type locus struct {
	line   int
	res    int    // index into Resources
	pulumi string // input path in Pulumi's names, e.g. logDeliveryConfigurations[1].logType
	tf     string // the same in the provider's names
}

// Render writes the configuration of a plan. Every custom resource must be in Types (or
// OutsideGate) and every input it has must be mapped: all that is not is returned as one error,
// so nothing reaches the provider with a part silently left out.
func Render(stack, region string, resources []plan.Resource) (*Rendered, error) {
	if region == "" {
		return nil, fmt.Errorf("rendering stack %s: no aws:region in its config", stack)
	}
	out := &Rendered{Stack: stack}
	var problems []string
	byType := map[string]object{}
	var typeOrder []string
	taken := map[string]bool{}
	usesUnknown := false
	for _, r := range resources {
		if !r.Custom {
			continue // components register no cloud resource
		}
		t, ok := Types[r.Type]
		if !ok {
			if why, outside := OutsideGate[r.Type]; outside {
				out.Skipped = append(out.Skipped, fmt.Sprintf("%s %s: %s", r.Type, r.Name, why))
				continue
			}
			problems = append(problems, fmt.Sprintf("%s %s: resource type not in the mapping (add it to Types in mapping.go, or to OutsideGate with a reason)", r.Type, r.Name))
			continue
		}
		name := tfName(r.Name, t.TF, taken)
		rr := RenderedResource{Address: t.TF + "." + name, Type: r.Type, Name: r.Name, URN: r.URN, mapping: t}
		c := &converter{where: r.Type + " " + r.Name}
		body := c.attrs(r.Inputs, t.Attrs, "", "")
		problems = append(problems, c.problems...)
		usesUnknown = usesUnknown || c.unknown
		if _, seen := byType[t.TF]; !seen {
			typeOrder = append(typeOrder, t.TF)
		}
		byType[t.TF] = append(byType[t.TF], member{key: name, val: body, res: len(out.Resources) + 1})
		out.Resources = append(out.Resources, rr)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("rendering stack %s for the AWS provider: %d problems:\n  - %s", stack, len(problems), strings.Join(problems, "\n  - "))
	}
	res := object{}
	if usesUnknown {
		res = append(res, member{key: "terraform_data", val: object{{key: "unknown", val: object{}}}})
	}
	for _, tf := range typeOrder {
		res = append(res, member{key: tf, val: byType[tf]})
	}
	doc := object{
		{key: "terraform", val: object{{key: "required_providers", val: object{{key: "aws", val: object{
			{key: "source", val: str("hashicorp/aws")},
		}}}}}},
		{key: "provider", val: object{{key: "aws", val: object{
			{key: "region", val: str(region)},
			{key: "access_key", val: str(dummyKey)},
			{key: "secret_key", val: str(dummyKey)},
			{key: "skip_credentials_validation", val: scalar("true")},
			{key: "skip_requesting_account_id", val: scalar("true")},
			{key: "skip_metadata_api_check", val: scalar("true")},
			{key: "skip_region_validation", val: scalar("true")},
		}}}},
		{key: "resource", val: res},
	}
	w := &writer{line: 1}
	w.value(doc, 0, 0, "", "")
	w.buf.WriteByte('\n')
	out.JSON = w.buf.Bytes()
	out.loci = w.loci
	return out, nil
}

// tfName makes a Terraform resource name from a Pulumi one: letters, digits, _ and -, starting
// with a letter or _, unique within the provider type.
func tfName(pulumiName, tfType string, taken map[string]bool) string {
	name := invalidNameChars.ReplaceAllString(pulumiName, "_")
	if name == "" || !(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')) {
		name = "r_" + name
	}
	base := name
	for i := 2; taken[tfType+"."+name]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	taken[tfType+"."+name] = true
	return name
}

var invalidNameChars = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// converter turns one resource's inputs into configuration, collecting what it cannot map.
type converter struct {
	where    string
	problems []string
	unknown  bool
}

func (c *converter) fail(path, format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf("%s: input %s: %s", c.where, path, fmt.Sprintf(format, args...)))
}

// attrs converts a map of inputs through a table of attributes, in a stable order.
func (c *converter) attrs(in property.Map, table map[string]Attr, ppath, tpath string) object {
	out := object{}
	for k, v := range in.AllStable {
		p := join(ppath, k)
		a, ok := table[k]
		if !ok {
			c.fail(p, "not in the mapping (add it to mapping.go with the provider's attribute)")
			continue
		}
		if v.IsNull() {
			continue // unset: the provider applies its default, as the bridge does
		}
		if node := c.value(v, a, p, join(tpath, a.TF)); node != nil {
			out = append(out, member{key: a.TF, pulumi: k, val: node})
		}
	}
	return out
}

func (c *converter) value(v property.Value, a Attr, ppath, tpath string) node {
	if v.Secret() {
		v = v.WithSecret(false) // secrets are placeholders or unknowns in an offline plan
	}
	if v.IsComputed() {
		if a.Kind == Block {
			c.fail(ppath, "an unknown nested block cannot be written; only its fields can be unknown")
			return nil
		}
		c.unknown = true
		return unknownOf(a.Kind)
	}
	switch a.Kind {
	case String, Number, Bool:
		return c.scalarValue(v, ppath)
	case List, Set:
		if !v.IsArray() {
			c.fail(ppath, "a %s takes an array, got %s", a.Kind, describe(v))
			return nil
		}
		arr := array{}
		for i, e := range v.AsArray().All {
			if e.Secret() {
				e = e.WithSecret(false)
			}
			if e.IsComputed() {
				c.unknown = true
				arr = append(arr, unknownOf(String))
				continue
			}
			if n := c.scalarValue(e, fmt.Sprintf("%s[%d]", ppath, i)); n != nil {
				arr = append(arr, n)
			}
		}
		return arr
	case Map:
		if !v.IsMap() {
			c.fail(ppath, "a map takes an object, got %s", describe(v))
			return nil
		}
		obj := object{}
		for k, e := range v.AsMap().AllStable {
			if e.Secret() {
				e = e.WithSecret(false)
			}
			var n node
			if e.IsComputed() {
				c.unknown = true
				n = unknownOf(String)
			} else {
				n = c.scalarValue(e, join(ppath, k))
			}
			if n != nil {
				obj = append(obj, member{key: escapeTemplate(k), pulumi: k, val: n})
			}
		}
		return obj
	case Block:
		switch {
		case v.IsMap():
			return c.attrs(v.AsMap(), a.Fields, ppath, tpath)
		case v.IsArray():
			arr := array{}
			for i, e := range v.AsArray().All {
				if e.Secret() {
					e = e.WithSecret(false)
				}
				if !e.IsMap() {
					c.fail(fmt.Sprintf("%s[%d]", ppath, i), "a nested block takes objects, got %s", describe(e))
					continue
				}
				arr = append(arr, c.attrs(e.AsMap(), a.Fields, fmt.Sprintf("%s[%d]", ppath, i), fmt.Sprintf("%s[%d]", tpath, i)))
			}
			return arr
		}
		c.fail(ppath, "a nested block takes an object or an array of objects, got %s", describe(v))
	}
	return nil
}

// scalarValue writes a string, number or bool as it is: the provider converts between them
// where its schema allows, exactly as the bridge hands Pulumi's values over.
func (c *converter) scalarValue(v property.Value, ppath string) node {
	switch {
	case v.IsString():
		return str(escapeTemplate(v.AsString()))
	case v.IsNumber():
		f := v.AsNumber()
		if f == float64(int64(f)) {
			return scalar(strconv.FormatInt(int64(f), 10))
		}
		return scalar(strconv.FormatFloat(f, 'g', -1, 64))
	case v.IsBool():
		return scalar(strconv.FormatBool(v.AsBool()))
	}
	c.fail(ppath, "a single value expected, got %s", describe(v))
	return nil
}

func describe(v property.Value) string {
	switch {
	case v.IsArray():
		return "an array"
	case v.IsMap():
		return "an object"
	case v.IsString(), v.IsNumber(), v.IsBool():
		return "a single value"
	case v.IsResourceReference():
		return "a resource reference"
	case v.IsAsset(), v.IsArchive():
		return "an asset or archive"
	}
	return "an unsupported value"
}

// unknownOf is an expression whose value is unknown at plan time, of the given kind.
func unknownOf(k Kind) node {
	switch k {
	case List, Set:
		return str(`${split(",", ` + unknownAddr + `.id)}`)
	case Map:
		return str(`${{for k in split(",", ` + unknownAddr + `.id) : k => k}}`)
	}
	// Terraform converts an unknown string to an unknown number or bool.
	return str("${" + unknownAddr + ".id}")
}

// escapeTemplate keeps a literal string literal: in Terraform's JSON syntax every string is a
// template, so ${ and %{ in a value (a policy document, say) must be doubled.
func escapeTemplate(s string) string {
	return strings.NewReplacer("${", "$${", "%{", "%%{").Replace(s)
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// The configuration as an ordered tree, written one key a line so that each line of a
// diagnostic's range belongs to one resource and one input.
type node any

type object []member

type member struct {
	key    string
	pulumi string // the input's Pulumi name, when the member is an input
	val    node
	res    int // 1 + index into Rendered.Resources when the member is a resource
}

type array []node

type scalar string // a JSON literal

// str is a string value; raw template expressions (unknownOf) go through str unescaped, so
// every literal from the plan must pass escapeTemplate first, which str does not do.
func str(s string) scalar {
	b, _ := json.Marshal(s)
	return scalar(b)
}

type writer struct {
	buf  bytes.Buffer
	line int
	loci []locus
}

func (w *writer) newline(indent int) {
	w.buf.WriteByte('\n')
	w.line++
	w.buf.WriteString(strings.Repeat("  ", indent))
}

// value writes n; res > 0 means it is inside that resource, with input paths pp and tp.
func (w *writer) value(n node, indent, res int, pp, tp string) {
	switch n := n.(type) {
	case object:
		if len(n) == 0 {
			w.buf.WriteString("{}")
			return
		}
		w.buf.WriteByte('{')
		for i, m := range n {
			w.newline(indent + 1)
			r, mp, mt := res, pp, tp
			switch {
			case m.res > 0:
				r, mp, mt = m.res, "", ""
				w.loci = append(w.loci, locus{line: w.line, res: r - 1})
			case res > 0:
				p := m.pulumi
				if p == "" {
					p = m.key
				}
				mp, mt = join(pp, p), join(tp, m.key)
				w.loci = append(w.loci, locus{line: w.line, res: r - 1, pulumi: mp, tf: mt})
			}
			k, _ := json.Marshal(m.key)
			w.buf.Write(k)
			w.buf.WriteString(": ")
			w.value(m.val, indent+1, r, mp, mt)
			if m.res > 0 {
				// The resource's closing brace: where plan-time checks and missing
				// arguments point, at the resource as a whole.
				w.loci = append(w.loci, locus{line: w.line, res: r - 1})
			}
			if i < len(n)-1 {
				w.buf.WriteByte(',')
			}
		}
		w.newline(indent)
		w.buf.WriteByte('}')
	case array:
		if len(n) == 0 {
			w.buf.WriteString("[]")
			return
		}
		w.buf.WriteByte('[')
		for i, e := range n {
			w.newline(indent + 1)
			ip, it := pp, tp
			if res > 0 {
				ip, it = fmt.Sprintf("%s[%d]", pp, i), fmt.Sprintf("%s[%d]", tp, i)
				w.loci = append(w.loci, locus{line: w.line, res: res - 1, pulumi: ip, tf: it})
			}
			w.value(e, indent+1, res, ip, it)
			if i < len(n)-1 {
				w.buf.WriteByte(',')
			}
		}
		w.newline(indent)
		w.buf.WriteByte(']')
	case scalar:
		w.buf.WriteString(string(n))
	}
}

// at returns the resource and input a line of the configuration belongs to: the last locus
// at or before it (lines after a resource's last input, its closing brace, still belong to it).
func (r *Rendered) at(line int) (res int, pulumiPath, tfPath string, ok bool) {
	i := sort.Search(len(r.loci), func(i int) bool { return r.loci[i].line > line }) - 1
	if i < 0 {
		return 0, "", "", false
	}
	l := r.loci[i]
	return l.res, l.pulumi, l.tf, true
}

// resourceByAddress finds a rendered resource by its provider address.
func (r *Rendered) resourceByAddress(addr string) (int, bool) {
	for i, rr := range r.Resources {
		if rr.Address == addr {
			return i, true
		}
	}
	return 0, false
}
