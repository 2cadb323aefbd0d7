package verify

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Auth is how the verifier logs in: a private key (PEM or OpenSSH format,
// optionally encrypted), an SSH agent socket, or both (the key is tried first).
type Auth struct {
	PrivateKey  []byte
	Passphrase  []byte
	AgentSocket string
}

// ParsePrivateKey parses a private key for SSH login. Errors say why the key
// was refused and never include key material.
func ParsePrivateKey(pemBytes, passphrase []byte) (ssh.Signer, error) {
	var (
		signer ssh.Signer
		err    error
	)
	if len(passphrase) > 0 {
		signer, err = ssh.ParsePrivateKeyWithPassphrase(pemBytes, passphrase)
	} else {
		signer, err = ssh.ParsePrivateKey(pemBytes)
	}
	if err == nil {
		return signer, nil
	}
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		return nil, errors.New("private key is encrypted: set private_key_passphrase")
	case errors.Is(err, x509.IncorrectPasswordError):
		return nil, errors.New("private key passphrase is wrong")
	case strings.Contains(err.Error(), "no key found"):
		return nil, errors.New("private key is not a PEM or OpenSSH private key " +
			"(expected a block starting with -----BEGIN ... PRIVATE KEY-----)")
	case len(passphrase) > 0 && strings.Contains(err.Error(), "not password protected"):
		return nil, errors.New("private key is not encrypted but a passphrase was given: remove private_key_passphrase")
	}
	return nil, fmt.Errorf("private key cannot be parsed: %s", redactKeyError(err))
}

// redactKeyError keeps an x/crypto parse error's reason but cuts anything
// after a colon-quoted value, in case a library ever echoes input.
func redactKeyError(err error) string {
	msg := err.Error()
	if i := strings.IndexAny(msg, "\"'"); i >= 0 {
		msg = msg[:i] + "(value omitted)"
	}
	return msg
}

// authMethods turns Auth into SSH auth methods. The key and the agent's
// keys go into one publickey method: x/crypto tries each method name only
// once, so a second publickey method would never be tried. The returned
// closer releases the agent connection, if any.
func (a Auth) authMethods() ([]ssh.AuthMethod, func(), error) {
	var signers []ssh.Signer
	var agentClient agent.ExtendedAgent
	closer := func() {}
	if len(a.PrivateKey) > 0 {
		signer, err := ParsePrivateKey(a.PrivateKey, a.Passphrase)
		if err != nil {
			return nil, closer, err
		}
		signers = append(signers, signer)
	}
	if a.AgentSocket != "" {
		conn, err := net.Dial("unix", a.AgentSocket)
		if err != nil {
			return nil, closer, fmt.Errorf("open SSH agent socket %s: %w", a.AgentSocket, err)
		}
		closer = func() { _ = conn.Close() }
		agentClient = agent.NewClient(conn)
	}
	if len(signers) == 0 && agentClient == nil {
		return nil, closer, errors.New("no credentials: set private_key or agent_socket")
	}
	method := ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
		if agentClient == nil {
			return signers, nil
		}
		fromAgent, err := agentClient.Signers()
		if err != nil {
			if len(signers) > 0 {
				return signers, nil
			}
			return nil, fmt.Errorf("list keys of the SSH agent: %w", err)
		}
		return append(append([]ssh.Signer(nil), signers...), fromAgent...), nil
	})
	return []ssh.AuthMethod{method}, closer, nil
}
