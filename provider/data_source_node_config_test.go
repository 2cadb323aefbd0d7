package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/hardnode/terraform-provider-hardnode/expect"
	"github.com/hardnode/terraform-provider-hardnode/harden"
)

// hardenFixture reads a key fixture of harden/testdata.
func hardenFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "harden", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func nodeConfigHCL(attrs string) string {
	return "data \"hardnode_node_config\" \"test\" {\n" + attrs + "}\n"
}

// expectationsDoc checks that the attribute is a valid expectations document
// for the family, with the given check ids present.
func expectationsDoc(family string, ids ...string) func(string) error {
	return func(v string) error {
		doc, err := expect.Parse([]byte(v))
		if err != nil {
			return err
		}
		if doc.OSFamily != family {
			return fmt.Errorf("os_family %q, want %q", doc.OSFamily, family)
		}
		have := map[string]bool{}
		for _, c := range doc.Checks {
			have[c.ID] = true
		}
		for _, id := range ids {
			if !have[id] {
				return fmt.Errorf("no check %q", id)
			}
		}
		return nil
	}
}

func TestAccNodeConfigDataSource_flatcar(t *testing.T) {
	admin := hardenFixture(t, "admin_ed25519.pub")
	hostKey := hardenFixture(t, "host_ed25519")
	hostPub := strings.Join(strings.Fields(hardenFixture(t, "host_ed25519.pub"))[:2], " ")
	cfg := nodeConfigHCL(fmt.Sprintf(`
  os_family = "flatcar"
  level     = "restricted"
  hostname  = "edge-1"
  target    = "ignition-2.14"
  admin = { ssh_authorized_keys = [%q] }
  ssh   = { host_key = <<-EOT
%s
EOT
  }
  container_users = [{ name = "web", linger = true }, { name = "batch", uid = 6100, subid_start = 300000 }]
  podman = {
    trust    = [{ scope = "ghcr.io/acme", type = "sigstore", key = %q }]
    quadlets = [{ name = "web", user = "web", image = "ghcr.io/acme/web:1", publish_ports = ["8080:8080"] }]
  }
  update  = { strategy = "reboot", window_start = "Thu 04:00", window_length = "1h30m", group = "stable" }
  sysctls = { "vm.max_map_count" = "262144" }
`, admin, hostKey, hardenFixture(t, "cosign.pub")))
	const ds = "data.hardnode_node_config.test"
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(ds, "ignition_version", "3.3.0"),
					resource.TestCheckResourceAttr(ds, "admin_user", "core"),
					resource.TestCheckResourceAttr(ds, "host_public_key", hostPub),
					resource.TestMatchResourceAttr(ds, "rendered",
						regexp.MustCompile(`^\{"ignition":\{"version":"3\.3\.0"\}.*/etc/ssh/sshd_config\.d/05-hardnode\.conf`)),
					resource.TestMatchResourceAttr(ds, "butane", regexp.MustCompile(`(?m)^variant: flatcar$`)),
					resource.TestCheckResourceAttrWith(ds, "expectations", expectationsDoc("flatcar",
						"selinux-mode", "unit-docker-socket", "subuid-web", "subuid-batch", "linger-web",
						"quadlet-web-web", "update-conf", "sysctl-vm.max_map_count", "ssh-host-key-pub")),
				),
			},
			{Config: cfg, PlanOnly: true},
		},
	})
}

func TestAccNodeConfigDataSource_microosSnippet(t *testing.T) {
	cfg := nodeConfigHCL(fmt.Sprintf(`
  os_family = "microos"
  admin     = { ssh_authorized_keys = [%q] }
  update    = { strategy = "external" }
  snippets  = [<<-EOT
variant: fcos
version: 1.4.0
storage:
  files:
    - path: /etc/motd
      contents:
        inline: hello from a snippet
EOT
  ]
`, hardenFixture(t, "admin_ed25519.pub")))
	const ds = "data.hardnode_node_config.test"
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(ds, "admin_user", "admin"),
					resource.TestCheckResourceAttr(ds, "host_public_key", ""),
					resource.TestMatchResourceAttr(ds, "rendered", regexp.MustCompile(`"/etc/motd"`)),
					resource.TestMatchResourceAttr(ds, "rendered", regexp.MustCompile(`REBOOT_METHOD%3Dkured`)),
					resource.TestCheckResourceAttrWith(ds, "expectations", expectationsDoc("microos",
						"unit-rebootmgr", "transactional-update-conf", "selinux-config")),
				),
			},
			{Config: cfg, PlanOnly: true},
		},
	})
}

