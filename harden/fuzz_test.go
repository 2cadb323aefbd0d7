package harden

import (
	"errors"
	"testing"
)

// FuzzCheckSnippet: any snippet text is either read or left to the
// translator; CheckSnippet never fails and never panics.
func FuzzCheckSnippet(f *testing.F) {
	f.Add("systemd:\n  units:\n    - name: docker.socket\n      mask: false\n")
	f.Add("storage:\n  files:\n    - path: /etc/sysctl.d/x.conf\n      contents:\n        inline: user.max_user_namespaces=0\n")
	f.Add("storage: [")
	f.Fuzz(func(t *testing.T, snippet string) {
		ws, err := CheckSnippet(0, []byte(snippet))
		if err != nil {
			t.Fatalf("CheckSnippet failed: %v", err)
		}
		for _, w := range ws {
			if w.Setting == "" || w.Detail == "" {
				t.Fatalf("warning without setting or detail: %+v", w)
			}
		}
	})
}

// FuzzNodeInputs: free-text inputs (window, group, hostname, keys, sysctl)
// give either a valid render or ValidationErrors with a path, never a panic
// or another error.
func FuzzNodeInputs(f *testing.F) {
	f.Add("Thu 04:00", "1h30m", "stable", "edge-1", "kernel.sysrq", "0", "ssh-ed25519 AAAA")
	f.Add("25:00", "90s", "Bad Group", "Bad_Host", "user.max_user_namespaces", "0", "")
	f.Fuzz(func(t *testing.T, start, length, group, host, key, value, sshKey string) {
		n := &Node{OS: Flatcar, Hostname: host,
			Admin:   AdminUser{SSHAuthorizedKeys: []string{fixture(t, "admin_ed25519.pub"), sshKey}},
			Update:  UpdatePolicy{WindowStart: start, WindowLength: length, Group: group},
			Sysctls: map[string]string{key: value}}
		_, err := Butane(n)
		if err == nil {
			return
		}
		var ves ValidationErrors
		if !errors.As(err, &ves) || len(ves) == 0 || len(ves[0].Path) == 0 {
			t.Fatalf("error without attribute path: %v", err)
		}
	})
}

// FuzzCanonicalSysctlValue: the canonical form is a fixed point and the
// rootless guard never panics.
func FuzzCanonicalSysctlValue(f *testing.F) {
	for _, s := range []string{"0x10", "010", " 1 2\t3 ", "08", "+1", "-0", "bbr"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		c := canonicalSysctlValue(v)
		if again := canonicalSysctlValue(c); again != c {
			t.Fatalf("canonical(%q) = %q, canonical again = %q", v, c, again)
		}
		_ = sysctlBreaksRootless("user.max_user_namespaces", v)
	})
}
