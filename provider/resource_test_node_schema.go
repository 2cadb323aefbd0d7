package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hardnode/terraform-provider-hardnode/testnode"
)

// testNodeModel is the hardnode_test_node configuration and state.
type testNodeModel struct {
	ID              types.String        `tfsdk:"id"`
	Image           types.String        `tfsdk:"image"`
	Kernel          types.String        `tfsdk:"kernel"`
	Initrd          types.String        `tfsdk:"initrd"`
	KernelArgs      types.String        `tfsdk:"kernel_args"`
	Disks           []testNodeDiskModel `tfsdk:"disks"`
	StandinManifest types.String        `tfsdk:"standin_manifest"`
	Ignition        types.String        `tfsdk:"ignition"`
	OSFamily        types.String        `tfsdk:"os_family"`
	Memory          types.Int64         `tfsdk:"memory"`
	CPUs            types.Int64         `tfsdk:"cpus"`
	Accelerator     types.String        `tfsdk:"accelerator"`
	StateDir        types.String        `tfsdk:"state_dir"`
	HostKey         types.String        `tfsdk:"host_key"`
	BootTimeout     types.String        `tfsdk:"boot_timeout"`
	PowerdownWait   types.String        `tfsdk:"powerdown_timeout"`
	OSVersion       types.String        `tfsdk:"os_version"`
	SSHUser         types.String        `tfsdk:"ssh_user"`
	SSHPrivateKey   types.String        `tfsdk:"ssh_private_key"`
	UpdateTimeout   types.String        `tfsdk:"update_timeout"`
	RunningVersion  types.String        `tfsdk:"running_version"`

	Host          types.String `tfsdk:"host"`
	SSHPort       types.Int64  `tfsdk:"ssh_port"`
	PID           types.Int64  `tfsdk:"pid"`
	QMPSocket     types.String `tfsdk:"qmp_socket"`
	SerialLog     types.String `tfsdk:"serial_log"`
	NotApplicable types.Map    `tfsdk:"not_applicable"`
}

// testNodeDiskModel is one element of disks.
type testNodeDiskModel struct {
	Path     types.String `tfsdk:"path"`
	ReadOnly types.Bool   `tfsdk:"readonly"`
	Serial   types.String `tfsdk:"serial"`
}

const testNodeDescription = "Boots a throwaway QEMU node for tests: a real Flatcar or MicroOS qcow2 " +
	"`image`, or a direct kernel boot (`kernel` + `initrd` + `disks`), for example the stand-in " +
	"node that `make standin` builds (`standin_manifest`). The rendered Ignition config reaches the " +
	"node through QEMU's fw_cfg; SSH is forwarded to a free port on 127.0.0.1 only. QEMU runs " +
	"detached and keeps running between Terraform commands: its pidfile, QMP socket, serial log and " +
	"disk overlays live in `state_dir`. Create waits until SSH answers with the pinned host key; " +
	"Read drops a node whose QEMU has died; Delete presses the ACPI power button, then ends QEMU. " +
	"**A tool for test boots, not for production machines.**"

func replaceString() []planmodifier.String {
	return []planmodifier.String{stringplanmodifier.RequiresReplace()}
}

func keepString() []planmodifier.String {
	return []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
}