// TestAccNodeConfigDataSource_badInputs: invalid values are attribute
// errors with the summary and detail harden gives.
func TestAccNodeConfigDataSource_badInputs(t *testing.T) {
	admin := fmt.Sprintf("  admin = { ssh_authorized_keys = [%q] }\n", hardenFixture(t, "admin_ed25519.pub"))
	tests := []struct {
		name, attrs, want string
	}{
		{"window", `  os_family = "flatcar"
  update = { window_start = "Thu 04:00" }
`, `Incomplete reboot window`},
		{"window day", `  os_family = "flatcar"
  update = { window_start = "Someday 04:00", window_length = "1h" }
`, `Invalid reboot window start`},
		{"selinux", `  os_family = "flatcar"
  selinux = { mode = "disabled" }
`, `SELinux disabled without override`},
		{"subid overlap", `  os_family = "microos"
  container_users = [{ name = "a", subid_start = 200000 }, { name = "b", subid_start = 250000 }]
`, `Overlapping subordinate ID ranges`},
		{"userns sysctl", `  os_family = "flatcar"
  sysctls = { "user.max_user_namespaces" = "0" }
`, `Sysctl breaks rootless containers`},
		{"os", `  os_family = "ubuntu"
`, `Unknown OS family`},
		{"target", `  os_family = "flatcar"
  target = "windows-11"
`, `Unknown target`},
		{"null sysctl", `  os_family = "flatcar"
  sysctls = { "vm.swappiness" = null }
`, `(?s)Null element.*sysctls\["vm.swappiness"\] is null`},
		{"null list elements", `  os_family = "flatcar"
  container_users = [null, { name = "web" }]
  podman = { quadlets = [null, { name = "w", user = "web", image = "ghcr.io/a/w:1",
    environment = { A = null }, publish_ports = [null] }] }
`, `(?s)(Must set a configuration value for the container_users\[0\].name|container_users\[0\] is null)`},
		{"null env", `  os_family = "flatcar"
  container_users = [{ name = "web" }]
  podman = { quadlets = [{ name = "w", user = "web", image = "ghcr.io/a/w:1", environment = { A = null } }] }
`, `podman.quadlets\[0\].environment\["A"\] is null`},
		{"uid zero", `  os_family = "flatcar"
  container_users = [{ name = "web", uid = 0 }]
`, `(?s)Zero is not a value here.*container_users\[0\].uid = 0`},
		{"subid count zero", `  os_family = "flatcar"
  container_users = [{ name = "web", subid_count = 0 }]
`, `container_users\[0\].subid_count = 0`},
		{"empty host key", `  os_family = "flatcar"
  ssh = { host_key = "" }
`, `(?s)Empty string.*ssh.host_key is ""`},
		{"nested element named", `  os_family = "flatcar"
  container_users = [{ name = "web" }, { name = "nobody" }]
`, `(?s)system account.*container_users\[1\].name: "nobody"`},
		{"restricted permissive", `  os_family = "microos"
  level = "restricted"
  selinux = { mode = "permissive" }
`, `SELinux must enforce at level restricted`},
		{"old flatcar with podman", `  os_family = "flatcar"
  target = "flatcar-3510.2.0"
  container_users = [{ name = "web" }]
`, `Flatcar release without the Podman system extension`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				PreCheck:                 func() { testAccPreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      nodeConfigHCL(tt.attrs + admin),
					ExpectError: regexp.MustCompile(tt.want),
				}},
			})
		})
	}
}

// TestNodeConfigAttributePaths: every harden path step kind converts to the
// Terraform path the schema has.
func TestNodeConfigAttributePaths(t *testing.T) {
	tests := map[string]harden.Path{
		`container_users[1].subid_start`:      {"container_users", 1, "subid_start"},
		`sysctls["user.max_user_namespaces"]`: {"sysctls", harden.MapKey("user.max_user_namespaces")},
		`podman.quadlets[0].environment["X"]`: {"podman", "quadlets", 0, "environment", harden.MapKey("X")},
		`update.window_start`:                 {"update", "window_start"},
	}
	for want, hp := range tests {
		if got := hardenPath(hp).String(); got != want {
			t.Errorf("hardenPath(%v) = %s, want %s", hp, got, want)
		}
	}
}
