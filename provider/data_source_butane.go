package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hardnode/terraform-provider-hardnode/butane"
)

var _ datasource.DataSource = (*butaneDataSource)(nil)

// NewButaneDataSource returns the hardnode_butane data source.
func NewButaneDataSource() datasource.DataSource {
	return &butaneDataSource{}
}

type butaneDataSource struct{}

// butaneModel is the hardnode_butane configuration and state.
type butaneModel struct {
	Content         types.String `tfsdk:"content"`
	Snippets        types.List   `tfsdk:"snippets"`
	FilesDir        types.String `tfsdk:"files_dir"`
	Strict          types.Bool   `tfsdk:"strict"`
	PrettyPrint     types.Bool   `tfsdk:"pretty_print"`
	IgnitionVersion types.String `tfsdk:"ignition_version"`
	Target          types.String `tfsdk:"target"`
	Compression     types.String `tfsdk:"compression"`
	Rendered        types.String `tfsdk:"rendered"`
	RenderedSize    types.Int64  `tfsdk:"rendered_size"`
	Warnings        types.List   `tfsdk:"warnings"`
}

func (d *butaneDataSource) Metadata(_ context.Context, req datasource.MetadataRequest,
	resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_butane"
}

func (d *butaneDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = butaneDataSourceSchema()
}

func (d *butaneDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m butaneModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}

	opts := butane.Options{
		Content:         []byte(m.Content.ValueString()),
		FilesDir:        m.FilesDir.ValueString(),
		Strict:          m.Strict.ValueBool(),
		PrettyPrint:     m.PrettyPrint.ValueBool(),
		IgnitionVersion: m.IgnitionVersion.ValueString(),
		Target:          m.Target.ValueString(),
		Compression:     m.Compression.ValueString(),
	}
	opts.Snippets = snippetValues(m.Snippets, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}

	res, err := butane.Translate(opts)
	if err != nil {
		addButaneError(&resp.Diagnostics, err)
		return
	}
	for _, w := range res.Warnings {
		resp.Diagnostics.AddAttributeWarning(entryPath(w.Source), warningSummary(w), entryDetail(w))
	}

	m.Rendered = types.StringValue(string(res.Rendered))
	m.RenderedSize = types.Int64Value(int64(len(res.Rendered)))
	m.IgnitionVersion = types.StringValue(res.IgnitionVersion)
	warnings, diags := warningsValue(res.Warnings)
	resp.Diagnostics.Append(diags...)
	m.Warnings = warnings
	tflog.Debug(ctx, "translated butane", map[string]any{
		"ignition_version": res.IgnitionVersion, "rendered_size": len(res.Rendered),
		"snippets": len(opts.Snippets), "warnings": len(res.Warnings),
	})
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// snippetValues reads the snippets list element by element, so that a null
// element is an error on snippets[i] rather than a conversion failure.
func snippetValues(list types.List, diags *diag.Diagnostics) [][]byte {
	if list.IsNull() || list.IsUnknown() {
		return nil
	}
	var out [][]byte
	for i, e := range list.Elements() {
		s, ok := e.(types.String)
		if !ok || s.IsNull() || s.IsUnknown() {
			diags.AddAttributeError(path.Root("snippets").AtListIndex(i), "Null snippet",
				fmt.Sprintf("snippets[%d] is null or unknown: give a Butane document, or leave the element out", i))
			continue
		}
		out = append(out, []byte(s.ValueString()))
	}
	return out
}

// entryPath is the attribute an entry belongs to: content or snippets[i].
func entryPath(source int) path.Path {
	if source < 0 {
		return path.Root("content")
	}
	return path.Root("snippets").AtListIndex(source)
}

func warningSummary(e butane.Entry) string {
	if e.Severity == "info" {
		return "Butane note"
	}
	return "Butane warning"
}

// entryDetail says where (input, line, column, YAML path) and what.
func entryDetail(e butane.Entry) string {
	where := "content"
	if e.Source >= 0 {
		where = fmt.Sprintf("snippets[%d]", e.Source)
	}
	if e.Line > 0 {
		where += fmt.Sprintf(", line %d", e.Line)
		if e.Column > 0 {
			where += fmt.Sprintf(", column %d", e.Column)
		}
	}
	if e.Path != "" {
		where += " (" + e.Path + ")"
	}
	return where + ": " + e.Message
}

// addButaneError turns a translation failure into attribute errors: each
// located error on its input (content, snippets[i], or the attribute at
// fault such as files_dir or ignition_version), and the warnings gathered
// before the failure as warnings (as errors in strict mode).
func addButaneError(diags *diag.Diagnostics, err error) {
	var berr *butane.Error
	if !errors.As(err, &berr) {
		diags.AddError("Butane translation failed", err.Error())
		return
	}
	onInput := berr.Attribute == butane.AttrContent || berr.Attribute == butane.AttrSnippets
	at := path.Root(berr.Attribute)
	if onInput {
		at = entryPath(berr.Source)
	}
	failing := 0
	for _, e := range berr.Entries {
		fails := e.Severity == "error" || (berr.Summary == butane.StrictSummary && e.Severity == "warning")
		switch {
		case !fails:
			diags.AddAttributeWarning(entryPath(e.Source), warningSummary(e), entryDetail(e))
		case onInput:
			diags.AddAttributeError(entryPath(e.Source), berr.Summary, entryDetail(e))
			failing++
		default:
			diags.AddAttributeError(at, berr.Summary, entryDetail(e))
			failing++
		}
	}
	if failing == 0 {
		diags.AddAttributeError(at, berr.Summary, berr.Err.Error())
	}
}

var warningAttrTypes = map[string]attr.Type{
	"severity": types.StringType,
	"snippet":  types.Int64Type,
	"line":     types.Int64Type,
	"column":   types.Int64Type,
	"path":     types.StringType,
	"message":  types.StringType,
}

func warningsValue(entries []butane.Entry) (types.List, diag.Diagnostics) {
	elemType := types.ObjectType{AttrTypes: warningAttrTypes}
	values := make([]attr.Value, 0, len(entries))
	var diags diag.Diagnostics
	for _, e := range entries {
		snippet := types.Int64Null()
		if e.Source >= 0 {
			snippet = types.Int64Value(int64(e.Source))
		}
		obj, d := types.ObjectValue(warningAttrTypes, map[string]attr.Value{
			"severity": types.StringValue(e.Severity),
			"snippet":  snippet,
			"line":     types.Int64Value(int64(e.Line)),
			"column":   types.Int64Value(int64(e.Column)),
			"path":     types.StringValue(e.Path),
			"message":  types.StringValue(e.Message),
		})
		diags.Append(d...)
		values = append(values, obj)
	}
	list, d := types.ListValue(elemType, values)
	diags.Append(d...)
	return list, diags
}
