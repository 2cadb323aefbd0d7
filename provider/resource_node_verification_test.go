package provider

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"golang.org/x/crypto/ssh"

	"github.com/hardnode/terraform-provider-hardnode/expect"
	"github.com/hardnode/terraform-provider-hardnode/verify"
	"github.com/hardnode/terraform-provider-hardnode/verify/nodesim"
)

// verificationFixture is a simulated node plus the files a configuration
// needs to reach it (private key, expectations), all in a temp dir.
type verificationFixture struct {
	node    *nodesim.Node
	dir     string
	keyPath string
	docPath string
}

func newVerificationFixture(t *testing.T, family nodesim.Family, version string, checks ...expect.Check) *verificationFixture {
	t.Helper()
	node := nodesim.New(t, family, version)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "acc")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := ssh.NewSignerFromKey(priv)
	node.Authorize(signer.PublicKey())
	f := &verificationFixture{node: node, dir: t.TempDir()}
	f.keyPath = filepath.Join(f.dir, "id_ed25519")
	if err := os.WriteFile(f.keyPath, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	f.setChecks(t, string(family), checks...)
	return f
}

func (f *verificationFixture) setChecks(t *testing.T, family string, checks ...expect.Check) {
	t.Helper()
	doc := expect.Document{Version: 1, OSFamily: family, Checks: checks}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	f.docPath = filepath.Join(f.dir, "expectations.json")
	if err := os.WriteFile(f.docPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func (f *verificationFixture) hostKeyLine() string {
	return verify.KnownHostsLine(f.node.Address, f.node.HostKey())
}

// config renders a hardnode_node_verification block; extra is added verbatim.
func (f *verificationFixture) config(hostKey bool, extra string) string {
	hk := "trust_on_first_use = true"
	if hostKey {
		hk = fmt.Sprintf("host_key = %q", f.hostKeyLine())
	}
	return fmt.Sprintf(`
resource "hardnode_node_verification" "n" {
  host         = "127.0.0.1"
  port         = %d
  user         = %q
  private_key  = file(%q)
  expectations = file(%q)
  timeout      = "20s"
  %s
  %s
}
`, f.node.Port(), f.node.User, f.keyPath, f.docPath, hk, extra)
}

func hardenedChecks() []expect.Check {
	return []expect.Check{
		{ID: "sshd-dropin", Kind: expect.KindFile, Path: "/etc/ssh/sshd_config.d/10-hardnode.conf",
			Mode: "0600", Owner: "root"},
		{ID: "ptrace", Kind: expect.KindSysctl, Key: "kernel.yama.ptrace_scope", Value: "1"},
		{ID: "docker-socket", Kind: expect.KindUnit, Name: "docker.socket", State: expect.UnitMasked,
			OSFamily: "flatcar"},
		{ID: "selinux", Kind: expect.KindSELinux, Mode: expect.SELinuxEnforcing},
	}
}

var verificationAttr = func(name string) tfjsonpath.Path { return tfjsonpath.New(name) }

func TestAccNodeVerificationPassAndUpdate(t *testing.T) {
	f := newVerificationFixture(t, nodesim.Flatcar, "1.0.0", hardenedChecks()...)
	_ = f.node.WriteFile("/sys/fs/selinux/enforce", "1\n")
	res := "hardnode_node_verification.n"

	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: f.config(true, `triggers = { os = "1.0.0" }`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, verificationAttr("os_version"), knownvalue.StringExact("1.0.0")),
					statecheck.ExpectKnownValue(res, verificationAttr("booted_slot"), knownvalue.StringExact("USR-A")),
					statecheck.ExpectKnownValue(res, verificationAttr("rolled_back"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(res, verificationAttr("report"), knownvalue.ListSizeExact(4)),
					statecheck.ExpectKnownValue(res, verificationAttr("report").AtSliceIndex(0).AtMapKey("status"),
						knownvalue.StringExact("pass")),
					statecheck.ExpectKnownValue(res, verificationAttr("pinned_host_key"), knownvalue.StringExact(f.hostKeyLine())),
					statecheck.ExpectKnownValue(res, verificationAttr("private_key"), knownvalue.Null()),
				},
			},
			{
				// The node updates; the trigger re-runs the verification in place.
				PreConfig: func() {
					f.node.Reboot(100*time.Millisecond, func(n *nodesim.Node) { _ = n.SetState(n.State().Updated("1.0.1")) })
				},
				Config: f.config(true, `triggers = { os = "1.0.1" }
  expected_version = "1.0.1"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, verificationAttr("os_version"), knownvalue.StringExact("1.0.1")),
					statecheck.ExpectKnownValue(res, verificationAttr("booted_slot"), knownvalue.StringExact("USR-B")),
					statecheck.ExpectKnownValue(res, verificationAttr("previous_version"), knownvalue.StringExact("1.0.0")),
					statecheck.ExpectKnownValue(res, verificationAttr("rolled_back"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(res, verificationAttr("report").AtSliceIndex(0).AtMapKey("id"),
						knownvalue.StringExact(verify.UpdateCheckID)),
				},
			},
			{
				// A broken update: the node reboots and comes back on 1.0.1 in USR-B.
				PreConfig: func() { f.node.Reboot(100*time.Millisecond, nil) },
				Config: f.config(true, `triggers = { os = "9.9.9-broken" }
  expected_version = "9.9.9-broken"`),
				ExpectError: regexp.MustCompile(`(?s)Node rolled back.*9\.9\.9-broken.*1\.0\.1`),
			},
			{
				Config: f.config(true, `triggers = { os = "9.9.9-broken" }
  expected_version = "9.9.9-broken"
  allow_rollback = true`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, verificationAttr("rolled_back"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(res, verificationAttr("os_version"), knownvalue.StringExact("1.0.1")),
					statecheck.ExpectKnownValue(res, verificationAttr("previous_version"), knownvalue.StringExact("1.0.1")),
					statecheck.ExpectKnownValue(res, verificationAttr("report").AtSliceIndex(0).AtMapKey("status"),
						knownvalue.StringExact("fail")),
				},
			},
		},
	})
}

func TestAccNodeVerificationFailsWithOneDiagnosticPerCheck(t *testing.T) {
	f := newVerificationFixture(t, nodesim.Flatcar, "1.0.0", hardenedChecks()...)
	f.node.SetMeta("/etc/ssh/sshd_config.d/10-hardnode.conf", nodesim.Meta{Mode: 0o644})
	// SELinux stays permissive (Flatcar's default): a second failure.
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: f.config(true, ""),
				ExpectError: regexp.MustCompile(`(?s)Check "sshd-dropin" failed.*Expected: /etc/ssh/sshd_config.d/10-hardnode.conf` +
					`.*Found: .*mode=0644.*Fix:.*Check "selinux" failed.*Found: permissive`),
			},
			{
				// Declaring SELinux not applicable turns it into a warning; the
				// file still fails, and nothing was stored by the failed create.
				Config:      f.config(true, `not_applicable = { selinux = "test kernel without SELinux" }`),
				ExpectError: regexp.MustCompile(`Check "sshd-dropin" failed`),
			},
			{
				// Fixed node: the plan is a create, which proves that the failed
				// applies stored no resource.
				PreConfig: func() {
					f.node.SetMeta("/etc/ssh/sshd_config.d/10-hardnode.conf", nodesim.Meta{Mode: 0o600})
				},
				Config: f.config(true, `not_applicable = { selinux = "test kernel without SELinux" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("hardnode_node_verification.n", plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("hardnode_node_verification.n",
						verificationAttr("report").AtSliceIndex(3).AtMapKey("status"), knownvalue.StringExact("not_applicable")),
				},
			},
		},
	})
}

func TestAccNodeVerificationHostKeyRecordedThenEnforced(t *testing.T) {
	f := newVerificationFixture(t, nodesim.MicroOS, "20260101",
		expect.Check{ID: "selinux", Kind: expect.KindSELinux, Mode: expect.SELinuxEnforcing})
	res := "hardnode_node_verification.n"
	first := f.hostKeyLine()
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: f.config(false, `triggers = { run = "1" }`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, verificationAttr("pinned_host_key"), knownvalue.StringExact(first)),
					statecheck.ExpectKnownValue(res, verificationAttr("booted_snapshot"), knownvalue.Int64Exact(1)),
				},
			},
			{
				Config: f.config(false, `triggers = { run = "2" }`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, verificationAttr("pinned_host_key"), knownvalue.StringExact(first)),
				},
			},
			{
				PreConfig:   func() { f.node.ChangeHostKey() },
				Config:      f.config(false, `triggers = { run = "3" }`),
				ExpectError: regexp.MustCompile(`(?s)Host key changed.*expected\s+ssh-ed25519\s+SHA256:`),
			},
			{
				// The failed re-verification kept the recorded key in state.
				Config:      f.config(false, `triggers = { run = "3" }`),
				ExpectError: regexp.MustCompile(`Host key changed`),
			},
		},
	})
}

