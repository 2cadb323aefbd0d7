package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hardnode/terraform-provider-hardnode/butane"
	"github.com/hardnode/terraform-provider-hardnode/harden"
)

var _ datasource.DataSource = (*nodeConfigDataSource)(nil)

// NewNodeConfigDataSource returns the hardnode_node_config data source.
func NewNodeConfigDataSource() datasource.DataSource {
	return &nodeConfigDataSource{}
}

type nodeConfigDataSource struct{}

// nodeConfigModel is the hardnode_node_config configuration and state.
type nodeConfigModel struct {
	OSFamily        types.String            `tfsdk:"os_family"`
	Level           types.String            `tfsdk:"level"`
	Hostname        types.String            `tfsdk:"hostname"`
	Admin           *adminModel             `tfsdk:"admin"`
	SSH             *sshModel               `tfsdk:"ssh"`
	ContainerUsers  []*containerUserModel   `tfsdk:"container_users"`
	Podman          *podmanModel            `tfsdk:"podman"`
	SELinux         *selinuxModel           `tfsdk:"selinux"`
	Update          *updateModel            `tfsdk:"update"`
	Sysctls         map[string]types.String `tfsdk:"sysctls"`
	MicroOS         *microOSModel           `tfsdk:"microos"`
	Snippets        []types.String          `tfsdk:"snippets"`
	IgnitionVersion types.String            `tfsdk:"ignition_version"`
	Target          types.String            `tfsdk:"target"`
	PrettyPrint     types.Bool              `tfsdk:"pretty_print"`
	Strict          types.Bool              `tfsdk:"strict"`
	Butane          types.String            `tfsdk:"butane"`
	Rendered        types.String            `tfsdk:"rendered"`
	Expectations    types.String            `tfsdk:"expectations"`
	HostPublicKey   types.String            `tfsdk:"host_public_key"`
	AdminUser       types.String            `tfsdk:"admin_user"`
}

type adminModel struct {
	Name              types.String   `tfsdk:"name"`
	SSHAuthorizedKeys []types.String `tfsdk:"ssh_authorized_keys"`
}

type sshModel struct {
	HostKey types.String `tfsdk:"host_key"`
}

type containerUserModel struct {
	Name       types.String `tfsdk:"name"`
	UID        types.Int64  `tfsdk:"uid"`
	SubIDStart types.Int64  `tfsdk:"subid_start"`
	SubIDCount types.Int64  `tfsdk:"subid_count"`
	Linger     types.Bool   `tfsdk:"linger"`
}

type podmanModel struct {
	RootlessNetwork     types.String    `tfsdk:"rootless_network"`
	DefaultCapabilities []types.String  `tfsdk:"default_capabilities"`
	Trust               []*trustModel   `tfsdk:"trust"`
	Quadlets            []*quadletModel `tfsdk:"quadlets"`
}

type trustModel struct {
	Scope     types.String `tfsdk:"scope"`
	Type      types.String `tfsdk:"type"`
	Key       types.String `tfsdk:"key"`
	Lookaside types.String `tfsdk:"lookaside"`
}

type quadletModel struct {
	Name            types.String            `tfsdk:"name"`
	User            types.String            `tfsdk:"user"`
	Image           types.String            `tfsdk:"image"`
	Exec            types.String            `tfsdk:"exec"`
	PublishPorts    []types.String          `tfsdk:"publish_ports"`
	Environment     map[string]types.String `tfsdk:"environment"`
	AddCapabilities []types.String          `tfsdk:"add_capabilities"`
	UserNS          types.String            `tfsdk:"userns"`
	WritableRootfs  types.Bool              `tfsdk:"writable_rootfs"`
	NoNewPrivileges types.Bool              `tfsdk:"no_new_privileges"`
}

type selinuxModel struct {
	Mode          types.String `tfsdk:"mode"`
	AllowDisabled types.Bool   `tfsdk:"allow_disabled"`
}

type updateModel struct {
	Strategy     types.String `tfsdk:"strategy"`
	WindowStart  types.String `tfsdk:"window_start"`
	WindowLength types.String `tfsdk:"window_length"`
	Group        types.String `tfsdk:"group"`
}

