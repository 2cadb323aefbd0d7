package verify

import (
	"strings"
	"testing"

	"github.com/hardnode/terraform-provider-hardnode/expect"
	"github.com/hardnode/terraform-provider-hardnode/verify/nodesim"
)

// A result derived from a probe needs the probe to have run: when sudo (or
// the command) never started, every check kind reports error, whatever the
// exit code or output would have suggested.
func TestProbeThatNeverRanIsError(t *testing.T) {
	hidden := "/home/app/.config/containers/storage.conf"
	sudoMissing := func([]string, string) (string, string, int) {
		return "", "env: 'sudo': No such file or directory\n", 127
	}
	sudoUnknownUser := func([]string, string) (string, string, int) {
		return "", "sudo: unknown user nobody2\nsudo: error initializing audit plugin sudoers_audit\n", 1
	}
	cases := []struct {
		name  string
		setup func(*nodesim.Node)
		check expect.Check
	}{
		{"absent-without-sudo-binary", func(n *nodesim.Node) { n.HandleCommand("sudo", sudoMissing) },
			expect.Check{Kind: expect.KindFile, Path: hidden + ".gone", Absent: true}},
		{"absent-sudo-refused", func(n *nodesim.Node) { n.SetSudo(false) },
			expect.Check{Kind: expect.KindFile, Path: hidden + ".gone", Absent: true}},
		{"as-user-password-required-exit-1", func(n *nodesim.Node) { n.SetSudo(false) },
			expect.Check{Kind: expect.KindCommand, AsUser: "app", Argv: []string{"id", "-un"}, ExitCode: expect.Int(1)}},
		{"as-user-unknown-user-exit-1", func(n *nodesim.Node) { n.HandleCommand("sudo", sudoUnknownUser) },
			expect.Check{Kind: expect.KindCommand, AsUser: "nobody2", Argv: []string{"id"}, ExitCode: expect.Int(1)}},
		{"as-user-sudo-missing-exit-127", func(n *nodesim.Node) { n.HandleCommand("sudo", sudoMissing) },
			expect.Check{Kind: expect.KindCommand, AsUser: "app", Argv: []string{"id"}, ExitCode: expect.Int(127)}},
		{"command-not-found-exit-127", func(*nodesim.Node) {},
			expect.Check{Kind: expect.KindCommand, Argv: []string{"definitely-not-a-command"}, ExitCode: expect.Int(127)}},
		{"as-user-command-not-found-exit-127", func(*nodesim.Node) {},
			expect.Check{Kind: expect.KindCommand, AsUser: "app", Argv: []string{"definitely-not-a-command"},
				ExitCode: expect.Int(127)}},
		{"not-executable-exit-126", func(n *nodesim.Node) {
			n.HandleCommand("noexec", func([]string, string) (string, string, int) {
				return "", "env: 'noexec': Permission denied\n", 126
			})
		}, expect.Check{Kind: expect.KindCommand, Argv: []string{"noexec"}, ExitCode: expect.Int(126)}},
		{"unit-systemctl-not-executable", func(n *nodesim.Node) {
			n.HandleCommand("systemctl", func([]string, string) (string, string, int) {
				return "", "env: 'systemctl': Permission denied\n", 126
			})
		}, expect.Check{Kind: expect.KindUnit, Name: "x.service", State: expect.UnitDisabled}},
		{"subid-unreadable-sudo-missing", func(n *nodesim.Node) {
			n.SetMeta("/etc/subuid", nodesim.Meta{Mode: 0o600, NoRead: true})
			n.HandleCommand("sudo", sudoMissing)
		}, expect.Check{Kind: expect.KindSubID, File: "/etc/subuid", User: "app", Start: u32(100000), Count: u32(65536)}},
		{"sysctl-unreadable-sudo-refused", func(n *nodesim.Node) {
			n.SetMeta("/proc/sys/kernel/yama/ptrace_scope", nodesim.Meta{Mode: 0o600, NoRead: true})
			n.SetSudo(false)
		}, expect.Check{Kind: expect.KindSysctl, Key: "kernel.yama.ptrace_scope", Value: "1"}},
		{"selinux-unreadable-sudo-missing", func(n *nodesim.Node) {
			n.SetMeta(selinuxEnforce, nodesim.Meta{Mode: 0o600, NoRead: true})
			n.HandleCommand("sudo", sudoMissing)
		}, expect.Check{Kind: expect.KindSELinux, Mode: expect.SELinuxEnforcing}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
			tc.setup(node)
			tc.check.ID = "c"
			rep := verifyOK(t, tgt, mustDoc(t, "flatcar", tc.check), fastOptions())
			r := rowByID(t, rep, "c")
			if r.Status != expect.StatusError {
				t.Fatalf("status %s (actual %q, detail %q), want error: the probe never ran", r.Status, r.Actual, r.Detail)
			}
		})
	}
}

// The sudo fallback still concludes: a path stat ran on and found missing
// is absent; sysctl and selinux files the login user may not read are read
// through sudo.
func TestSudoFallbackConcludesWhenProbeRan(t *testing.T) {
	node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	node.SetMeta("/home/app/.config", nodesim.Meta{NoStat: true})
	node.SetMeta("/proc/sys/kernel/yama/ptrace_scope", nodesim.Meta{Mode: 0o600, NoRead: true})
	node.SetMeta(selinuxEnforce, nodesim.Meta{Mode: 0o600, NoRead: true})
	doc := mustDoc(t, "flatcar",
		expect.Check{ID: "gone", Kind: expect.KindFile, Path: "/home/app/.config/nothing-here", Absent: true},
		expect.Check{ID: "ptrace", Kind: expect.KindSysctl, Key: "kernel.yama.ptrace_scope", Value: "1"},
		expect.Check{ID: "se", Kind: expect.KindSELinux, Mode: expect.SELinuxPermissive},
		expect.Check{ID: "as-app", Kind: expect.KindCommand, AsUser: "app", Argv: []string{"id", "-un"},
			StdoutMatches: `\Aapp\n\z`},
	)
	rep := verifyOK(t, tgt, doc, fastOptions())
	for _, r := range rep.Results {
		if r.Status != expect.StatusPass {
			t.Errorf("%s: %s (actual %q, detail %q), want pass", r.ID, r.Status, r.Actual, r.Detail)
		}
	}
	if r := rowByID(t, rep, "as-app"); strings.Contains(r.Actual, "hardnode-probe-started") {
		t.Errorf("the probe marker leaked into stdout: %q", r.Actual)
	}
}
