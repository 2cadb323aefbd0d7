package harden

import (
	"errors"
	"testing"
)

func TestParsePublishPort(t *testing.T) {
	ok := map[string]PublishPort{
		"80":                   {ContainerPort: [2]int{80, 80}, Protocol: "tcp"},
		"8080:80":              {HostPorts: [2]int{8080, 8080}, ContainerPort: [2]int{80, 80}, Protocol: "tcp"},
		"127.0.0.1:8080:80":    {IP: "127.0.0.1", HostPorts: [2]int{8080, 8080}, ContainerPort: [2]int{80, 80}, Protocol: "tcp"},
		"127.0.0.1::80":        {IP: "127.0.0.1", ContainerPort: [2]int{80, 80}, Protocol: "tcp"},
		"[::1]:8443:443/tcp":   {IP: "::1", HostPorts: [2]int{8443, 8443}, ContainerPort: [2]int{443, 443}, Protocol: "tcp"},
		"[fd00::5]::53/udp":    {IP: "fd00::5", ContainerPort: [2]int{53, 53}, Protocol: "udp"},
		"8000-8002:9000-9002":  {HostPorts: [2]int{8000, 8002}, ContainerPort: [2]int{9000, 9002}, Protocol: "tcp"},
		"5000/sctp":            {ContainerPort: [2]int{5000, 5000}, Protocol: "sctp"},
		"65535:1":              {HostPorts: [2]int{65535, 65535}, ContainerPort: [2]int{1, 1}, Protocol: "tcp"},
		"0.0.0.0:443:8443/tcp": {IP: "0.0.0.0", HostPorts: [2]int{443, 443}, ContainerPort: [2]int{8443, 8443}, Protocol: "tcp"},
	}
	for in, want := range ok {
		got, err := ParsePublishPort(in)
		if err != nil || got != want {
			t.Errorf("%q: got %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "99999:80", "80:0", "1:2:3:4", "a:80", "127.0.0.1:80", "::1:80:80",
		"[::1]80", "[127.0.0.1]:1:2", "80/icmp", "80\nPodmanArgs=--privileged", "8000-8002:9000", "90-80",
		"+80", "-80", "300.0.0.1:1:2", "[::1]:1:2:3"} {
		if got, err := ParsePublishPort(in); err == nil {
			t.Errorf("%q accepted as %+v", in, got)
		}
	}
}

func FuzzParsePublishPort(f *testing.F) {
	for _, s := range []string{"80", "127.0.0.1::80", "[::1]:1:2/udp", "1-2:3-4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePublishPort(s)
		if err != nil {
			return
		}
		if p.ContainerPort[0] < 1 || p.ContainerPort[1] > 65535 || p.HostPorts[1] > 65535 {
			t.Fatalf("%q parsed to out-of-range ports %+v", s, p)
		}
	})
}

// TestRestrictedLevel: level restricted refuses what weakens it, in the
// data source's one validation (the profiles rely on it).
func TestRestrictedLevel(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, n *Node)
		path   string
	}{
		{"permissive", func(t *testing.T, n *Node) { n.SELinux.Mode = SELinuxPermissive }, "selinux.mode"},
		{"disabled", func(t *testing.T, n *Node) {
			n.SELinux = SELinuxConfig{Mode: SELinuxDisabled, AllowDisabled: true}
		}, "selinux.mode"},
		{"updates off", func(t *testing.T, n *Node) { n.Update.Strategy = UpdateOff }, "update.strategy"},
		{"default capability", func(t *testing.T, n *Node) {
			n.Podman.DefaultCapabilities = []string{"CHOWN", "NET_RAW"}
		}, "podman.default_capabilities[1]"},
		{"quadlet capability", func(t *testing.T, n *Node) {
			n.ContainerUsers = []ContainerUser{{Name: "app"}}
			n.Podman.Trust = []RegistryTrust{{Scope: "ghcr.io/acme", Type: TrustSigstore, Key: fixture(t, "cosign.pub")}}
			n.Podman.Quadlets = []Quadlet{{Name: "w", User: "app", Image: "ghcr.io/acme/w:1",
				AddCapabilities: []string{"NET_BIND_SERVICE", "SYS_ADMIN"}}}
		}, "podman.quadlets[0].add_capabilities[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := testNodes()[0].node(t)
			n.Level = Restricted
			tt.change(t, n)
			assertFirstError(t, n, tt.path)
			n.Level = Baseline
			if err := n.Validate(); err != nil {
				t.Fatalf("baseline refuses it too: %v", err)
			}
		})
	}
}

// TestFlatcarTargetWithoutPodman: container users on a Flatcar release
// before the Podman sysext are an error on target.
func TestFlatcarTargetWithoutPodman(t *testing.T) {
	n := testNodes()[2].node(t) // has a container user
	_, err := Render(n, RenderOptions{Target: "flatcar-3510.2.0"})
	var ves ValidationErrors
	if !errors.As(err, &ves) || ves[0].Path.String() != "target" {
		t.Fatalf("Render = %v, want an error on target", err)
	}
	for _, target := range []string{"flatcar-3941.1.0", "flatcar-4081.2.0", "ignition-2.14", ""} {
		if _, err := Render(n, RenderOptions{Target: target}); err != nil {
			t.Errorf("target %q: %v", target, err)
		}
	}
	if _, err := Render(testNodes()[0].node(t), RenderOptions{Target: "flatcar-3510.2.0"}); err != nil {
		t.Errorf("a node without container users on 3510: %v", err)
	}
}
