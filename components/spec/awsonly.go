package spec

import (
	"fmt"

	"github.com/rediskit/rediskit/internal/validate"
)

// NonAWSTarget describes a target without AWS's features for AWSOnly's messages.
type NonAWSTarget struct {
	Name      string // as in "the self-hosted target"
	Addresses string // how it addresses nodes, e.g. "binds nodes to selfHosted.host"
	Metrics   string // where it serves the metrics a CloudWatch dashboard would show
}

// AWSOnly refuses, on a target other than AWS, the features only AWS provides when the stack
// asks for them explicitly (their defaults are simply not used there). raw is the cache as
// given, before Defaults; t says in the messages what the target does instead.
func AWSOnly(raw Cache, t NonAWSTarget) []validate.Problem {
	ps := &validate.Problems{}
	target := t.Name
	for i, u := range raw.Auth.Users {
		if u.UserIAM() {
			ps.Add(fmt.Sprintf("auth.users[%d].authenticationMode", i), "iam", "the %s target has no IAM; its users authenticate with passwords", target)
		}
	}
	if raw.NetworkType != "" && raw.NetworkType != NetworkIPv4 {
		ps.Add("networkType", raw.NetworkType, "the %s target %s; networkType is for ElastiCache", target, t.Addresses)
	}
	if raw.AutoScaling.Shards != nil || raw.AutoScaling.Replicas != nil {
		ps.Add("autoScaling", "set", "the %s target has no Application Auto Scaling; change shards and replicas in the stack", target)
	}
	if raw.Logs.Destination == LogsToFirehose {
		ps.Add("logs.destination", raw.Logs.Destination, "the %s target has no Firehose log delivery", target)
	}
	if Bool(raw.Dashboard.Enabled) {
		ps.Add("dashboard.enabled", true, "the %s target has no CloudWatch dashboard; %s", target, t.Metrics)
	}
	return ps.List
}
