package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/hardnode/terraform-provider-hardnode/expect"
	"github.com/hardnode/terraform-provider-hardnode/verify/nodesim"
)

// testKey makes a private key of the given type and returns it as PEM
// (encrypted when passphrase is set) with its public key.
func testKey(t testing.TB, typ string, passphrase string) ([]byte, ssh.PublicKey) {
	t.Helper()
	var priv crypto.PrivateKey
	var err error
	switch typ {
	case "ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "rsa":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ecdsa":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		t.Fatalf("unknown key type %s", typ)
	}
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase != "" {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte(passphrase))
	} else {
		block, err = ssh.MarshalPrivateKey(priv, "test")
	}
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(block), signer.PublicKey()
}

// simTarget starts a simulated node and returns a target that logs in with a
// fresh ed25519 key and pins the node's host key.
func simTarget(t testing.TB, family nodesim.Family, version string) (*nodesim.Node, Target) {
	t.Helper()
	node := nodesim.New(t, family, version)
	key, pub := testKey(t, "ed25519", "")
	node.Authorize(pub)
	pin, err := ParseHostKeyPin(KnownHostsLine(node.Address, node.HostKey()))
	if err != nil {
		t.Fatal(err)
	}
	return node, Target{
		Host:    "127.0.0.1",
		Port:    node.Port(),
		User:    node.User,
		Auth:    Auth{PrivateKey: key},
		HostKey: HostKeyPolicy{Pin: pin},
	}
}

// fastOptions keep waits short for tests; pass/fail never depends on them.
func fastOptions() Options {
	return Options{
		Timeout:        20 * time.Second,
		BackoffInitial: 50 * time.Millisecond,
		BackoffMax:     200 * time.Millisecond,
		Timeouts:       Timeouts{Dial: 2 * time.Second, Handshake: 5 * time.Second, Check: 5 * time.Second},
	}
}

func mustDoc(t testing.TB, family string, checks ...expect.Check) *expect.Document {
	t.Helper()
	doc := &expect.Document{Version: 1, OSFamily: family, Checks: checks}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	return doc
}

func verifyOK(t testing.TB, tgt Target, doc *expect.Document, opts Options) *Report {
	t.Helper()
	rep, err := Verify(context.Background(), tgt, doc, opts)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

func rowByID(t testing.TB, rep *Report, id string) expect.Result {
	t.Helper()
	for _, r := range rep.Results {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no report row %q in %+v", id, rep.Results)
	return expect.Result{}
}

func u32(v uint32) *uint32 { return &v }
