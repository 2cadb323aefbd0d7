package provider

import (
	"context"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hardnode/terraform-provider-hardnode/verify"
)

var (
	_ resource.Resource                   = (*nodeVerificationResource)(nil)
	_ resource.ResourceWithValidateConfig = (*nodeVerificationResource)(nil)
)

// NewNodeVerificationResource returns the hardnode_node_verification resource.
func NewNodeVerificationResource() resource.Resource { return &nodeVerificationResource{} }

type nodeVerificationResource struct{}

func (r *nodeVerificationResource) Metadata(_ context.Context, req resource.MetadataRequest,
	resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_node_verification"
}

func (r *nodeVerificationResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = nodeVerificationSchema()
}

func (r *nodeVerificationResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest,
	resp *resource.ValidateConfigResponse) {
	var cfg nodeVerificationModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(cfg.validate(ctx)...)
	if known(cfg.ExpectedVersion) && cfg.ExpectedVersion.ValueString() == "" {
		resp.Diagnostics.AddAttributeError(path.Root("expected_version"), "Empty expected_version",
			"Leave expected_version unset, or give the os-release VERSION the node should run.")
	}
}

func (r *nodeVerificationResource) Create(ctx context.Context, req resource.CreateRequest,
	resp *resource.CreateResponse) {
	var plan nodeVerificationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	state, diags := r.verify(ctx, plan, req.Config.GetAttribute, nil)
	resp.Diagnostics.Append(diags...)
	if diags.HasError() {
		// Nothing is stored: a failed verification never becomes state.
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func (r *nodeVerificationResource) Update(ctx context.Context, req resource.UpdateRequest,
	resp *resource.UpdateResponse) {
	var plan, prior nodeVerificationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	state, diags := r.verify(ctx, plan, req.Config.GetAttribute, &prior)
	resp.Diagnostics.Append(diags...)
	if diags.HasError() {
		// Keep the last verification that succeeded (and its recorded host
		// key); the changed inputs stay pending, so the next plan re-runs it.
		resp.Diagnostics.Append(resp.State.Set(ctx, prior)...)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// Read does not contact the node: a verification is an event recorded in
// state; drift is what hardnode_node_facts shows.
func (r *nodeVerificationResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state nodeVerificationModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
	}
}

func (r *nodeVerificationResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}

// applyStarted stands for the start of the apply: Terraform starts the
// provider for each plan or apply, so a node that booted after this rebooted
// during the run (an update applied by another resource before
// verification), which rollback detection counts as the update's reboot.
var applyStarted = time.Now()

type getAttribute func(context.Context, path.Path, any) diag.Diagnostics

// verify runs the verification for plan. prior is the state of the last
// successful verification (on update), the baseline for rollback detection
// and the source of a host key recorded by trust on first use.
func (r *nodeVerificationResource) verify(ctx context.Context, plan nodeVerificationModel, config getAttribute,
	prior *nodeVerificationModel) (nodeVerificationModel, diag.Diagnostics) {
	var diags diag.Diagnostics
	in := plan.nodeConnInputs
	// Write-only attributes are null in the plan: read them from the configuration.
	diags.Append(config(ctx, path.Root("private_key"), &in.PrivateKey)...)
	diags.Append(config(ctx, path.Root("private_key_passphrase"), &in.PrivateKeyPassphrase)...)
	if diags.HasError() {
		return plan, diags
	}

	recorded := ""
	if prior != nil && plan.HostKey.IsNull() {
		recorded = prior.PinnedHostKey.ValueString()
	}
	target, err := in.target(recorded)
	if err != nil {
		diags.AddAttributeError(path.Root("host_key"), "Invalid host key", err.Error())
		return plan, diags
	}
	doc, opts, err := in.options(ctx)
	if err != nil {
		diags.AddError("Invalid verification inputs", err.Error())
		return plan, diags
	}
	opts.ExpectedVersion = plan.ExpectedVersion.ValueString()
	opts.ApplyStarted = applyStarted
	if prior != nil && !prior.BootID.IsNull() {
		opts.Previous = &verify.Baseline{
			BootID:  prior.BootID.ValueString(),
			Version: prior.OSVersion.ValueString(),
			Slot:    prior.BootedSlot.ValueString(),
		}
		if !prior.BootedSnapshot.IsNull() {
			n := int(prior.BootedSnapshot.ValueInt64())
			opts.Previous.Snapshot = &n
		}
	}

	tflog.Debug(ctx, "hardnode verify: start", map[string]any{"address": target.Address(),
		"user": target.User, "expected_version": opts.ExpectedVersion})
	rep, err := verify.Verify(ctx, target, doc, opts)
	if err != nil {
		diags.Append(connectionErrorDiag(err))
		return plan, diags
	}
	tflog.Info(ctx, "hardnode verify: done", map[string]any{"address": target.Address(),
		"checks": len(rep.Results), "failed": len(rep.Failed()), "connections": rep.Connections})
	diags.Append(checkDiagnostics(rep, doc, opts.NotApplicable, plan.AllowRollback.ValueBool())...)
	if opts.ExpectedVersion != "" && (rep.Facts.BootID == "" || rep.Facts.Uptime == nil) {
		diags.AddAttributeWarning(path.Root("expected_version"), "Rollback detection is limited",
			"The node's boot id or uptime could not be read, so a reboot (and with it a rollback) may go "+
				"unseen: "+strings.Join(rep.Facts.Problems, "; "))
	}

	state := plan
	state.ID = types.StringValue(target.Address())
	state.PrivateKey, state.PrivateKeyPassphrase = types.StringNull(), types.StringNull()
	report, d := reportValue(rep.Results)
	diags.Append(d...)
	state.Report = report
	f := rep.Facts
	state.OSVersion = types.StringValue(f.OSVersion)
	state.BootedSlot = stringOrNull(f.BootedSlot)
	state.BootedSnapshot = types.Int64Null()
	if f.BootedSnapshot != nil {
		state.BootedSnapshot = types.Int64Value(int64(*f.BootedSnapshot))
	}
	state.BootID = stringOrNull(f.BootID)
	state.RolledBack = types.BoolValue(rep.Update != nil && rep.Update.RolledBack)
	state.PreviousVersion = types.StringNull()
	if rep.Update != nil {
		state.PreviousVersion = stringOrNull(rep.Update.PreviousVersion)
	}
	state.VerifiedAt = types.StringValue(time.Now().UTC().Format(time.RFC3339))
	state.PinnedHostKey = types.StringValue(rep.HostKey)
	return state, diags
}

func stringOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
