package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// butaneDataSourceSchema keeps the hardnode_butane descriptions next to the
// model; tfplugindocs turns them into docs/data-sources/butane.md.
func butaneDataSourceSchema() schema.Schema {
	return schema.Schema{
		MarkdownDescription: "Renders a Butane config (YAML) to an Ignition config (JSON) for Flatcar " +
			"Container Linux, Fedora CoreOS-style hosts and openSUSE MicroOS (which uses the `fcos` " +
			"variant). Every Butane report entry is surfaced with its line and column; the output " +
			"spec can be chosen directly (`ignition_version`) or from the machine that will boot it " +
			"(`target`), translating up or down as needed. The same inputs always render the same bytes.",
		Attributes: map[string]schema.Attribute{
			"content": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "The Butane config (YAML), with `variant` and `version` at the top.",
			},
			"snippets": schema.ListAttribute{
				Optional:    true,
				ElementType: types.StringType,
				Validators:  []validator.List{noNullElements{}},
				MarkdownDescription: "More Butane documents of the same variant, each translated on its own, " +
					"raised to the newest spec among them and merged into `content` in order with " +
					"Ignition's own merge, which works **field by field**, not by replacing whole entries: " +
					"list entries with the same key (files, directories and links by `path`, which share " +
					"one namespace; units and drop-ins by `name`; users and groups by `name`; disks by " +
					"`device`; ...) are merged, each field that the later document sets replacing the " +
					"earlier value and each field it leaves out keeping it (e.g. `mode`, `user`, a " +
					"`verification` hash); a file, directory or link replaces an entry of another kind at " +
					"the same path; lists of plain values (such as `ssh_authorized_keys`) gain the new " +
					"values; append-only lists (a file's `append`, `ignition.config.merge`) are appended. " +
					"A later source without its own `verification` keeps the earlier hash, which fails the " +
					"boot: hardnode warns about it. Elements must not be null.",
			},
			"files_dir": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Directory that `local:` sources, `contents_local:` and `tree:` entries " +
					"are read from. Paths that are absolute, climb out with `..` or resolve through a " +
					"symlink to a place outside it are refused.",
			},
			"strict": schema.BoolAttribute{
				Optional:            true,
				MarkdownDescription: "Fail the read on any Butane warning instead of reporting it. Default `false`.",
			},
			"pretty_print": schema.BoolAttribute{
				Optional:            true,
				MarkdownDescription: "Indent the rendered JSON. Default `false`.",
			},
			"ignition_version": schema.StringAttribute{
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{ignitionVersionValidator},
				MarkdownDescription: "Ignition spec version of `rendered`, e.g. `3.3.0`. When set, the config is " +
					"translated up with Ignition's translators or re-expressed in the older spec; a field " +
					"that the older spec lacks fails the read, naming the field and the oldest spec that " +
					"has it. When unset: the highest spec of `target`, else the spec of the Butane variant.",
			},
			"target": schema.StringAttribute{
				Optional:   true,
				Validators: []validator.String{targetValidator},
				MarkdownDescription: "The machine that boots the config, which decides the highest spec it " +
					"accepts: a Flatcar release (`flatcar-3510.2.0`), `microos`, or an Ignition release " +
					"(`ignition-2.14`). See the provider documentation for the table.",
			},
			"compression": schema.StringAttribute{
				Optional:   true,
				Validators: []validator.String{compressionValidator},
				MarkdownDescription: "`auto` (default): gzip embedded file contents where that is smaller, " +
					"exactly as Butane does. `none`: never gzip, for a larger config rendered faster.",
			},
			"rendered": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The Ignition config (JSON).",
			},
			"rendered_size": schema.Int64Attribute{
				Computed: true,
				MarkdownDescription: "Size of `rendered` in bytes, to watch user-data limits of clouds " +
					"(e.g. 16 KiB on some, 64 KiB on others).",
			},
			"warnings": schema.ListNestedAttribute{
				Computed: true,
				MarkdownDescription: "Butane's report entries that did not fail the read (also shown as " +
					"Terraform warnings).",
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"severity": schema.StringAttribute{Computed: true, MarkdownDescription: "`warning` or `info`."},
						"snippet": schema.Int64Attribute{Computed: true,
							MarkdownDescription: "Index in `snippets`; null for `content`."},
						"line":    schema.Int64Attribute{Computed: true, MarkdownDescription: "1-based line; 0 when unknown."},
						"column":  schema.Int64Attribute{Computed: true, MarkdownDescription: "1-based column; 0 when unknown."},
						"path":    schema.StringAttribute{Computed: true, MarkdownDescription: "Path of the YAML node, e.g. `$.storage.files.0`."},
						"message": schema.StringAttribute{Computed: true, MarkdownDescription: "What Butane reported."},
					},
				},
			},
		},
	}
}
