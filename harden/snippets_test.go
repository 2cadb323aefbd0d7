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
