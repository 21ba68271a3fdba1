package spec

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/rediskit/rediskit/internal/validate"
)

// Network says where the cache lives and who may reach it. Either rediskit creates a VPC with
// private subnets (CIDR set, VpcID empty) or it uses an existing VPC and subnets.
type Network struct {
	// CIDR of a new VPC (default 10.0.0.0/16 when no VpcID is given).
	CIDR string `json:"cidr,omitempty"`
	// VpcID and SubnetIDs select an existing network instead.
	VpcID     string   `json:"vpcId,omitempty"`
	SubnetIDs []string `json:"subnetIds,omitempty"`
	// SubnetZones gives the availability zone of each existing subnet (subnet id -> zone), so
	// the cache's zones can be checked against them before anything is created: AWS places
	// nodes only in zones of the subnet group, and refuses preferred zones outside it. Subnets
	// without an entry are not checked (a program cannot look them up offline).
	SubnetZones map[string]string `json:"subnetZones,omitempty"`
	// AllowedCIDRs and AllowedSecurityGroups grant ingress to the cache port, keyed by a stable
	// name that becomes part of the rule's resource name (so reordering never churns rules).
	AllowedCIDRs          map[string]string `json:"allowedCidrs,omitempty"`
	AllowedSecurityGroups map[string]string `json:"allowedSecurityGroups,omitempty"`
	// AllowPublicIngress must be true for 0.0.0.0/0 or ::/0 to be accepted.
	AllowPublicIngress bool `json:"allowPublicIngress,omitempty"`
}

const DefaultVpcCIDR = "10.0.0.0/16"

var (
	ruleKeyRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)
	vpcIDRe   = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
	subnetRe  = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	sgRe      = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)
)

// NetworkDefaults fills in the VPC CIDR of a new network.
func NetworkDefaults(n Network) Network {
	if n.VpcID == "" && n.CIDR == "" {
		n.CIDR = DefaultVpcCIDR
	}
	return n
}

// Validate checks a network against the zones the cache is spread over. Fields are named as
// under `rediskit:network` in stack config.
func (n *Network) Validate(zones []string) []validate.Problem {
	ps := &validate.Problems{}
	if n.VpcID != "" {
		if !IsPending(n.VpcID) && !vpcIDRe.MatchString(n.VpcID) {
			ps.Add("vpcId", n.VpcID, "a VPC id like vpc-0123456789abcdef0")
		}
		if n.CIDR != "" {
			ps.Add("cidr", n.CIDR, "either cidr (new VPC) or vpcId (existing VPC), not both")
		}
		if len(n.SubnetIDs) == 0 {
			ps.Add("subnetIds", nil, "an existing VPC needs the ids of its private subnets for the cache")
		}
		for i, s := range n.SubnetIDs {
			if !IsPending(s) && !subnetRe.MatchString(s) {
				ps.Add(fmt.Sprintf("subnetIds[%d]", i), s, "a subnet id like subnet-0123456789abcdef0")
			}
		}
		n.validateSubnetZones(zones, ps)
	} else {
		if len(n.SubnetIDs) > 0 {
			ps.Add("subnetIds", n.SubnetIDs, "subnet ids need vpcId too")
		}
		p, err := netip.ParsePrefix(n.CIDR)
		switch {
		case err != nil || !p.Addr().Is4():
			ps.Add("cidr", n.CIDR, "an IPv4 CIDR block such as 10.0.0.0/16")
		case p.Bits() < 16 || p.Bits() > 24:
			ps.Add("cidr", n.CIDR, "a prefix length from /16 to /24 (each zone gets a quarter of it)")
		case p.Masked() != p:
			ps.Add("cidr", n.CIDR, "the network address %s", p.Masked())
		}
		if len(zones) == 0 {
			ps.Add("zones", nil, "a new VPC needs the availability zones to put its subnets in (cache.zones), e.g. [eu-west-1a, eu-west-1b, eu-west-1c]")
		} else if n := len(uniq(zones)); n < 2 || n > 3 {
			ps.Add("zones", zones, "a new VPC has one private subnet in each of 2-3 distinct zones (it has %d)", n)
		}
	}
	for _, k := range sortedKeys(n.AllowedCIDRs) {
		v := n.AllowedCIDRs[k]
		f := "allowedCidrs." + k
		if !ruleKeyRe.MatchString(k) {
			ps.Add("allowedCidrs", k, "keys are 1-31 lowercase letters, digits and hyphens (they name the rule)")
		}
		p, err := netip.ParsePrefix(v)
		if err != nil {
			ps.Add(f, v, "an IPv4 or IPv6 CIDR block")
			continue
		}
		if p.Bits() == 0 && !n.AllowPublicIngress {
			ps.Add(f, v, "ingress from anywhere is refused unless allowPublicIngress is true")
		}
	}
	for _, k := range sortedKeys(n.AllowedSecurityGroups) {
		if !ruleKeyRe.MatchString(k) {
			ps.Add("allowedSecurityGroups", k, "keys are 1-31 lowercase letters, digits and hyphens (they name the rule)")
		}
		if v := n.AllowedSecurityGroups[k]; !IsPending(v) && !sgRe.MatchString(v) {
			ps.Add("allowedSecurityGroups."+k, v, "a security group id like sg-0123456789abcdef0")
		}
	}
	return ps.List
}

// SortedKeys returns a map's keys in a stable order, so resources built from maps never reorder.
func SortedKeys(m map[string]string) []string { return sortedKeys(m) }

// validateSubnetZones checks the cache's zones against the zones of the given subnets, as far
// as SubnetZones tells them.
func (n *Network) validateSubnetZones(zones []string, ps *validate.Problems) {
	if anyPending(n.SubnetIDs) {
		return // checked once the subnet ids resolve
	}
	known := map[string]bool{}
	for _, id := range sortedKeys(n.SubnetZones) {
		if !slices.Contains(n.SubnetIDs, id) {
			ps.Add("subnetZones."+id, n.SubnetZones[id], "only subnets listed in subnetIds")
			continue
		}
		known[n.SubnetZones[id]] = true
	}
	if len(n.UnknownSubnetZones()) > 0 {
		return // a zone may be behind a subnet whose zone is not given
	}
	var have []string
	for z := range known {
		have = append(have, z)
	}
	sort.Strings(have)
	for _, z := range uniq(zones) {
		if !known[z] {
			ps.Add("zones", z, "a zone of the subnets in subnetIds (%s): ElastiCache places nodes only in its subnet group's zones", strings.Join(have, ", "))
		}
	}
}

// UnknownSubnetZones lists the existing subnets whose zone SubnetZones does not give.
func (n *Network) UnknownSubnetZones() []string {
	var out []string
	for _, id := range n.SubnetIDs {
		if _, ok := n.SubnetZones[id]; !ok && !IsPending(id) {
			out = append(out, id)
		}
	}
	return out
}
