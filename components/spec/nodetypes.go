package spec

import (
	"sort"
	"strings"
)

// NodeType describes an ElastiCache node type. MemoryGiB is the memory ElastiCache gives the
// engine; the self-hosted target uses it as the node's memory limit.
//
// The families and their generation follow the node list of the ElastiCache API Reference
// (CacheNode: "current generation" / "previous generation") and "Supported node types".
type NodeType struct {
	Name      string
	Family    string // t3, r7g, ...
	VCPU      int
	MemoryGiB float64
	Burstable bool
	// Previous generation per AWS's list (T1, M1, M2, M3, R3, C1); T2, M4 and R4 are still
	// listed as current generation.
	Previous    bool
	DataTiering bool // r6gd: memory plus SSD ("Data tiering": r6gd only, where it is required)
	// FailoverUnsupported: AWS refuses automatic failover, Multi-AZ (and so cluster mode) on
	// these (CacheNode notes: "Automatic failover is not supported on T1 instances").
	FailoverUnsupported bool
	// GlobalDatastore: the family can be part of a global datastore ("Global datastore
	// prerequisites and limitations": M5, M6g, M7g, R5, R6g, R6gd, R7g and C7gn, large and up).
	GlobalDatastore bool
	// AutoScaling: Application Auto Scaling can scale groups of these ("Auto Scaling Valkey and
	// Redis OSS clusters", prerequisites: R7g, R6g, R6gd, R5, M7g, M6g, M5, C7gn, large and up),
	// the same families as global datastores.
	AutoScaling bool
	// NotNitro: not built on the Nitro system, so no IPv6 or dual stack ("Choosing a network
	// type": IPv6 "on all instances built on the Nitro system").
	NotNitro bool
}

var nodeTypes = map[string]NodeType{}

func addNodes(family string, flags NodeType, sizes map[string][2]float64) {
	for size, v := range sizes {
		n := flags
		n.Name, n.Family, n.VCPU, n.MemoryGiB = "cache."+family+"."+size, family, int(v[0]), v[1]
		nodeTypes[n.Name] = n
	}
}

func init() {
	addNodes("t1", NodeType{Burstable: true, Previous: true, FailoverUnsupported: true, NotNitro: true}, map[string][2]float64{
		"micro": {1, 0.213}})
	addNodes("t2", NodeType{Burstable: true, NotNitro: true}, map[string][2]float64{
		"micro": {1, 0.555}, "small": {1, 1.55}, "medium": {2, 3.22}})
	addNodes("t3", NodeType{Burstable: true}, map[string][2]float64{
		"micro": {2, 0.5}, "small": {2, 1.37}, "medium": {2, 3.09}})
	addNodes("t4g", NodeType{Burstable: true}, map[string][2]float64{
		"micro": {2, 0.5}, "small": {2, 1.37}, "medium": {2, 3.09}})
	addNodes("m4", NodeType{NotNitro: true}, map[string][2]float64{
		"large": {2, 6.42}, "xlarge": {4, 14.28}, "2xlarge": {8, 29.7}, "4xlarge": {16, 60.78}, "10xlarge": {40, 154.64}})
	addNodes("r4", NodeType{NotNitro: true}, map[string][2]float64{
		"large": {2, 12.3}, "xlarge": {4, 25.05}, "2xlarge": {8, 50.47}, "4xlarge": {16, 101.38}, "8xlarge": {32, 203.26}, "16xlarge": {64, 407}})
	general := map[string][2]float64{
		"large": {2, 6.38}, "xlarge": {4, 12.93}, "2xlarge": {8, 26.04}, "4xlarge": {16, 52.26},
		"8xlarge": {32, 103.68}, "12xlarge": {48, 157.12}, "16xlarge": {64, 209.55}}
	addNodes("m5", NodeType{GlobalDatastore: true, AutoScaling: true}, map[string][2]float64{
		"large": {2, 6.38}, "xlarge": {4, 12.93}, "2xlarge": {8, 26.04}, "4xlarge": {16, 52.26}, "12xlarge": {48, 157.12}, "24xlarge": {96, 314.32}})
	addNodes("m6g", NodeType{GlobalDatastore: true, AutoScaling: true}, general)
	addNodes("m7g", NodeType{GlobalDatastore: true, AutoScaling: true}, general)
	memory := map[string][2]float64{
		"large": {2, 13.07}, "xlarge": {4, 26.32}, "2xlarge": {8, 52.82}, "4xlarge": {16, 105.81},
		"8xlarge": {32, 209.55}, "12xlarge": {48, 317.77}, "16xlarge": {64, 419.09}}
	addNodes("r5", NodeType{GlobalDatastore: true, AutoScaling: true}, map[string][2]float64{
		"large": {2, 13.07}, "xlarge": {4, 26.32}, "2xlarge": {8, 52.82}, "4xlarge": {16, 105.81}, "12xlarge": {48, 317.77}, "24xlarge": {96, 635.61}})
	addNodes("r6g", NodeType{GlobalDatastore: true, AutoScaling: true}, memory)
	addNodes("r7g", NodeType{GlobalDatastore: true, AutoScaling: true}, memory)
	addNodes("r6gd", NodeType{DataTiering: true, GlobalDatastore: true, AutoScaling: true}, map[string][2]float64{
		"xlarge": {4, 26.32}, "2xlarge": {8, 52.82}, "4xlarge": {16, 105.81}, "8xlarge": {32, 209.55}, "12xlarge": {48, 317.77}, "16xlarge": {64, 419.09}})
	addNodes("c7gn", NodeType{GlobalDatastore: true, AutoScaling: true}, map[string][2]float64{
		"large": {2, 3.09}, "xlarge": {4, 6.38}, "2xlarge": {8, 12.94}, "4xlarge": {16, 26.05}, "8xlarge": {32, 52.26}, "12xlarge": {48, 78.56}, "16xlarge": {64, 105.81}})
}

// LookupNodeType returns the node type's description.
func LookupNodeType(name string) (NodeType, bool) {
	n, ok := nodeTypes[name]
	return n, ok
}

// NodeFamilies lists the known node families, for error messages.
func NodeFamilies() string {
	seen := map[string]bool{}
	var fams []string
	for _, n := range nodeTypes {
		if !seen[n.Family] {
			seen[n.Family] = true
			fams = append(fams, n.Family)
		}
	}
	sort.Strings(fams)
	return "cache.<family>.<size> with family one of " + strings.Join(fams, ", ")
}
