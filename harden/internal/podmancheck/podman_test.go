//go:build containers_image_openpgp

package podmancheck

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"go.podman.io/image/v5/pkg/sysregistriesv2"
	"go.podman.io/image/v5/signature"
	"go.podman.io/image/v5/types"

	"github.com/hardnode/terraform-provider-hardnode/harden"
)

func key(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// nodes covers no trust rule, one sigstore rule and a GPG rule.
func nodes(t *testing.T) map[string]*harden.Node {
	admin := harden.AdminUser{SSHAuthorizedKeys: []string{key(t, "admin_ed25519.pub")}}
	return map[string]*harden.Node{
		"no-trust": {OS: harden.Flatcar, Admin: admin},
		"mixed": {OS: harden.MicroOS, Admin: admin, Podman: harden.PodmanConfig{Trust: []harden.RegistryTrust{
			{Scope: "ghcr.io/acme", Type: harden.TrustSigstore, Key: key(t, "cosign.pub")},
			{Scope: "registry.example.internal:5000/team/app", Type: harden.TrustGPG, Key: key(t, "signer.gpg")},
		}}},
	}
}

func fileOf(t *testing.T, n *harden.Node, path string) string {
	t.Helper()
	files, err := harden.Files(n)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Path == path {
			return f.Contents
		}
	}
	t.Fatalf("no %s rendered", path)
	return ""
}

// TestPolicyStrict parses every rendered policy.json with containers/image's
// strict parser and checks that it rejects by default.
func TestPolicyStrict(t *testing.T) {
	for name, n := range nodes(t) {
		t.Run(name, func(t *testing.T) {
			p, err := signature.NewPolicyFromBytes([]byte(fileOf(t, n, harden.PolicyPath)))
			if err != nil {
				t.Fatalf("strict parser refused policy.json: %v", err)
			}
			if len(p.Default) != 1 {
				t.Fatalf("default has %d requirements, want one reject", len(p.Default))
			}
			if b, err := json.Marshal(p.Default[0]); err != nil || string(b) != `{"type":"reject"}` {
				t.Fatalf("default requirement is %s (%v), want reject", b, err)
			}
			if got, want := len(p.Transports["docker"]), len(n.Podman.Trust); got != want {
				t.Fatalf("%d docker scopes, want %d", got, want)
			}
		})
	}
}

// TestRegistriesConfStrict loads the rendered registries.conf with
// containers/image and checks short-name enforcing and no search list.
func TestRegistriesConfStrict(t *testing.T) {
	n := nodes(t)["no-trust"]
	dir := t.TempDir()
	path := filepath.Join(dir, "registries.conf")
	if err := os.WriteFile(path, []byte(fileOf(t, n, harden.RegistriesConfPath)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := &types.SystemContext{SystemRegistriesConfPath: path, SystemRegistriesConfDirPath: filepath.Join(dir, "none")}
	mode, err := sysregistriesv2.GetShortNameMode(ctx)
	if err != nil {
		t.Fatalf("registries.conf refused: %v", err)
	}
	if mode != types.ShortNameModeEnforcing {
		t.Fatalf("short-name mode %v, want enforcing", mode)
	}
	search, err := sysregistriesv2.UnqualifiedSearchRegistries(ctx)
	if err != nil || len(search) != 0 {
		t.Fatalf("search registries %v, %v; want none", search, err)
	}
}
