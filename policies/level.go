package policies

import "fmt"

// Level is how a violation is enforced, with the names `--policy-pack-config` uses.
type Level string

const (
	// Mandatory violations fail the preview, the audit and `rediskit policy check`.
	Mandatory Level = "mandatory"
	// Advisory violations are reported but never fail anything.
	Advisory Level = "advisory"
	// Disabled rules do not run.
	Disabled Level = "disabled"
)

// Levels lists the levels a user may configure. Pulumi's "remediate" is not one: no rule of
// this pack rewrites resources.
func Levels() []string { return []string{string(Mandatory), string(Advisory), string(Disabled)} }

// ParseLevel reads a configured level.
func ParseLevel(s string) (Level, error) {
	switch Level(s) {
	case Mandatory, Advisory, Disabled:
		return Level(s), nil
	}
	return "", fmt.Errorf("%q is not a level; allowed: mandatory, advisory, disabled", s)
}
