package provider

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// The profile modules are tested with the real terraform CLI directly:
// terraform-plugin-testing refuses configurations with modules ("Modules are
// not supported"). The provider binary is built once and served through a
// dev_overrides CLI config that has no other installation method, so
// terraform can never download anything.

var buildProvider = sync.OnceValues(func() (string, error) {
	// Under build/ (ignored by git), overwritten by every run.
	dir, err := filepath.Abs(filepath.Join("..", "build", "profiles-test"))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "terraform-provider-hardnode"), "..").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build provider: %w\n%s", err, out)
	}
	rc := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"hardnode/hardnode\" = %q\n  }\n}\n", dir)
	cliConfig := filepath.Join(dir, "terraformrc")
	return cliConfig, os.WriteFile(cliConfig, []byte(rc), 0o644)
})

// terraformRoot is a root module in a temporary directory with the built
// provider.
type terraformRoot struct {
	t   *testing.T
	dir string
	env []string
}

func newTerraformRoot(t *testing.T, cfg string) *terraformRoot {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 to run terraform")
	}
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		var err error
		if tf, err = exec.LookPath("terraform"); err != nil {
			t.Fatalf("terraform not on PATH: %v", err)
		}
	}
	cliConfig, err := buildProvider()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_CLI_CONFIG_FILE="+cliConfig,
		"TF_ACC_TERRAFORM_PATH="+tf)
	r := &terraformRoot{t: t, dir: dir, env: env}
	// With dev_overrides, init is skipped (it would look the provider up);
	// get installs the modules only.
	if _, stderr, err := r.run("get", "-no-color"); err != nil {
		t.Fatalf("terraform get: %v\n%s", err, stderr)
	}
	return r
}

func (r *terraformRoot) run(args ...string) (string, string, error) {
	tf := strings.TrimPrefix(r.env[len(r.env)-1], "TF_ACC_TERRAFORM_PATH=")
	cmd := exec.Command(tf, args...)
	cmd.Dir, cmd.Env = r.dir, r.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// applyAndReplan applies, returns the outputs, and checks that a plan after
// the apply shows no change.
func (r *terraformRoot) applyAndReplan() map[string]string {
	r.t.Helper()
	if _, stderr, err := r.run("apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
		r.t.Fatalf("terraform apply: %v\n%s", err, stderr)
	}
	stdout, stderr, err := r.run("plan", "-detailed-exitcode", "-input=false", "-no-color")
	if err != nil {
		r.t.Fatalf("plan after apply is not empty (exit 2 = changes): %v\n%s%s", err, stdout, stderr)
	}
	stdout, stderr, err = r.run("output", "-json")
	if err != nil {
		r.t.Fatalf("terraform output: %v\n%s", err, stderr)
	}
	var raw map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		r.t.Fatalf("parse outputs: %v", err)
	}
	out := map[string]string{}
	for k, v := range raw {
		var s string
		if json.Unmarshal(v.Value, &s) != nil {
			s = string(v.Value)
		}
		out[k] = s
	}
	return out
}

// profilesSource is the module source of a profile, in the "//" form that
// makes profiles/ the module package (every form works; fleet's test also
// uses a plain path).
func profilesSource(t *testing.T, module string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "profiles"))
	if err != nil {
		t.Fatal(err)
	}
	return dir + "//" + module
}

func mustMatch(t *testing.T, name, value, pattern string) {
	t.Helper()
	if !regexp.MustCompile(pattern).MatchString(value) {
		t.Errorf("output %s does not match %s:\n%.2000s", name, pattern, value)
	}
}

func TestAccProfileFlatcarContainerHost(t *testing.T) {
	cfg := fmt.Sprintf(`
module "host" {
  source          = %q
  hostname        = "edge-1"
  level           = "restricted"
  admin_ssh_keys  = [%q]
  container_users = [{ name = "web", linger = true }]
  trust    = [{ scope = "ghcr.io/acme", type = "sigstore", key = %q }]
  quadlets = [{ name = "web", user = "web", image = "ghcr.io/acme/web:1" }]
  update   = { window_start = "Sun 03:00", window_length = "2h", group = "stable" }
  target   = "flatcar-4081.2.0"
}
output "expectations" { value = module.host.expectations }
output "ignition_version" { value = module.host.ignition_version }
output "admin_user" { value = module.host.admin_user }
`, profilesSource(t, "flatcar-container-host"), hardenFixture(t, "admin_ed25519.pub"), hardenFixture(t, "cosign.pub"))
	out := newTerraformRoot(t, cfg).applyAndReplan()
	mustMatch(t, "ignition_version", out["ignition_version"], `^3\.4\.0$`)
	mustMatch(t, "admin_user", out["admin_user"], `^core$`)
	mustMatch(t, "expectations", out["expectations"], `"id": "quadlet-web-web"`)
	mustMatch(t, "expectations", out["expectations"], `"key": "kernel.yama.ptrace_scope",\s+"value": "2"`)
}

