package spec

import (
	"regexp"
	"slices"
)

// Pending stands in a string field whose value a Go program takes from another resource
// (a Pulumi Output): known only when that resource exists. Validation counts such a field as
// set, so the rules between fields (an existing VPC needs subnets, a KMS key needs encryption
// at rest, ...) still hold before anything is created, and it skips the checks of the value
// itself, which run when the value resolves. It never reaches a resource: the component
// renders the Output in its place. Stack config cannot produce it (a config value is known).
const Pending = "(input resolved at deploy time)"

// IsPending tells whether a field's value is a deploy-time input.
func IsPending(v string) bool { return v == Pending }

func anyPending(vs []string) bool { return slices.Contains(vs, Pending) }

// kmsKeyRe accepts what ElastiCache and Secrets Manager take for a KMS key: a key id (a
// multi-Region one too), an alias, or the ARN of either.
var kmsKeyRe = regexp.MustCompile(`^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_.-]+|alias/[A-Za-z0-9/_.-]+|(mrk-)?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)

// kmsKeyArnRe is a KMS key's ARN: all a CloudWatch log group accepts (AssociateKmsKey).
var kmsKeyArnRe = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$`)

// globalIDRe is a global datastore id: AWS's prefix for the primary's region, a hyphen and the
// suffix given at creation.
var globalIDRe = regexp.MustCompile(`^[a-z]{5}-[a-z0-9][a-z0-9-]*$`)
