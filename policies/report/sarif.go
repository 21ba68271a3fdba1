package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"

	"github.com/rediskit/rediskit/policies"
)

// SARIF 2.1.0, the subset code-scanning UIs read. Results point at the stack file, because a
// code-scanning UI needs a file location; the resource is the logical location.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration map[string]any `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation map[string]any   `json:"physicalLocation"`
	LogicalLocations []map[string]any `json:"logicalLocations"`
}

// Version is the pack version reports name.
const Version = "0.1.0"

func sarifLevel(l policies.Level) string {
	switch l {
	case policies.Mandatory:
		return "error"
	case policies.Advisory:
		return "warning"
	}
	return "none"
}

// SARIF writes the result as a SARIF 2.1.0 log.
func SARIF(w io.Writer, r *Result) error {
	rules := policies.Rules()
	index := map[string]int{}
	driver := sarifDriver{Name: "rediskit-policy", Version: Version, InformationURI: "https://github.com/rediskit/rediskit/blob/main/docs/policies.md"}
	for i, rule := range rules {
		index[rule.ID] = i
		props := map[string]any{"tags": append([]string{"rediskit", "elasticache"}, rule.Maps.IDs()...),
			"enforcementLevel": string(r.Config.Level(rule))}
		if rule.Level == policies.Mandatory {
			// GitHub code scanning ranks security alerts by this score (7.0-8.9 is "high").
			props["security-severity"] = "8.0"
			props["tags"] = append(props["tags"].([]string), "security")
		}
		driver.Rules = append(driver.Rules, sarifRule{
			ID: rule.ID, Name: rule.ID,
			ShortDescription:     sarifText{rule.Title},
			FullDescription:      sarifText{rule.Description()},
			Help:                 sarifText{rule.Why + " Maps to: " + rule.Maps.String() + "."},
			DefaultConfiguration: map[string]any{"level": sarifLevel(r.Config.Level(rule))},
			Properties:           props,
		})
	}
	results := []sarifResult{}
	for _, v := range r.Sorted() {
		sum := sha256.Sum256([]byte(v.Rule + "\x00" + v.URN + "\x00" + v.Message))
		results = append(results, sarifResult{
			RuleID: v.Rule, RuleIndex: index[v.Rule], Level: sarifLevel(v.Level),
			Message: sarifText{v.ResourceName + ": " + v.Message},
			Locations: []sarifLocation{{
				PhysicalLocation: map[string]any{"artifactLocation": map[string]any{"uri": r.Source}, "region": map[string]any{"startLine": 1}},
				LogicalLocations: []map[string]any{{"name": v.ResourceName, "fullyQualifiedName": v.URN, "kind": "resource"}},
			}},
			PartialFingerprints: map[string]string{"rediskitViolation/v1": hex.EncodeToString(sum[:16])},
			Properties:          map[string]any{"stack": r.Stack, "resourceType": v.ResourceType, "enforcementLevel": string(v.Level), "mappedIds": v.Mapped.IDs()},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}},
	})
}
