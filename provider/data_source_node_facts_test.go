package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/hardnode/terraform-provider-hardnode/expect"
	"github.com/hardnode/terraform-provider-hardnode/verify/nodesim"
)

func TestAccNodeFactsReportsWithoutFailing(t *testing.T) {
	f := newVerificationFixture(t, nodesim.MicroOS, "20260101",
		expect.Check{ID: "selinux", Kind: expect.KindSELinux, Mode: expect.SELinuxEnforcing},
		expect.Check{ID: "kptr", Kind: expect.KindSysctl, Key: "kernel.kptr_restrict", Value: "1"},
	)
	_ = f.node.WriteFile("/run/reboot-needed", "")
	f.node.SetUnit("broken.service", nodesim.Unit{Enabled: "enabled", Active: "failed"})
	ds := "data.hardnode_node_facts.n"
	cfg := fmt.Sprintf(`
data "hardnode_node_facts" "n" {
  host         = "127.0.0.1"
  port         = %d
  user         = %q
  private_key  = file(%q)
  host_key     = %q
  expectations = file(%q)
}
`, f.node.Port(), f.node.User, f.keyPath, f.hostKeyLine(), f.docPath)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("os_version"), knownvalue.StringExact("20260101")),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("os_family"), knownvalue.StringExact("microos")),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("booted_snapshot"), knownvalue.Int64Exact(1)),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("reboot_pending"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("failed_units"),
					knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("broken.service")})),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("checks_failed"), knownvalue.Int64Exact(1)),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("report").AtSliceIndex(1).AtMapKey("status"),
					knownvalue.StringExact("fail")),
			},
		}},
	})
}

// Facts that could not be read are null with the reason in problems, never
// an empty list that reads as "nothing failed".
func TestAccNodeFactsUnreadableFailedUnitsAreNull(t *testing.T) {
	f := newVerificationFixture(t, nodesim.Flatcar, "1.0.0")
	f.node.HandleCommand("systemctl", func([]string, string) (string, string, int) {
		return "", "Failed to connect to bus: No such file or directory\n", 1
	})
	ds := "data.hardnode_node_facts.n"
	cfg := fmt.Sprintf(`
data "hardnode_node_facts" "n" {
  host     = "127.0.0.1"
  port     = %d
  user     = %q
  private_key = file(%q)
  host_key = %q
}
`, f.node.Port(), f.node.User, f.keyPath, f.hostKeyLine())
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("failed_units"), knownvalue.Null()),
				statecheck.ExpectKnownValue(ds, tfjsonpath.New("problems"),
					knownvalue.ListPartial(map[int]knownvalue.Check{0: knownvalue.StringRegexp(
						regexp.MustCompile("systemctl --failed exited 1"))})),
			},
		}},
	})
}
