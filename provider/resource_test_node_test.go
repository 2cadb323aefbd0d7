package provider

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"golang.org/x/crypto/ssh"

	"github.com/hardnode/terraform-provider-hardnode/testnode"
)

func repoRootDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestTestNodeConfigValidation plans configurations that must be refused
// before anything boots.
func TestTestNodeConfigValidation(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, body string
		want       *regexp.Regexp
	}{
		{"no boot source", `os_family = "flatcar"`, regexp.MustCompile(`Choose one boot source`)},
		{"two boot sources", `os_family = "flatcar"
			image = "/x.qcow2"
			kernel = "/k"
			initrd = "/i"`, regexp.MustCompile(`Choose one boot source`)},
		{"kernel without initrd", `os_family = "flatcar"
			kernel = "/k"`, regexp.MustCompile(`Incomplete kernel boot`)},
		{"unknown family", `os_family = "debian"
			image = "/x.qcow2"`, regexp.MustCompile(`Unknown OS family`)},
		{"unknown accelerator", `os_family = "microos"
			image = "/x.qcow2"
			accelerator = "hvf"`, regexp.MustCompile(`Unknown accelerator`)},
		{"bad timeout", `os_family = "microos"
			image = "/x.qcow2"
			boot_timeout = "soon"`, regexp.MustCompile(`Invalid boot_timeout`)},
		{"stand-in with disks", `os_family = "microos"
			standin_manifest = "/m.json"
			disks = [{ path = "/d" }]`, regexp.MustCompile(`Conflicting boot inputs`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testAccPreCheck(t)
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: fmt.Sprintf("resource \"hardnode_test_node\" \"n\" {\n state_dir = %q\n %s\n}\n",
						dir, tt.body),
					PlanOnly:    true,
					ExpectError: tt.want,
				}},
			})
		})
	}

	t.Run("relative state_dir", func(t *testing.T) {
		testAccPreCheck(t)
		resource.UnitTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []resource.TestStep{{
				Config: `resource "hardnode_test_node" "n" {
					state_dir = "node1"
					os_family = "flatcar"
					image     = "/x.qcow2"
				}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`state_dir must be absolute`),
			}},
		})
	})
}

var (
	accGuestOnce sync.Once
	accGuestDir  string
	accGuestErr  error
)

// accFakeGuest builds the throwaway busybox guest of testnode's tests
// (testnode/testdata/fakeguest) and returns its kernel and initramfs.
func accFakeGuest(t *testing.T) (kernel, initrd string) {
	t.Helper()
	accGuestOnce.Do(func() {
		root := repoRootDir(t)
		dir, err := os.MkdirTemp("", "hardnode-acc-fakeguest-")
		if err != nil {
			accGuestErr = err
			return
		}
		accGuestDir = dir
		bin := filepath.Join(dir, "fakeguest")
		build := exec.Command("go", "build", "-o", bin, "./testdata/fakeguest")
		build.Dir = filepath.Join(root, "testnode")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			accGuestErr = fmt.Errorf("%w: %s", err, out)
			return
		}
		mk := exec.Command("bash", filepath.Join(root, "testnode", "testdata", "fakeguest", "build.sh"),
			filepath.Join(root, "build", "testnode", "kernel-cache"), dir, bin)
		if out, err := mk.CombinedOutput(); err != nil {
			accGuestErr = fmt.Errorf("%w: %s", err, out)
		}
	})
	if accGuestErr != nil {
		t.Fatalf("build the fake guest: %v", accGuestErr)
	}
	t.Cleanup(func() {})
	return filepath.Join(accGuestDir, "vmlinuz"), filepath.Join(accGuestDir, "initrd.img")
}

// nodeKeys are throwaway keys for one node: its host key and the admin's
// login key.
type nodeKeys struct {
	hostPrivatePEM string
	hostPublic     string
	login          ssh.Signer
	loginPublic    string
	loginPEM       string
}

func newNodeKeys(t *testing.T) nodeKeys {
	t.Helper()
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(hostPriv, "")
	if err != nil {
		t.Fatal(err)
	}
	hostSigner, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	_, loginPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	login, err := ssh.NewSignerFromKey(loginPriv)
	if err != nil {
		t.Fatal(err)
	}
	loginBlock, err := ssh.MarshalPrivateKey(loginPriv, "")
	if err != nil {
		t.Fatal(err)
	}
	return nodeKeys{
		hostPrivatePEM: string(pem.EncodeToMemory(block)),
		hostPublic:     testnode.FormatHostKey(hostSigner.PublicKey()),
		login:          login,
		loginPublic:    testnode.FormatHostKey(login.PublicKey()),
		loginPEM:       string(pem.EncodeToMemory(loginBlock)),
	}
}

// ignition renders a spec 3.3.0 config (what the stand-in's Ignition 2.14
// accepts) with the host key and a user core that logs in with the login key.
func (k nodeKeys) ignition(t *testing.T) string {
	t.Helper()
	cfg := map[string]any{
		"ignition": map[string]any{"version": "3.3.0"},
		"passwd": map[string]any{"users": []any{map[string]any{
			"name": "core", "groups": []string{"wheel"}, "sshAuthorizedKeys": []string{k.loginPublic},
		}}},
		"storage": map[string]any{"files": []any{map[string]any{
			"path": "/etc/ssh/ssh_host_ed25519_key", "mode": 0o600, "overwrite": true,
			"contents": map[string]any{"source": "data:," + url.PathEscape(k.hostPrivatePEM)},
		}}},
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// writeIgnition puts the config into a file for Terraform's file().
func writeIgnition(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "node.ign")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const testNodeOutputs = `
output "host" {
  value = hardnode_test_node.n.host
}
output "ssh_port" {
  value = hardnode_test_node.n.ssh_port
}
`

// checkNodeGone asserts that the node in stateDir has no QEMU left and no
// overlays.
func checkNodeGone(stateDir string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if pid, alive := testnode.Alive(testnode.PathsIn(stateDir)); alive {
			return fmt.Errorf("QEMU pid %d of %s still runs after destroy", pid, stateDir)
		}
		if left, _ := filepath.Glob(filepath.Join(stateDir, "*.qcow2")); len(left) != 0 {
			return fmt.Errorf("overlays left after destroy: %q", left)
		}
		return nil
	}
}

// checkPortOutput asserts that the ssh_port output is the node's port.
func checkPortOutput() resource.TestCheckFunc {
	return func(s *terraform.State) error {
		port := s.RootModule().Resources["hardnode_test_node.n"].Primary.Attributes["ssh_port"]
		out, ok := s.RootModule().Outputs["ssh_port"]
		if !ok {
			return fmt.Errorf("no ssh_port output")
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 {
			return fmt.Errorf("ssh_port %q is not a port", port)
		}
		if got := fmt.Sprint(out.Value); got != port {
			return fmt.Errorf("output ssh_port = %s, resource ssh_port = %s", got, port)
		}
		return nil
	}
}

// checkNodeRuns asserts that the pid in state is the node's live QEMU.
func checkNodeRuns(stateDir string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs := s.RootModule().Resources["hardnode_test_node.n"]
		pid, alive := testnode.Alive(testnode.PathsIn(stateDir))
		if !alive {
			return fmt.Errorf("no QEMU runs for %s", stateDir)
		}
		if got := rs.Primary.Attributes["pid"]; got != strconv.Itoa(pid) {
			return fmt.Errorf("pid in state %s, pidfile says %d", got, pid)
		}
		return nil
	}
}

// killNode ends the node's QEMU behind Terraform's back.
func killNode(t *testing.T, stateDir string) func() {
	return func() {
		how, err := testnode.Stop(t.Context(), testnode.PathsIn(stateDir), 0)
		if err != nil {
			t.Fatalf("end QEMU behind terraform's back: %v", err)
		}
		t.Logf("node ended behind terraform's back: %s", how)
	}
}

// TestAccTestNode_kernelBoot boots the throwaway busybox guest with the real
// terraform: create, outputs, Read noticing a dead node, destroy.
func TestAccTestNode_kernelBoot(t *testing.T) {
	kernel, initrd := accFakeGuest(t)
	keys := newNodeKeys(t)
	stateDir := t.TempDir()
	disk := filepath.Join(t.TempDir(), "data.img")
	if err := os.WriteFile(disk, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`
resource "hardnode_test_node" "n" {
  kernel      = %q
  initrd      = %q
  kernel_args = "console=ttyS0 panic=-1 quiet"
  disks       = [{ path = %q, serial = "data" }]
  ignition    = file(%q)
  os_family   = "flatcar"
  memory      = 256
  state_dir   = %q
  host_key    = %q
}
`, kernel, initrd, disk, writeIgnition(t, keys.ignition(t)), stateDir, keys.hostPublic) + testNodeOutputs

	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNodeGone(stateDir),
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("hardnode_test_node.n", "host", "127.0.0.1"),
					resource.TestCheckResourceAttr("hardnode_test_node.n", "host_key", keys.hostPublic),
					resource.TestCheckResourceAttr("hardnode_test_node.n", "id", stateDir),
					resource.TestCheckResourceAttr("hardnode_test_node.n", "not_applicable.%", "0"),
					resource.TestCheckResourceAttr("hardnode_test_node.n", "qmp_socket",
						filepath.Join(stateDir, "qmp.sock")),
					resource.TestCheckOutput("host", "127.0.0.1"),
					checkPortOutput(),
					checkNodeRuns(stateDir),
				),
			},
			{
				// QEMU dies behind Terraform's back: Read drops the node and
				// the plan wants a new one.
				PreConfig:          killNode(t, stateDir),
				Config:             config,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}

// TestAccTestNode_standin boots the Flatcar-like stand-in with the real
// terraform, logs in over SSH with the key from the config (pinning the
// host key), then drives os_version: an update in place to 1.0.1, and a
// broken version that the node rolls back from.
func TestAccTestNode_standin(t *testing.T) {
	manifest := filepath.Join(repoRootDir(t), "build", "standin", "current", "manifest.json")
	if _, err := os.Stat(manifest); err != nil && os.Getenv("TF_ACC") != "" {
		t.Fatalf("stand-in image missing (%v): build it with make standin", err)
	}
	keys := newNodeKeys(t)
	stateDir := t.TempDir()
	ignition := writeIgnition(t, keys.ignition(t))
	loginKey := filepath.Join(t.TempDir(), "login_key")
	if err := os.WriteFile(loginKey, []byte(keys.loginPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	config := func(osVersion string) string {
		version := ""
		if osVersion != "" {
			version = fmt.Sprintf("os_version = %q", osVersion)
		}
		return fmt.Sprintf(`
resource "hardnode_test_node" "n" {
  standin_manifest  = %q
  ignition          = file(%q)
  os_family         = "flatcar"
  state_dir         = %q
  host_key          = %q
  ssh_private_key   = file(%q)
  boot_timeout      = "8m"
  powerdown_timeout = "20s"
  %s
}
`, manifest, ignition, stateDir, keys.hostPublic, loginKey, version) + testNodeOutputs
	}
	const res = "hardnode_test_node.n"
	var firstPID string

	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNodeGone(stateDir),
		Steps: []resource.TestStep{
			{
				Config: config(""),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(res, "host", "127.0.0.1"),
					resource.TestCheckResourceAttr(res, "host_key", keys.hostPublic),
					resource.TestCheckResourceAttr(res, "not_applicable.%", "0"),
					resource.TestCheckResourceAttr(res, "os_version", "1.0.0"),
					resource.TestCheckResourceAttr(res, "running_version", "1.0.0"),
					resource.TestCheckOutput("host", "127.0.0.1"),
					checkPortOutput(),
					checkNodeRuns(stateDir),
					checkLogin(keys, "cat /sys/fs/selinux/enforce", "1"),
					func(s *terraform.State) error {
						firstPID = s.RootModule().Resources[res].Primary.Attributes["pid"]
						return nil
					},
				),
			},
			{
				Config: config("1.0.1"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(res, "os_version", "1.0.1"),
					resource.TestCheckResourceAttr(res, "running_version", "1.0.1"),
					func(s *terraform.State) error {
						if pid := s.RootModule().Resources[res].Primary.Attributes["pid"]; pid != firstPID {
							return fmt.Errorf("pid changed from %s to %s: the node was replaced", firstPID, pid)
						}
						return nil
					},
					checkLogin(keys, "cat /etc/os-release", "VERSION=1.0.1"),
				),
			},
			{
				Config: config("1.0.2-broken"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(res, "os_version", "1.0.2-broken"),
					resource.TestCheckResourceAttr(res, "running_version", "1.0.1"),
				),
			},
		},
	})
}

// checkLogin logs in as core with the node's login key, pinning its host
// key, runs cmd and wants its output to contain want.
func checkLogin(keys nodeKeys, cmd, want string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		attrs := s.RootModule().Resources["hardnode_test_node.n"].Primary.Attributes
		hostKey, _, _, _, err := ssh.ParseAuthorizedKey([]byte(keys.hostPublic))
		if err != nil {
			return err
		}
		addr := net.JoinHostPort(attrs["host"], attrs["ssh_port"])
		client, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
			User:              "core",
			Auth:              []ssh.AuthMethod{ssh.PublicKeys(keys.login)},
			HostKeyCallback:   ssh.FixedHostKey(hostKey),
			HostKeyAlgorithms: []string{hostKey.Type()},
			Timeout:           30 * time.Second,
		})
		if err != nil {
			return fmt.Errorf("ssh core@%s: %w", addr, err)
		}
		defer client.Close()
		sess, err := client.NewSession()
		if err != nil {
			return err
		}
		defer sess.Close()
		out, err := sess.CombinedOutput(cmd)
		if err != nil {
			return fmt.Errorf("ssh %q: %w: %s", cmd, err, out)
		}
		if !strings.Contains(string(out), want) {
			return fmt.Errorf("ssh %q: output lacks %q:\n%s", cmd, want, out)
		}
		return nil
	}
}
