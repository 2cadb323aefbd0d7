package harden

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestPodmanStrictParsers runs the podmancheck module's tests: the rendered
// policy.json and registries.conf through containers/image's strict parsers,
// and the embedded seccomp profile against Podman's current default. That
// module is separate so that the provider does not carry Podman's
// dependencies; it needs the build tags below (no gpgme, no btrfs headers).
func TestPodmanStrictParsers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips building the podmancheck module (Podman's dependency tree)")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool on PATH to build the podmancheck module: %v", err)
	}
	cmd := exec.Command(goTool, "test", "-count=1", "-tags", "containers_image_openpgp,exclude_graphdriver_btrfs", "./...")
	cmd.Dir = filepath.Join("internal", "podmancheck")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("podmancheck tests failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
