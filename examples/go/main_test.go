package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/infra/deploy"
	"github.com/rediskit/rediskit/internal/pulumitest"
	e2e "github.com/rediskit/rediskit/test"
)

// awsIDs gives the program's network the ids AWS would (the cache checks them when they
// resolve): vpc-..., subnet-..., sg-....
type awsIDs struct{ pulumitest.Mocks }

func (m *awsIDs) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, state, err := m.Mocks.NewResource(args)
	prefix := map[string]string{"aws:ec2/vpc:Vpc": "vpc", "aws:ec2/subnet:Subnet": "subnet", "aws:ec2/securityGroup:SecurityGroup": "sg"}[args.TypeToken]
	if prefix != "" {
		id = fmt.Sprintf("%s-%x", prefix, sha256.Sum256([]byte(args.Name)))[:len(prefix)+18]
	}
	return id, state, err
}

// On AWS the example's cache lives in the program's own VPC and subnets and admits its API's
// security group (under the SDK's mocks: there is no AWS account here).
func TestExampleOnItsOwnNetwork(t *testing.T) {
	m := &awsIDs{}
	if err := pulumi.RunErr(Program(Options{Target: "aws"}), pulumi.WithMocks("example", "test", m)); err != nil {
		t.Fatalf("the example program failed: %v", err)
	}
	if n := len(m.OfType("aws:ec2/vpc:Vpc")); n != 1 {
		t.Errorf("%d VPCs; the cache must adopt the program's own", n)
	}
	subnets := m.One(t, "aws:elasticache/subnetGroup:SubnetGroup").Strings("subnetIds")
	if len(subnets) != 3 || !strings.HasPrefix(subnets[0], "subnet-") {
		t.Errorf("the subnet group's subnets are %v, want the program's three", subnets)
	}
	var sawAPI bool
	for _, r := range m.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
		if strings.HasPrefix(r.Str("referencedSecurityGroupId"), "sg-") {
			sawAPI = true
		}
	}
	if !sawAPI {
		t.Error("no ingress rule admits the program's API security group")
	}
	rg := m.One(t, "aws:elasticache/replicationGroup:ReplicationGroup")
	if rg.Num("numNodeGroups") != 3 || rg.Num("replicasPerNodeGroup") != 1 {
		t.Errorf("replication group %v shards x %v replicas, want 3 x 1", rg.Num("numNodeGroups"), rg.Num("replicasPerNodeGroup"))
	}
}

// On the self-hosted target the example deploys for real: the Pulumi CLI runs it (inline,
// through the Automation API), the rediskit plugin starts the engine, and a cluster client with
// TLS and the app user's token writes to every shard.
func TestExampleSelfHosted(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"bin/pulumi", "bin/pulumi-resource-rediskit"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Fatalf("%s is missing: run `make tools provider` (make test does)", f)
		}
	}
	dir := t.TempDir()
	o := deploy.Options{
		Root: root, Stack: "example", StateDir: filepath.Join(dir, "state"), Project: "rediskit-go-example",
		Program: Program(Options{Target: "selfhosted", BasePort: 7250, Root: dir}), Progress: testWriter{t},
	}
	ctx := context.Background()
	t.Cleanup(func() {
		if err := deploy.Destroy(ctx, o); err != nil {
			t.Errorf("destroying the example: %v", err)
		}
	})
	d := e2e.Up(t, ctx, o)
	if len(d.Nodes) != 6 || len(d.ConfigurationEndpoints) != 6 {
		t.Fatalf("%d nodes, %d seeds; want 3 shards x 2 nodes", len(d.Nodes), len(d.ConfigurationEndpoints))
	}
	c, err := e2e.ClusterClientE(d)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e2e.WaitForClusterOK(t, c, 3)
	for i := range 30 {
		k := fmt.Sprintf("order:%d", i)
		if err := c.Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
		if v, err := c.Get(ctx, k).Int(); err != nil || v != i {
			t.Fatalf("GET %s: %v %v", k, v, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".rediskit", "orders")); err != nil {
		t.Errorf("the nodes' data is not under the program's directory: %v", err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
