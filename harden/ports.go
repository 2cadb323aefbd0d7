package harden

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// PublishPort is one parsed Podman port mapping,
// [[ip:][hostPort]:]containerPort[/protocol], where ports may be ranges
// ("8000-8010") of equal length on both sides.
type PublishPort struct {
	IP            string // "" for every address; IPv6 without brackets
	HostPorts     [2]int // first, last; 0, 0 when Podman picks
	ContainerPort [2]int
	Protocol      string // tcp (default), udp or sctp
}

// ParsePublishPort parses a mapping as `podman run --publish` reads it.
func ParsePublishPort(s string) (PublishPort, error) {
	var out PublishPort
	if strings.ContainsAny(s, " \t\r\n") || s == "" {
		return out, fmt.Errorf("%q must be one mapping without spaces", s)
	}
	rest := s
	out.Protocol = "tcp"
	if i := strings.LastIndex(rest, "/"); i >= 0 {
		out.Protocol, rest = rest[i+1:], rest[:i]
		switch out.Protocol {
		case "tcp", "udp", "sctp":
		default:
			return out, fmt.Errorf("%q: protocol %q is not tcp, udp or sctp", s, out.Protocol)
		}
	}
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]")
		if end < 0 || len(rest) <= end+1 || rest[end+1] != ':' {
			return out, fmt.Errorf("%q: a bracketed IPv6 address must be followed by ':' and the ports", s)
		}
		addr, err := netip.ParseAddr(rest[1:end])
		if err != nil || !addr.Is6() {
			return out, fmt.Errorf("%q: %q is not an IPv6 address", s, rest[1:end])
		}
		out.IP, rest = addr.String(), rest[end+2:]
		return out, out.parsePorts(s, strings.Split(rest, ":"), true)
	}
	fields := strings.Split(rest, ":")
	switch len(fields) {
	case 1, 2:
		return out, out.parsePorts(s, fields, false)
	case 3:
		addr, err := netip.ParseAddr(fields[0])
		if err != nil || !addr.Is4() {
			return out, fmt.Errorf("%q: %q is not an IPv4 address (write IPv6 addresses in brackets)", s, fields[0])
		}
		out.IP = addr.String()
		return out, out.parsePorts(s, fields[1:], true)
	}
	return out, fmt.Errorf("%q has too many ':' fields; the form is [[IP:][HOST_PORT]:]CONTAINER_PORT[/PROTOCOL]", s)
}

// parsePorts reads [hostPort:]containerPort; withIP: the host port field is
// present but may be empty ("127.0.0.1::80").
func (p *PublishPort) parsePorts(s string, fields []string, withIP bool) error {
	if len(fields) == 1 && !withIP {
		r, err := portRange(s, fields[0])
		p.ContainerPort = r
		return err
	}
	if len(fields) != 2 {
		return fmt.Errorf("%q: the form is [[IP:][HOST_PORT]:]CONTAINER_PORT[/PROTOCOL]", s)
	}
	var err error
	if fields[0] != "" || !withIP {
		if p.HostPorts, err = portRange(s, fields[0]); err != nil {
			return err
		}
	}
	if p.ContainerPort, err = portRange(s, fields[1]); err != nil {
		return err
	}
	if p.HostPorts[0] != 0 && p.HostPorts[1]-p.HostPorts[0] != p.ContainerPort[1]-p.ContainerPort[0] {
		return fmt.Errorf("%q: host and container port ranges differ in length", s)
	}
	return nil
}

func portRange(s, f string) ([2]int, error) {
	lo, hi, isRange := strings.Cut(f, "-")
	first, err := portNumber(s, lo)
	if err != nil {
		return [2]int{}, err
	}
	last := first
	if isRange {
		if last, err = portNumber(s, hi); err != nil {
			return [2]int{}, err
		}
		if last < first {
			return [2]int{}, fmt.Errorf("%q: port range %s runs backwards", s, f)
		}
	}
	return [2]int{first, last}, nil
}

func portNumber(s, f string) (int, error) {
	n, err := strconv.Atoi(f)
	if err != nil || f == "" || f[0] == '+' || f[0] == '-' {
		return 0, fmt.Errorf("%q: %q is not a port number", s, f)
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q: port %d is outside 1-65535", s, n)
	}
	return n, nil
}
