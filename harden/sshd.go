package harden

import (
	"strings"
)

// SSHDropInPath is the hardened sshd drop-in. sshd keeps the first value it
// reads for most keywords and includes sshd_config.d/*.conf in lexical
// order, so the name sorts before the distributions' own drop-ins.
const SSHDropInPath = "/etc/ssh/sshd_config.d/05-hardnode.conf"

// SSHHostKeyPath is where a user-supplied ed25519 host key is written.
const SSHHostKeyPath = "/etc/ssh/ssh_host_ed25519_key"

// The sshd algorithm lists. Each list has entries that
// golang.org/x/crypto/ssh offers (curve25519-sha256, chacha20-poly1305,
// aes256-gcm, hmac-sha2-*-etm, ssh-ed25519), so verification can log in;
// every name is known to OpenSSH 9.2 and later, since sshd refuses to start
// on an unknown one (mlkem768x25519-sha256 needs OpenSSH 9.9).
var (
	sshKexAlgorithms = []string{
		"sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "curve25519-sha256@libssh.org",
	}
	sshCiphers = []string{
		"chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com",
	}
	sshMACs = []string{
		"hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com",
	}
	sshHostKeyAlgorithms = []string{"ssh-ed25519"}
	sshPubkeyAlgorithms  = []string{
		"ssh-ed25519", "sk-ssh-ed25519@openssh.com", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
		"ecdsa-sha2-nistp521", "sk-ecdsa-sha2-nistp256@openssh.com", "rsa-sha2-512", "rsa-sha2-256",
	}
)

// acceptedUserKeyTypes are the authorized key types that sshPubkeyAlgorithms
// lets log in (an ssh-rsa key signs with rsa-sha2-*).
var acceptedUserKeyTypes = map[string]bool{
	"ssh-ed25519": true, "sk-ssh-ed25519@openssh.com": true, "ecdsa-sha2-nistp256": true,
	"ecdsa-sha2-nistp384": true, "ecdsa-sha2-nistp521": true, "sk-ecdsa-sha2-nistp256@openssh.com": true,
	"ssh-rsa": true,
}

// sshdDropIn is the content of SSHDropInPath.
func (n *Node) sshdDropIn() string {
	lines := []string{
		"# Managed by hardnode: hardened sshd settings. Sorts first so that its values win.",
		// Upstream Ignition writes keys to authorized_keys.d/ignition; Flatcar
		// merges them into authorized_keys. Reading both works everywhere.
		"AuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys.d/ignition",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PermitEmptyPasswords no",
		"PermitRootLogin no",
		"AllowUsers " + n.AdminName(),
		"AuthenticationMethods publickey",
		"MaxAuthTries 3",
		"LoginGraceTime 30",
		"ClientAliveInterval 300",
		"ClientAliveCountMax 2",
		"X11Forwarding no",
		"AllowAgentForwarding no",
		"AllowTcpForwarding no",
		"AllowStreamLocalForwarding no",
		"PermitTunnel no",
		"PermitUserEnvironment no",
		"KexAlgorithms " + strings.Join(sshKexAlgorithms, ","),
		"Ciphers " + strings.Join(sshCiphers, ","),
		"MACs " + strings.Join(sshMACs, ","),
		"HostKeyAlgorithms " + strings.Join(sshHostKeyAlgorithms, ","),
		"PubkeyAcceptedAlgorithms " + strings.Join(sshPubkeyAlgorithms, ","),
	}
	if n.SSH.HostKey != "" {
		lines = append(lines, "HostKey "+SSHHostKeyPath)
	}
	return strings.Join(lines, "\n") + "\n"
}

// sudoersDropIn grants the admin user passwordless sudo, as Flatcar's core
// user has, without relying on a wheel or sudo group existing.
func (n *Node) sudoersDropIn() string {
	return "# Managed by hardnode: the admin user runs verification checks through sudo.\n" +
		n.AdminName() + " ALL=(ALL) NOPASSWD: ALL\n"
}
