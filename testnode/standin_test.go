package testnode

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const testManifest = `{
  "kernel": "vmlinuz",
  "initrd": "initrd.img",
  "append": "console=ttyS0 security=selinux enforcing=1",
  "families": {
    "flatcar": {
      "base_version": "1.0.0",
      "disks": [
        {"file": "usr-a.img", "readonly": true, "serial": "usr-a"},
        {"file": "root.img", "readonly": false, "serial": "root"}
      ],
      "versions": {"1.0.1": "v101.img", "1.0.0": "v100.img", "9.9.9-broken": "broken.img"},
      "broken_versions": ["9.9.9-broken"],
      "selinux": true,
      "fw_cfg_key": "opt/org.flatcar-linux/config"
    },
    "microos": {
      "base_version": "1.0.0",
      "disks": [{"file": "/abs/root.img", "readonly": false}],
      "versions": {"1.0.0": "x"},
      "selinux": false
    }
  }
}`

func TestLoadStandin(t *testing.T) {
	base := t.TempDir()
	build := filepath.Join(base, "key123")
	if err := os.MkdirAll(build, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(build, "manifest.json"), []byte(testManifest), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("key123", filepath.Join(base, "current")); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(base, "current", "manifest.json")

	s, err := LoadStandin(manifest, Flatcar)
	if err != nil {
		t.Fatal(err)
	}
	if s.Kernel != filepath.Join(build, "vmlinuz") || s.Initrd != filepath.Join(build, "initrd.img") {
		t.Errorf("kernel/initrd = %q %q, want absolute paths behind the resolved symlink", s.Kernel, s.Initrd)
	}
	wantDisks := []Disk{
		{Path: filepath.Join(build, "usr-a.img"), ReadOnly: true, Serial: "usr-a"},
		{Path: filepath.Join(build, "root.img"), Serial: "root"},
	}
	if !slices.Equal(s.Disks, wantDisks) {
		t.Errorf("disks = %+v, want %+v", s.Disks, wantDisks)
	}
	if !slices.Equal(s.Versions, []string{"1.0.0", "1.0.1", "9.9.9-broken"}) {
		t.Errorf("versions = %q", s.Versions)
	}
	if len(s.NotApplicable()) != 0 {
		t.Errorf("SELinux stand-in: not_applicable = %v, want empty", s.NotApplicable())
	}
	cfg := s.Apply(Config{StateDir: "/tmp/n"})
	if cfg.KernelArgs != "console=ttyS0 security=selinux enforcing=1" || cfg.FwCfgKey != FlatcarConfigKey ||
		cfg.Family != Flatcar {
		t.Errorf("Apply: %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("applied config does not validate: %v", err)
	}

	m, err := LoadStandin(manifest, MicroOS)
	if err != nil {
		t.Fatal(err)
	}
	if m.FwCfgKey != CoreOSConfigKey {
		t.Errorf("microos without fw_cfg_key: key %q, want %q", m.FwCfgKey, CoreOSConfigKey)
	}
	if m.Disks[0].Path != "/abs/root.img" {
		t.Errorf("absolute disk path rewritten: %q", m.Disks[0].Path)
	}
	if reason := m.NotApplicable()["selinux"]; !strings.Contains(reason, "without SELinux") {
		t.Errorf("microos without SELinux: not_applicable = %v", m.NotApplicable())
	}

	if _, err := LoadStandin(manifest, "debian"); err == nil || !strings.Contains(err.Error(), "no family") {
		t.Errorf("unknown family: %v", err)
	}
	if _, err := LoadStandin(filepath.Join(base, "none.json"), Flatcar); err == nil ||
		!strings.Contains(err.Error(), "make standin") {
		t.Errorf("missing manifest: %v", err)
	}
}
