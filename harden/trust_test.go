package harden

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestTrustKeyPathsInjective: valid scopes that differ only in characters
// a file name cannot keep ('/', '_', ':') get different key files, for
// hand-picked and random scopes.
func TestTrustKeyPathsInjective(t *testing.T) {
	scopes := []string{"ghcr.io/a_b", "ghcr.io/a/b", "ghcr.io/a-b", "reg.example:5000/a", "reg.example_5000/a",
		"reg.example:5000", "reg.example/5000"}
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := "ab_/-.:0"
	for range 3000 {
		var b strings.Builder
		b.WriteString("r.io/")
		for range 1 + rng.IntN(6) {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		scopes = append(scopes, b.String())
	}
	seen := map[string]string{}
	for _, s := range scopes {
		for _, typ := range []string{TrustSigstore, TrustGPG} {
			p := trustKeyPath(RegistryTrust{Scope: s, Type: typ})
			if other, dup := seen[p]; dup && other != s+typ {
				t.Fatalf("scopes %q and %q share the key file %s", other, s+typ, p)
			}
			seen[p] = s + typ
			if strings.ContainsAny(strings.TrimPrefix(p, TrustKeyDir+"/"), "/:") {
				t.Fatalf("key file %s of %q is not a plain file name", p, s)
			}
		}
	}
}

// TestTrustCollidingScopesRender: the two scopes that used to share a key
// file render, each with its own key.
func TestTrustCollidingScopesRender(t *testing.T) {
	n := testNodes()[0].node(t)
	n.Podman.Trust = []RegistryTrust{
		{Scope: "ghcr.io/a_b", Type: TrustSigstore, Key: fixture(t, "cosign.pub")},
		{Scope: "ghcr.io/a/b", Type: TrustGPG, Key: fixture(t, "signer.gpg"), Lookaside: "https://sigs.example.com/sigs"},
	}
	r, err := Render(n, RenderOptions{})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	files, _ := Files(n)
	var regd string
	keys := 0
	for _, f := range files {
		if strings.HasPrefix(f.Path, TrustKeyDir+"/") {
			keys++
		}
		if f.Path == RegistriesDPath {
			regd = f.Contents
		}
	}
	if keys != 2 || r.Ignition == nil {
		t.Fatalf("%d key files, want 2", keys)
	}
	if !strings.Contains(regd, `"ghcr.io/a/b":`+"\n"+`    lookaside: "https://sigs.example.com/sigs"`) {
		t.Errorf("registries.d lacks the lookaside:\n%s", regd)
	}
}

func TestTrustLookasideRefused(t *testing.T) {
	for _, u := range []string{"ftp://x/y", "sigs.example.com", "https://", "https://x/y?z=1", "https://x/ y"} {
		t.Run(fmt.Sprintf("%q", u), func(t *testing.T) {
			n := testNodes()[0].node(t)
			n.Podman.Trust = []RegistryTrust{{Scope: "ghcr.io/a", Type: TrustGPG, Key: fixture(t, "signer.gpg"), Lookaside: u}}
			assertFirstError(t, n, "podman.trust[0].lookaside")
		})
	}
}
