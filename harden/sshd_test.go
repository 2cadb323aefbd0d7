package harden

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestSSHAlgorithmsOverlapGoSSH: every sshd list keeps an algorithm that
// golang.org/x/crypto/ssh (the verifier's client) offers, or verification
// would lock itself out.
func TestSSHAlgorithmsOverlapGoSSH(t *testing.T) {
	supported := ssh.SupportedAlgorithms()
	for name, pair := range map[string][2][]string{
		"KexAlgorithms":            {sshKexAlgorithms, supported.KeyExchanges},
		"Ciphers":                  {sshCiphers, supported.Ciphers},
		"MACs":                     {sshMACs, supported.MACs},
		"HostKeyAlgorithms":        {sshHostKeyAlgorithms, supported.HostKeys},
		"PubkeyAcceptedAlgorithms": {sshPubkeyAlgorithms, supported.PublicKeyAuths},
	} {
		if !slices.ContainsFunc(pair[0], func(a string) bool { return slices.Contains(pair[1], a) }) {
			t.Errorf("%s %v shares nothing with x/crypto/ssh's %v", name, pair[0], pair[1])
		}
	}
}

// TestSSHDropInAcceptedByOpenSSH: the host's OpenSSH (Debian's 9.2, as on
// the QEMU stand-in) accepts the drop-in, and its effective settings are the
// ones the expectations check with sshd -T.
func TestSSHDropInAcceptedByOpenSSH(t *testing.T) {
	sshd, err := exec.LookPath("/usr/sbin/sshd")
	if err != nil {
		t.Skip("no /usr/sbin/sshd on this host (tests/setup.sh installs openssh-server)")
	}
	for _, tc := range testNodes() {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.node(t)
			files, err := Files(n)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			hostKey := filepath.Join(dir, "host_key")
			writeFile(t, hostKey, fixture(t, "host_ed25519"), 0o600)
			for _, f := range files {
				if f.Path == SSHDropInPath {
					// The node's own host key path does not exist here.
					dropIn := strings.ReplaceAll(f.Contents, SSHHostKeyPath, hostKey)
					writeFile(t, filepath.Join(dir, "dropin.conf"), dropIn, 0o644)
				}
			}
			main := "Include " + filepath.Join(dir, "dropin.conf") + "\nHostKey " + hostKey + "\nPidFile none\n"
			writeFile(t, filepath.Join(dir, "sshd_config"), main, 0o644)

			out, err := exec.Command(sshd, "-T", "-f", filepath.Join(dir, "sshd_config"),
				"-C", "user="+n.AdminName()+",host=client,addr=127.0.0.1").CombinedOutput()
			if err != nil {
				t.Fatalf("sshd refused the drop-in: %v\n%s", err, out)
			}
			doc, err := Expectations(n)
			if err != nil {
				t.Fatal(err)
			}
			matched := 0
			for _, c := range doc.Checks {
				if len(c.Argv) > 0 && c.Argv[0] == "/usr/sbin/sshd" {
					matched++
					if !regexp.MustCompile("(?m)" + c.StdoutMatches).Match(out) {
						t.Errorf("check %s: sshd -T output does not match %s", c.ID, c.StdoutMatches)
					}
				}
			}
			if matched == 0 {
				t.Fatal("no sshd -T checks in the expectations")
			}
		})
	}
}

// TestSSHEffectiveChecksSeeMatchBlocks: a later drop-in whose Match block
// re-enables passwords for the admin fails the effective check, because the
// check's own argv gives sshd -T the admin's connection spec.
func TestSSHEffectiveChecksSeeMatchBlocks(t *testing.T) {
	sshd, err := exec.LookPath("/usr/sbin/sshd")
	if err != nil {
		t.Skip("no /usr/sbin/sshd on this host (tests/setup.sh installs openssh-server)")
	}
	n := testNodes()[0].node(t)
	dir := t.TempDir()
	hostKey := filepath.Join(dir, "host_key")
	writeFile(t, hostKey, fixture(t, "host_ed25519"), 0o600)
	writeFile(t, filepath.Join(dir, "05.conf"), n.sshdDropIn(), 0o644)
	writeFile(t, filepath.Join(dir, "01.conf"), "Ciphers aes128-ctr\n", 0o644)
	writeFile(t, filepath.Join(dir, "60.conf"), "Match User "+n.AdminName()+"\n  PasswordAuthentication=yes\n", 0o644)
	main := "Include " + filepath.Join(dir, "*.conf") + "\nHostKey " + hostKey + "\nPidFile none\n"
	writeFile(t, filepath.Join(dir, "sshd_config"), main, 0o644)

	doc, err := Expectations(n)
	if err != nil {
		t.Fatal(err)
	}
	failed := map[string]bool{}
	for _, c := range doc.Checks {
		if len(c.Argv) == 0 || c.Argv[0] != "/usr/sbin/sshd" {
			continue
		}
		args := append(append([]string(nil), c.Argv[1:]...), "-f", filepath.Join(dir, "sshd_config"))
		out, err := exec.Command(sshd, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("sshd -T: %v\n%s", err, out)
		}
		if !regexp.MustCompile("(?m)" + c.StdoutMatches).Match(out) {
			failed[c.ID] = true
		}
	}
	for _, id := range []string{"sshd-effective-passwordauthentication", "sshd-effective-ciphers"} {
		if !failed[id] {
			t.Errorf("%s passed although a Match block for the admin weakens it (failed: %v)", id, failed)
		}
	}
}
