package spec

import (
	"sort"
	"strings"
)

// NodeType describes an ElastiCache node type. MemoryGiB is the memory ElastiCache gives the
// engine; the self-hosted target uses it as the node's memory limit.
type NodeType struct {
	Name        string
	Family      string // t3, r7g, ...
	VCPU        int
	MemoryGiB   float64
	Burstable   bool
	Previous    bool // previous generation
	DataTiering bool // r6gd: memory plus SSD
	// FailoverUnsupported: AWS refuses automatic failover (and so cluster mode) on these.
	FailoverUnsupported bool
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
	addNodes("t2", NodeType{Burstable: true, Previous: true, FailoverUnsupported: true}, map[string][2]float64{
		"micro": {1, 0.555}, "small": {1, 1.55}, "medium": {2, 3.22}})
	addNodes("t3", NodeType{Burstable: true}, map[string][2]float64{
		"micro": {2, 0.5}, "small": {2, 1.37}, "medium": {2, 3.09}})
	addNodes("t4g", NodeType{Burstable: true}, map[string][2]float64{
		"micro": {2, 0.5}, "small": {2, 1.37}, "medium": {2, 3.09}})
	addNodes("m4", NodeType{Previous: true}, map[string][2]float64{
		"large": {2, 6.42}, "xlarge": {4, 14.28}, "2xlarge": {8, 29.7}, "4xlarge": {16, 60.78}, "10xlarge": {40, 154.64}})
	addNodes("r4", NodeType{Previous: true}, map[string][2]float64{
		"large": {2, 12.3}, "xlarge": {4, 25.05}, "2xlarge": {8, 50.47}, "4xlarge": {16, 101.38}, "8xlarge": {32, 203.26}, "16xlarge": {64, 407}})
	general := map[string][2]float64{
		"large": {2, 6.38}, "xlarge": {4, 12.93}, "2xlarge": {8, 26.04}, "4xlarge": {16, 52.26},
		"8xlarge": {32, 103.68}, "12xlarge": {48, 157.12}, "16xlarge": {64, 209.55}}
	addNodes("m5", NodeType{}, map[string][2]float64{
		"large": {2, 6.38}, "xlarge": {4, 12.93}, "2xlarge": {8, 26.04}, "4xlarge": {16, 52.26}, "12xlarge": {48, 157.12}, "24xlarge": {96, 314.32}})
	addNodes("m6g", NodeType{}, general)
	addNodes("m7g", NodeType{}, general)
	memory := map[string][2]float64{
		"large": {2, 13.07}, "xlarge": {4, 26.32}, "2xlarge": {8, 52.82}, "4xlarge": {16, 105.81},
		"8xlarge": {32, 209.55}, "12xlarge": {48, 317.77}, "16xlarge": {64, 419.09}}
	addNodes("r5", NodeType{}, map[string][2]float64{
		"large": {2, 13.07}, "xlarge": {4, 26.32}, "2xlarge": {8, 52.82}, "4xlarge": {16, 105.81}, "12xlarge": {48, 317.77}, "24xlarge": {96, 635.61}})
	addNodes("r6g", NodeType{}, memory)
	addNodes("r7g", NodeType{}, memory)
	addNodes("r6gd", NodeType{DataTiering: true}, map[string][2]float64{
		"xlarge": {4, 26.32}, "2xlarge": {8, 52.82}, "4xlarge": {16, 105.81}, "8xlarge": {32, 209.55}, "12xlarge": {48, 317.77}, "16xlarge": {64, 419.09}})
	addNodes("c7gn", NodeType{}, map[string][2]float64{
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
