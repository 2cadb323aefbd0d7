// Package e2e drives the whole of hardnode the way a user does: the real
// terraform CLI applies a configuration that renders a hardened node from a
// profile module, boots it as the stand-in test node under QEMU, and
// verifies it over SSH, through alterations, updates, a rollback and a
// reboot in the middle of a verification.
//
// Prerequisites (the tests fail, loudly, without them): `make build`
// (build/provider/ and build/terraformrc), `make standin`
// (build/standin/current/manifest.json), terraform on PATH (or
// TF_ACC_TERRAFORM_PATH), qemu-system-x86_64 and ssh-keygen on PATH.
// `go test -short` skips them.
package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// repoRoot is the repository, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// manifest is the part of the stand-in's manifest.json the tests use.
type manifest struct {
	Families map[string]struct {
		BaseVersion    string            `json:"base_version"`
		Versions       map[string]string `json:"versions"`
		BrokenVersions []string          `json:"broken_versions"`
	} `json:"families"`
}

// env is what every scenario needs from the machine.
type env struct {
	repo         string
	terraform    string
	cliConfig    string
	manifestPath string
	manifest     manifest
}

// requireEnv checks the prerequisites; missing ones fail the test, since a
// suite that skips without QEMU proves nothing.
func requireEnv(t *testing.T) env {
	t.Helper()
	if testing.Short() {
		t.Skip("boots QEMU nodes with the real terraform for several minutes; skipped with -short")
	}
	e := env{repo: repoRoot(t)}
	var missing []string
	e.terraform = os.Getenv("TF_ACC_TERRAFORM_PATH")
	if e.terraform == "" {
		p, err := exec.LookPath("terraform")
		if err != nil {
			missing = append(missing, "terraform on PATH (or TF_ACC_TERRAFORM_PATH)")
		}
		e.terraform = p
	}
	for _, bin := range []string{"qemu-system-x86_64", "qemu-img", "ssh-keygen"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin+" on PATH (make setup)")
		}
	}
	e.cliConfig = filepath.Join(e.repo, "build", "terraformrc")
	if _, err := os.Stat(e.cliConfig); err != nil {
		missing = append(missing, e.cliConfig+" (make build)")
	}
	if _, err := os.Stat(filepath.Join(e.repo, "build", "provider", "terraform-provider-hardnode")); err != nil {
		missing = append(missing, "build/provider/terraform-provider-hardnode (make build)")
	}
	// Resolve build/standin/current once: a concurrent `make standin` may
	// move the link, and a running node's overlays must keep their backing
	// files.
	current, err := filepath.EvalSymlinks(filepath.Join(e.repo, "build", "standin", "current"))
	if err != nil {
		missing = append(missing, "build/standin/current (make standin)")
	} else {
		e.manifestPath = filepath.Join(current, "manifest.json")
		raw, err := os.ReadFile(e.manifestPath)
		if err != nil {
			missing = append(missing, e.manifestPath+" (make standin)")
		} else if err := json.Unmarshal(raw, &e.manifest); err != nil {
			t.Fatalf("parse %s: %v", e.manifestPath, err)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("end-to-end prerequisites missing (these tests never skip for that):\n  %s",
			strings.Join(missing, "\n  "))
	}
	return e
}

// keys makes the throwaway admin key and the node's host key with ssh-keygen.
func makeKeys(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"admin_key", "host_key"} {
		out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "e2e-"+name,
			"-f", filepath.Join(dir, name)).CombinedOutput()
		if err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	return dir
}

// root is a Terraform root module in a temporary directory, used with the
// dev_overrides CLI config (no init; get fetches the modules).
type root struct {
	e    env
	dir  string
	vars map[string]any // the variables of the last apply, reused by destroy
}

