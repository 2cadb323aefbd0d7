package provider

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hardnode/terraform-provider-hardnode/testnode"
)

var (
	_ resource.Resource                   = (*testNodeResource)(nil)
	_ resource.ResourceWithValidateConfig = (*testNodeResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*testNodeResource)(nil)
)

// NewTestNodeResource returns the hardnode_test_node resource.
func NewTestNodeResource() resource.Resource {
	return &testNodeResource{}
}

type testNodeResource struct{}

func (r *testNodeResource) Metadata(_ context.Context, req resource.MetadataRequest,
	resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_test_node"
}

func (r *testNodeResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = testNodeResourceSchema()
}

// ValidateConfig checks what can be checked before anything boots. Unknown
// values (from other resources) are checked at apply time by testnode.
func (r *testNodeResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest,
	resp *resource.ValidateConfigResponse) {
	var m testNodeModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}

	set := func(v types.String) bool { return !v.IsNull() }
	sources := 0
	for _, on := range []bool{set(m.Image), set(m.Kernel) || set(m.Initrd), set(m.StandinManifest)} {
		if on {
			sources++
		}
	}
	if sources != 1 {
		resp.Diagnostics.AddAttributeError(path.Root("image"), "Choose one boot source",
			"Set exactly one of image, kernel+initrd, or standin_manifest.")
	}
	if set(m.StandinManifest) && (set(m.KernelArgs) || m.Disks != nil) {
		resp.Diagnostics.AddAttributeError(path.Root("standin_manifest"), "Conflicting boot inputs",
			"standin_manifest supplies kernel_args and disks: remove them from the configuration.")
	}
	if set(m.Image) && set(m.KernelArgs) {
		resp.Diagnostics.AddAttributeError(path.Root("kernel_args"), "kernel_args needs a kernel",
			"An image boots its own kernel: remove kernel_args, or boot kernel+initrd instead.")
	}
	if !m.Kernel.IsUnknown() && !m.Initrd.IsUnknown() && set(m.Kernel) != set(m.Initrd) {
		resp.Diagnostics.AddAttributeError(path.Root("initrd"), "Incomplete kernel boot",
			"A direct kernel boot needs both kernel and initrd.")
	}
	if v := m.OSFamily; !v.IsNull() && !v.IsUnknown() {
		if f := testnode.Family(v.ValueString()); f != testnode.Flatcar && f != testnode.MicroOS {
			resp.Diagnostics.AddAttributeError(path.Root("os_family"), "Unknown OS family",
				fmt.Sprintf("os_family is %q; use \"flatcar\" or \"microos\".", v.ValueString()))
		}
	}
	if v := m.Accelerator; !v.IsNull() && !v.IsUnknown() {
		if a := testnode.Accelerator(v.ValueString()); a != testnode.TCG && a != testnode.KVM {
			resp.Diagnostics.AddAttributeError(path.Root("accelerator"), "Unknown accelerator",
				fmt.Sprintf("accelerator is %q; use \"tcg\" or \"kvm\".", v.ValueString()))
		}
	}
	if v := m.StateDir; !v.IsNull() && !v.IsUnknown() && !filepath.IsAbs(v.ValueString()) {
		resp.Diagnostics.AddAttributeError(path.Root("state_dir"), "state_dir must be absolute",
			fmt.Sprintf("state_dir is %q; QEMU runs detached, so give an absolute path, e.g. "+
				"abspath(\"${path.module}/node1\").", v.ValueString()))
	}
	if v := m.BootTimeout; !v.IsNull() && !v.IsUnknown() {
		if d, err := time.ParseDuration(v.ValueString()); err != nil || d <= 0 {
			resp.Diagnostics.AddAttributeError(path.Root("boot_timeout"), "Invalid boot_timeout",
				fmt.Sprintf("boot_timeout is %q; use a positive Go duration such as \"5m\".", v.ValueString()))
		}
	}
	if !m.OSVersion.IsNull() && m.SSHPrivateKey.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("os_version"), "os_version needs a login",
			"Reading and updating the OS version happens over SSH: set ssh_private_key (and ssh_user "+
				"when the user is not core).")
	}
	if v := m.UpdateTimeout; !v.IsNull() && !v.IsUnknown() {
		if d, err := time.ParseDuration(v.ValueString()); err != nil || d <= 0 {
			resp.Diagnostics.AddAttributeError(path.Root("update_timeout"), "Invalid update_timeout",
				fmt.Sprintf("update_timeout is %q; use a positive Go duration such as \"10m\".", v.ValueString()))
		}
	}
	if v := m.PowerdownWait; !v.IsNull() && !v.IsUnknown() {
		if d, err := time.ParseDuration(v.ValueString()); err != nil || d < 0 {
			resp.Diagnostics.AddAttributeError(path.Root("powerdown_timeout"), "Invalid powerdown_timeout",
				fmt.Sprintf("powerdown_timeout is %q; use a Go duration such as \"60s\", or \"0s\".",
					v.ValueString()))
		}
	}
}

