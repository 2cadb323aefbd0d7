package harden

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/hardnode/terraform-provider-hardnode/expect"
)

// How checks reach the node: verification logs in as the admin user and
// reads files over SFTP. Files the admin user cannot read (sudoers drop-in,
// private host key; their directories may be 0750) are checked with
// `command` checks that run stat and sha256sum as root through the
// passwordless sudo the config grants. Everything else is world-readable.

// expectations derives the expectations document from the plan.
func (p *plan) expectations() (*expect.Document, error) {
	n := p.node
	doc := &expect.Document{Version: expect.Version, OSFamily: string(n.OS)}
	add := func(c expect.Check) { doc.Checks = append(doc.Checks, c) }

	add(expect.Check{ID: "admin-login", Kind: expect.KindCommand, Argv: []string{"id", "-un"},
		StdoutMatches: "^" + regexp.QuoteMeta(p.admin) + "$"})
	add(expect.Check{ID: "admin-sudo", Kind: expect.KindCommand, AsUser: "root", Argv: []string{"id", "-un"},
		StdoutMatches: "^root$"})

	for _, f := range append(append([]managedFile(nil), p.files...), p.bootFiles...) {
		for _, c := range fileChecks(f) {
			add(c)
		}
	}
	for _, u := range p.units {
		add(expect.Check{ID: "unit-" + u.id, Kind: expect.KindUnit, Name: u.name, State: u.state})
	}

	switch n.selinuxMode() {
	case SELinuxEnforcing, SELinuxPermissive:
		add(expect.Check{ID: "selinux-mode", Kind: expect.KindSELinux, Mode: n.selinuxMode()})
	}
	for _, k := range sortedKeys(n.EffectiveSysctls()) {
		add(expect.Check{ID: "sysctl-" + k, Kind: expect.KindSysctl, Key: k, Value: n.EffectiveSysctls()[k]})
	}
	for _, c := range p.sshdEffectiveChecks() {
		add(c)
	}

	for _, a := range p.subids {
		add(expect.Check{ID: "user-" + a.User, Kind: expect.KindCommand, Argv: []string{"id", "-u", a.User},
			StdoutMatches: fmt.Sprintf("^%d$", a.UID)})
		for _, file := range []string{"/etc/subuid", "/etc/subgid"} {
			add(expect.Check{ID: strings.TrimPrefix(file, "/etc/") + "-" + a.User, Kind: expect.KindSubID,
				File: file, User: a.User, Start: expect.Uint32(a.Range.Start), Count: expect.Uint32(a.Range.Count)})
		}
		// Line 2 of the rootless user namespace's uid_map is the subordinate range.
		add(expect.Check{ID: "userns-" + a.User, Kind: expect.KindCommand, AsUser: a.User,
			Argv:          []string{"podman", "unshare", "cat", "/proc/self/uid_map"},
			StdoutMatches: fmt.Sprintf(`^[ \t]*1[ \t]+%d[ \t]+%d[ \t]*$`, a.Range.Start, a.Range.Count)})
	}

	if _, err := doc.Marshal(); err != nil { // validates
		return nil, err
	}
	return doc, nil
}

// fileChecks are the checks of one managed file.
func fileChecks(f managedFile) []expect.Check {
	mode := fmt.Sprintf("%04o", f.mode)
	switch {
	case f.append:
		lines := strings.Split(strings.TrimRight(f.contents, "\n"), "\n")
		return []expect.Check{{ID: f.id, Kind: expect.KindFile, Path: f.path, Type: "regular", Contains: lines}}
	case f.private:
		sum := sha256Hex(f.contents)
		return []expect.Check{
			{ID: f.id + "-mode", Kind: expect.KindCommand, AsUser: "root",
				Argv:          []string{"stat", "-c", "%a %U %G %F", f.path},
				StdoutMatches: fmt.Sprintf("^%o root root regular( empty)? file$", f.mode)},
			{ID: f.id + "-sha256", Kind: expect.KindCommand, AsUser: "root",
				Argv: []string{"sha256sum", f.path}, StdoutMatches: "^" + sum + `[ \t]`},
		}
	}
	return []expect.Check{{ID: f.id, Kind: expect.KindFile, Path: f.path, Type: "regular", Mode: mode,
		Owner: "root", Group: "root", SHA256: sha256Hex(f.contents)}}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// sshdEffectiveChecks run `sshd -T` as root with a connection spec of the
// admin user logging in over loopback, so that Match blocks from any
// drop-in are evaluated, and compare what sshd will really apply with the
// hardened values; algorithm lists must stay within the hardened lists.
func (p *plan) sshdEffectiveChecks() []expect.Check {
	argv := []string{"/usr/sbin/sshd", "-T", "-C", "user=" + p.admin + ",host=localhost,addr=127.0.0.1"}
	var out []expect.Check
	exact := func(kw, val string) {
		out = append(out, expect.Check{ID: "sshd-effective-" + kw, Kind: expect.KindCommand, AsUser: "root",
			Argv: argv, StdoutMatches: "^" + kw + " " + regexp.QuoteMeta(val) + "$"})
	}
	exact("passwordauthentication", "no")
	exact("kbdinteractiveauthentication", "no")
	exact("permitemptypasswords", "no")
	exact("permitrootlogin", "no")
	exact("authenticationmethods", "publickey")
	exact("allowusers", p.admin)
	exact("allowtcpforwarding", "no")
	exact("x11forwarding", "no")
	exact("permittunnel", "no")
	for _, l := range []struct {
		kw   string
		list []string
	}{{"kexalgorithms", sshKexAlgorithms}, {"ciphers", sshCiphers}, {"macs", sshMACs}} {
		quoted := make([]string, len(l.list))
		for i, a := range l.list {
			quoted[i] = regexp.QuoteMeta(a)
		}
		one := "(?:" + strings.Join(quoted, "|") + ")"
		out = append(out, expect.Check{ID: "sshd-effective-" + l.kw, Kind: expect.KindCommand, AsUser: "root",
			Argv: argv, StdoutMatches: "^" + l.kw + " " + one + "(?:," + one + ")*$"})
	}
	return out
}
