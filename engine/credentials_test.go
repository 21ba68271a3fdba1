package engine

import (
	"strings"
	"testing"
)

// A deployment whose configuration lives outside a secret store includes the replication
// credential from a file; without the include, the credential is inline as before.
func TestCredentialsInclude(t *testing.T) {
	d := testDeployment(ModeCluster, 1, 1)
	p := mustPlan(t, d)
	conf, err := p.RedisConf(p.Nodes[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(conf, CredentialsConf(&p.Deployment)) {
		t.Errorf("without an include the credential is inline:\n%s", conf)
	}
	if strings.Contains(conf, "replicaof") {
		t.Errorf("a node's first-start configuration names no primary (decided at start):\n%s", conf)
	}

	d.CredentialsInclude = "/etc/rediskit/credentials/credentials.conf"
	p = mustPlan(t, d)
	conf, err = p.RedisConf(p.Nodes[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(conf, d.Auth.AdminPassword) || strings.Contains(conf, "masterauth") {
		t.Errorf("with an include the configuration holds no credential:\n%s", conf)
	}
	if !strings.Contains(conf, "include /etc/rediskit/credentials/credentials.conf\n") {
		t.Errorf("the include is missing:\n%s", conf)
	}
	if _, err := p.RedisConf("no-such-node"); err == nil {
		t.Error("an unknown node renders")
	}

	d.CredentialsInclude = "relative/creds.conf"
	if err := d.Validate(); err == nil || !strings.Contains(err.Error(), "credentialsInclude") {
		t.Errorf("a relative include path: %v", err)
	}
}
