package testnode

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// sshServer accepts connections on a loopback port, does the key exchange
// with the given host keys and rejects every login.
func sshServer(t *testing.T, keys ...ssh.Signer) int {
	t.Helper()
	cfg := &ssh.ServerConfig{
		PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) {
			return nil, errors.New("no")
		},
	}
	for _, k := range keys {
		cfg.AddHostKey(k)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_, _, _, _ = ssh.NewServerConn(conn, cfg)
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

func ed25519Signer(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ecdsaSigner(t *testing.T) ssh.Signer {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestProbeSSH(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ed := ed25519Signer(t)
	ec := ecdsaSigner(t)
	edPub := FormatHostKey(ed.PublicKey()) + " root@node"
	other := FormatHostKey(ed25519Signer(t).PublicKey())

	t.Run("pinned key matches, login refused", func(t *testing.T) {
		port := sshServer(t, ed)
		pinned, err := parseHostKey(edPub)
		if err != nil {
			t.Fatal(err)
		}
		got, err := probeSSH(ctx, "127.0.0.1", port, pinned)
		if err != nil {
			t.Fatal(err)
		}
		if got != FormatHostKey(ed.PublicKey()) {
			t.Errorf("seen key %q, want %q", got, FormatHostKey(ed.PublicKey()))
		}
	})

	t.Run("server with several keys presents the pinned one", func(t *testing.T) {
		port := sshServer(t, ec, ed)
		pinned, _ := parseHostKey(edPub)
		got, err := probeSSH(ctx, "127.0.0.1", port, pinned)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(got, "ssh-ed25519 ") {
			t.Errorf("seen key %q, want the ed25519 one", got)
		}
	})

	t.Run("other key is a mismatch", func(t *testing.T) {
		port := sshServer(t, ed)
		pinned, _ := parseHostKey(other)
		_, err := probeSSH(ctx, "127.0.0.1", port, pinned)
		if !errors.Is(err, errHostKeyMismatch) {
			t.Fatalf("got %v, want a host key mismatch", err)
		}
		if !strings.Contains(err.Error(), ssh.FingerprintSHA256(ed.PublicKey())) {
			t.Errorf("mismatch error does not name the presented key's fingerprint: %v", err)
		}
	})

	t.Run("no pin records the first key", func(t *testing.T) {
		port := sshServer(t, ed)
		got, err := probeSSH(ctx, "127.0.0.1", port, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got != FormatHostKey(ed.PublicKey()) {
			t.Errorf("seen key %q", got)
		}
	})

	t.Run("accepting port without ssh is not up", func(t *testing.T) {
		// Like QEMU's user networking before the guest listens: the
		// connection is accepted, then closed without a banner.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		if _, err := probeSSH(ctx, "127.0.0.1", l.Addr().(*net.TCPAddr).Port, nil); err == nil {
			t.Fatal("probe succeeded against a port that closes without an SSH banner")
		}
	})
}

func TestParseHostKeyRejectsGarbage(t *testing.T) {
	if _, err := parseHostKey("not a key"); err == nil {
		t.Fatal("parsed garbage as a host key")
	}
}
