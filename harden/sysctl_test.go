package harden

import "testing"

// TestSysctlUserNamespaceGuard: values are compared as the kernel parses
// them (base 0), for every user.max_*_namespaces limit.
func TestSysctlUserNamespaceGuard(t *testing.T) {
	refused := map[string]string{
		"user.max_user_namespaces":         "00",
		"user.max_mnt_namespaces":          "0",
		"user.max_net_namespaces":          "0x0",
		"user.max_pid_namespaces":          "1",
		"user.max_cgroup_namespaces":       " 0x3ff ",
		"user.max_ipc_namespaces":          "-1",
		"user.max_uts_namespaces":          "lots",
		"user.max_time_namespaces":         "+5000",
		"kernel.unprivileged_userns_clone": "0x0",
	}
	for k, v := range refused {
		n := testNodes()[0].node(t)
		n.Sysctls = map[string]string{k: v}
		assertFirstError(t, n, `sysctls["`+k+`"]`)
	}
	n := testNodes()[0].node(t)
	n.Sysctls = map[string]string{"user.max_user_namespaces": "0x400", "kernel.unprivileged_userns_clone": "1"}
	if err := n.Validate(); err != nil {
		t.Fatalf("valid limits refused: %v", err)
	}
}

// TestSysctlCanonicalValue: rendered and expected values are what the
// kernel prints back.
func TestSysctlCanonicalValue(t *testing.T) {
	n := testNodes()[0].node(t)
	n.Sysctls = map[string]string{"vm.max_map_count": "0x40000", "net.ipv4.tcp_rmem": " 4096  0x10000 010 ",
		"kernel.sysrq": "00", "net.ipv4.tcp_congestion_control": " bbr "}
	want := map[string]string{"vm.max_map_count": "262144", "net.ipv4.tcp_rmem": "4096\t65536\t8",
		"kernel.sysrq": "0", "net.ipv4.tcp_congestion_control": "bbr"}
	doc, err := Expectations(n)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range doc.Checks {
		if w, ok := want[c.Key]; ok && c.Value != w {
			t.Errorf("check %s expects %q, want %q", c.ID, c.Value, w)
		}
	}
	if got := n.sysctlConf(); !containsLine(got, "vm.max_map_count = 262144") ||
		!containsLine(got, "net.ipv4.tcp_rmem = 4096\t65536\t8") {
		t.Errorf("sysctl conf does not carry canonical values:\n%s", got)
	}
}

func containsLine(text, line string) bool {
	for _, l := range splitLines(text) {
		if l == line {
			return true
		}
	}
	return false
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
