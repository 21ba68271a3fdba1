package inputs

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
)

func TestFoldPutsKnownValuesInTheSpecAndOutputsAsPending(t *testing.T) {
	var c spec.Cache
	var n spec.Network
	out := pulumi.String("arn:aws:sns:eu-west-1:111122223333:ops").ToStringOutput()
	w, ps := Fold(&c, &n, Inputs{
		VpcID:                 pulumi.String("vpc-0123456789abcdef0"),
		SubnetIDs:             pulumi.StringArray{pulumi.String("subnet-0123456789abcdef0"), pulumi.String("x").ToStringOutput()},
		NotificationTopicArn:  out,
		AllowedSecurityGroups: map[string]pulumi.StringInput{"app": pulumi.String("sg-0123456789abcdef0"), "jobs": pulumi.String("y").ToStringOutput()},
		RestoreFromRdb:        pulumi.ToStringArray([]string{"arn:aws:s3:::b/k"}).ToStringArrayOutput(),
	}, Scope{})
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	if n.VpcID != "vpc-0123456789abcdef0" {
		t.Errorf("a known value goes into the spec as itself: %q", n.VpcID)
	}
	if strings.Join(n.SubnetIDs, ",") != "subnet-0123456789abcdef0,"+spec.Pending {
		t.Errorf("a list's known elements stay, its Outputs are pending: %v", n.SubnetIDs)
	}
	if c.Notifications.TopicArn != spec.Pending || w.str[NotificationTopicArn] == nil {
		t.Errorf("an Output is pending and kept: %q", c.Notifications.TopicArn)
	}
	if n.AllowedSecurityGroups["app"] != "sg-0123456789abcdef0" || n.AllowedSecurityGroups["jobs"] != spec.Pending {
		t.Errorf("security groups: %v", n.AllowedSecurityGroups)
	}
	if len(c.Snapshots.RestoreFromRdb) != 1 || c.Snapshots.RestoreFromRdb[0] != spec.Pending {
		t.Errorf("a whole-list Output: %v", c.Snapshots.RestoreFromRdb)
	}

	// A child component given the caller's spec and the same inputs takes them again.
	_, ps = Fold(&c, &n, Inputs{NotificationTopicArn: out, SubnetIDs: pulumi.StringArray{pulumi.String("subnet-0123456789abcdef0"), out}}, Scope{})
	if len(ps) != 0 {
		t.Errorf("folding again: %v", ps)
	}
}

func TestFoldRefusesAFieldGivenTwice(t *testing.T) {
	c := spec.Cache{Encryption: spec.Encryption{KmsKeyID: "alias/a"}, Auth: spec.Auth{Token: "a-token-in-the-spec-0123"}}
	n := spec.Network{SubnetIDs: []string{"subnet-0123456789abcdef0"}}
	_, ps := Fold(&c, &n, Inputs{
		KmsKeyID:  pulumi.String("alias/b"),
		AuthToken: pulumi.String("another-token-0123456789"),
		SubnetIDs: pulumi.StringArray{pulumi.String("subnet-0123456789abcdef1")},
	}, Scope{Cache: "cache", Network: "network"})
	got := map[string]string{}
	for _, p := range ps {
		got[p.Field] = p.String()
	}
	for _, f := range []string{"cache.encryption.kmsKeyId", "cache.authToken", "network.subnetIds"} {
		if got[f] == "" {
			t.Errorf("no problem for %s in %v", f, ps)
		}
	}
	if strings.Contains(got["cache.authToken"], "a-token-in-the-spec") {
		t.Errorf("the token is shown: %s", got["cache.authToken"])
	}

	// The same known value in both places says one thing: accepted.
	c = spec.Cache{Encryption: spec.Encryption{KmsKeyID: "alias/a"}}
	if _, ps := Fold(&c, &n, Inputs{KmsKeyID: pulumi.String("alias/a")}, Scope{}); len(ps) != 0 {
		t.Errorf("same value twice: %v", ps)
	}
}
