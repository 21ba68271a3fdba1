package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestPlanCommandJSON(t *testing.T) {
	var out bytes.Buffer
	if err := runPlan([]string{"-C", "../..", "-s", "staging", "--json"}, &out); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Stack     string `json:"stack"`
		Resources []struct {
			Type   string         `json:"type"`
			Inputs map[string]any `json:"inputs"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("plan --json must be JSON: %v", err)
	}
	found := false
	for _, r := range doc.Resources {
		if r.Type == "aws:elasticache/replicationGroup:ReplicationGroup" {
			found = true
			if r.Inputs["numCacheClusters"] != float64(3) {
				t.Errorf("staging numCacheClusters: %v", r.Inputs["numCacheClusters"])
			}
		}
	}
	if doc.Stack != "staging" || !found {
		t.Errorf("stack %q, replication group found %v", doc.Stack, found)
	}
}

func TestPlanCommandErrors(t *testing.T) {
	var out bytes.Buffer
	if err := runPlan([]string{"-C", "../.."}, &out); err == nil || !strings.Contains(err.Error(), "-s: missing") {
		t.Errorf("a missing stack must be named: %v", err)
	}
	if err := runPlan([]string{"-C", "../..", "-s", "nope"}, &out); err == nil || !strings.Contains(err.Error(), `reading stack "nope"`) {
		t.Errorf("an unknown stack must be named: %v", err)
	}
}