func TestAccProfileMicroOSContainerHost(t *testing.T) {
	cfg := fmt.Sprintf(`
module "host" {
  source          = %q
  hostname        = "micro-1"
  admin_ssh_keys  = [%q]
  container_users = [{ name = "app" }]
  update          = { strategy = "external" }
  target          = "microos"
}
output "expectations" { value = module.host.expectations }
output "admin_user" { value = module.host.admin_user }
`, profilesSource(t, "microos-container-host"), hardenFixture(t, "admin_ed25519.pub"))
	out := newTerraformRoot(t, cfg).applyAndReplan()
	mustMatch(t, "admin_user", out["admin_user"], `^admin$`)
	mustMatch(t, "expectations", out["expectations"], `"os_family": "microos"`)
	mustMatch(t, "expectations", out["expectations"], `"name": "rebootmgr.service",\s+"state": "masked"`)
}

func TestAccProfileFleet(t *testing.T) {
	cfg := fmt.Sprintf(`
module "fleet" {
  source         = %q
  node_count     = 5
  admin_ssh_keys = [%q]
  overrides = {
    "node-002" = { level = "baseline", update = { window_start = "Fri 04:00", window_length = "1h" } }
  }
}
output "count" { value = tostring(length(module.fleet.expectations)) }
output "node_002" { value = module.fleet.expectations["node-002"] }
output "node_005" { value = module.fleet.expectations["node-005"] }
`, strings.Replace(profilesSource(t, "fleet"), "//", "/", 1), hardenFixture(t, "admin_ed25519.pub"))
	// A plain absolute path: fleet must not reach into sibling directories.
	out := newTerraformRoot(t, cfg).applyAndReplan()
	mustMatch(t, "count", out["count"], `^5$`)
	mustMatch(t, "node_002", out["node_002"], `"key": "kernel.yama.ptrace_scope",\s+"value": "1"`)
	mustMatch(t, "node_005", out["node_005"], `"key": "kernel.yama.ptrace_scope",\s+"value": "2"`)
}

// TestAccProfileBadInputs: the modules' variable validation and the data
// source's attribute errors both stop the plan with a message naming the fix.
func TestAccProfileBadInputs(t *testing.T) {
	key := hardenFixture(t, "admin_ed25519.pub")
	tests := []struct {
		name, module, attrs, want string
	}{
		{"level", "flatcar-container-host", `level = "paranoid"`, `level must be baseline or restricted`},
		{"restricted permissive", "flatcar-container-host", "level = \"restricted\"\n  selinux_mode = \"permissive\"",
			`SELinux must enforce at level restricted`},
		{"restricted off", "microos-container-host", "level = \"restricted\"\n  update = { strategy = \"off\" }",
			`Automatic updates required at level restricted`},
		{"restricted capability", "flatcar-container-host", "level = \"restricted\"\n  container_users = [{ name = \"app\" }]\n" +
			"  quadlets = [{ name = \"w\", user = \"app\", image = \"ghcr.io/a/w:1\", add_capabilities = [\"SYS_ADMIN\"] }]\n" +
			fmt.Sprintf("  trust = [{ scope = \"ghcr.io/a\", type = \"sigstore\", key = %q }]",
				hardenFixture(t, "cosign.pub")),
			`Capability not allowed at level restricted`},
		{"fleet unknown override", "fleet", `overrides = { "node-009" = {} }`, `these match no node: node-009`},
		{"fleet override level", "fleet", `overrides = { "node-002" = { level = "paranoid" } }`, `wrong for: node-002`},
		{"fleet strategy", "fleet", `update = { strategy = "sometimes" }`, `update.strategy must be reboot, external or off`},
		{"half window", "microos-container-host", `update = { window_start = "04:00" }`, `go together`},
		{"bad day", "flatcar-container-host", `update = { window_start = "Someday 04:00", window_length = "1h" }`,
			`Invalid reboot window start`},
		{"no keys", "flatcar-container-host", `admin_ssh_keys = []`, `needs at least one key`},
		{"hostname", "microos-container-host", `hostname = "Bad_Name"`, `lowercase RFC 1123`},
		{"fleet count", "fleet", `node_count = 0`, `node_count must be a whole number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := tt.attrs
			if !strings.Contains(attrs, "admin_ssh_keys") {
				attrs += fmt.Sprintf("\n  admin_ssh_keys = [%q]", key)
			}
			if !strings.Contains(attrs, "hostname") && tt.module != "fleet" {
				attrs += "\n  hostname = \"n1\""
			}
			r := newTerraformRoot(t, fmt.Sprintf("module \"m\" {\n  source = %q\n  %s\n}\n",
				profilesSource(t, tt.module), attrs))
			_, stderr, err := r.run("plan", "-input=false", "-no-color")
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("plan: %v, want exit status 1\n%s", err, stderr)
			}
			if !regexp.MustCompile(tt.want).MatchString(strings.Join(strings.Fields(stderr), " ")) {
				t.Fatalf("plan error does not match %q:\n%s", tt.want, stderr)
			}
		})
	}
}