type microOSModel struct {
	MountHome types.Bool `tfsdk:"mount_home"`
}

func (d *nodeConfigDataSource) Metadata(_ context.Context, req datasource.MetadataRequest,
	resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_node_config"
}

func (d *nodeConfigDataSource) Schema(_ context.Context, _ datasource.SchemaRequest,
	resp *datasource.SchemaResponse) {
	resp.Schema = nodeConfigDataSourceSchema()
}

func (d *nodeConfigDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m nodeConfigModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}

	node, diags := m.node()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	opts := harden.RenderOptions{
		IgnitionVersion: m.IgnitionVersion.ValueString(),
		Target:          m.Target.ValueString(),
		PrettyPrint:     m.PrettyPrint.ValueBool(),
		Strict:          m.Strict.ValueBool(),
	}
	for _, s := range m.Snippets {
		opts.Snippets = append(opts.Snippets, []byte(s.ValueString()))
	}

	r, err := harden.Render(node, opts)
	if err != nil {
		addHardenError(&resp.Diagnostics, err)
		return
	}
	for _, w := range r.SnippetWarnings {
		resp.Diagnostics.AddAttributeWarning(path.Root("snippets").AtListIndex(w.Snippet),
			"Snippet weakens "+w.Setting, w.Detail+". The expectations still check hardnode's value, so "+
				"verification will report it; remove the snippet's setting to keep the node hardened.")
	}
	for _, w := range r.Warnings {
		at := path.Root("snippets").AtListIndex(w.Source)
		if w.Source < 0 {
			resp.Diagnostics.AddWarning("Butane warning on the hardened config", entryDetail(w))
			continue
		}
		resp.Diagnostics.AddAttributeWarning(at, warningSummary(w), entryDetail(w))
	}
	expectations, err := r.Expectations.Marshal()
	if err != nil {
		resp.Diagnostics.AddError("Invalid expectations document", err.Error())
		return
	}

	m.Butane = types.StringValue(string(r.Butane))
	m.Rendered = types.StringValue(string(r.Ignition))
	m.IgnitionVersion = types.StringValue(r.IgnitionVersion)
	m.Expectations = types.StringValue(string(expectations))
	m.HostPublicKey = types.StringValue(r.HostPublicKey)
	m.AdminUser = types.StringValue(node.AdminName())
	tflog.Debug(ctx, "rendered node config", map[string]any{
		"os_family": string(node.OS), "ignition_version": r.IgnitionVersion,
		"checks": len(r.Expectations.Checks), "snippets": len(opts.Snippets),
		"host_key": node.SSH.HostKey != "", // never the key itself
	})
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// node converts the model to harden's plain Go description. Null elements
// of lists and maps, empty strings and zero IDs are attribute errors here:
// harden's model reads "" and 0 as "unset", so an explicit empty value
// would otherwise silently mean the default.
func (m *nodeConfigModel) node() (*harden.Node, diag.Diagnostics) {
	var diags diag.Diagnostics
	r := reader{diags: &diags}
	n := &harden.Node{
		OS:       harden.OSFamily(m.OSFamily.ValueString()),
		Level:    harden.Level(r.optString(path.Root("level"), m.Level)),
		Hostname: r.optString(path.Root("hostname"), m.Hostname),
		Sysctls:  r.stringMap(path.Root("sysctls"), m.Sysctls),
	}
	if m.Admin != nil {
		p := path.Root("admin")
		n.Admin = harden.AdminUser{Name: r.optString(p.AtName("name"), m.Admin.Name),
			SSHAuthorizedKeys: r.stringList(p.AtName("ssh_authorized_keys"), m.Admin.SSHAuthorizedKeys)}
	}
	if m.SSH != nil {
		n.SSH.HostKey = r.optString(path.Root("ssh").AtName("host_key"), m.SSH.HostKey)
	}
	for i, u := range m.ContainerUsers {
		p := path.Root("container_users").AtListIndex(i)
		if u == nil {
			r.null(p)
			continue
		}
		cu := harden.ContainerUser{Name: u.Name.ValueString(), Linger: u.Linger.ValueBool()}
		cu.UID = r.id(p.AtName("uid"), u.UID, "leave uid unset to get the next free one from 5000; 0 is root")
		count := r.id(p.AtName("subid_count"), u.SubIDCount, "leave subid_count unset for the default 65536")
		if !u.SubIDStart.IsNull() {
			if count == 0 {
				count = harden.SubIDDefaultCount
			}
			start := r.uint32(p.AtName("subid_start"), u.SubIDStart)
			cu.SubIDs = &harden.SubIDRange{Start: start, Count: count}
		} else {
			cu.SubIDCount = count
		}
		n.ContainerUsers = append(n.ContainerUsers, cu)
	}
	if m.Podman != nil {
		n.Podman = m.Podman.config(&r)
	}
	if m.SELinux != nil {
		n.SELinux = harden.SELinuxConfig{Mode: r.optString(path.Root("selinux").AtName("mode"), m.SELinux.Mode),
			AllowDisabled: m.SELinux.AllowDisabled.ValueBool()}
	}
	if m.Update != nil {
		p := path.Root("update")
		n.Update = harden.UpdatePolicy{Strategy: r.optString(p.AtName("strategy"), m.Update.Strategy),
			WindowStart:  r.optString(p.AtName("window_start"), m.Update.WindowStart),
			WindowLength: r.optString(p.AtName("window_length"), m.Update.WindowLength),
			Group:        r.optString(p.AtName("group"), m.Update.Group)}
	}
	if m.MicroOS != nil && !m.MicroOS.MountHome.IsNull() {
		v := m.MicroOS.MountHome.ValueBool()
		n.MicroOS.MountHome = &v
	}
	r.optString(path.Root("target"), m.Target)
	r.optString(path.Root("ignition_version"), m.IgnitionVersion)
	return n, diags
}

