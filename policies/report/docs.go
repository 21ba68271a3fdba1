package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/rediskit/rediskit/policies"
)

// RuleTable writes the Markdown table of every rule that docs/policies.md carries; a test
// keeps the two identical, so the docs cannot drift from the code.
func RuleTable(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| rule | level | what it checks | why | applies to | config keys (default) | mapped IDs |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	keys := policies.ConfigKeys()
	for _, r := range policies.Rules() {
		var ks []string
		for _, k := range keys {
			if k.Rule == r.ID {
				def, _ := json.Marshal(k.Default)
				ks = append(ks, fmt.Sprintf("`%s` (`%s`): %s", k.Name, def, k.Doc))
			}
		}
		cfg := "`enforcementLevel`"
		if len(ks) > 0 {
			cfg += "; " + strings.Join(ks, "; ")
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s |\n", r.ID, r.Level, cell(r.Title), cell(r.Why), cell(r.Applies), cell(cfg), cell(r.Maps.String()))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
