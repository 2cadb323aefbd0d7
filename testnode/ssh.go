package testnode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// hostKey is a parsed public host key.
type hostKey struct {
	key ssh.PublicKey
}

func parseHostKey(authorized string) (*hostKey, error) {
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(authorized))
	if err != nil {
		return nil, fmt.Errorf("parse host_key (want authorized_keys form, e.g. \"ssh-ed25519 AAAA...\"): %w", err)
	}
	return &hostKey{key: k}, nil
}

// algorithms are the host key algorithms to ask the server for, so that a
// server with several host keys presents the pinned one.
func (k *hostKey) algorithms() []string {
	if k.key.Type() == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{k.key.Type()}
}

// FormatHostKey returns the authorized_keys form of k without a comment.
func FormatHostKey(k ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

// How long one SSH probe may take, how long it waits for the server's first
// bytes, and how long it pauses between probes. Short banner waits with
// quick retries leave half-open connections that fill sshd's MaxStartups
// under TCG and delay the first real login by a minute or more.
const (
	probeTimeout  = 15 * time.Second
	bannerTimeout = 8 * time.Second
	probeInterval = time.Second
)

// loginBannerTimeout is the banner wait of a real login. It is used once SSH
// is known to answer (or while a rebooting node is expected back): sshd
// under TCG with SELinux can take well over a few seconds to fork and
// re-exec for a new connection.
const loginBannerTimeout = 30 * time.Second

// extendOnRead moves the deadline of a connection to extend from now when
// the first bytes arrive.
type extendOnRead struct {
	net.Conn
	extend   time.Duration
	extended bool
}

func (c *extendOnRead) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 && !c.extended {
		c.extended = true
		_ = c.SetDeadline(time.Now().Add(c.extend))
	}
	return n, err
}

// errHostKeyMismatch marks a server that presents another key than the
// pinned one: waiting longer does not help.
var errHostKeyMismatch = errors.New("host key mismatch")

// probeSSH does one SSH key exchange with host:port and returns the host key
// the server proved it holds. It does not log in: a server that rejects
// the probe's empty authentication has still answered. A raw TCP connect is
// not enough, since QEMU's user networking accepts connections on the
// forwarded port before the guest listens.
func probeSSH(ctx context.Context, host string, port int, pinned *hostKey) (string, error) {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	c, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	raw, err := d.DialContext(c, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer raw.Close()
	stop := context.AfterFunc(c, func() { raw.Close() })
	defer stop()
	// Until the guest listens, QEMU's user networking holds the accepted
	// connection silent: give up on it soon, but allow a slow key exchange
	// once the server has said its first word.
	_ = raw.SetDeadline(time.Now().Add(bannerTimeout))
	conn := &extendOnRead{Conn: raw, extend: probeTimeout}

	var seen ssh.PublicKey
	cfg := &ssh.ClientConfig{
		User: "hardnode-probe",
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			seen = key
			if pinned != nil && !bytes.Equal(key.Marshal(), pinned.key.Marshal()) {
				return fmt.Errorf("%w: the node presents %s %s, the config supplies %s %s", errHostKeyMismatch,
					key.Type(), ssh.FingerprintSHA256(key), pinned.key.Type(), ssh.FingerprintSHA256(pinned.key))
			}
			return nil
		},
		Timeout: probeTimeout,
	}
	if pinned != nil {
		cfg.HostKeyAlgorithms = pinned.algorithms()
	}

	sc, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err == nil {
		go ssh.DiscardRequests(reqs)
		go func() {
			for ch := range chans {
				_ = ch.Reject(ssh.Prohibited, "probe")
			}
		}()
		_ = sc.Close()
	}
	if errors.Is(err, errHostKeyMismatch) {
		return "", err
	}
	if seen == nil {
		if err == nil {
			err = errors.New("no host key seen")
		}
		return "", err
	}
	// The key exchange finished and the key matched; the authentication
	// error that follows means sshd is up.
	return FormatHostKey(seen), nil
}

// waitSSH polls until SSH answers on host:port, the QEMU at p dies, the
// timeout passes or ctx ends.
func waitSSH(ctx context.Context, p Paths, host string, port int, pinned *hostKey,
	timeout time.Duration, progress Progress,
) (string, error) {
	start := time.Now()
	deadline := start.Add(timeout)
	lastReport := start
	var lastErr error
	for attempt := 1; ; attempt++ {
		if _, alive := Alive(p); !alive {
			return "", fmt.Errorf("qemu exited before SSH answered on %s:%d (after %s)",
				host, port, time.Since(start).Round(time.Second))
		}
		key, err := probeSSH(ctx, host, port, pinned)
		if err == nil {
			progress.report("ssh answered", map[string]any{
				"ssh_port": port, "attempts": attempt, "boot_seconds": time.Since(start).Seconds(),
			})
			return key, nil
		}
		if errors.Is(err, errHostKeyMismatch) {
			return "", err
		}
		lastErr = err
		if time.Since(lastReport) >= 10*time.Second {
			progress.report("waiting for ssh", map[string]any{
				"ssh_port": port, "elapsed_seconds": int(time.Since(start).Seconds()), "last_error": err.Error(),
			})
			lastReport = time.Now()
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("ssh on %s:%d did not answer within %s (last error: %w)",
				host, port, timeout, lastErr)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("wait for ssh on %s:%d: %w", host, port, ctx.Err())
		case <-time.After(probeInterval):
		}
	}
}
