package harden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixture reads a file of testdata/.
func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return string(b)
}

func ptr[T any](v T) *T { return &v }

// testNode is one node description of the golden and Ignition tests.
type testNode struct {
	name string
	node func(t testing.TB) *Node
}

// testNodes covers both OS families, both levels, the update strategies,
// explicit and allocated IDs, both trust types and Quadlet units.
func testNodes() []testNode {
	return []testNode{
		{"flatcar-minimal", func(t testing.TB) *Node {
			return &Node{OS: Flatcar, Admin: AdminUser{SSHAuthorizedKeys: []string{fixture(t, "admin_ed25519.pub")}}}
		}},
		{"flatcar-restricted-full", func(t testing.TB) *Node {
			return &Node{
				OS: Flatcar, Level: Restricted, Hostname: "edge-1.example.internal",
				Admin: AdminUser{SSHAuthorizedKeys: []string{fixture(t, "admin_ed25519.pub")}},
				SSH:   SSHConfig{HostKey: fixture(t, "host_ed25519")},
				ContainerUsers: []ContainerUser{
					{Name: "web", Linger: true},
					{Name: "batch", UID: 6100, SubIDs: &SubIDRange{Start: 300000, Count: 131072}},
					{Name: "metrics", SubIDCount: 70000},
				},
				Podman: PodmanConfig{
					Trust: []RegistryTrust{
						{Scope: "ghcr.io/acme", Type: TrustSigstore, Key: fixture(t, "cosign.pub")},
						{Scope: "quay.io/acme/batch", Type: TrustGPG, Key: fixture(t, "signer.gpg"),
							Lookaside: "https://sigs.example.internal/quay"},
					},
					Quadlets: []Quadlet{
						{Name: "web", User: "web", Image: "ghcr.io/acme/web:1.4.2", PublishPorts: []string{"8080:8080"},
							AddCapabilities: []string{"NET_BIND_SERVICE"}, Environment: map[string]string{"MODE": "prod"}},
						{Name: "nightly", User: "batch", Image: "quay.io/acme/batch@sha256:" +
							"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", UserNS: "nomap"},
					},
				},
				Update:  UpdatePolicy{Strategy: UpdateReboot, WindowStart: "Thu 04:00", WindowLength: "1h30m", Group: "stable"},
				Sysctls: map[string]string{"vm.max_map_count": "262144"},
			}
		}},
		{"flatcar-external-permissive", func(t testing.TB) *Node {
			return &Node{
				OS: Flatcar, Admin: AdminUser{Name: "ops", SSHAuthorizedKeys: []string{fixture(t, "admin_ed25519.pub")}},
				ContainerUsers: []ContainerUser{{Name: "app"}},
				Podman:         PodmanConfig{RootlessNetwork: "slirp4netns"},
				SELinux:        SELinuxConfig{Mode: SELinuxPermissive},
				Update:         UpdatePolicy{Strategy: UpdateExternal},
			}
		}},
		{"microos-baseline", func(t testing.TB) *Node {
			return &Node{
				OS: MicroOS, Hostname: "micro-1",
				Admin:          AdminUser{SSHAuthorizedKeys: []string{fixture(t, "admin_ed25519.pub")}},
				ContainerUsers: []ContainerUser{{Name: "app", Linger: true}, {Name: "worker", UID: 7000}},
				Podman: PodmanConfig{Trust: []RegistryTrust{
					{Scope: "registry.example.internal:5000", Type: TrustSigstore, Key: fixture(t, "cosign.pub")}},
					Quadlets: []Quadlet{{Name: "api", User: "worker", Image: "registry.example.internal:5000/api:2"}}},
				Update: UpdatePolicy{WindowStart: "03:30", WindowLength: "45m"},
			}
		}},
		{"microos-restricted-external", func(t testing.TB) *Node {
			return &Node{
				OS: MicroOS, Level: Restricted,
				Admin:          AdminUser{Name: "ops", SSHAuthorizedKeys: []string{fixture(t, "admin_ed25519.pub")}},
				SSH:            SSHConfig{HostKey: fixture(t, "host_ed25519")},
				ContainerUsers: []ContainerUser{{Name: "app"}},
				Update:         UpdatePolicy{Strategy: UpdateExternal},
				MicroOS:        MicroOSOptions{MountHome: ptr(false)},
			}
		}},
		// Edge cases of user input that once rendered checks the node could
		// never pass: CRLF key material, hex sysctls, an explicit range right
		// above the admin's reserved one, scopes whose key files collided,
		// Podman's shorter port forms, updates off.
		{"flatcar-baseline-edge", func(t testing.TB) *Node {
			return &Node{
				OS: Flatcar,
				Admin: AdminUser{SSHAuthorizedKeys: []string{
					strings.ReplaceAll(fixture(t, "admin_ed25519.pub"), "\n", "\r\n")}},
				SSH: SSHConfig{HostKey: strings.ReplaceAll(fixture(t, "host_ed25519"), "\n", "\r\n")},
				ContainerUsers: []ContainerUser{
					{Name: "edge", SubIDs: &SubIDRange{Start: 165536, Count: 65536}},
					{Name: "edge2", UID: 99999},
				},
				Podman: PodmanConfig{
					Trust: []RegistryTrust{
						{Scope: "ghcr.io/a_b", Type: TrustSigstore, Key: fixture(t, "cosign.pub")},
						{Scope: "ghcr.io/a/b", Type: TrustGPG, Key: strings.ReplaceAll(fixture(t, "signer.gpg"), "\n", "\r\n"),
							Lookaside: "https://sigs.example.internal/ghcr"},
					},
					Quadlets: []Quadlet{{Name: "proxy", User: "edge", Image: "ghcr.io/a/b/proxy:1",
						PublishPorts: []string{"127.0.0.1::80", "[::1]:8443:443/tcp"}}},
				},
				Update:  UpdatePolicy{Strategy: UpdateOff},
				Sysctls: map[string]string{"vm.max_map_count": "0x40000", "user.max_user_namespaces": " 0x10000 "},
			}
		}},
		{"microos-explicit-range", func(t testing.TB) *Node {
			return &Node{
				OS: MicroOS, Admin: AdminUser{SSHAuthorizedKeys: []string{fixture(t, "admin_ed25519.pub")}},
				ContainerUsers: []ContainerUser{{Name: "app", SubIDs: &SubIDRange{Start: 165536, Count: 65536}},
					{Name: "db"}},
				MicroOS: MicroOSOptions{MountHome: ptr(false)},
			}
		}},
	}
}
