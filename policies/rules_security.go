package policies

import (
	"fmt"
	"slices"
	"strings"
)

// securityRules are the rules whose violation exposes data: mandatory by default.
func securityRules() []*Rule {
	return []*Rule{
		{
			ID:      "encryption-at-rest",
			Title:   "Caches are encrypted at rest (with an approved KMS key when a list is configured)",
			Why:     "Snapshots and swap hold the whole dataset; unencrypted, anyone with access to the storage or a copied snapshot reads it.",
			Level:   Mandatory,
			Applies: "caches",
			Maps: Mapped{Checkov: []string{"CKV_AWS_29"}, Tfsec: []string{"AVD-AWS-0045"},
				AWSConfig: []string{"elasticache-repl-grp-encrypted-at-rest"}, SecurityHub: []string{"ElastiCache.4"}},
			CheckResource: cacheRule(func(c CacheView, ctx *Context) []string {
				if c.AtRestEncryption.isFalse() {
					if c.Role == RoleStandalone {
						return []string{"a standalone cache cluster cannot be encrypted at rest; use a replication group with atRestEncryptionEnabled: true"}
					}
					return []string{"atRestEncryptionEnabled is not true"}
				}
				keys := ctx.Config.ApprovedKMSKeyIDs
				if c.AtRestEncryption.isTrue() && len(keys) > 0 && !c.KMSKeyID.Unknown {
					if !c.KMSKeyID.Set {
						return []string{fmt.Sprintf("encrypted with the AWS-managed key; approved keys: %s", strings.Join(keys, ", "))}
					}
					if !kmsApproved(c.KMSKeyID.Value, keys) {
						return []string{fmt.Sprintf("kmsKeyId %q is not an approved key; approved: %s", c.KMSKeyID.Value, strings.Join(keys, ", "))}
					}
				}
				return nil
			}),
		},
		{
			ID:      "customer-managed-kms-key",
			Title:   "Caches encrypted at rest use a customer-managed KMS key",
			Why:     "A customer-managed key can be rotated, audited and revoked, and its policy decides who may decrypt snapshots.",
			Level:   Advisory,
			Applies: "caches",
			Maps:    Mapped{Checkov: []string{"CKV_AWS_191"}, Note: "AWS Config through approvedKMSKeyIds of elasticache-repl-grp-encrypted-at-rest"},
			CheckResource: cacheRule(func(c CacheView, ctx *Context) []string {
				if c.Role != RoleSelfHosted && c.AtRestEncryption.isTrue() && !c.KMSKeyID.Set && !c.KMSKeyID.Unknown {
					return []string{"kmsKeyId is not set: the AWS-managed key is used"}
				}
				return nil
			}),
		},
		{
			ID:      "encryption-in-transit",
			Title:   "Caches require TLS for every connection",
			Why:     "Without TLS, AUTH tokens and data cross the network in clear text; mode \"preferred\" still accepts plaintext clients.",
			Level:   Mandatory,
			Applies: "caches",
			Maps: Mapped{Checkov: []string{"CKV_AWS_30"}, Tfsec: []string{"AVD-AWS-0051"},
				AWSConfig: []string{"elasticache-repl-grp-encrypted-in-transit"}, SecurityHub: []string{"ElastiCache.5"}},
			CheckResource: cacheRule(func(c CacheView, ctx *Context) []string {
				if c.TransitEncryption.isFalse() {
					switch c.Role {
					case RoleSelfHosted:
						return []string{"TLS is not enabled"}
					case RoleStandalone:
						return []string{"a standalone Redis OSS/Valkey cache cluster cannot use TLS; use a replication group with transitEncryptionEnabled: true"}
					}
					return []string{"transitEncryptionEnabled is not true"}
				}
				if c.TransitEncryption.isTrue() && c.TransitMode.Set && c.TransitMode.Value == "preferred" && !ctx.Config.AllowPreferredTransitMode {
					field := "transitEncryptionMode"
					if c.Role == RoleSelfHosted {
						field = "tlsMode"
					}
					return []string{field + " is \"preferred\", which still accepts plaintext connections; use \"required\" once clients use TLS"}
				}
				return nil
			}),
		},
		{
			ID:      "auth",
			Title:   "Caches require authentication (an AUTH token or RBAC user groups)",
			Why:     "Without AUTH any client that reaches the port can read, write and flush the data.",
			Level:   Mandatory,
			Applies: "caches",
			Maps: Mapped{Checkov: []string{"CKV_AWS_31"},
				AWSConfig:   []string{"elasticache-repl-grp-redis-auth-enabled", "elasticache-rbac-auth-enabled"},
				SecurityHub: []string{"ElastiCache.6"}},
			CheckResource: cacheRule(func(c CacheView, ctx *Context) []string {
				if c.AuthUnknown || c.AuthToken.isTrue() || len(c.UserGroupIDs) > 0 || !c.AuthToken.Set {
					return nil
				}
				if c.Role == RoleSelfHosted {
					return []string{"authentication is not enabled"}
				}
				if c.Role == RoleStandalone {
					return []string{"a standalone cache cluster supports neither AUTH tokens nor RBAC; use a replication group with authToken or userGroupIds"}
				}
				return []string{"neither authToken nor userGroupIds is set"}
			}),
		},
		{
			ID:      "iam-users",
			Title:   "In production, ElastiCache users authenticate with IAM rather than passwords",
			Why:     "IAM tokens live 15 minutes and are granted per role through elasticache:Connect; a password lives until someone rotates it and works from anywhere it leaks to.",
			Level:   Advisory,
			Applies: "aws:elasticache/user in production stacks",
			Maps:    Mapped{Note: "no equivalent in Checkov, tfsec, AWS Config or Security Hub"},
			CheckResource: func(r Resource, ctx *Context) []Finding {
				if r.Type != TypeUser || !ctx.Production {
					return nil
				}
				mode, name := getString(r.Inputs, "authenticationMode.type"), getString(r.Inputs, "userName")
				// The user named "default" every user group must hold is disabled and password-typed.
				if !mode.Set || mode.Value != "password" || name.Value == "default" {
					return nil
				}
				return []Finding{{Message: fmt.Sprintf("user %s authenticates with a password; prefer authenticationMode iam", name.Value)}}
			},
		},
		{
			ID:      "public-ingress",
			Title:   "No security group admits 0.0.0.0/0 or ::/0 to a cache port",
			Why:     "A cache port open to the internet is found by scanners within minutes; caches belong behind security groups that name their clients.",
			Level:   Mandatory,
			Applies: "aws:ec2/securityGroup (inline ingress), aws:ec2/securityGroupRule, aws:vpc/securityGroupIngressRule; stack: every cache's own port",
			Maps:    Mapped{Note: "no ElastiCache-specific rule elsewhere; related: AWS Config vpc-sg-open-only-to-authorized-ports, Security Hub EC2.18"},
			// Each security group (rule) alone is judged against the configured ports; a
			// cache listening elsewhere is only known from the whole stack, so the stack
			// part adds the permissions that reach a cache's own port and no configured one.
			// Both parts report under this rule, and no permission is reported twice.
			CheckResource: func(r Resource, ctx *Context) []Finding {
				return openIngress(r, ctx.Config.IngressPorts, nil)
			},
			CheckStack: func(ctx *Context) []Finding {
				ports := stackCachePorts(ctx.Stack)
				if len(ports) == 0 {
					return nil
				}
				var out []Finding
				for _, r := range ctx.Stack.Resources {
					for _, f := range openIngress(r, ports, ctx.Config.IngressPorts) {
						f.URN = r.URN
						out = append(out, f)
					}
				}
				return out
			},
		},
	}
}

