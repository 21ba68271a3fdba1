package elasticache

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elasticache"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/inputs"
	"github.com/rediskit/rediskit/components/spec"
)

// tokenSpecials are the only specials ElastiCache accepts in an AUTH token.
const tokenSpecials = "!&#$^<>-"

// credentials is what the auth step hands the replication group.
type credentials struct {
	token        pulumi.StringOutput // secret; empty unless auth.mode is token
	userGroupIDs pulumi.StringArray
	// secretValue is the JSON stored in Secrets Manager once endpoints are known.
	users map[string]pulumi.StringOutput
	// iamUsers authenticate with IAM tokens: they have no password to store.
	iamUsers []string
}

// newIAMUser creates a user that authenticates with IAM. AWS requires its user id to equal its
// user name ("Authenticating with IAM": limitations), so the id is the name as given.
func newIAMUser(ctx *pulumi.Context, name string, c *spec.Cache, u spec.User, parent pulumi.Resource) (pulumi.StringOutput, error) {
	access := u.Access
	if access == "" {
		access = "on ~* &* +@all"
	}
	usr, err := elasticache.NewUser(ctx, name+"-"+u.Name, &elasticache.UserArgs{
		UserId:             pulumi.String(u.Name),
		UserName:           pulumi.String(u.Name),
		Engine:             pulumi.String(string(c.Engine)),
		AccessString:       pulumi.String(access),
		AuthenticationMode: &elasticache.UserAuthenticationModeArgs{Type: pulumi.String("iam")},
		Tags:               tags(c, nil),
	}, pulumi.Parent(parent))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating IAM user %s: %w", u.Name, err)
	}
	return usr.UserId, nil
}

// newPassword generates a secret for deploy time. Its keepers tie it to the revision, so it
// stays the same on every run until the user asks for a rotation.
func newPassword(ctx *pulumi.Context, name, revision string, parent pulumi.Resource) (pulumi.StringOutput, error) {
	pw, err := random.NewRandomPassword(ctx, name, &random.RandomPasswordArgs{
		Length:          pulumi.Int(64),
		Special:         pulumi.Bool(true),
		OverrideSpecial: pulumi.String(tokenSpecials),
		MinLower:        pulumi.Int(4),
		MinUpper:        pulumi.Int(4),
		MinNumeric:      pulumi.Int(4),
		Keepers:         pulumi.StringMap{"revision": pulumi.String(revision)},
	}, pulumi.Parent(parent))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("generating %s: %w", name, err)
	}
	return pulumi.ToSecret(pw.Result).(pulumi.StringOutput), nil
}

// newCredentials creates the AUTH token or the RBAC users and user group.
func newCredentials(ctx *pulumi.Context, name string, c *spec.Cache, w *inputs.Wired, parent pulumi.Resource) (*credentials, error) {
	cr := &credentials{users: map[string]pulumi.StringOutput{}}
	switch c.Auth.Mode {
	case spec.AuthToken:
		if c.Auth.Token != "" {
			cr.token = pulumi.ToSecret(w.String(inputs.AuthToken, c.Auth.Token)).(pulumi.StringOutput)
			return cr, nil
		}
		tok, err := newPassword(ctx, name+"-auth-token", c.Auth.TokenRevision, parent)
		if err != nil {
			return nil, err
		}
		cr.token = tok
	case spec.AuthRBAC:
		engine := string(c.Engine)
		// ElastiCache wants a user named "default" in every group; ours can do nothing.
		defPw, err := newPassword(ctx, name+"-default-password", c.Auth.TokenRevision, parent)
		if err != nil {
			return nil, err
		}
		def, err := elasticache.NewUser(ctx, name+"-default", &elasticache.UserArgs{
			UserId:       pulumi.String(name + "-default"),
			UserName:     pulumi.String("default"),
			Engine:       pulumi.String(engine),
			AccessString: pulumi.String("off -@all"),
			AuthenticationMode: &elasticache.UserAuthenticationModeArgs{
				Type:      pulumi.String("password"),
				Passwords: pulumi.StringArray{defPw},
			},
			Tags: tags(c, nil),
		}, pulumi.Parent(parent))
		if err != nil {
			return nil, fmt.Errorf("creating the disabled default user: %w", err)
		}
		ids := pulumi.StringArray{def.UserId}
		for _, u := range c.Auth.Users {
			if u.UserIAM() {
				id, err := newIAMUser(ctx, name, c, u, parent)
				if err != nil {
					return nil, err
				}
				ids = append(ids, id)
				cr.iamUsers = append(cr.iamUsers, u.Name)
				continue
			}
			pw, err := newPassword(ctx, name+"-"+u.Name+"-password", c.Auth.TokenRevision, parent)
			if err != nil {
				return nil, err
			}
			access := u.Access
			if access == "" {
				access = "on ~* &* +@all"
			}
			usr, err := elasticache.NewUser(ctx, name+"-"+u.Name, &elasticache.UserArgs{
				UserId:       pulumi.String(strings.ToLower(name + "-" + u.Name)),
				UserName:     pulumi.String(u.Name),
				Engine:       pulumi.String(engine),
				AccessString: pulumi.String(access),
				AuthenticationMode: &elasticache.UserAuthenticationModeArgs{
					Type:      pulumi.String("password"),
					Passwords: pulumi.StringArray{pw},
				},
				Tags: tags(c, nil),
			}, pulumi.Parent(parent))
			if err != nil {
				return nil, fmt.Errorf("creating user %s: %w", u.Name, err)
			}
			ids = append(ids, usr.UserId)
			cr.users[u.Name] = pw
		}
		grp, err := elasticache.NewUserGroup(ctx, name+"-users", &elasticache.UserGroupArgs{
			UserGroupId: pulumi.String(name + "-users"),
			Engine:      pulumi.String(engine),
			UserIds:     ids,
			Tags:        tags(c, nil),
		}, pulumi.Parent(parent))
		if err != nil {
			return nil, fmt.Errorf("creating user group: %w", err)
		}
		cr.userGroupIDs = pulumi.StringArray{grp.UserGroupId}
	}
	return cr, nil
}