func testNodeResourceSchema() schema.Schema {
	return schema.Schema{
		Description:         testNodeDescription,
		MarkdownDescription: testNodeDescription,
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:      true,
				Description:   "The node's state directory, which identifies it.",
				PlanModifiers: keepString(),
			},
			"image": schema.StringAttribute{
				Optional: true,
				Description: "Path of a qcow2 disk image of a real Flatcar or MicroOS, booted by the " +
					"firmware behind a qcow2 overlay (the image itself is never written). Conflicts " +
					"with `kernel`, `initrd` and `standin_manifest`.",
				PlanModifiers: replaceString(),
			},
			"kernel": schema.StringAttribute{
				Optional:      true,
				Description:   "Kernel for a direct kernel boot; needs `initrd`.",
				PlanModifiers: replaceString(),
			},
			"initrd": schema.StringAttribute{
				Optional:      true,
				Description:   "Initramfs for a direct kernel boot; needs `kernel`.",
				PlanModifiers: replaceString(),
			},
			"kernel_args": schema.StringAttribute{
				Optional:      true,
				Description:   "Kernel command line for a direct kernel boot, e.g. `console=ttyS0`.",
				PlanModifiers: replaceString(),
			},
			"disks": schema.ListNestedAttribute{
				Optional: true,
				Description: "Disks attached in order as virtio-blk. A writable disk gets a qcow2 " +
					"overlay in `state_dir`, so the file itself is never written.",
				PlanModifiers: []planmodifier.List{listplanmodifier.RequiresReplace()},
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"path": schema.StringAttribute{
						Required:    true,
						Description: "Raw or qcow2 disk file.",
					},
					"readonly": schema.BoolAttribute{
						Optional:    true,
						Computed:    true,
						Default:     booldefault.StaticBool(false),
						Description: "Attach with `readonly=on` instead of behind an overlay.",
					},
					"serial": schema.StringAttribute{
						Optional:    true,
						Description: "virtio serial number, visible in the guest under /dev/disk/by-id.",
					},
				}},
			},
			"standin_manifest": schema.StringAttribute{
				Optional: true,
				Description: "Path of the stand-in's `manifest.json` (`build/standin/current/manifest.json` " +
					"after `make standin`): kernel, initrd, kernel arguments, disks and fw_cfg key of " +
					"`os_family` come from it. Conflicts with `image`, `kernel`, `initrd`, " +
					"`kernel_args` and `disks`.",
				PlanModifiers: replaceString(),
			},
			"ignition": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				Description: "Rendered Ignition config (JSON), passed through fw_cfg. Ignition runs once, " +
					"on first boot: changing it replaces the node. Sensitive, because test configs " +
					"usually carry the node's private host key.",
				PlanModifiers: replaceString(),
			},
			"os_family": schema.StringAttribute{
				Required: true,
				Description: "`flatcar` or `microos`. Chooses the fw_cfg key the config is passed under " +
					"(`" + testnode.FlatcarConfigKey + "` or `" + testnode.CoreOSConfigKey + "`).",
				PlanModifiers: replaceString(),
			},
			"memory": schema.Int64Attribute{
				Optional:      true,
				Computed:      true,
				Default:       int64default.StaticInt64(testnode.DefaultMemoryMiB),
				Description:   "Guest memory in MiB.",
				PlanModifiers: []planmodifier.Int64{int64planmodifier.RequiresReplace()},
			},
			"cpus": schema.Int64Attribute{
				Optional:      true,
				Computed:      true,
				Default:       int64default.StaticInt64(testnode.DefaultCPUs),
				Description:   "Number of virtual CPUs.",
				PlanModifiers: []planmodifier.Int64{int64planmodifier.RequiresReplace()},
			},
			"accelerator": schema.StringAttribute{
				Optional: true,
				Computed: true,
				Default:  stringdefault.StaticString(string(testnode.TCG)),
				Description: "`tcg` (default, software emulation) or `kvm`. KVM is opt-in only: on " +
					"machines whose CPU lacks VMX/SVM, `/dev/kvm` may exist and still hang the guest.",
				PlanModifiers: replaceString(),
			},
			"state_dir": schema.StringAttribute{
				Required: true,
				Description: "Absolute path of the directory for the node's disk overlays, pidfile, " +
					"QMP socket, serial log and config copy; one node per directory. Keep it short: " +
					"the QMP socket path must fit in 107 bytes.",
				PlanModifiers: replaceString(),
			},
			"host_key": schema.StringAttribute{
				Optional: true,
				Computed: true,
				Description: "Public SSH host key (authorized_keys form) that the config gives the node. " +
					"When set, the node counts as up only when SSH presents exactly this key, so the " +
					"key is pinned from the first connection; when unset, the key seen first is " +
					"recorded here.",
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace(),
				},
			},
			"boot_timeout": schema.StringAttribute{
				Optional:    true,
				Computed:    true,
				Default:     stringdefault.StaticString("5m"),
				Description: "How long Create waits for SSH, as a Go duration such as `5m` or `90s`.",
			},
			"powerdown_timeout": schema.StringAttribute{
				Optional: true,
				Computed: true,
				Default:  stringdefault.StaticString("60s"),
				Description: "How long Delete waits for the guest to power off after the ACPI power " +
					"button before it ends QEMU (the overlays are thrown away either way). `0s` skips " +
					"the power button.",
			},
			"os_version": schema.StringAttribute{
				Optional: true,
				Computed: true,
				Description: "OS version the node should run. Changing it updates the node in place the " +
					"way its OS does (stand-in: `sudo /usr/sbin/standin-update VERSION`; Flatcar: " +
					"`update_engine_client -update`; MicroOS: `transactional-update dup`), then waits " +
					"for the node to come back from the reboot; Ignition does not run again and the node " +
					"is not replaced. Needs `ssh_private_key`. When unset, the version the node boots is " +
					"recorded (with `ssh_private_key`). A node that falls back to the old version keeps " +
					"this value and shows the truth in `running_version` (with a warning): telling an " +
					"update from a rollback is the verification's job.",
				PlanModifiers: keepString(),
			},
			"ssh_user": schema.StringAttribute{
				Optional:    true,
				Computed:    true,
				Default:     stringdefault.StaticString("core"),
				Description: "User that logs in to read the version and run updates; needs passwordless sudo.",
			},
			"ssh_private_key": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				Description: "Unencrypted private key (OpenSSH or PEM) of `ssh_user`, for reading the " +
					"running version and performing `os_version` updates. The host key is always pinned.",
			},
			"update_timeout": schema.StringAttribute{
				Optional:    true,
				Computed:    true,
				Default:     stringdefault.StaticString("10m"),
				Description: "How long an `os_version` update may take until the node answers from its new boot.",
			},
			"running_version": schema.StringAttribute{
				Computed: true,
				Description: "VERSION= of the node's /etc/os-release, read over SSH after boot and after " +
					"each update (null without `ssh_private_key`). Differs from `os_version` after a rollback.",
				PlanModifiers: keepString(),
			},

			"host": schema.StringAttribute{
				Computed:      true,
				Description:   "Address of the forwarded SSH port: always `127.0.0.1`.",
				PlanModifiers: keepString(),
			},
			"ssh_port": schema.Int64Attribute{
				Computed:      true,
				Description:   "Port on `host` forwarded to the guest's port 22.",
				PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"pid": schema.Int64Attribute{
				Computed:      true,
				Description:   "Process id of the detached QEMU.",
				PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"qmp_socket": schema.StringAttribute{
				Computed:      true,
				Description:   "Path of the QMP (QEMU Machine Protocol) unix socket.",
				PlanModifiers: keepString(),
			},
			"serial_log": schema.StringAttribute{
				Computed:      true,
				Description:   "Path of the serial console log; kept after the node is destroyed.",
				PlanModifiers: keepString(),
			},
			"not_applicable": schema.MapAttribute{
				Computed:    true,
				ElementType: types.StringType,
				Description: "Check kinds the booted image cannot satisfy, with the reason, e.g. " +
					"`{selinux = \"...\"}` for a stand-in built without SELinux. Empty for a stand-in " +
					"with SELinux enforcing and for real images.",
				PlanModifiers: []planmodifier.Map{mapplanmodifier.UseStateForUnknown()},
			},
		},
	}
}
