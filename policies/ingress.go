package policies

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Ingress is one inbound permission, whichever resource type declared it.
type Ingress struct {
	Protocol        string // "tcp", "udp", "icmp", "-1" (all)
	FromPort        int
	ToPort          int
	PortsUnknown    bool
	CIDRs           []string // IPv4 and IPv6 sources
	ProtocolUnknown bool
}

var worldCIDRs = []string{"0.0.0.0/0", "::/0"}

// OpenCIDRs returns the sources that mean "anyone".
func (in Ingress) OpenCIDRs() []string {
	var out []string
	for _, c := range in.CIDRs {
		if slices.Contains(worldCIDRs, strings.TrimSpace(c)) {
			out = append(out, c)
		}
	}
	return out
}

func allProtocols(p string) bool { return p == "-1" || strings.EqualFold(p, "all") }

// covers returns the first of ports the permission admits.
func (in Ingress) covers(ports []int) (int, bool) {
	if in.ProtocolUnknown || in.PortsUnknown && !allProtocols(in.Protocol) {
		return 0, false
	}
	p := strings.ToLower(in.Protocol)
	if !allProtocols(p) && p != "tcp" && p != "6" {
		return 0, false
	}
	for _, port := range ports {
		if allProtocols(p) || (in.FromPort <= port && port <= in.ToPort) {
			return port, true
		}
	}
	return 0, false
}

func (in Ingress) portText() string {
	if allProtocols(in.Protocol) {
		return "all ports"
	}
	if in.FromPort == in.ToPort {
		return fmt.Sprintf("port %d", in.FromPort)
	}
	return fmt.Sprintf("ports %d-%d", in.FromPort, in.ToPort)
}

// IngressOf lists the inbound permissions a resource declares.
func IngressOf(r Resource) []Ingress {
	switch r.Type {
	case "aws:ec2/securityGroup:SecurityGroup":
		rules, _ := getMaps(r.Inputs, "ingress")
		var out []Ingress
		for _, m := range rules {
			out = append(out, ingressFrom(m, "protocol", "cidrBlocks", "ipv6CidrBlocks"))
		}
		return out
	case "aws:ec2/securityGroupRule:SecurityGroupRule":
		if t := getString(r.Inputs, "type"); !t.Set || t.Value != "ingress" {
			return nil
		}
		return []Ingress{ingressFrom(r.Inputs, "protocol", "cidrBlocks", "ipv6CidrBlocks")}
	case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
		return []Ingress{ingressFrom(r.Inputs, "ipProtocol", "cidrIpv4", "cidrIpv6")}
	}
	return nil
}

func ingressFrom(m property.Map, protoKey, v4Key, v6Key string) Ingress {
	in := Ingress{}
	proto := getString(m, protoKey)
	in.ProtocolUnknown = proto.Unknown
	in.Protocol = proto.Value
	if n := getNumber(m, protoKey); n.Set { // some exports carry the protocol number
		in.Protocol = fmt.Sprint(int(n.Value))
	}
	from, to := getNumber(m, "fromPort"), getNumber(m, "toPort")
	in.PortsUnknown = from.Unknown || to.Unknown || !from.Set || !to.Set
	in.FromPort, in.ToPort = int(from.Value), int(to.Value)
	for _, key := range []string{v4Key, v6Key} {
		if list, _ := getStrings(m, key); len(list) > 0 {
			in.CIDRs = append(in.CIDRs, list...)
		} else if s := getString(m, key); s.Set {
			in.CIDRs = append(in.CIDRs, s.Value)
		}
	}
	return in
}
