package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/hardnode/terraform-provider-hardnode/verify/nodesim"
)

func newSigner(t *testing.T, typ string) ssh.Signer {
	t.Helper()
	var (
		s   ssh.Signer
		err error
	)
	switch typ {
	case "ed25519":
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		s, err = ssh.NewSignerFromKey(priv)
	case "ecdsa":
		priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		s, err = ssh.NewSignerFromKey(priv)
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A node with several host keys presents the one of the negotiated
// algorithm; a fingerprint pin of any of its keys must connect, and a
// fingerprint of none of them must fail naming every key the node presented.
func TestFingerprintPinWithSeveralHostKeys(t *testing.T) {
	ed, ec := newSigner(t, "ed25519"), newSigner(t, "ecdsa")
	for _, tc := range []struct {
		name string
		pin  string
	}{
		{"ed25519-fingerprint", ssh.FingerprintSHA256(ed.PublicKey())},
		{"ecdsa-fingerprint", ssh.FingerprintSHA256(ec.PublicKey())},
		{"ssh-keygen-lf-line", "256 " + ssh.FingerprintSHA256(ed.PublicKey()) + " root@node (ED25519)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
			node.SetHostKeys(ec, ed) // ECDSA first: what x/crypto would negotiate
			pin, err := ParseHostKeyPin(tc.pin)
			if err != nil {
				t.Fatal(err)
			}
			tgt.HostKey = HostKeyPolicy{Pin: pin}
			rep := verifyOK(t, tgt, nil, fastOptions())
			if rep.Facts.OSVersion != "1.0.0" || rep.Connections != 1 {
				t.Errorf("facts %+v, %d connections", rep.Facts, rep.Connections)
			}
		})
	}

	t.Run("no-key-matches", func(t *testing.T) {
		node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
		node.SetHostKeys(ec, ed)
		pin, _ := ParseHostKeyPin(ssh.FingerprintSHA256(newSigner(t, "ed25519").PublicKey()))
		tgt.HostKey = HostKeyPolicy{Pin: pin}
		_, err := Verify(context.Background(), tgt, nil, fastOptions())
		var mismatch *HostKeyMismatchError
		if !errors.As(err, &mismatch) || !strings.Contains(err.Error(), ssh.FingerprintSHA256(ed.PublicKey())) ||
			!strings.Contains(err.Error(), ssh.FingerprintSHA256(ec.PublicKey())) {
			t.Errorf("got %v, want a mismatch naming both presented keys", err)
		}
	})
}

// A pinned key whose type the node no longer offers is a changed host key,
// not an algorithm problem.
func TestPinnedKeyTypeGoneIsHostKeyChange(t *testing.T) {
	node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0") // pins the ed25519 key
	node.SetHostKeys(newSigner(t, "ecdsa"))
	_, err := Verify(context.Background(), tgt, nil, fastOptions())
	var mismatch *HostKeyMismatchError
	if !errors.As(err, &mismatch) || !strings.Contains(err.Error(), "changed") ||
		strings.Contains(err.Error(), "no algorithm in common") {
		t.Errorf("got %v, want a host key change", err)
	}
}

func TestFingerprintPinForms(t *testing.T) {
	fp := ssh.FingerprintSHA256(newSigner(t, "ed25519").PublicKey())
	for _, tc := range []struct{ in, errHas string }{
		{fp, ""},
		{"256 " + fp + " root@vm (ED25519)", ""},
		{"256 " + fp + " no comment (ED25519)", ""},
		{"sha256:" + strings.TrimPrefix(fp, "SHA256:"), "SHA256: in capitals"},
		{"MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48", "MD5 fingerprints are not supported"},
		{"16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48", "MD5 fingerprints are not supported"},
		{"2048 MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48 x (RSA)", "MD5"},
		{"SHA256:tooshort", "not a SHA256 fingerprint"},
	} {
		_, err := ParseHostKeyPin(tc.in)
		switch {
		case tc.errHas == "" && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.errHas != "" && (err == nil || !strings.Contains(err.Error(), tc.errHas)):
			t.Errorf("%q: got %v, want error with %q", tc.in, err, tc.errHas)
		}
	}
}
