package elasticache

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rediskit/rediskit/components/spec"
)

// DashboardName is the CloudWatch dashboard of a cache (dashboard names take letters, digits,
// "-" and "_", like a replication group id).
func DashboardName(c *spec.Cache) string { return c.Name }

// dashboardWidget is one graph of the dashboard: a metric for every node, with the alarm
// threshold drawn as a line ("CloudWatch dashboard body structure and syntax").
type dashboardWidget struct {
	Type       string         `json:"type"`
	X          int            `json:"x"`
	Y          int            `json:"y"`
	Width      int            `json:"width"`
	Height     int            `json:"height"`
	Properties map[string]any `json:"properties"`
}

// DashboardBody renders the dashboard: one graph per metric the alarms watch, each with a line
// per node (the dimensions the alarms use), in the group's region.
func DashboardBody(c *spec.Cache, region string) (string, error) {
	type series struct {
		metric, stat string
		threshold    float64
		dims         [][]string // dimension name/value pairs, one entry per line
	}
	var graphs []series
	if c.Mode == spec.ModeServerless {
		// Serverless metrics carry the cache name as dimension clusterId.
		dims := [][]string{{"clusterId", c.Name}}
		graphs = []series{
			{"BytesUsedForCache", "Maximum", 0, dims},
			{"ElastiCacheProcessingUnits", "Sum", 0, dims},
			{"CurrConnections", "Maximum", c.Alarms.Connections, dims},
		}
	} else {
		var dims [][]string
		for _, node := range MemberClusterIDs(c) {
			dims = append(dims, []string{"CacheClusterId", node, "CacheNodeId", "0001"})
		}
		for _, m := range AlarmMetrics(c) {
			graphs = append(graphs, series{m.Metric, m.Statistic, m.Threshold, dims})
		}
	}
	var widgets []dashboardWidget
	for i, g := range graphs {
		var metrics [][]any
		for _, d := range g.dims {
			line := []any{"AWS/ElastiCache", g.metric}
			for _, v := range d {
				line = append(line, v)
			}
			line = append(line, map[string]any{"stat": g.stat})
			metrics = append(metrics, line)
		}
		props := map[string]any{
			"title":   fmt.Sprintf("%s (%s)", g.metric, strings.ToLower(g.stat)),
			"view":    "timeSeries",
			"region":  region,
			"period":  c.Alarms.PeriodSeconds,
			"metrics": metrics,
		}
		if g.threshold > 0 && spec.Bool(c.Alarms.Enabled) {
			props["annotations"] = map[string]any{"horizontal": []map[string]any{{"label": "alarm", "value": g.threshold}}}
		}
		widgets = append(widgets, dashboardWidget{Type: "metric", X: (i % 2) * 12, Y: (i / 2) * 6, Width: 12, Height: 6, Properties: props})
	}
	b, err := json.Marshal(map[string]any{"widgets": widgets})
	return string(b), err
}

// regionOf reads the region from an ARN (arn:partition:service:region:...).
func regionOf(arn string) string {
	if p := strings.Split(arn, ":"); len(p) > 3 {
		return p[3]
	}
	return ""
}

// newDashboard creates the cache's dashboard. The region comes from the cache's own ARN, so the
// program needs no provider call to learn it (the offline planner refuses those).
func newDashboard(ctx *pulumi.Context, name string, c *spec.Cache, arn pulumi.StringOutput, parent pulumi.Resource) error {
	if !spec.Bool(c.Dashboard.Enabled) {
		return nil
	}
	body := arn.ApplyT(func(a string) (string, error) { return DashboardBody(c, regionOf(a)) }).(pulumi.StringOutput)
	if _, err := cloudwatch.NewDashboard(ctx, name+"-dashboard", &cloudwatch.DashboardArgs{
		DashboardName: pulumi.String(DashboardName(c)),
		DashboardBody: body,
	}, pulumi.Parent(parent)); err != nil {
		return fmt.Errorf("creating dashboard: %w", err)
	}
	return nil
}
