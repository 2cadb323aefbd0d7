package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// TestAccButaneDataSource_nullSnippet: a null element is an attribute error
// on snippets[i], not a value conversion failure.
func TestAccButaneDataSource_nullSnippet(t *testing.T) {
	cfg := butaneConfig("  content = " + hcl(testButaneFlatcar) + "  snippets = [null]\n")
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      cfg,
			ExpectError: regexp.MustCompile(`Null snippet[\s\S]*snippets\[0\] is null`),
		}},
	})
}

// TestAccButaneDataSource_validatedAtPlan: bad target, compression and
// ignition_version are all reported by validation, with the accepted forms,
// even when the data source could only be read at apply.
func TestAccButaneDataSource_validatedAtPlan(t *testing.T) {
	cfg := `resource "terraform_data" "key" { input = "k" }
data "hardnode_butane" "test" {
  content          = "variant: flatcar\nversion: 1.1.0\n# ${terraform_data.key.output}\n"
  target           = "flatcar-4152.x.y"
  compression      = "gzip"
  ignition_version = "3.9.0"
}
`
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg, PlanOnly: true, ExpectError: regexp.MustCompile(`Unknown target[\s\S]*flatcar-MAJOR`)},
			{Config: cfg, PlanOnly: true, ExpectError: regexp.MustCompile(`Unknown compression[\s\S]*"auto"\s+or\s+"none"`)},
			{Config: cfg, PlanOnly: true, ExpectError: regexp.MustCompile(`Unknown Ignition spec version[\s\S]*3\.7\.0-experimental`)},
		},
	})
}

// TestAccButaneDataSource_filesDirMissing: local files without files_dir
// give one error on files_dir naming the line.
func TestAccButaneDataSource_filesDirMissing(t *testing.T) {
	content := "variant: flatcar\nversion: 1.1.0\nstorage:\n  files:\n    - path: /etc/a\n" +
		"      contents:\n        local: a\n    - path: /etc/b\n      contents:\n        local: b\n"
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      butaneConfig("  content = " + hcl(content)),
			ExpectError: regexp.MustCompile(`files_dir not set[\s\S]*line\s+7[\s\S]*set\s+files_dir`),
		}},
	})
}

// TestAccButaneFunction_strict: the function fails on any warning and says
// where to go for non-strict use; local files point at the data source.
func TestAccButaneFunction_strict(t *testing.T) {
	warn := "output \"rendered\" {\n  value = provider::hardnode::butane(\"variant: flatcar\\nversion: 1.1.0\\n" +
		"storage:\\n  files:\\n    - path: /etc/x\\n      mode: 644\\n\")\n}\n"
	local := "output \"rendered\" {\n  value = provider::hardnode::butane(\"variant: flatcar\\nversion: 1.1.0\\n" +
		"storage:\\n  files:\\n    - path: /etc/x\\n      contents:\\n        local: x\\n\")\n}\n"
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: warn, ExpectError: regexp.MustCompile(`always\s+strict[\s\S]*line\s+6,\s+column\s+13[\s\S]*0o1204`)},
			{Config: local, ExpectError: regexp.MustCompile(`not\s+available\s+in\s+the\s+function;\s+use\s+the\s+hardnode_butane\s+data\s+source\s+with\s+files_dir`)},
		},
	})
}
