package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hardnode/terraform-provider-hardnode/verify"
)

var (
	_ datasource.DataSource                   = (*nodeFactsDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*nodeFactsDataSource)(nil)
)

// NewNodeFactsDataSource returns the hardnode_node_facts data source.
func NewNodeFactsDataSource() datasource.DataSource { return &nodeFactsDataSource{} }

type nodeFactsDataSource struct{}

func (d *nodeFactsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest,
	resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_node_facts"
}

func (d *nodeFactsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = nodeFactsSchema()
}

func (d *nodeFactsDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest,
	resp *datasource.ValidateConfigResponse) {
	var cfg nodeFactsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(cfg.validate(ctx)...)
	}
}

func (d *nodeFactsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m nodeFactsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	in := m.nodeConnInputs
	if in.Timeout.IsNull() {
		in.Timeout = types.StringValue("2m")
	}
	target, err := in.target("")
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("host_key"), "Invalid host key", err.Error())
		return
	}
	if target.HostKey.Pin == nil {
		resp.Diagnostics.AddAttributeWarning(path.Root("host_key"), "Host key not pinned",
			"trust_on_first_use in a data source accepts whatever key the node presents on every read. "+
				"Set host_key (for example from hardnode_node_verification.pinned_host_key).")
	}
	doc, opts, err := in.options(ctx)
	if err != nil {
		resp.Diagnostics.AddError("Invalid inputs", err.Error())
		return
	}
	rep, err := verify.Verify(ctx, target, doc, opts)
	if err != nil {
		resp.Diagnostics.Append(connectionErrorDiag(err))
		return
	}

	f := rep.Facts
	m.OSID, m.OSVersion, m.Family = stringOrNull(f.OSID), stringOrNull(f.OSVersion), stringOrNull(f.Family)
	m.BootID, m.BootedSlot = stringOrNull(f.BootID), stringOrNull(f.BootedSlot)
	m.BootedSnapshot = types.Int64Null()
	if f.BootedSnapshot != nil {
		m.BootedSnapshot = types.Int64Value(int64(*f.BootedSnapshot))
	}
	var diags = resp.Diagnostics
	failed := types.ListNull(types.StringType) // unknown to the node's reader: see problems
	if f.FailedUnits != nil {
		var dg diag.Diagnostics
		failed, dg = types.ListValueFrom(ctx, types.StringType, f.FailedUnits)
		diags.Append(dg...)
	}
	problems, dg := types.ListValueFrom(ctx, types.StringType, nonNil(f.Problems))
	diags.Append(dg...)
	m.FailedUnits, m.Problems = failed, problems
	m.RebootPending, m.RebootReason = types.BoolValue(f.RebootPending), stringOrNull(f.RebootReason)
	m.HostKeySeen = types.StringValue(rep.HostKey)
	report, dg := reportValue(rep.Results)
	diags.Append(dg...)
	m.Report = report
	m.ChecksFailed = types.Int64Value(int64(len(rep.Failed())))
	if n := len(rep.Failed()); n > 0 {
		diags.AddWarning(fmt.Sprintf("%d check(s) do not pass on %s", n, target.Address()),
			"See the report attribute; hardnode_node_facts reports without failing. "+
				"Read at "+time.Now().UTC().Format(time.RFC3339)+".")
	}
	resp.Diagnostics = diags
	resp.Diagnostics.Append(resp.State.Set(ctx, m)...)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
