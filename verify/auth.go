package verify

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

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

// AgentError says that the SSH agent could not be used. Retrying does not
// help, so it is never retried.
type AgentError struct {
	Socket string
	Err    error
}

func (e *AgentError) Error() string { return e.Err.Error() }
func (e *AgentError) Unwrap() error { return e.Err }

// authMethods turns Auth into SSH auth methods. The key and the agent's
// keys go into one publickey method: x/crypto tries each method name only
// once, so a second publickey method would never be tried. Every talk with
// the agent (listing keys, signing) must finish within limit, and stops
// when ctx ends. The returned closer releases the agent connection, if any.
func (a Auth) authMethods(ctx context.Context, limit time.Duration) ([]ssh.AuthMethod, func(), error) {
	var signers []ssh.Signer
	var agentClient agent.ExtendedAgent
	var deadline time.Time
	closer := func() {}
	if len(a.PrivateKey) > 0 {
		signer, err := ParsePrivateKey(a.PrivateKey, a.Passphrase)
		if err != nil {
			return nil, closer, err
		}
		signers = append(signers, signer)
	}
	if a.AgentSocket != "" {
		d := net.Dialer{Timeout: limit}
		conn, err := d.DialContext(ctx, "unix", a.AgentSocket)
		if err != nil {
			return nil, closer, &AgentError{a.AgentSocket,
				fmt.Errorf("open SSH agent socket %s: %w", a.AgentSocket, err)}
		}
		deadline = time.Now().Add(limit)
		_ = conn.SetDeadline(deadline)
		stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
		closer = func() {
			stop()
			_ = conn.Close()
		}
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
			// The agent package flattens the error: tell a timeout by the clock.
			if !time.Now().Before(deadline) {
				return nil, &AgentError{a.AgentSocket, fmt.Errorf("SSH agent at %s did not answer within %s: "+
					"check that the agent runs and is unlocked, or set private_key", a.AgentSocket, limit)}
			}
			return nil, &AgentError{a.AgentSocket, fmt.Errorf("list keys of the SSH agent at %s: %w",
				a.AgentSocket, err)}
		}
		return append(append([]ssh.Signer(nil), signers...), fromAgent...), nil
	})
	return []ssh.AuthMethod{method}, closer, nil
}