// storeCredentials keeps the connection facts and credentials in Secrets Manager, for
// applications that read them at run time instead of from Pulumi.
func storeCredentials(ctx *pulumi.Context, name string, c *spec.Cache, w *inputs.Wired, cr *credentials, endpoint pulumi.StringOutput, parent pulumi.Resource) (pulumi.StringOutput, error) {
	if !c.AuthOn() {
		return pulumi.String("").ToStringOutput(), nil
	}
	// A name prefix, not a fixed name: a deleted secret keeps its name for its recovery window
	// (7-30 days, "DeleteSecret"), so a fixed name would make re-creating the cache (destroy then
	// up, or any replacement) fail with "scheduled for deletion". Applications read the ARN from
	// the authSecretArn output.
	args := &secretsmanager.SecretArgs{
		NamePrefix:  pulumi.String(SecretNamePrefix(c)),
		Description: pulumi.String("rediskit: credentials of cache " + c.Name),
		Tags:        tags(c, nil),
	}
	if c.Auth.SecretKmsKeyID != "" {
		args.KmsKeyId = w.String(inputs.SecretKmsKeyID, c.Auth.SecretKmsKeyID)
	}
	sec, err := secretsmanager.NewSecret(ctx, name+"-auth", args, pulumi.Parent(parent))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating auth secret: %w", err)
	}
	fields := pulumi.Map{
		"engine":      pulumi.String(string(c.Engine)),
		"host":        endpoint,
		"port":        pulumi.Int(c.Port),
		"tls":         pulumi.Bool(spec.Bool(c.Encryption.InTransit)),
		"clusterMode": pulumi.Bool(c.Mode == spec.ModeCluster),
	}
	if c.Auth.Mode == spec.AuthToken {
		fields["authToken"] = cr.token
	} else {
		users := pulumi.Map{}
		for n, pw := range cr.users {
			users[n] = pw
		}
		fields["users"] = users
		if len(cr.iamUsers) > 0 {
			fields["iamUsers"] = pulumi.ToStringArray(cr.iamUsers)
		}
	}
	value := pulumi.ToSecret(pulumi.JSONMarshal(fields)).(pulumi.StringOutput)
	if _, err := secretsmanager.NewSecretVersion(ctx, name+"-auth", &secretsmanager.SecretVersionArgs{
		SecretId:     sec.ID(),
		SecretString: value,
	}, pulumi.Parent(parent)); err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("storing auth secret: %w", err)
	}
	return sec.Arn, nil
}

// SecretNamePrefix is the prefix of the credentials secret's name; AWS appends a unique suffix.
func SecretNamePrefix(c *spec.Cache) string { return "rediskit/" + c.Name + "/auth-" }
