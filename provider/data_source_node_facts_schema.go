package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// nodeFactsModel is the hardnode_node_facts configuration and result.
type nodeFactsModel struct {
	nodeConnInputs // host, port, user, keys, host_key, expectations, not_applicable, timeout

	OSID           types.String `tfsdk:"os_id"`
	OSVersion      types.String `tfsdk:"os_version"`
	Family         types.String `tfsdk:"os_family"`
	BootID         types.String `tfsdk:"boot_id"`
	BootedSlot     types.String `tfsdk:"booted_slot"`
	BootedSnapshot types.Int64  `tfsdk:"booted_snapshot"`
	FailedUnits    types.List   `tfsdk:"failed_units"`
	RebootPending  types.Bool   `tfsdk:"reboot_pending"`
	RebootReason   types.String `tfsdk:"reboot_pending_reason"`
	HostKeySeen    types.String `tfsdk:"host_key_seen"`
	Report         types.List   `tfsdk:"report"`
	ChecksFailed   types.Int64  `tfsdk:"checks_failed"`
	Problems       types.List   `tfsdk:"problems"`
}

const nodeFactsDescription = "Reads what a running node says about itself over SSH, without changing " +
	"anything and without failing on checks: OS version, booted A/B slot (Flatcar) or btrfs snapshot " +
	"(MicroOS), failed systemd units, whether a reboot is pending, and, given `expectations`, the " +
	"report of every check. For drift inspection in plans; `hardnode_node_verification` is the one " +
	"that fails an apply. Data sources keep their inputs in state: prefer `agent_socket` over " +
	"`private_key` here."

func nodeFactsSchema() schema.Schema {
	return schema.Schema{
		Description:         nodeFactsDescription,
		MarkdownDescription: nodeFactsDescription,
		Attributes: map[string]schema.Attribute{
			"host": schema.StringAttribute{Required: true, Description: "Host name or IP address of the node."},
			"port": schema.Int64Attribute{Optional: true, Description: "SSH port (default 22)."},
			"user": schema.StringAttribute{Required: true, Description: "Login user."},
			"private_key": schema.StringAttribute{
				Optional: true, Sensitive: true,
				Description: "Private key to log in with. Sensitive, but a data source stores its " +
					"inputs in state: prefer `agent_socket`.",
			},
			"private_key_passphrase": schema.StringAttribute{
				Optional: true, Sensitive: true, Description: "Passphrase of an encrypted `private_key`.",
			},
			"agent_socket": schema.StringAttribute{Optional: true, Description: "Path of an SSH agent socket."},
			"host_key": schema.StringAttribute{
				Optional: true,
				Description: "The node's host key (known_hosts line, public key or SHA256 fingerprint), " +
					"for example `hardnode_node_verification.x.pinned_host_key`.",
			},
			"trust_on_first_use": schema.BoolAttribute{
				Optional: true,
				Description: "Without `host_key`, accept whatever key the node presents (a data source " +
					"cannot record it between runs, so this pins nothing; a warning says so).",
			},
			"expectations": schema.StringAttribute{
				Optional: true, Description: "Expectations document (JSON) to check, reported without failing.",
			},
			"not_applicable": schema.MapAttribute{
				Optional: true, ElementType: types.StringType,
				Description: "Check kinds that do not apply to this node, with reasons.",
			},
			"timeout": schema.StringAttribute{
				Optional: true, Description: "How long to wait for the node to answer (Go duration, default `2m`).",
			},
			"os_id":      schema.StringAttribute{Computed: true, Description: "os-release ID."},
			"os_version": schema.StringAttribute{Computed: true, Description: "os-release VERSION."},
			"os_family":  schema.StringAttribute{Computed: true, Description: "flatcar, microos, or null when not recognised."},
			"boot_id":    schema.StringAttribute{Computed: true, Description: "The node's current boot id."},
			"booted_slot": schema.StringAttribute{
				Computed: true, Description: "Flatcar: USR-A or USR-B, the booted /usr partition.",
			},
			"booted_snapshot": schema.Int64Attribute{
				Computed: true, Description: "MicroOS: the snapshot number / is mounted from.",
			},
			"failed_units": schema.ListAttribute{
				Computed: true, ElementType: types.StringType,
				Description: "Units `systemctl --failed` lists; null when they could not be read (the reason is in `problems`).",
			},
			"reboot_pending": schema.BoolAttribute{
				Computed: true,
				Description: "Whether an installed update waits for a reboot: /run/reboot-needed " +
					"(MicroOS transactional-update), /run/reboot-required, or Flatcar's update_engine " +
					"status UPDATE_STATUS_UPDATED_NEED_REBOOT.",
			},
			"reboot_pending_reason": schema.StringAttribute{Computed: true, Description: "What says a reboot is pending."},
			"host_key_seen": schema.StringAttribute{
				Computed: true, Description: "The host key the node presented, as a known_hosts line.",
			},
			"report": schema.ListNestedAttribute{
				Computed: true, Description: "One row per check of `expectations`.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":       schema.StringAttribute{Computed: true, Description: "The check's id."},
					"kind":     schema.StringAttribute{Computed: true, Description: "The check's kind."},
					"status":   schema.StringAttribute{Computed: true, Description: "pass, fail, not_applicable or error."},
					"expected": schema.StringAttribute{Computed: true, Description: "What the check expects."},
					"actual":   schema.StringAttribute{Computed: true, Description: "What the node showed."},
					"detail":   schema.StringAttribute{Computed: true, Description: "Why it failed, or the reason."},
				}},
			},
			"checks_failed": schema.Int64Attribute{
				Computed: true, Description: "Number of report rows with status fail or error.",
			},
			"problems": schema.ListAttribute{
				Computed: true, ElementType: types.StringType,
				Description: "Facts that could not be read, with the reason.",
			},
		},
	}
}
