package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hardnode/terraform-provider-hardnode/testnode"
)

// ModifyPlan marks running_version unknown when os_version changes on an
// existing node: the update decides what will run.
func (r *testNodeResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest,
	resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	var planned, prior types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("os_version"), &planned)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("os_version"), &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if planned.IsUnknown() || (!planned.IsNull() && !planned.Equal(prior)) {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("running_version"), types.StringUnknown())...)
	}
}

// Update changes what needs no new node: timeouts, the login, and
// os_version, which updates the running node in place.
func (r *testNodeResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state testNodeModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}

	next := state
	next.BootTimeout = plan.BootTimeout
	next.PowerdownWait = plan.PowerdownWait
	next.SSHUser = plan.SSHUser
	next.SSHPrivateKey = plan.SSHPrivateKey
	next.UpdateTimeout = plan.UpdateTimeout
	if !plan.OSVersion.IsUnknown() && !plan.OSVersion.IsNull() {
		next.OSVersion = plan.OSVersion
	}
	if next.OSVersion.Equal(state.OSVersion) {
		resp.Diagnostics.Append(resp.State.Set(ctx, &next)...)
		return
	}

	resp.Diagnostics.Append(updateNode(ctx, &next, state.OSVersion.ValueString())...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &next)...)
}

// nodeTarget is where the node of m answers SSH, with its pinned host key.
func nodeTarget(m testNodeModel) testnode.Target {
	return testnode.Target{
		Host: m.Host.ValueString(), Port: int(m.SSHPort.ValueInt64()), HostKey: m.HostKey.ValueString(),
	}
}

func nodeLogin(m testNodeModel) (testnode.Login, diag.Diagnostics) {
	var diags diag.Diagnostics
	login, err := testnode.ParseLogin(m.SSHUser.ValueString(), m.SSHPrivateKey.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("ssh_private_key"), "Unusable SSH login", err.Error())
	}
	return login, diags
}

// settleVersion runs after the first boot: without a login it leaves the
// versions null; with one it reads the running version and, when
// os_version asks for another, updates the node to it.
func settleVersion(ctx context.Context, m *testNodeModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if m.SSHPrivateKey.IsNull() {
		m.RunningVersion = types.StringNull()
		if m.OSVersion.IsUnknown() {
			m.OSVersion = types.StringNull()
		}
		return diags
	}
	login, d := nodeLogin(*m)
	diags.Append(d...)
	if diags.HasError() {
		m.RunningVersion = types.StringNull()
		m.OSVersion = types.StringNull()
		return diags
	}
	boot, err := testnode.ReadBoot(ctx, nodeTarget(*m), login)
	if err != nil {
		m.RunningVersion = types.StringNull()
		if m.OSVersion.IsUnknown() {
			m.OSVersion = types.StringNull()
		}
		diags.AddError("Cannot read the test node's OS version",
			fmt.Sprintf("The node booted, but logging in as %s to read /etc/os-release failed: %v",
				m.SSHUser.ValueString(), err))
		return diags
	}
	m.RunningVersion = types.StringValue(boot.Version)
	tflog.Info(ctx, "test node runs", map[string]any{"version": boot.Version})
	if m.OSVersion.IsUnknown() || m.OSVersion.IsNull() || m.OSVersion.ValueString() == boot.Version {
		m.OSVersion = types.StringValue(boot.Version)
		return diags
	}
	diags.Append(updateNode(ctx, m, boot.Version)...)
	return diags
}

// updateNode updates the running node of m to m.OSVersion and records the
// version that came back in m.RunningVersion.
func updateNode(ctx context.Context, m *testNodeModel, from string) diag.Diagnostics {
	var diags diag.Diagnostics
	want := m.OSVersion.ValueString()
	login, d := nodeLogin(*m)
	diags.Append(d...)
	timeout, err := time.ParseDuration(m.UpdateTimeout.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("update_timeout"), "Invalid update_timeout", err.Error())
	}
	family := testnode.Family(m.OSFamily.ValueString())
	command, err := testnode.UpdateCommand(family, !m.StandinManifest.IsNull(), want)
	if err != nil {
		diags.AddAttributeError(path.Root("os_version"), "Cannot update the test node", err.Error())
	}
	if diags.HasError() {
		return diags
	}

	// After a rollback, asking again for the version that runs is no update.
	if boot, err := testnode.ReadBoot(ctx, nodeTarget(*m), login); err == nil && boot.Version == want {
		m.RunningVersion = types.StringValue(boot.Version)
		tflog.Info(ctx, "test node already runs the asked version", map[string]any{"version": want})
		return diags
	}

	tflog.Info(ctx, "updating test node", map[string]any{"from": from, "to": want, "os_family": string(family)})
	p := testnode.PathsIn(m.StateDir.ValueString())
	res, err := testnode.Update(ctx, p, nodeTarget(*m), login, command, timeout,
		func(msg string, fields map[string]any) { tflog.Info(ctx, "test node: "+msg, fields) })
	if err != nil {
		diags.AddAttributeError(path.Root("os_version"), "Test node update failed",
			fmt.Sprintf("Updating the node in %s from %s to %s failed: %v", p.StateDir, from, want, err))
		return diags
	}
	m.RunningVersion = types.StringValue(res.After.Version)
	if res.RolledBack(want) {
		diags.AddAttributeWarning(path.Root("os_version"), "Test node did not boot the new version",
			fmt.Sprintf("The node was updated to %s but came back running %s (before: %s): it rolled back. "+
				"running_version shows what runs; a verification with expected_version reports it.",
				want, res.After.Version, res.Before.Version))
	}
	return diags
}
