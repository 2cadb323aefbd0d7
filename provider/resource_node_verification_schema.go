package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// nodeVerificationModel is the hardnode_node_verification configuration and
// state. private_key and private_key_passphrase are write-only: always null
// here, read from the configuration in Create and Update.
type nodeVerificationModel struct {
	ID              types.String `tfsdk:"id"`
	nodeConnInputs               // host, port, user, keys, host_key, expectations, not_applicable, timeout
	ExpectedVersion types.String `tfsdk:"expected_version"`
	AllowRollback   types.Bool   `tfsdk:"allow_rollback"`
	Triggers        types.Map    `tfsdk:"triggers"`

	Report          types.List   `tfsdk:"report"`
	OSVersion       types.String `tfsdk:"os_version"`
	BootedSlot      types.String `tfsdk:"booted_slot"`
	BootedSnapshot  types.Int64  `tfsdk:"booted_snapshot"`
	RolledBack      types.Bool   `tfsdk:"rolled_back"`
	PreviousVersion types.String `tfsdk:"previous_version"`
	BootID          types.String `tfsdk:"boot_id"`
	VerifiedAt      types.String `tfsdk:"verified_at"`
	PinnedHostKey   types.String `tfsdk:"pinned_host_key"`
}

// reportRowAttrTypes is the object type of one report row.
var reportRowAttrTypes = map[string]attr.Type{
	"id":       types.StringType,
	"kind":     types.StringType,
	"status":   types.StringType,
	"expected": types.StringType,
	"actual":   types.StringType,
	"detail":   types.StringType,
}

const nodeVerificationDescription = "Proves over SSH that a running node is what its expectations " +
	"say (the `expectations` output of `hardnode_node_config`, or a hand-written document), and, " +
	"given `expected_version`, that an atomic OS update really took: it waits across the node's " +
	"reboot and reports a rollback instead of success. One SSH connection per node; files are read " +
	"over SFTP, commands run in sessions on the same connection. Any failed check fails the apply " +
	"with one diagnostic per check, and a failed verification is never saved as a success: on " +
	"create nothing is stored, on update the state keeps the last verification that did succeed. " +
	"The verification runs on create and whenever an input changes (use `triggers` to re-run it " +
	"after an update); refresh does not contact the node (use the `hardnode_node_facts` data source " +
	"to inspect drift)."

