package podmancheck

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hardnode/terraform-provider-hardnode/harden"
)

// TestSeccompAssetCurrent fails when the embedded profile or its removal
// list differs from what Podman's current default profile gives: rerun
// cmd/seccompgen after updating go.podman.io/common.
func TestSeccompAssetCurrent(t *testing.T) {
	profile, removed, err := Derive()
	if err != nil {
		t.Fatal(err)
	}
	if string(profile) != harden.SeccompProfile {
		t.Error("harden/seccomp/hardnode.json is stale: go run ./cmd/seccompgen -out ../../seccomp")
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "seccomp", "REMOVED.md"))
	if err != nil || string(doc) != RemovalsMarkdown(removed) {
		t.Errorf("harden/seccomp/REMOVED.md is stale (%v): go run ./cmd/seccompgen -out ../../seccomp", err)
	}
	if len(removed) == 0 {
		t.Error("no system call was removed from Podman's profile")
	}
}
