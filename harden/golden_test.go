package harden

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestGolden")

// TestGolden renders every test node: the Butane and the expectations must
// equal the golden files, rendering twice must give the same bytes, and the
// Ignition must pass Butane's validation and ignition-validate.
func TestGolden(t *testing.T) {
	for _, tc := range testNodes() {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.node(t)
			r, err := Render(n, RenderOptions{})
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			again, err := Render(tc.node(t), RenderOptions{})
			if err != nil {
				t.Fatalf("render again: %v", err)
			}
			if !bytes.Equal(r.Butane, again.Butane) || !bytes.Equal(r.Ignition, again.Ignition) {
				t.Fatal("rendering the same node twice gave different bytes")
			}
			if len(r.Warnings) > 0 {
				t.Errorf("butane warnings on the hardened config: %+v", r.Warnings)
			}
			expectations, err := r.Expectations.Marshal()
			if err != nil {
				t.Fatalf("marshal expectations: %v", err)
			}
			compareGolden(t, filepath.Join("testdata", "golden", tc.name+".bu"), r.Butane)
			compareGolden(t, filepath.Join("testdata", "golden", tc.name+".expect.json"), append(expectations, '\n'))

			validator, err := exec.LookPath("ignition-validate")
			if err != nil {
				t.Skip("ignition-validate not on PATH (tests/setup.sh installs it); Butane's own validation passed")
			}
			ign := filepath.Join(t.TempDir(), "config.ign")
			if err := os.WriteFile(ign, r.Ignition, 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(validator, ign).CombinedOutput(); err != nil {
				t.Fatalf("ignition-validate: %v\n%s", err, out)
			}
		})
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the rendered output; inspect the change and run "+
			"go test ./harden -run TestGolden -update", path)
	}
}
