package spec

import (
	"strings"
	"testing"
)

func TestIdentifiersFromOtherResources(t *testing.T) {
	const key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	for _, ok := range []string{key, "arn:aws:kms:eu-west-1:111122223333:alias/cache", "alias/cache",
		"1234abcd-12ab-34cd-56ef-1234567890ab", "mrk-1234abcd12ab34cd56ef1234567890ab"} {
		c := valid()
		c.Encryption.KmsKeyID, c.Auth.SecretKmsKeyID = ok, ok
		if _, err := ResolveAWS(c); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, tc := range []struct {
		set  func(*Cache)
		want string
	}{
		{func(c *Cache) { c.Encryption.KmsKeyID = "my-key" }, `encryption.kmsKeyId: "my-key" is not allowed; a KMS key id, alias or ARN`},
		{func(c *Cache) { c.Auth.SecretKmsKeyID = "key/x" }, `auth.secretKmsKeyId: "key/x" is not allowed; a KMS key id, alias or ARN`},
		{func(c *Cache) { c.Logs.KmsKeyID = "alias/logs" }, `logs.kmsKeyId: "alias/logs" is not allowed; a KMS key's ARN`},
		{func(c *Cache) { c.GlobalReplicationGroupID = "my global" }, `globalReplicationGroupId: "my global" is not allowed; a global datastore id`},
	} {
		c := valid()
		tc.set(&c)
		if _, err := ResolveAWS(c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want %q, got %v", tc.want, err)
		}
	}
	c := valid()
	c.Logs.KmsKeyID = key
	if _, err := ResolveAWS(c); err != nil {
		t.Errorf("a log group key ARN refused: %v", err)
	}
}

func TestPendingCountsAsSetAndSkipsTheValueChecks(t *testing.T) {
	c := valid()
	c.Encryption.KmsKeyID, c.Auth.SecretKmsKeyID, c.Logs.KmsKeyID = Pending, Pending, Pending
	c.Notifications.TopicArn, c.GlobalReplicationGroupID, c.Auth.Token = Pending, Pending, Pending
	c.Snapshots.RestoreFromRdb = []string{Pending}
	c.NodeType = "cache.r7g.large"
	_, err := ResolveAWS(c)
	// Joining a global datastore and restoring are refused together whatever the values are.
	if err == nil || !strings.Contains(err.Error(), "globalReplicationGroupId: \""+Pending+"\" is not allowed; a secondary of a global datastore cannot be restored") {
		t.Errorf("a rule between fields must hold for pending values: %v", err)
	}
	if strings.Count(err.Error(), "\n  - ") > 1 {
		t.Errorf("a pending value's own checks must wait for it: %v", err)
	}
	n := Network{VpcID: Pending, SubnetIDs: []string{Pending, "subnet-0123456789abcdef0"}, SubnetZones: map[string]string{"subnet-0123456789abcdef0": "a"},
		AllowedSecurityGroups: map[string]string{"app": Pending}}
	if ps := n.Validate([]string{"a", "b"}); len(ps) != 0 {
		t.Errorf("pending network values: %v", ps)
	}
	n = Network{VpcID: Pending}
	if ps := n.Validate(nil); len(ps) != 1 || ps[0].Field != "subnetIds" {
		t.Errorf("an existing VPC needs subnets, pending or not: %v", ps)
	}
}
