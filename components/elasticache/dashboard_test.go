package elasticache

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
)

func TestDashboardByDefaultWithEveryNodeOfEveryAlarmMetric(t *testing.T) {
	m := runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewShardedCluster(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones, Shards: ip(2), Replicas: ip(1)}))
		return err
	})
	d := m.One(t, "aws:cloudwatch/dashboard:Dashboard")
	if d.Str("dashboardName") != "rk" {
		t.Fatalf("name %q", d.Str("dashboardName"))
	}
	var body struct {
		Widgets []struct {
			Properties struct {
				Metrics [][]any `json:"metrics"`
				Region  string  `json:"region"`
				Period  int     `json:"period"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(d.Str("dashboardBody")), &body); err != nil {
		t.Fatal(err)
	}
	c := spec.Defaults(spec.Cache{Name: "rk", Mode: spec.ModeCluster, Shards: ip(2), Replicas: ip(1)})
	if len(body.Widgets) != len(AlarmMetrics(&c)) {
		t.Fatalf("%d widgets, want one per alarm metric (%d)", len(body.Widgets), len(AlarmMetrics(&c)))
	}
	for i, w := range body.Widgets {
		if len(w.Properties.Metrics) != 4 || w.Properties.Period != 300 || w.Properties.Region == "" {
			t.Fatalf("widget %d: %+v", i, w.Properties)
		}
		line := w.Properties.Metrics[3]
		if line[0] != "AWS/ElastiCache" || line[1] != AlarmMetrics(&c)[i].Metric || line[2] != "CacheClusterId" || line[3] != "rk-0002-002" {
			t.Fatalf("widget %d line %v", i, line)
		}
	}
	m = runAWS(t, func(ctx *pulumi.Context) error {
		_, err := NewShardedCluster(ctx, "rk", groupArgs3(spec.Cache{Name: "rk", Zones: zones, Dashboard: spec.Dashboard{Enabled: bpt(false)}}))
		return err
	})
	if n := len(m.OfType("aws:cloudwatch/dashboard:Dashboard")); n != 0 {
		t.Fatalf("dashboard off: %d dashboards", n)
	}
}

func TestRegionOfARN(t *testing.T) {
	if got := regionOf("arn:aws:elasticache:eu-west-1:111122223333:replicationgroup:rk"); got != "eu-west-1" {
		t.Fatal(got)
	}
}

func bpt(b bool) *bool { return &b }

// On data tiering nodes memory is meant to be full; the alarm watches capacity (memory + SSD).
func TestDataTieringAlarmsOnCapacity(t *testing.T) {
	c := spec.Defaults(spec.Cache{Name: "rk", NodeType: "cache.r6gd.xlarge", DataTiering: true})
	if got := AlarmMetrics(&c)[1].Metric; got != "DatabaseCapacityUsagePercentage" {
		t.Fatalf("data tiering memory alarm on %s", got)
	}
	c = spec.Defaults(spec.Cache{Name: "rk"})
	if got := AlarmMetrics(&c)[1].Metric; got != "DatabaseMemoryUsagePercentage" {
		t.Fatalf("memory alarm on %s", got)
	}
}
