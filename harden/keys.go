package harden

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Key material arrives as pasted text: from files written on Windows
// (CRLF), with or without a final newline, with stray indentation. Every
// key is normalised the same way before it is checked and before it is
// written, so that what was checked is what the node reads.

// normalizeKeyText turns CRLF and lone CR line ends into LF, trims spaces at
// the ends of every line and of the text, and ends it with one newline.
func normalizeKeyText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, "\n") + "\n"
}

const openSSHPrivateKeyBlock = "OPENSSH PRIVATE KEY"

// hostPublicKey parses an unencrypted OpenSSH ed25519 private key (after
// normalisation) and returns its public half in authorized_keys format,
// without a comment. sshd loads its host keys in OpenSSH's own format only
// for ed25519, so PKCS#8 or other PEM blocks are refused.
func hostPublicKey(private string) (string, error) {
	text := normalizeKeyText(private)
	block, rest := pem.Decode([]byte(text))
	switch {
	case block == nil:
		return "", errors.New("not a PEM block; give the file written by " +
			"ssh-keygen -t ed25519 (-----BEGIN OPENSSH PRIVATE KEY-----)")
	case block.Type != openSSHPrivateKeyBlock:
		return "", fmt.Errorf("the block is %q; the hardened sshd needs an ed25519 key in OpenSSH format "+
			"(-----BEGIN OPENSSH PRIVATE KEY-----, from ssh-keygen -t ed25519)", block.Type)
	case strings.TrimSpace(string(rest)) != "":
		return "", errors.New("found more text after the key; give exactly one private key")
	}
	raw, err := ssh.ParseRawPrivateKey([]byte(text))
	if err != nil {
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			return "", errors.New("the key is encrypted; give it without a passphrase (the value is sensitive)")
		}
		return "", fmt.Errorf("not an OpenSSH private key: %w", err)
	}
	key, ok := raw.(*ed25519.PrivateKey)
	if !ok {
		return "", fmt.Errorf("the key is a %s key; the hardened sshd uses ssh-ed25519 host keys only "+
			"(ssh-keygen -t ed25519)", keyKind(raw))
	}
	pub, err := ssh.NewPublicKey(key.Public())
	if err != nil {
		return "", fmt.Errorf("derive the public key: %w", err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))), nil
}

func keyKind(raw any) string {
	if s, err := ssh.NewSignerFromKey(raw); err == nil {
		return s.PublicKey().Type()
	}
	return fmt.Sprintf("%T", raw)
}

// checkSigstoreKey checks a cosign public key: one PEM PUBLIC KEY block
// holding a PKIX public key.
func checkSigstoreKey(key string) error {
	block, rest := pem.Decode([]byte(normalizeKeyText(key)))
	switch {
	case block == nil || block.Type != "PUBLIC KEY":
		return errors.New("give the PEM public key (-----BEGIN PUBLIC KEY-----), e.g. cosign.pub")
	case strings.TrimSpace(string(rest)) != "":
		return errors.New("found more text after the key; give exactly one public key")
	}
	if _, err := x509.ParsePKIXPublicKey(block.Bytes); err != nil {
		return fmt.Errorf("the PUBLIC KEY block does not hold a public key: %w", err)
	}
	return nil
}

const (
	gpgArmorBegin = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
	gpgArmorEnd   = "-----END PGP PUBLIC KEY BLOCK-----"
)

// checkGPGKey checks the shape of an ASCII-armored OpenPGP public key: the
// armor lines, optional headers, a base64 body and an optional checksum.
func checkGPGKey(key string) error {
	lines := strings.Split(strings.TrimSuffix(normalizeKeyText(key), "\n"), "\n")
	if lines[0] != gpgArmorBegin || lines[len(lines)-1] != gpgArmorEnd {
		return errors.New("give exactly one ASCII-armored public key (gpg --export --armor), from " +
			gpgArmorBegin + " to " + gpgArmorEnd)
	}
	body := lines[1 : len(lines)-1]
	for len(body) > 0 && strings.Contains(body[0], ": ") { // armor headers
		body = body[1:]
	}
	if len(body) > 0 && body[0] == "" {
		body = body[1:]
	}
	if n := len(body); n > 0 && strings.HasPrefix(body[n-1], "=") { // CRC-24 checksum
		body = body[:n-1]
	}
	data, err := base64.StdEncoding.DecodeString(strings.Join(body, ""))
	if err != nil || len(data) == 0 {
		return errors.New("the armored body is not base64; export the key again with gpg --export --armor")
	}
	if data[0]&0x80 == 0 {
		return errors.New("the armored body is not an OpenPGP packet; export the key again with gpg --export --armor")
	}
	return nil
}
