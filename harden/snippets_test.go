package harden

import (
	"strings"
	"testing"
)

func TestCheckSnippet(t *testing.T) {
	tests := []struct {
		name    string
		snippet string
		setting string // "" means no warning
	}{
		{"harmless file", "variant: flatcar\nversion: 1.0.0\nstorage:\n  files:\n    - path: /etc/motd\n" +
			"      contents:\n        inline: hi\n", ""},
		{"selinux permissive", "storage:\n  files:\n    - path: /etc/selinux/config\n      overwrite: true\n" +
			"      contents:\n        inline: |\n          SELINUX=permissive\n", "selinux.mode"},
		{"selinux link", "storage:\n  links:\n    - path: /etc/selinux/config\n      target: /usr/share/x\n",
			"selinux.mode"},
		{"docker socket", "systemd:\n  units:\n    - name: docker.socket\n      mask: false\n",
			"podman (docker masked)"},
		{"docker enabled", "systemd:\n  units:\n    - name: docker.service\n      enabled: true\n",
			"podman (docker masked)"},
		{"ssh passwords", "storage:\n  files:\n    - path: /etc/ssh/sshd_config.d/50-x.conf\n      contents:\n" +
			"        inline: PasswordAuthentication yes\n", "sshd hardening"},
		{"ssh early dropin", "storage:\n  files:\n    - path: /etc/ssh/sshd_config.d/01-x.conf\n      contents:\n" +
			"        inline: Banner none\n", "sshd hardening"},
		{"sysctl weaker", "storage:\n  files:\n    - path: /etc/sysctl.d/99-x.conf\n      contents:\n" +
			"        inline: kernel.kptr_restrict = 0\n", "sysctls"},
		{"userns off", "storage:\n  files:\n    - path: /etc/sysctl.d/99-x.conf\n      contents:\n" +
			"        inline: user.max_user_namespaces=0\n", "sysctls"},
		{"policy", "storage:\n  files:\n    - path: /etc/containers/policy.d.json\n      contents:\n" +
			"        inline: '{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}'\n", "podman.trust (image signature policy)"},
		{"replaces managed", "storage:\n  files:\n    - path: /etc/flatcar/update.conf\n      contents:\n" +
			"        inline: REBOOT_STRATEGY=reboot\n", "update policy"},
		{"password", "passwd:\n  users:\n    - name: core\n      password_hash: $y$abc\n", "admin access"},
		{"kernel arg", "kernel_arguments:\n  should_exist:\n    - enforcing=0\n", "selinux.mode"},
		{"bad yaml is the translator's", "storage: [", ""},
		{"match block key=value", "storage:\n  files:\n    - path: /etc/ssh/sshd_config.d/60-x.conf\n" +
			"      contents:\n        inline: \"Match User core\\n  PasswordAuthentication=yes\\n\"\n", "sshd hardening"},
		{"match block forwarding", "storage:\n  files:\n    - path: /etc/ssh/sshd_config.d/60-x.conf\n" +
			"      contents:\n        inline: \"Match User core\\n  AllowTcpForwarding yes\\n\"\n", "sshd hardening"},
		{"stricter sshd is fine", "storage:\n  files:\n    - path: /etc/ssh/sshd_config.d/60-x.conf\n" +
			"      contents:\n        inline: \"MaxAuthTries 2\\nCiphers aes256-gcm@openssh.com\\n\"\n", ""},
		{"data url", "storage:\n  files:\n    - path: /etc/ssh/sshd_config.d/50-m.conf\n      contents:\n" +
			"        source: \"data:,Match%20User%20core%0A%20PasswordAuthentication%20yes%0A\"\n", "sshd hardening"},
		{"base64 data url", "storage:\n  files:\n    - path: /etc/ssh/sshd_config.d/50-m.conf\n      contents:\n" +
			"        source: \"data:;base64,UGVybWl0Um9vdExvZ2luIHllcwo=\"\n", "sshd hardening"},
		{"gzip data url", "storage:\n  files:\n    - path: /etc/ssh/sshd_config.d/50-m.conf\n      contents:\n" +
			"        source: \"data:;base64,H4sIAAAAAAACA/NNLEnOUAgtTi1SSM4vSuVSUAhILC4uzy9KcSwtyUjNK8lMTizJzM+zrUwt5gIAoLqLPi0AAAA=\"\n        compression: gzip\n", "sshd hardening"},
		{"appended data url", "storage:\n  files:\n    - path: /etc/sysctl.d/99-x.conf\n      append:\n" +
			"        - source: \"data:,user.max_mnt_namespaces%3D0x0\"\n", "sysctls"},
		{"remote sshd content", "storage:\n  files:\n    - path: /etc/ssh/sshd_config.d/50-m.conf\n      contents:\n" +
			"        source: https://example.invalid/x.conf\n", "snippet content"},
		{"registries.conf.d permissive", "storage:\n  files:\n    - path: /etc/containers/registries.conf.d/99-x.conf\n" +
			"      contents:\n        inline: \"short-name-mode = \\\"permissive\\\"\\n\"\n", "registries short-name enforcing"},
		{"registries.conf.d search", "storage:\n  files:\n    - path: /etc/containers/registries.conf.d/99-x.conf\n" +
			"      contents:\n        inline: \"unqualified-search-registries = [\\\"docker.io\\\"]\\n\"\n",
			"registries short-name enforcing"},
		{"sudoers nopasswd", "storage:\n  files:\n    - path: /etc/sudoers.d/zz\n      contents:\n" +
			"        inline: \"ALL ALL=(ALL) NOPASSWD: ALL\\n\"\n", "admin sudo rule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, err := CheckSnippet(2, []byte(tt.snippet))
			if err != nil {
				t.Fatal(err)
			}
			if tt.setting == "" {
				if len(ws) > 0 {
					t.Fatalf("unexpected warnings %v", ws)
				}
				return
			}
			for _, w := range ws {
				if w.Setting == tt.setting && w.Snippet == 2 && strings.Contains(w.String(), "snippet 2 weakens") {
					return
				}
			}
			t.Fatalf("no warning for %s in %v", tt.setting, ws)
		})
	}
}