func nodeVerificationSchema() schema.Schema {
	replaceStr := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	return schema.Schema{
		Description:         nodeVerificationDescription,
		MarkdownDescription: nodeVerificationDescription,
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:      true,
				Description:   "The node's address, host:port.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"host": schema.StringAttribute{
				Required:      true,
				Description:   "Host name or IP address of the node. Changing it verifies a new node.",
				PlanModifiers: replaceStr,
			},
			"port": schema.Int64Attribute{
				Optional: true, Computed: true, Default: int64default.StaticInt64(22),
				Description:   "SSH port of the node (default 22). Changing it verifies a new node.",
				PlanModifiers: []planmodifier.Int64{int64planmodifier.RequiresReplace()},
			},
			"user": schema.StringAttribute{
				Required: true,
				Description: "Login user. File checks read over SFTP as this user; files it may not " +
					"read are read with `sudo -n` (the hardened admin user has passwordless sudo).",
			},
			"private_key": schema.StringAttribute{
				Optional: true, Sensitive: true, WriteOnly: true,
				Description: "Private key to log in with (OpenSSH or PEM; ed25519, RSA or ECDSA; may be " +
					"encrypted). Write-only (Terraform 1.11 or later): never stored in state or plan. " +
					"Changing only the key does not re-run the verification.",
			},
			"private_key_passphrase": schema.StringAttribute{
				Optional: true, Sensitive: true, WriteOnly: true,
				Description: "Passphrase of an encrypted `private_key`. Write-only.",
			},
			"agent_socket": schema.StringAttribute{
				Optional: true,
				Description: "Path of an SSH agent socket to log in with (for example the value of " +
					"SSH_AUTH_SOCK), instead of or in addition to `private_key`.",
			},
			"host_key": schema.StringAttribute{
				Optional: true,
				Description: "The node's host key: a known_hosts line, a public key line " +
					"(`ssh-ed25519 AAAA...`) or a SHA256 fingerprint (`SHA256:...`); several lines " +
					"allow any of them. A different key is a hard error naming both keys.",
			},
			"trust_on_first_use": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				Description: "Without `host_key`, accept the key the node presents on the first " +
					"verification and record it in `pinned_host_key`; later verifications of this " +
					"resource require that key. Host key checking cannot be switched off.",
			},
			"expectations": schema.StringAttribute{
				Optional: true,
				Description: "The expectations document (JSON, version 1): the `expectations` " +
					"output of `hardnode_node_config`. Without it only facts and `expected_version` " +
					"are verified.",
			},
			"not_applicable": schema.MapAttribute{
				Optional: true, ElementType: types.StringType,
				Description: "Check kinds that do not apply to this node, each with the reason (for " +
					"example `{ selinux = \"test kernel has no SELinux\" }`, fed from " +
					"`hardnode_test_node.not_applicable`). Their checks report `not_applicable`, a " +
					"warning, never a pass.",
			},
			"expected_version": schema.StringAttribute{
				Optional: true,
				Description: "The os-release VERSION the node should run after an update. The " +
					"verification waits (up to `timeout`) until the node has rebooted into it. When " +
					"the node comes back on the version, A/B slot or snapshot it ran before, the " +
					"report says `rolled_back` and the apply fails unless `allow_rollback` is set.",
			},
			"allow_rollback": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				Description: "Accept a rollback as the outcome (a warning instead of an error), for " +
					"example when testing a broken update on purpose.",
			},
			"timeout": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString("5m"),
				Description: "How long to wait for the node to answer and to reach " +
					"`expected_version`, as a Go duration (default `5m`). Each check has its own " +
					"30s limit on top.",
			},
			"triggers": schema.MapAttribute{
				Optional: true, ElementType: types.StringType,
				Description: "Arbitrary values; changing any re-runs the verification in place (for " +
					"example the test node's `os_version` after an update).",
			},
			"report": schema.ListNestedAttribute{
				Computed:    true,
				Description: "One row per check, plus an `expected_version` row when that is set.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":       schema.StringAttribute{Computed: true, Description: "The check's id."},
					"kind":     schema.StringAttribute{Computed: true, Description: "The check's kind."},
					"status":   schema.StringAttribute{Computed: true, Description: "pass, fail, not_applicable or error."},
					"expected": schema.StringAttribute{Computed: true, Description: "What the check expects."},
					"actual":   schema.StringAttribute{Computed: true, Description: "What the node showed."},
					"detail":   schema.StringAttribute{Computed: true, Description: "Why it failed, or the not_applicable reason."},
				}},
			},
			"os_version": schema.StringAttribute{
				Computed: true, Description: "os-release VERSION the node runs.",
			},
			"booted_slot": schema.StringAttribute{
				Computed: true, Description: "Flatcar: the booted /usr partition, USR-A or USR-B; null elsewhere.",
			},
			"booted_snapshot": schema.Int64Attribute{
				Computed: true, Description: "MicroOS: the btrfs snapshot number / is mounted from; null elsewhere.",
			},
			"rolled_back": schema.BoolAttribute{
				Computed: true,
				Description: "True when the node rebooted after an update and came back on the " +
					"previous version, slot or snapshot instead of `expected_version`.",
			},
			"previous_version": schema.StringAttribute{
				Computed: true,
				Description: "With `expected_version`: the version the node ran before the update " +
					"(from the last verification, or from the first contact of this one); null when " +
					"not known or equal to the expected one.",
			},
			"boot_id": schema.StringAttribute{
				Computed: true,
				Description: "The node's boot id at verification; the next verification uses it to " +
					"tell whether the node rebooted since.",
			},
			"verified_at": schema.StringAttribute{
				Computed: true, Description: "When the verification finished (RFC 3339, UTC).",
			},
			"pinned_host_key": schema.StringAttribute{
				Computed: true,
				Description: "The host key the node presented, as a known_hosts line; with " +
					"`trust_on_first_use` it is the recorded key that later verifications require.",
				PlanModifiers: []planmodifier.String{pinnedHostKeyPlan{}},
			},
		},
	}
}

// pinnedHostKeyPlan keeps a key recorded by trust on first use across
// re-verifications; when host_key is configured, the value follows it and
// stays unknown until apply.
type pinnedHostKeyPlan struct{}

func (pinnedHostKeyPlan) Description(context.Context) string {
	return "Keeps the recorded host key unless host_key is set."
}

func (p pinnedHostKeyPlan) MarkdownDescription(ctx context.Context) string { return p.Description(ctx) }

func (pinnedHostKeyPlan) PlanModifyString(ctx context.Context, req planmodifier.StringRequest,
	resp *planmodifier.StringResponse) {
	if req.StateValue.IsNull() || !req.PlanValue.IsUnknown() {
		return
	}
	var hostKey types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("host_key"), &hostKey)...)
	if hostKey.IsNull() {
		resp.PlanValue = req.StateValue
	}
}
