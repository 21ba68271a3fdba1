//go:build awsacceptance

package test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	awsv2 "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/random"
	test_structure "github.com/gruntwork-io/terratest/modules/test-structure"

	"github.com/rediskit/rediskit/infra/deploy"
	"github.com/rediskit/rediskit/infra/plan"
)

// awsConfigOrSkip loads AWS credentials the usual way (environment, profile, SSO, instance
// role) and skips the test, saying why, when there are none.
func awsConfigOrSkip(t *testing.T) awsv2.Config {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err == nil {
		_, err = cfg.Credentials.Retrieve(ctx)
	}
	if err != nil {
		t.Skipf("no AWS credentials (%v): the AWS acceptance tests deploy real ElastiCache and need an account; set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY", err)
	}
	return cfg
}

// TestAWSStacks deploys each AWS stack under a unique name, checks with aws-sdk-go-v2 what
// ElastiCache reports (Multi-AZ, encryption, node zones, parameter family) and destroys it.
// Run with: go test -tags awsacceptance -run TestAWSStacks -timeout 180m ./test/
func TestAWSStacks(t *testing.T) {
	cfg := awsConfigOrSkip(t)
	for _, stack := range []string{"dev", "staging", "prod"} {
		t.Run(stack, func(t *testing.T) {
			acceptStack(t, cfg, stack)
		})
	}
}

func acceptStack(t *testing.T, cfg awsv2.Config, stack string) {
	ctx := context.Background()
	stackCfg, _, _, err := plan.StackConfig("..", stack)
	if err != nil {
		t.Fatal(err)
	}
	var cache map[string]any
	if err := json.Unmarshal([]byte(stackCfg["rediskit:cache"]), &cache); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("rk-acc-%s-%s", stack, random.UniqueId())
	cache["name"] = name
	b, _ := json.Marshal(cache)
	region := stackCfg["aws:region"]
	if cfg.Region != "" {
		region = cfg.Region
	}
	opts := deploy.Options{
		Root: "..", Stack: stack, StateDir: filepath.Join(t.TempDir(), "state"), AcquirePlugins: true,
		Config:   map[string]string{"rediskit:cache": string(b), "aws:region": region},
		Progress: testWriter{t},
	}
	defer test_structure.RunTestStage(t, "destroy", func() {
		if err := deploy.Destroy(ctx, opts); err != nil {
			t.Errorf("destroy: %v", err)
		}
	})
	test_structure.RunTestStage(t, "deploy", func() {
		if _, err := deploy.Up(ctx, opts); err != nil {
			t.Fatal(err)
		}
	})
	test_structure.RunTestStage(t, "validate", func() {
		cfg.Region = region
		ec := elasticache.NewFromConfig(cfg)
		out, err := ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: &name})
		if err != nil || len(out.ReplicationGroups) != 1 {
			t.Fatalf("describing %s: %v", name, err)
		}
		rg := out.ReplicationGroups[0]
		wantMultiAZ := stack != "dev"
		if got := string(rg.MultiAZ) == "enabled"; got != wantMultiAZ {
			t.Errorf("Multi-AZ %s, want enabled=%v", rg.MultiAZ, wantMultiAZ)
		}
		if !awsv2.ToBool(rg.AtRestEncryptionEnabled) || !awsv2.ToBool(rg.TransitEncryptionEnabled) || !awsv2.ToBool(rg.AuthTokenEnabled) {
			t.Errorf("encryption/auth: at rest %v, in transit %v, auth %v", rg.AtRestEncryptionEnabled, rg.TransitEncryptionEnabled, rg.AuthTokenEnabled)
		}
		zones := map[string]map[string]bool{} // node group -> zones of its members
		var paramGroup string
		for _, ng := range rg.NodeGroups {
			zones[*ng.NodeGroupId] = map[string]bool{}
			for _, m := range ng.NodeGroupMembers {
				zones[*ng.NodeGroupId][awsv2.ToString(m.PreferredAvailabilityZone)] = true
				if paramGroup == "" {
					cc, err := ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: m.CacheClusterId})
					if err == nil && len(cc.CacheClusters) == 1 && cc.CacheClusters[0].CacheParameterGroup != nil {
						paramGroup = awsv2.ToString(cc.CacheClusters[0].CacheParameterGroup.CacheParameterGroupName)
					}
				}
			}
			if wantMultiAZ && len(zones[*ng.NodeGroupId]) < 2 {
				t.Errorf("node group %s keeps all its nodes in %v", *ng.NodeGroupId, zones[*ng.NodeGroupId])
			}
		}
		pg, err := ec.DescribeCacheParameterGroups(ctx, &elasticache.DescribeCacheParameterGroupsInput{CacheParameterGroupName: &paramGroup})
		if err != nil || len(pg.CacheParameterGroups) != 1 {
			t.Fatalf("describing parameter group %q: %v", paramGroup, err)
		}
		if fam := awsv2.ToString(pg.CacheParameterGroups[0].CacheParameterGroupFamily); fam != "valkey8" {
			t.Errorf("parameter group family %s, want valkey8", fam)
		}
		logger.Logf(t, "%s: %s, %d node groups, zones %v, parameter group %s", stack, name, len(rg.NodeGroups), zones, paramGroup)
	})
}
