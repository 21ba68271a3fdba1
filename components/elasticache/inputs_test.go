package elasticache

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/inputs"
	"github.com/rediskit/rediskit/components/spec"
	"github.com/rediskit/rediskit/internal/pulumitest"
)

const keyArn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// arnMocks answer a KMS key with a key ARN, a topic with a topic ARN, and the names in bad
// with the ARN given there (what a misconfigured resource would hand on).
type arnMocks struct {
	*pulumitest.Mocks
	bad map[string]string
}

func (m *arnMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, state, err := m.Mocks.NewResource(args)
	if err != nil {
		return id, state, err
	}
	switch args.TypeToken {
	case "aws:kms/key:Key":
		state["arn"] = resource.NewProperty(keyArn)
	case "aws:sns/topic:Topic":
		state["arn"] = resource.NewProperty("arn:aws:sns:eu-west-1:111122223333:" + args.Name)
	}
	if v, ok := m.bad[args.Name]; ok {
		state["arn"] = resource.NewProperty(v)
	}
	return id, state, nil
}

// wiredGroup is a program that makes its own KMS key and topic and hands their ARNs to a
// replication group, with a token it generated elsewhere.
func wiredGroup(ctx *pulumi.Context) error {
	key, err := kms.NewKey(ctx, "data", &kms.KeyArgs{})
	if err != nil {
		return err
	}
	logKey, err := kms.NewKey(ctx, "logs", &kms.KeyArgs{})
	if err != nil {
		return err
	}
	topic, err := sns.NewTopic(ctx, "ops", &sns.TopicArgs{})
	if err != nil {
		return err
	}
	lg, err := cloudwatch.NewLogGroup(ctx, "seed", &cloudwatch.LogGroupArgs{Name: pulumi.String("seed")})
	if err != nil {
		return err
	}
	a := groupArgs3(spec.Cache{Name: "rk", Zones: zones})
	a.Inputs = inputs.Inputs{
		KmsKeyID:             key.Arn,
		LogsKmsKeyID:         logKey.Arn,
		SecretKmsKeyID:       key.Arn,
		NotificationTopicArn: topic.Arn,
		AuthToken:            pulumi.ToSecret(lg.Name.ApplyT(func(string) string { return "a-token-of-the-program-0123" })).(pulumi.StringOutput),
		RestoreFromRdb:       pulumi.StringArray{pulumi.String("arn:aws:s3:::bucket/a.rdb"), pulumi.Sprintf("arn:aws:s3:::bucket/%s.rdb", lg.Name)},
	}
	_, err = NewReplicationGroup(ctx, "rk", a)
	return err
}

func TestCacheValuesFromOtherResources(t *testing.T) {
	m := &arnMocks{Mocks: &pulumitest.Mocks{}}
	if err := pulumi.RunErr(wiredGroup, pulumi.WithMocks("rediskit", "test", m)); err != nil {
		t.Fatal(err)
	}
	rg := m.One(t, rgType)
	if rg.Str("kmsKeyId") != keyArn {
		t.Errorf("kmsKeyId: %q", rg.Str("kmsKeyId"))
	}
	if rg.Str("notificationTopicArn") != "arn:aws:sns:eu-west-1:111122223333:ops" {
		t.Errorf("notificationTopicArn: %q", rg.Str("notificationTopicArn"))
	}
	if n := len(m.OfType("aws:sns/topic:Topic")); n != 1 {
		t.Errorf("a wired topic must not make the cache create its own: %d topics", n)
	}
	if !rg.IsSecret("authToken") || rg.Str("authToken") != "a-token-of-the-program-0123" {
		t.Errorf("authToken: secret %v", rg.IsSecret("authToken"))
	}
	if got := rg.Strings("snapshotArns"); strings.Join(got, " ") != "arn:aws:s3:::bucket/a.rdb arn:aws:s3:::bucket/seed.rdb" {
		t.Errorf("snapshotArns: %v", got)
	}
	for _, lg := range m.OfType("aws:cloudwatch/logGroup:LogGroup") {
		if lg.Name != "seed" && lg.Str("kmsKeyId") != keyArn {
			t.Errorf("log group %s kmsKeyId: %q", lg.Name, lg.Str("kmsKeyId"))
		}
	}
	if sec := m.One(t, "aws:secretsmanager/secret:Secret"); sec.Str("kmsKeyId") != keyArn {
		t.Errorf("secret kmsKeyId: %q", sec.Str("kmsKeyId"))
	}
}

