package harden

import (
	"errors"
	"strings"
	"testing"
)

// TestKeyMaterialNormalised: keys pasted with CRLF or CR line ends, without
// a final newline or with stray indentation are accepted and written with
// LF line ends; keys sshd or containers/image cannot load are refused.
func TestKeyMaterialNormalised(t *testing.T) {
	host := fixture(t, "host_ed25519")
	wantPub := strings.TrimSpace(fixture(t, "host_ed25519.pub"))
	for name, variant := range map[string]string{
		"crlf":          strings.ReplaceAll(host, "\n", "\r\n"),
		"cr":            strings.ReplaceAll(host, "\n", "\r"),
		"no newline":    strings.TrimSpace(host),
		"indented":      "  " + strings.ReplaceAll(host, "\n", "\n  "),
		"trailing tabs": strings.ReplaceAll(host, "\n", "\t\n"),
	} {
		t.Run(name, func(t *testing.T) {
			n := testNodes()[0].node(t)
			n.SSH.HostKey = variant
			n.Podman.Trust = []RegistryTrust{
				{Scope: "ghcr.io/acme", Type: TrustSigstore, Key: strings.ReplaceAll(fixture(t, "cosign.pub"), "\n", "\r\n")},
				{Scope: "quay.io/acme", Type: TrustGPG, Key: strings.ReplaceAll(fixture(t, "signer.gpg"), "\n", "\r\n")},
			}
			files, err := Files(n)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			pub, err := HostPublicKey(n)
			if err != nil || !strings.HasPrefix(wantPub, pub) {
				t.Errorf("host public key %q, %v; want the fixture's %q", pub, err, wantPub)
			}
			for _, f := range files {
				if strings.ContainsRune(f.Contents, '\r') {
					t.Errorf("%s keeps a CR", f.Path)
				}
				if f.Path == SSHHostKeyPath && f.Contents != host {
					t.Errorf("host key written as %q, want the fixture byte for byte", f.Contents)
				}
			}
		})
	}
}

func TestKeyMaterialRefused(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, n *Node)
		path   string
	}{
		{"host key public half", func(t *testing.T, n *Node) { n.SSH.HostKey = fixture(t, "host_ed25519.pub") },
			"ssh.host_key"},
		{"host key PEM EC", func(t *testing.T, n *Node) {
			n.SSH.HostKey = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIDKo8eS86UkPS+h68Mo3mW3WpF5kCHs5RA1aIqSH625QoAoGCCqGSM49\n" +
				"-----END EC PRIVATE KEY-----\n"
		}, "ssh.host_key"},
		{"host key twice", func(t *testing.T, n *Node) {
			n.SSH.HostKey = fixture(t, "host_ed25519") + fixture(t, "host_ed25519")
		}, "ssh.host_key"},
		{"host key garbage", func(t *testing.T, n *Node) { n.SSH.HostKey = "hello" }, "ssh.host_key"},
		{"sigstore key garbage body", func(t *testing.T, n *Node) {
			n.Podman.Trust = []RegistryTrust{{Scope: "ghcr.io/a", Type: TrustSigstore,
				Key: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}}
		}, "podman.trust[0].key"},
		{"sigstore key given a gpg key", func(t *testing.T, n *Node) {
			n.Podman.Trust = []RegistryTrust{{Scope: "ghcr.io/a", Type: TrustSigstore, Key: fixture(t, "signer.gpg")}}
		}, "podman.trust[0].key"},
		{"gpg key given a cosign key", func(t *testing.T, n *Node) {
			n.Podman.Trust = []RegistryTrust{{Scope: "ghcr.io/a", Type: TrustGPG, Key: fixture(t, "cosign.pub")}}
		}, "podman.trust[0].key"},
		{"gpg key not base64", func(t *testing.T, n *Node) {
			n.Podman.Trust = []RegistryTrust{{Scope: "ghcr.io/a", Type: TrustGPG,
				Key: gpgArmorBegin + "\n\n!!!\n" + gpgArmorEnd + "\n"}}
		}, "podman.trust[0].key"},
		{"authorized key with CR inside", func(t *testing.T, n *Node) {
			k := strings.TrimSpace(fixture(t, "admin_ed25519.pub"))
			n.Admin.SSHAuthorizedKeys = []string{k + "\r\n" + k}
		}, "admin.ssh_authorized_keys[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := testNodes()[0].node(t)
			tt.change(t, n)
			assertFirstError(t, n, tt.path)
		})
	}
}

// assertFirstError checks that n is invalid and that its first error sits
// at path with a summary and a detail.
func assertFirstError(t *testing.T, n *Node, path string) {
	t.Helper()
	err := n.Validate()
	var ves ValidationErrors
	if !errors.As(err, &ves) || len(ves) == 0 {
		t.Fatalf("Validate() = %v, want ValidationErrors at %s", err, path)
	}
	if ves[0].Path.String() != path || ves[0].Summary == "" || ves[0].Detail == "" {
		t.Fatalf("first error %+v, want path %s (all: %v)", ves[0], path, err)
	}
}