func newRoot(t *testing.T, e env, config string, vars map[string]any) *root {
	t.Helper()
	r := &root{e: e, dir: t.TempDir(), vars: vars}
	if err := os.WriteFile(filepath.Join(r.dir, "main.tf"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := r.run("get", "-no-color"); err != nil {
		t.Fatalf("terraform get: %v\n%s", err, out)
	}
	return r
}

// run runs terraform in the root and returns stdout and stderr together.
func (r *root) run(args ...string) (string, error) {
	cmd := exec.Command(r.e.terraform, args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		"TF_CLI_CONFIG_FILE="+r.e.cliConfig)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (r *root) writeVars(t *testing.T, vars map[string]any) {
	t.Helper()
	r.vars = vars
	data, err := json.MarshalIndent(vars, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.dir, "e2e.auto.tfvars.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// apply applies with the given variables; it returns terraform's output and
// whether the apply succeeded.
func (r *root) apply(t *testing.T, vars map[string]any) (string, bool) {
	t.Helper()
	r.writeVars(t, vars)
	out, err := r.run("apply", "-auto-approve", "-input=false", "-no-color")
	return out, err == nil
}

// mustApply applies and fails the test when the apply fails.
func (r *root) mustApply(t *testing.T, vars map[string]any) string {
	t.Helper()
	out, ok := r.apply(t, vars)
	if !ok {
		t.Fatalf("terraform apply failed:\n%s", tail(out, 12000))
	}
	return out
}

// mustFailApply applies and fails the test when the apply succeeds.
func (r *root) mustFailApply(t *testing.T, vars map[string]any) string {
	t.Helper()
	out, ok := r.apply(t, vars)
	if ok {
		t.Fatalf("terraform apply succeeded, want a failure:\n%s", tail(out, 8000))
	}
	return out
}

func (r *root) destroy(t *testing.T) (string, error) {
	r.writeVars(t, r.vars)
	return r.run("destroy", "-auto-approve", "-input=false", "-no-color")
}

// state is the root's outputs (see the output blocks in config()).
type state struct {
	Report []reportRow `json:"report"`
	Ver    struct {
		OSVersion       *string `json:"os_version"`
		BootedSlot      *string `json:"booted_slot"`
		BootedSnapshot  *int64  `json:"booted_snapshot"`
		RolledBack      *bool   `json:"rolled_back"`
		PreviousVersion *string `json:"previous_version"`
		BootID          *string `json:"boot_id"`
	} `json:"verification"`
	Node struct {
		Host           string            `json:"host"`
		SSHPort        int               `json:"ssh_port"`
		HostKey        string            `json:"host_key"`
		PID            int               `json:"pid"`
		SerialLog      string            `json:"serial_log"`
		OSVersion      string            `json:"os_version"`
		RunningVersion *string           `json:"running_version"`
		NotApplicable  map[string]string `json:"not_applicable"`
	} `json:"node"`
	AdminUser string `json:"admin_user"`
}

type reportRow struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Status   string `json:"status"`
	Expected string `json:"expected"`
	Actual   string `json:"actual"`
	Detail   string `json:"detail"`
}

func (r *root) outputs(t *testing.T) state {
	t.Helper()
	out, err := r.run("output", "-json", "-no-color")
	if err != nil {
		t.Fatalf("terraform output: %v\n%s", err, out)
	}
	var raw map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("parse outputs: %v\n%s", err, out)
	}
	var s state
	for name, dst := range map[string]any{"report": &s.Report, "verification": &s.Ver, "node": &s.Node,
		"admin_user": &s.AdminUser} {
		v, ok := raw[name]
		if !ok {
			t.Fatalf("output %s missing (outputs: %s)", name, out)
		}
		if err := json.Unmarshal(v.Value, dst); err != nil {
			t.Fatalf("parse output %s: %v\n%s", name, err, v.Value)
		}
	}
	return s
}

// flatten removes terraform's diagnostic box drawing and line breaks so a
// message can be matched wherever terraform wrapped it.
func flatten(out string) string {
	out = strings.NewReplacer("│", " ", "╷", " ", "╵", " ").Replace(out)
	return strings.Join(strings.Fields(out), " ")
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "...\n" + s[len(s)-n:]
}

// serialTail is the end of the node's serial console, for failure messages.
func serialTail(stateDir string) string {
	raw, err := os.ReadFile(filepath.Join(stateDir, "serial.log"))
	if err != nil {
		return "(no serial log: " + err.Error() + ")"
	}
	return tail(string(raw), 3000)
}

// killLeftoverQEMU is the last resort after destroy: end the QEMU whose
// pidfile is in stateDir, if it still runs.
func killLeftoverQEMU(t *testing.T, stateDir string) {
	pid, alive := qemuAlive(stateDir)
	if !alive {
		return
	}
	t.Errorf("QEMU pid %d of %s still ran after destroy; killing it", pid, stateDir)
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// qemuAlive reports the pid in stateDir's pidfile and whether that process
// is still a QEMU started with that pidfile.
func qemuAlive(stateDir string) (int, bool) {
	pidFile := filepath.Join(stateDir, "qemu.pid")
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, pidIsQEMU(pid, pidFile)
}

func pidIsQEMU(pid int, pidFile string) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	return bytes.Contains(cmdline, []byte("qemu")) && (pidFile == "" || bytes.Contains(cmdline, []byte(pidFile)))
}

// timed runs one scenario step as a subtest and logs its wall time (logged
// only; nothing asserts on it).
func timed(t *testing.T, name string, f func(t *testing.T)) bool {
	t.Helper()
	start := time.Now()
	ok := t.Run(name, f)
	t.Logf("scenario %s/%s: %s (%s)", t.Name(), name, time.Since(start).Round(time.Second), map[bool]string{true: "ok", false: "FAILED"}[ok])
	return ok
}

// mustContainAll asserts that the flattened output names every pattern.
func mustContainAll(t *testing.T, out string, patterns ...string) {
	t.Helper()
	flat := flatten(out)
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(flat) {
			t.Errorf("terraform output does not match %s:\n%s", p, tail(out, 6000))
		}
	}
}

// nodeFromState reads the test node's address and host key from the state
// (for diagnostics when an apply failed before the outputs were written).
func (r *root) nodeFromState(t *testing.T) (host string, port int, hostKey string, ok bool) {
	out, err := r.run("show", "-json", "-no-color")
	if err != nil {
		return "", 0, "", false
	}
	var doc struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Type   string `json:"type"`
					Values struct {
						Host    string `json:"host"`
						SSHPort int    `json:"ssh_port"`
						HostKey string `json:"host_key"`
					} `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if json.Unmarshal([]byte(out), &doc) != nil {
		return "", 0, "", false
	}
	for _, res := range doc.Values.RootModule.Resources {
		if res.Type == "hardnode_test_node" && res.Values.SSHPort != 0 {
			return res.Values.Host, res.Values.SSHPort, res.Values.HostKey, true
		}
	}
	return "", 0, "", false
}

// diagnostic returns the flattened text of the first error diagnostic whose
// summary starts with summary ("" when there is none).
func diagnostic(out, summary string) string {
	for _, block := range strings.Split(flatten(out), "Error: ")[1:] {
		if strings.HasPrefix(block, summary) {
			return block
		}
	}
	return ""
}

// mustHaveDiagnostic asserts an error diagnostic with the summary whose
// text matches every pattern.
func mustHaveDiagnostic(t *testing.T, out, summary string, patterns ...string) {
	t.Helper()
	d := diagnostic(out, summary)
	if d == "" {
		t.Errorf("no error diagnostic %q in:\n%s", summary, tail(out, 6000))
		return
	}
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(d) {
			t.Errorf("diagnostic %q does not match %s:\n%s", summary, p, d)
		}
	}
}