func TestBadResolvedCacheValuesNameTheirField(t *testing.T) {
	for name, tc := range map[string]struct {
		bad  map[string]string
		want string
	}{
		"key":   {map[string]string{"data": "my-key"}, `"my-key" is not allowed; a KMS key id, alias or ARN`},
		"logs":  {map[string]string{"logs": "alias/logs"}, `logs.kmsKeyId: "alias/logs" is not allowed; a KMS key's ARN`},
		"topic": {map[string]string{"ops": "ops-topic"}, `notifications.topicArn: "ops-topic" is not allowed; an SNS topic ARN`},
	} {
		m := &arnMocks{Mocks: &pulumitest.Mocks{}, bad: tc.bad}
		err := pulumi.RunErr(wiredGroup, pulumi.WithMocks("rediskit", "test", m))
		if err == nil {
			t.Errorf("%s: accepted %v", name, tc.bad)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: want %q in:\n%v", name, tc.want, err)
		}
		// The key goes to the group and to the secret: the first to register reports it.
		if name == "key" && !strings.Contains(err.Error(), `encryption.kmsKeyId: "my-key"`) && !strings.Contains(err.Error(), `auth.secretKmsKeyId: "my-key"`) {
			t.Errorf("%s: no field named in:\n%v", name, err)
		}
	}
}

func TestABadResolvedTokenIsNotShown(t *testing.T) {
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		a := groupArgs3(spec.Cache{Name: "rk", Zones: zones})
		a.Inputs.AuthToken = pulumi.ToSecret(pulumi.String("short token!?").ToStringOutput()).(pulumi.StringOutput)
		_, err := NewReplicationGroup(ctx, "rk", a)
		return err
	}, pulumi.WithMocks("rediskit", "test", &pulumitest.Mocks{}))
	if err == nil || !strings.Contains(err.Error(), `authToken: "(secret, 13 characters)" is not allowed; 16-128 characters`) {
		t.Errorf("got %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "short token") {
		t.Errorf("the error shows the token: %v", err)
	}
}

func TestPlanTimeRulesHoldForDeployTimeValues(t *testing.T) {
	// Whether a KMS key is set is known before its ARN is: the rule between fields applies
	// before anything is created.
	m, err := pulumitest.RunE(func(ctx *pulumi.Context) error {
		key, err := kms.NewKey(ctx, "data", &kms.KeyArgs{})
		if err != nil {
			return err
		}
		off := false
		a := groupArgs3(spec.Cache{Name: "rk", Zones: zones, Encryption: spec.Encryption{AtRest: &off}})
		a.Inputs.KmsKeyID = key.Arn
		_, err = NewReplicationGroup(ctx, "rk", a)
		return err
	})
	want := `encryption.kmsKeyId: "` + spec.Pending + `" is not allowed; a KMS key needs encryption.atRest true`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("want %q, got %v", want, err)
	}
	if n := len(m.OfType(rgType)); n != 0 {
		t.Errorf("%d replication groups registered", n)
	}
}

func TestStreamSnapshotAndDatastoreFromOtherResources(t *testing.T) {
	m := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		lg, err := cloudwatch.NewLogGroup(ctx, "seed", &cloudwatch.LogGroupArgs{Name: pulumi.String("seed")})
		if err != nil {
			return err
		}
		name := func(format string) pulumi.StringOutput { return pulumi.Sprintf(format, lg.Name) }
		a := groupArgs3(spec.Cache{Name: "rk", Zones: zones, Mode: spec.ModeCluster, Replicas: ip(1),
			Logs: spec.Logs{Destination: spec.LogsToFirehose}})
		a.Inputs = inputs.Inputs{
			FirehoseStream:           name("%s-logs"),
			GlobalReplicationGroupID: name("ldgnf-%s"),
		}
		if _, err := NewShardedCluster(ctx, "rk", a); err != nil {
			return err
		}
		b := groupArgs3(spec.Cache{Name: "rk2", Zones: zones})
		b.Inputs.RestoreFromSnapshot = name("%s-snap")
		_, err = NewReplicationGroup(ctx, "rk2", b)
		return err
	})
	var primary, restored pulumitest.Registered
	for _, r := range m.OfType(rgType) {
		if r.Name == "rk" {
			primary = r
		} else {
			restored = r
		}
	}
	if primary.Str("globalReplicationGroupId") != "ldgnf-seed" || primary.Str("engine") != "" {
		t.Errorf("a secondary joins the wired datastore and leaves the engine to it: %q %q", primary.Str("globalReplicationGroupId"), primary.Str("engine"))
	}
	if !strings.Contains(fmt.Sprint(primary.Inputs["logDeliveryConfigurations"]), "seed-logs") {
		t.Errorf("logs go to the wired stream: %v", primary.Inputs["logDeliveryConfigurations"])
	}
	if restored.Str("snapshotName") != "seed-snap" {
		t.Errorf("restore from the wired snapshot: %q", restored.Str("snapshotName"))
	}
}

func TestNetworkInputsOnAGroupAreRefused(t *testing.T) {
	_, err := pulumitest.RunE(func(ctx *pulumi.Context) error {
		a := groupArgs3(spec.Cache{Name: "rk", Zones: zones})
		a.Inputs.VpcID = pulumi.String("vpc-0123456789abcdef0")
		_, err := NewReplicationGroup(ctx, "rk", a)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "inputs: \"network values\" is not allowed") {
		t.Errorf("got %v", err)
	}
}