func (p *podmanModel) config(r *reader) harden.PodmanConfig {
	at := path.Root("podman")
	c := harden.PodmanConfig{RootlessNetwork: r.optString(at.AtName("rootless_network"), p.RootlessNetwork)}
	if p.DefaultCapabilities != nil {
		c.DefaultCapabilities = r.stringList(at.AtName("default_capabilities"), p.DefaultCapabilities)
	}
	for i, t := range p.Trust {
		tp := at.AtName("trust").AtListIndex(i)
		if t == nil {
			r.null(tp)
			continue
		}
		c.Trust = append(c.Trust, harden.RegistryTrust{Scope: t.Scope.ValueString(), Type: t.Type.ValueString(),
			Key: t.Key.ValueString(), Lookaside: r.optString(tp.AtName("lookaside"), t.Lookaside)})
	}
	for i, q := range p.Quadlets {
		qp := at.AtName("quadlets").AtListIndex(i)
		if q == nil {
			r.null(qp)
			continue
		}
		hq := harden.Quadlet{Name: q.Name.ValueString(), User: q.User.ValueString(), Image: q.Image.ValueString(),
			Exec:            r.optString(qp.AtName("exec"), q.Exec),
			PublishPorts:    r.stringList(qp.AtName("publish_ports"), q.PublishPorts),
			Environment:     r.stringMap(qp.AtName("environment"), q.Environment),
			AddCapabilities: r.stringList(qp.AtName("add_capabilities"), q.AddCapabilities),
			UserNS:          r.optString(qp.AtName("userns"), q.UserNS),
			WritableRootfs:  q.WritableRootfs.ValueBool()}
		if !q.NoNewPrivileges.IsNull() {
			v := q.NoNewPrivileges.ValueBool()
			hq.NoNewPrivileges = &v
		}
		c.Quadlets = append(c.Quadlets, hq)
	}
	return c
}

// reader converts optional Terraform values, reporting values that would
// silently mean something else as attribute errors.
type reader struct{ diags *diag.Diagnostics }

func (r reader) null(p path.Path) {
	r.diags.AddAttributeError(p, "Null element",
		fmt.Sprintf("%s is null; remove the element or give it a value.", p))
}