// nodeConfig turns the model into a testnode.Config and the not_applicable
// map of the boot source.
func nodeConfig(m testNodeModel) (testnode.Config, map[string]string, diag.Diagnostics) {
	var diags diag.Diagnostics
	timeout, err := time.ParseDuration(m.BootTimeout.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("boot_timeout"), "Invalid boot_timeout", err.Error())
		return testnode.Config{}, nil, diags
	}
	cfg := testnode.Config{
		StateDir:    m.StateDir.ValueString(),
		Image:       m.Image.ValueString(),
		Kernel:      m.Kernel.ValueString(),
		Initrd:      m.Initrd.ValueString(),
		KernelArgs:  m.KernelArgs.ValueString(),
		Ignition:    []byte(m.Ignition.ValueString()),
		Family:      testnode.Family(m.OSFamily.ValueString()),
		MemoryMiB:   int(m.Memory.ValueInt64()),
		CPUs:        int(m.CPUs.ValueInt64()),
		Accelerator: testnode.Accelerator(m.Accelerator.ValueString()),
		BootTimeout: timeout,
		HostKey:     m.HostKey.ValueString(),
	}
	for _, d := range m.Disks {
		cfg.Disks = append(cfg.Disks, testnode.Disk{
			Path: d.Path.ValueString(), ReadOnly: d.ReadOnly.ValueBool(), Serial: d.Serial.ValueString(),
		})
	}

	notApplicable := map[string]string{}
	if manifest := m.StandinManifest.ValueString(); manifest != "" {
		s, err := testnode.LoadStandin(manifest, cfg.Family)
		if err != nil {
			diags.AddAttributeError(path.Root("standin_manifest"), "Cannot use the stand-in manifest", err.Error())
			return testnode.Config{}, nil, diags
		}
		memory := cfg.MemoryMiB
		cfg = s.Apply(cfg)
		cfg.MemoryMiB = memory
		notApplicable = s.NotApplicable()
	}
	return cfg, notApplicable, diags
}

func (r *testNodeResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m testNodeModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	cfg, notApplicable, diags := nodeConfig(m)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	tflog.Info(ctx, "booting test node", map[string]any{
		"state_dir": cfg.StateDir, "os_family": string(cfg.Family), "accelerator": string(cfg.Accelerator),
		"memory_mib": cfg.MemoryMiB, "boot_timeout": cfg.BootTimeout.String(),
	})
	node, err := testnode.Start(ctx, cfg, func(msg string, fields map[string]any) {
		tflog.Info(ctx, "test node: "+msg, fields)
	})
	if err != nil {
		resp.Diagnostics.AddError("Test node did not boot",
			fmt.Sprintf("The node in %s did not come up, and was stopped.\n\n%v", cfg.StateDir, err))
		return
	}

	m.ID = types.StringValue(cfg.StateDir)
	m.Host = types.StringValue(node.Host)
	m.SSHPort = types.Int64Value(int64(node.SSHPort))
	m.PID = types.Int64Value(int64(node.PID))
	m.QMPSocket = types.StringValue(node.QMPSocket)
	m.SerialLog = types.StringValue(node.SerialLog)
	if m.HostKey.IsNull() || m.HostKey.IsUnknown() {
		m.HostKey = types.StringValue(node.HostKey)
	}
	na, d := types.MapValueFrom(ctx, types.StringType, notApplicable)
	resp.Diagnostics.Append(d...)
	m.NotApplicable = na

	// The node runs from here on: record it even when what follows fails,
	// so that a destroy can end it.
	resp.Diagnostics.Append(settleVersion(ctx, &m)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Read keeps the node while its QEMU runs and drops it from state when the
// process is gone (powered off in the guest, killed, host rebooted).
func (r *testNodeResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m testNodeModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	p := testnode.PathsIn(m.StateDir.ValueString())
	pid, alive := testnode.Alive(p)
	if !alive {
		tflog.Warn(ctx, "test node's QEMU is gone; removing it from state", map[string]any{
			"state_dir": p.StateDir, "pid": m.PID.ValueInt64(),
		})
		resp.State.RemoveResource(ctx)
		return
	}
	m.PID = types.Int64Value(int64(pid))
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Delete presses the power button through QMP, ends QEMU if the guest does
// not power off in time, and removes the overlays. The serial log stays.
func (r *testNodeResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m testNodeModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	p := testnode.PathsIn(m.StateDir.ValueString())
	wait := testnode.DefaultPowerdownTimeout
	if d, err := time.ParseDuration(m.PowerdownWait.ValueString()); err == nil {
		wait = d
	}
	how, err := testnode.Stop(ctx, p, wait)
	if err != nil {
		resp.Diagnostics.AddError("Cannot stop the test node",
			fmt.Sprintf("QEMU of the node in %s (pid %d) is still running: %v. End it by hand.",
				p.StateDir, m.PID.ValueInt64(), err))
		return
	}
	tflog.Info(ctx, "test node stopped", map[string]any{"state_dir": p.StateDir, "how": how})
	if err := testnode.Remove(p.StateDir); err != nil {
		resp.Diagnostics.AddWarning("Test node files left behind",
			fmt.Sprintf("The node is stopped, but removing its files in %s failed: %v", p.StateDir, err))
	}
}
