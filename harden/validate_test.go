package harden

import (
	"errors"
	"path"
	"testing"
)

// TestValidateAttributePaths: each invalid input is an error at the
// attribute that holds it, with a summary and a detail.
func TestValidateAttributePaths(t *testing.T) {
	tests := []struct {
		name   string
		change func(n *Node)
		path   string
	}{
		{"os", func(n *Node) { n.OS = "ubuntu" }, "os_family"},
		{"level", func(n *Node) { n.Level = "paranoid" }, "level"},
		{"hostname", func(n *Node) { n.Hostname = "Bad_Host" }, "hostname"},
		{"admin root", func(n *Node) { n.Admin.Name = "root" }, "admin.name"},
		{"no keys", func(n *Node) { n.Admin.SSHAuthorizedKeys = nil }, "admin.ssh_authorized_keys"},
		{"bad key", func(n *Node) { n.Admin.SSHAuthorizedKeys = []string{"ssh-ed25519 nonsense"} },
			"admin.ssh_authorized_keys[0]"},
		{"dss key", func(n *Node) {
			n.Admin.SSHAuthorizedKeys = []string{"ssh-dss AAAAB3NzaC1kc3MAAACBAP1/U4EddRIpUt9KnC7s5Of2EbdSPO9EAMMeP4C2USZpRV1AIlH7WT2NWPq/xfW6MPbLm1Vs14E7gB00b/JmYLdrmVClpJ+f6AR7ECLCT7up1/63xhv4O1fnxqimFQ8E+4P208UewwI1VBNaFpEy9nXzrith1yrv8iIDGZ3RSAHHAAAAFQCXYFCPFSMLzLKSuYKi64QL8Fgc9QAAAIEA9+GghdabPd7LvKtcNrhXuXmUr7v6OuqC+VdMCz0HgmdRWVeOutRZT+ZxBxCBgLRJFnEj6EwoFhO3zwkyjMim4TwWeotUfI0o4KOuHiuzpnWRbqN/C/ohNWLx+2J6ASQ7zKTxvqhRkImog9/hWuWfBpKLZl6Ae1UlZAFMO/7PSSoAAACBAJK8a0NzL6gBm3yjKc5cJC3jn1AbdmYqfGmBh8zIs4qeUhVrRzuaZKxYjTA9BKY8FzkXz/fhHgvy19Rw9XTDCI1h5Wop4FnTnR1bxWPqBE2KUP6oXKNGoalb5kqB0+wqUhyK3MglT4C6KpMrBqNc2lpixyqp/o7o12KWGgSsGHxc test"}
		}, "admin.ssh_authorized_keys[0]"},
		{"host key", func(n *Node) { n.SSH.HostKey = "not a key" }, "ssh.host_key"},
		{"container name", func(n *Node) { n.ContainerUsers = []ContainerUser{{Name: "Bad Name"}} },
			"container_users[0].name"},
		{"container is admin", func(n *Node) { n.ContainerUsers = []ContainerUser{{Name: "core"}} },
			"container_users[0].name"},
		{"network", func(n *Node) { n.Podman.RootlessNetwork = "host" }, "podman.rootless_network"},
		{"capability", func(n *Node) { n.Podman.DefaultCapabilities = []string{"CAP_CHOWN"} },
			"podman.default_capabilities[0]"},
		{"trust scope", func(n *Node) {
			n.Podman.Trust = []RegistryTrust{{Scope: "https://ghcr.io", Type: TrustSigstore, Key: "-----BEGIN PUBLIC KEY-----"}}
		}, "podman.trust[0].scope"},
		{"trust type", func(n *Node) {
			n.Podman.Trust = []RegistryTrust{{Scope: "ghcr.io/a", Type: "x509", Key: "k"}}
		}, "podman.trust[0].type"},
		{"trust key", func(n *Node) { n.Podman.Trust = []RegistryTrust{{Scope: "ghcr.io/a", Type: TrustGPG, Key: "k"}} },
			"podman.trust[0].key"},
		{"quadlet user", func(n *Node) {
			n.Podman.Quadlets = []Quadlet{{Name: "web", User: "nobody", Image: "ghcr.io/acme/web:1"}}
		}, "podman.quadlets[0].user"},
		{"quadlet short image", func(n *Node) {
			n.ContainerUsers = []ContainerUser{{Name: "app"}}
			n.Podman.Quadlets = []Quadlet{{Name: "web", User: "app", Image: "nginx"}}
		}, "podman.quadlets[0].image"},
		{"quadlet untrusted image", func(n *Node) {
			n.ContainerUsers = []ContainerUser{{Name: "app"}}
			n.Podman.Quadlets = []Quadlet{{Name: "web", User: "app", Image: "ghcr.io/other/web:1"}}
		}, "podman.quadlets[0].image"},
		{"quadlet nnp restricted", func(n *Node) {
			n.Level = Restricted
			n.ContainerUsers = []ContainerUser{{Name: "app"}}
			n.Podman.Trust = []RegistryTrust{{Scope: "ghcr.io/acme", Type: TrustSigstore, Key: fixture(t, "cosign.pub")}}
			n.Podman.Quadlets = []Quadlet{{Name: "web", User: "app", Image: "ghcr.io/acme/web:1", NoNewPrivileges: ptr(false)}}
		}, "podman.quadlets[0].no_new_privileges"},
		{"selinux disabled", func(n *Node) { n.SELinux.Mode = SELinuxDisabled }, "selinux.mode"},
		{"selinux unknown", func(n *Node) { n.SELinux.Mode = "off" }, "selinux.mode"},
		{"strategy", func(n *Node) { n.Update.Strategy = "etcd-lock" }, "update.strategy"},
		{"window day", func(n *Node) { n.Update.WindowStart, n.Update.WindowLength = "Thursday 04:00", "1h" },
			"update.window_start"},
		{"window hour", func(n *Node) { n.Update.WindowStart, n.Update.WindowLength = "25:00", "1h" },
			"update.window_start"},
		{"window length", func(n *Node) { n.Update.WindowStart, n.Update.WindowLength = "04:00", "an hour" },
			"update.window_length"},
		{"window seconds", func(n *Node) { n.Update.WindowStart, n.Update.WindowLength = "04:00", "90s" },
			"update.window_length"},
		{"only start", func(n *Node) { n.Update.WindowStart = "04:00" }, "update.window_length"},
		{"only length", func(n *Node) { n.Update.WindowLength = "1h" }, "update.window_start"},
		{"window external", func(n *Node) {
			n.Update = UpdatePolicy{Strategy: UpdateExternal, WindowStart: "04:00", WindowLength: "1h"}
		}, "update.window_start"},
		{"group microos", func(n *Node) { n.OS = MicroOS; n.Update.Group = "stable" }, "update.group"},
		{"userns sysctl", func(n *Node) { n.Sysctls = map[string]string{"user.max_user_namespaces": "0"} },
			`sysctls["user.max_user_namespaces"]`},
		{"sysctl key", func(n *Node) { n.Sysctls = map[string]string{"nodots": "1"} }, `sysctls["nodots"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := testNodes()[0].node(t)
			tt.change(n)
			err := n.Validate()
			var ves ValidationErrors
			if !errors.As(err, &ves) {
				t.Fatalf("Validate() = %v, want ValidationErrors", err)
			}
			if ves[0].Path.String() != tt.path || ves[0].Summary == "" || ves[0].Detail == "" {
				t.Fatalf("first error %+v, want path %s with summary and detail (all: %v)", ves[0], tt.path, err)
			}
			if _, err := Butane(n); err == nil {
				t.Fatal("Butane rendered an invalid node")
			}
		})
	}
}

func TestValidateAcceptsTestNodes(t *testing.T) {
	for _, tc := range testNodes() {
		if err := tc.node(t).Validate(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	n := testNodes()[0].node(t)
	n.SELinux = SELinuxConfig{Mode: SELinuxDisabled, AllowDisabled: true}
	if err := n.Validate(); err != nil {
		t.Errorf("disabled with the override: %v", err)
	}
}

func TestFormatWindowLength(t *testing.T) {
	for in, want := range map[string]string{"90m": "1h30m", "1h30m": "1h30m", "45m": "45m", "2h0m": "2h"} {
		d, err := windowLength(in)
		if err != nil || formatWindowLength(d) != want {
			t.Errorf("%s: got %q, %v; want %s", in, formatWindowLength(d), err, want)
		}
	}
}

// systemd-sysctl applies all sysctl.d files in lexical order of their names
// and the last assignment wins: the hardening file must sort after the
// vendors' numbered files (Debian's 99-protect-links.conf sets
// fs.protected_fifos back to 1).
func TestSysctlDropInSortsAfterVendorFiles(t *testing.T) {
	ours := path.Base(SysctlPath)
	for _, vendor := range []string{"50-default.conf", "99-protect-links.conf", "99-sysctl.conf", "90-override.conf"} {
		if ours <= vendor {
			t.Errorf("%s sorts before the vendor file %s, which would override it", ours, vendor)
		}
	}
}