func TestAccNodeVerificationPlanTimeValidation(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "bad_key")
	secret := "-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END OPENSSH PRIVATE KEY-----\n"
	if err := os.WriteFile(garbage, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	base := func(body string) string {
		return `resource "hardnode_node_verification" "n" {
  user = "core"
  ` + body + `
}`
	}
	cases := []struct{ body, want string }{
		{`host = "127.0.0.1"
  port = 70000
  agent_socket = "/tmp/x"
  trust_on_first_use = true`, `Invalid port`},
		{`host = "ssh://node"
  agent_socket = "/tmp/x"
  trust_on_first_use = true`, `looks like a URL`},
		{`host = "127.0.0.1"
  private_key = file("` + garbage + `")
  trust_on_first_use = true`, `Unusable private key`},
		{`host = "127.0.0.1"
  agent_socket = "/tmp/x"
  host_key = "nonsense"`, `Invalid host key`},
		{`host = "127.0.0.1"
  agent_socket = "/tmp/x"`, `No host key to check against`},
		{`host = "127.0.0.1"
  trust_on_first_use = true`, `No credentials`},
		{`host = "127.0.0.1"
  agent_socket = "/tmp/x"
  trust_on_first_use = true
  expectations = jsonencode({version = 1, checks = [{id = "a", kind = "apparmor"}]})`, `unknown kind "apparmor"`},
		{`host = "127.0.0.1"
  agent_socket = "/tmp/x"
  trust_on_first_use = true
  not_applicable = { selinx = "typo" }`, `Unknown check kind`},
		{`host = "127.0.0.1"
  agent_socket = "/tmp/x"
  trust_on_first_use = true
  timeout = "soon"`, `Invalid timeout`},
		{`host = "127.0.0.1"
  agent_socket = ""
  trust_on_first_use = true`, `Empty agent_socket`},
		{`host = "127.0.0.1"
  agent_socket = "/tmp/x"
  trust_on_first_use = true
  not_applicable = { selinux = " " }`, `Missing reason`},
		{`host = "127.0.0.1"
  agent_socket = "/tmp/x"
  trust_on_first_use = true
  expectations = jsonencode({version = 1, checks = [{id = "f", kind = "file", path = "/x", sha256 = "abcd"}]})`,
			`check "f": sha256 "abcd" is not 64 hexadecimal digits`},
		{`host = "127.0.0.1"
  agent_socket = "/tmp/x"
  trust_on_first_use = true
  expectations = jsonencode({version = 1, os_family = "flatcar", checks = [{id = "o", kind = "os"}]})`,
			`needs at least one of`},
	}
	var steps []resource.TestStep
	for _, tc := range cases {
		steps = append(steps, resource.TestStep{
			Config:      base(tc.body),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(tc.want),
		})
	}
	resource.UnitTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
	})
	// The key error names the reason, never the key.
	if _, err := verify.ParsePrivateKey([]byte(secret), nil); err == nil ||
		strings.Contains(err.Error(), "bm90IGEga2V5") {
		t.Errorf("key error %v leaks key material or passes", err)
	}
}
