package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

const testButaneFlatcar = `variant: flatcar
version: 1.1.0
storage:
  files:
    - path: /etc/hostname
      mode: 0644
      contents:
        inline: node-1
`

// hcl quotes a Butane document as a Terraform heredoc.
func hcl(doc string) string {
	return "<<-EOT\n" + doc + "EOT\n"
}

func butaneConfig(attrs string) string {
	return fmt.Sprintf("data \"hardnode_butane\" \"test\" {\n%s}\n", attrs)
}

func TestAccButaneDataSource_plain(t *testing.T) {
	cfg := butaneConfig("  content = " + hcl(testButaneFlatcar))
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("data.hardnode_butane.test", "ignition_version", "3.4.0"),
					resource.TestMatchResourceAttr("data.hardnode_butane.test", "rendered",
						regexp.MustCompile(`^\{"ignition":\{"version":"3\.4\.0"\}.*"/etc/hostname"`)),
					resource.TestCheckResourceAttrWith("data.hardnode_butane.test", "rendered_size", positiveInt),
					resource.TestCheckResourceAttr("data.hardnode_butane.test", "warnings.#", "0"),
				),
			},
			// The same configuration again: a plan after apply shows no change.
			{Config: cfg, PlanOnly: true},
		},
	})
}

func positiveInt(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return fmt.Errorf("want a positive size, got %q", v)
	}
	return nil
}

func TestAccButaneDataSource_snippets(t *testing.T) {
	snippet := `variant: flatcar
version: 1.0.0
passwd:
  users:
    - name: ops
`
	cfg := butaneConfig("  content = " + hcl(testButaneFlatcar) + "  snippets = [" + hcl(snippet) + "]\n")
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestMatchResourceAttr("data.hardnode_butane.test", "rendered",
					regexp.MustCompile(`"passwd":\{"users":\[\{"name":"ops"\}\]\}.*"/etc/hostname"`)),
			),
		}},
	})
}

func TestAccButaneDataSource_filesDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "motd"), []byte("hello from files_dir\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	content := "variant: flatcar\nversion: 1.1.0\nstorage:\n  files:\n    - path: /etc/motd\n" +
		"      contents:\n        local: motd\n"
	escape := "variant: flatcar\nversion: 1.1.0\nstorage:\n  files:\n    - path: /etc/motd\n" +
		"      contents:\n        local: ../../etc/passwd\n"
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: butaneConfig("  content = " + hcl(content) + fmt.Sprintf("  files_dir = %q\n", dir)),
				Check: resource.TestMatchResourceAttr("data.hardnode_butane.test", "rendered",
					regexp.MustCompile(`data:,hello%20from%20files_dir`)),
			},
			{
				Config:      butaneConfig("  content = " + hcl(escape) + fmt.Sprintf("  files_dir = %q\n", dir)),
				ExpectError: regexp.MustCompile(`line\s+7,\s+column\s+16[\s\S]*traverses\s+outside`),
			},
		},
	})
}

func TestAccButaneDataSource_strict(t *testing.T) {
	typo := `variant: flatcar
version: 1.1.0
storage:
  files:
    - path: /etc/chrony.conf
      contnts:
        inline: server ntp.example.com
`
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: butaneConfig("  content = " + hcl(typo)),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("data.hardnode_butane.test", "warnings.#", "1"),
					resource.TestCheckResourceAttr("data.hardnode_butane.test", "warnings.0.line", "6"),
					resource.TestCheckResourceAttr("data.hardnode_butane.test", "warnings.0.message", "unused key contnts"),
				),
			},
			{
				Config:      butaneConfig("  content = " + hcl(typo) + "  strict = true\n"),
				ExpectError: regexp.MustCompile(`Butane warnings in strict mode[\s\S]*line\s+6,\s+column\s+7`),
			},
		},
	})
}

func TestAccButaneDataSource_target(t *testing.T) {
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: butaneConfig("  content = " + hcl(testButaneFlatcar) + "  target = \"flatcar-3510.2.0\"\n"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("data.hardnode_butane.test", "ignition_version", "3.3.0"),
					resource.TestMatchResourceAttr("data.hardnode_butane.test", "rendered",
						regexp.MustCompile(`"version":"3\.3\.0"`)),
				),
			},
			{
				Config: butaneConfig("  content = " + hcl(testButaneFlatcar) + "  target = \"microos\"\n"),
				Check:  resource.TestCheckResourceAttr("data.hardnode_butane.test", "ignition_version", "3.6.0"),
			},
			{
				Config: butaneConfig("  content = " + hcl(testButaneFlatcar) +
					"  target = \"flatcar-3510.2.0\"\n  ignition_version = \"3.4.0\"\n"),
				ExpectError: regexp.MustCompile(`newer\s+than\s+flatcar-3510\.2\.0\s+accepts`),
			},
		},
	})
}

func TestAccButaneDataSource_badYAML(t *testing.T) {
	bad := `variant: flatcar
version: 1.1.0
storage:
  files:
    - path: /etc/x
      mode: abc
`
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      butaneConfig("  content = " + hcl(bad)),
			ExpectError: regexp.MustCompile(`Invalid YAML[\s\S]*line\s+6,\s+column\s+13`),
		}},
	})
}

func TestAccButaneFunction(t *testing.T) {
	ok := "output \"rendered\" {\n  value = provider::hardnode::butane(" + hcl(testButaneFlatcar) + ")\n}\n"
	bad := "output \"rendered\" {\n  value = provider::hardnode::butane(\"variant: flatcar\\nversion: 9.9.9\\n\")\n}\n"
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: ok,
				Check: resource.TestMatchOutput("rendered",
					regexp.MustCompile(`^\{"ignition":\{"version":"3\.4\.0"\}`)),
			},
			{
				Config:      bad,
				ExpectError: regexp.MustCompile(`line\s+2,\s+column\s+10[\s\S]*No\s+translator\s+exists`),
			},
		},
	})
}