// TestRenderSnippetWarnings: Render merges a snippet and reports it.
func TestRenderSnippetWarnings(t *testing.T) {
	n := testNodes()[0].node(t)
	snippet := "variant: flatcar\nversion: 1.0.0\nsystemd:\n  units:\n    - name: docker.socket\n      mask: false\n"
	r, err := Render(n, RenderOptions{Snippets: [][]byte{[]byte(snippet)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.SnippetWarnings) != 1 || r.SnippetWarnings[0].Setting != "podman (docker masked)" {
		t.Fatalf("warnings %v", r.SnippetWarnings)
	}
}

// TestRenderManagedItems: a snippet touching anything the node's plan
// manages (its hostname, subordinate ID files, a container user's identity)
// is warned about with the setting named.
func TestRenderManagedItems(t *testing.T) {
	tests := []struct {
		name, snippet, setting string
	}{
		{"container user uid", "passwd:\n  users:\n    - name: app\n      uid: 7000\n", "managed user app"},
		{"admin shell", "passwd:\n  users:\n    - name: ops\n      shell: /bin/zsh\n", "managed user ops"},
		{"admin extra key is fine", "passwd:\n  users:\n    - name: ops\n      ssh_authorized_keys: [\"x\"]\n", ""},
		{"subuid replaced", "storage:\n  files:\n    - path: /etc/subuid\n      overwrite: true\n" +
			"      contents:\n        inline: \"app:100000:65536\\n\"\n", "container_users subordinate IDs"},
		{"hostname replaced", "storage:\n  files:\n    - path: /etc/hostname\n      overwrite: true\n" +
			"      contents:\n        inline: other\n", "hostname"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := testNodes()[2].node(t) // flatcar-external-permissive: admin ops, container user app
			n.Hostname = "edge-2"
			r, err := Render(n, RenderOptions{Snippets: [][]byte{[]byte("variant: flatcar\nversion: 1.0.0\n" + tt.snippet)}})
			if err != nil {
				t.Fatal(err)
			}
			if tt.setting == "" {
				if len(r.SnippetWarnings) > 0 {
					t.Fatalf("unexpected warnings %v", r.SnippetWarnings)
				}
				return
			}
			for _, w := range r.SnippetWarnings {
				if w.Setting == tt.setting {
					return
				}
			}
			t.Fatalf("no warning for %s in %v", tt.setting, r.SnippetWarnings)
		})
	}
}