// optString reads an optional string; "" is an error, since unset (null)
// is how to ask for the default.
func (r reader) optString(p path.Path, v types.String) string {
	if !v.IsNull() && !v.IsUnknown() && v.ValueString() == "" {
		r.diags.AddAttributeError(p, "Empty string",
			fmt.Sprintf("%s is \"\"; leave it unset (null) for the default, or give a value.", p))
	}
	return v.ValueString()
}

func (r reader) stringList(p path.Path, vs []types.String) []string {
	out := make([]string, 0, len(vs))
	for i, v := range vs {
		if v.IsNull() {
			r.null(p.AtListIndex(i))
			continue
		}
		out = append(out, v.ValueString())
	}
	return out
}

func (r reader) stringMap(p path.Path, vs map[string]types.String) map[string]string {
	if vs == nil {
		return nil
	}
	out := make(map[string]string, len(vs))
	for k, v := range vs {
		if v.IsNull() {
			r.null(p.AtMapKey(k))
			continue
		}
		out[k] = v.ValueString()
	}
	return out
}

// id reads an optional ID whose zero value harden reads as "unset": an
// explicit 0 is an error with how to get the default.
func (r reader) id(p path.Path, v types.Int64, unset string) uint32 {
	if !v.IsNull() && v.ValueInt64() == 0 {
		r.diags.AddAttributeError(p, "Zero is not a value here", fmt.Sprintf("%s = 0: %s.", p, unset))
		return 0
	}
	return r.uint32(p, v)
}

// uint32 reads an optional 32-bit ID; null is 0.
func (r reader) uint32(p path.Path, v types.Int64) uint32 {
	if v.IsNull() {
		return 0
	}
	if v.ValueInt64() < 0 || v.ValueInt64() > 1<<32-1 {
		r.diags.AddAttributeError(p, "ID out of range",
			fmt.Sprintf("%s = %d is outside 0-4294967295; Linux IDs are 32-bit.", p, v.ValueInt64()))
		return 0
	}
	return uint32(v.ValueInt64())
}

// hardenPath converts a harden.Path to a Terraform attribute path.
func hardenPath(hp harden.Path) path.Path {
	var p path.Path
	for i, step := range hp {
		switch s := step.(type) {
		case string:
			if i == 0 {
				p = path.Root(s)
			} else {
				p = p.AtName(s)
			}
		case int:
			p = p.AtListIndex(s)
		case harden.MapKey:
			p = p.AtMapKey(string(s))
		}
	}
	return p
}

// addHardenError turns a rendering failure into attribute errors.
func addHardenError(diags *diag.Diagnostics, err error) {
	var ves harden.ValidationErrors
	if errors.As(err, &ves) {
		for _, e := range ves {
			diags.AddAttributeError(hardenPath(e.Path), e.Summary, elementDetail(e))
		}
		return
	}
	var berr *butane.Error
	if !errors.As(err, &berr) {
		diags.AddError("Rendering the node config failed", err.Error())
		return
	}
	switch berr.Attribute {
	case butane.AttrContent:
		diags.AddError(berr.Summary, "in the hardened config hardnode generated (a bug; please report it): "+
			berr.Error())
	case butane.AttrSnippets:
		if len(berr.Entries) == 0 {
			diags.AddAttributeError(path.Root("snippets").AtListIndex(berr.Source), berr.Summary, butaneErrText(berr))
		}
		for _, e := range berr.Entries {
			at := path.Root("snippets").AtListIndex(max(e.Source, 0))
			diags.AddAttributeError(at, berr.Summary, entryDetail(e))
		}
	default:
		diags.AddAttributeError(path.Root(berr.Attribute), berr.Summary, butaneErrText(berr))
	}
}

func butaneErrText(e *butane.Error) string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return e.Summary
}

// elementDetail names the element at fault when the path goes through a
// list or map, since Terraform shows the attribute but not always the index.
func elementDetail(e *harden.ValidationError) string {
	for _, step := range e.Path {
		switch step.(type) {
		case int, harden.MapKey:
			return e.Path.String() + ": " + e.Detail
		}
	}
	return e.Detail
}