// openIngress reports the permissions of r that admit the world to one of ports, leaving out
// those that reach one of skip (already reported elsewhere).
func openIngress(r Resource, ports, skip []int) []Finding {
	var out []Finding
	for _, in := range IngressOf(r) {
		if _, reported := in.covers(skip); reported {
			continue
		}
		for _, cidr := range in.OpenCIDRs() {
			if p, ok := in.covers(ports); ok {
				out = append(out, Finding{Message: fmt.Sprintf("ingress from %s to %s reaches cache port %d", cidr, in.portText(), p)})
			}
		}
	}
	return out
}

// cacheRule adapts a check over a cache view to a resource rule that ignores non-caches.
func cacheRule(check func(c CacheView, ctx *Context) []string) func(Resource, *Context) []Finding {
	return func(r Resource, ctx *Context) []Finding {
		c, ok := CacheOf(r)
		if !ok {
			return nil
		}
		var out []Finding
		for _, m := range check(c, ctx) {
			out = append(out, Finding{Message: m})
		}
		return out
	}
}

// kmsApproved compares key ids and ARNs: "arn:aws:kms:...:key/<id>" matches "<id>" too.
func kmsApproved(key string, approved []string) bool {
	tail := func(s string) string { return s[strings.LastIndex(s, "/")+1:] }
	return slices.ContainsFunc(approved, func(a string) bool { return a == key || tail(a) == tail(key) })
}

// stackCachePorts are the ports the stack's caches listen on (when set).
func stackCachePorts(s *Stack) []int {
	var ports []int
	if s == nil {
		return nil
	}
	for _, r := range s.Resources {
		if c, ok := CacheOf(r); ok && c.Port.Set && !slices.Contains(ports, int(c.Port.Value)) {
			ports = append(ports, int(c.Port.Value))
		}
	}
	return ports
}
