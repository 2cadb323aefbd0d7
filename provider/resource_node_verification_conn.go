package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hardnode/terraform-provider-hardnode/expect"
	"github.com/hardnode/terraform-provider-hardnode/verify"
)

// nodeConnInputs are the connection and check inputs that
// hardnode_node_verification and hardnode_node_facts share.
type nodeConnInputs struct {
	Host                 types.String `tfsdk:"host"`
	Port                 types.Int64  `tfsdk:"port"`
	User                 types.String `tfsdk:"user"`
	PrivateKey           types.String `tfsdk:"private_key"`
	PrivateKeyPassphrase types.String `tfsdk:"private_key_passphrase"`
	AgentSocket          types.String `tfsdk:"agent_socket"`
	HostKey              types.String `tfsdk:"host_key"`
	TrustOnFirstUse      types.Bool   `tfsdk:"trust_on_first_use"`
	Expectations         types.String `tfsdk:"expectations"`
	NotApplicable        types.Map    `tfsdk:"not_applicable"`
	Timeout              types.String `tfsdk:"timeout"`
}

// validate checks the inputs at plan time. Unknown values are skipped; key
// errors give the reason, never the key.
func (in nodeConnInputs) validate(ctx context.Context) diag.Diagnostics {
	var diags diag.Diagnostics
	if known(in.Host) {
		if err := validateHost(in.Host.ValueString()); err != nil {
			diags.AddAttributeError(path.Root("host"), "Invalid host", err.Error())
		}
	}
	if !in.Port.IsNull() && !in.Port.IsUnknown() {
		if p := in.Port.ValueInt64(); p < 1 || p > 65535 {
			diags.AddAttributeError(path.Root("port"), "Invalid port",
				fmt.Sprintf("port %d is outside 1-65535.", p))
		}
	}
	if known(in.User) && strings.TrimSpace(in.User.ValueString()) == "" {
		diags.AddAttributeError(path.Root("user"), "Empty user", "Set user to the node's login user.")
	}
	if known(in.PrivateKey) && !in.PrivateKeyPassphrase.IsUnknown() {
		if _, err := verify.ParsePrivateKey([]byte(in.PrivateKey.ValueString()),
			[]byte(in.PrivateKeyPassphrase.ValueString())); err != nil {
			diags.AddAttributeError(path.Root("private_key"), "Unusable private key", err.Error()+".")
		}
	}
	if in.PrivateKey.IsNull() && in.AgentSocket.IsNull() {
		diags.AddAttributeError(path.Root("private_key"), "No credentials",
			"Set private_key, agent_socket, or both.")
	}
	if known(in.HostKey) {
		if _, err := verify.ParseHostKeyPin(in.HostKey.ValueString()); err != nil {
			diags.AddAttributeError(path.Root("host_key"), "Invalid host key", err.Error()+".")
		}
	}
	if in.HostKey.IsNull() && !in.TrustOnFirstUse.IsUnknown() && !in.TrustOnFirstUse.ValueBool() {
		diags.AddAttributeError(path.Root("host_key"), "No host key to check against",
			"Set host_key to the node's known_hosts line or SHA256 fingerprint, or set "+
				"trust_on_first_use = true to record the key the node presents on first contact.")
	}
	if known(in.AgentSocket) && strings.TrimSpace(in.AgentSocket.ValueString()) == "" {
		diags.AddAttributeError(path.Root("agent_socket"), "Empty agent_socket",
			"Set agent_socket to the path of an SSH agent socket (for example from SSH_AUTH_SOCK), or leave it unset.")
	}
	if known(in.Expectations) {
		if _, err := expect.Parse([]byte(in.Expectations.ValueString())); err != nil {
			diags.AddAttributeError(path.Root("expectations"), "Invalid expectations document", err.Error())
		}
	}
	if !in.NotApplicable.IsNull() && !in.NotApplicable.IsUnknown() {
		for kind, reason := range in.NotApplicable.Elements() {
			if !knownKind(kind) {
				diags.AddAttributeError(path.Root("not_applicable").AtMapKey(kind), "Unknown check kind",
					fmt.Sprintf("%q is not a check kind; known kinds: %v.", kind, expect.Kinds))
			}
			if s, ok := reason.(types.String); ok && !s.IsUnknown() && strings.TrimSpace(s.ValueString()) == "" {
				diags.AddAttributeError(path.Root("not_applicable").AtMapKey(kind), "Missing reason",
					fmt.Sprintf("Say why %s checks do not apply to this node; the reason is shown in "+
						"every report row and warning they produce.", kind))
			}
		}
	}
	if known(in.Timeout) {
		if d, err := time.ParseDuration(in.Timeout.ValueString()); err != nil || d <= 0 {
			diags.AddAttributeError(path.Root("timeout"), "Invalid timeout",
				fmt.Sprintf("%q is not a positive Go duration such as \"5m\" or \"90s\".", in.Timeout.ValueString()))
		}
	}
	return diags
}

func known(v types.String) bool { return !v.IsNull() && !v.IsUnknown() }

func knownKind(k string) bool {
	for _, kind := range expect.Kinds {
		if string(kind) == k {
			return true
		}
	}
	return false
}

// validateHost accepts a host name or an IP address, nothing else.
func validateHost(h string) error {
	switch {
	case h == "":
		return errors.New("host is empty")
	case strings.Contains(h, "://"):
		return fmt.Errorf("host %q looks like a URL; give only the host name or address", h)
	case strings.ContainsAny(h, " \t\n@/[]"):
		return fmt.Errorf("host %q must be a bare host name or IP address (no user@, brackets, paths or spaces); "+
			"set port separately", h)
	case strings.Contains(h, ":") && net.ParseIP(h) == nil:
		return fmt.Errorf("host %q contains ':' but is not an IPv6 address; set port separately", h)
	}
	return nil
}

// target builds the verify target. recordedPin is a key an earlier
// verification of the same resource recorded by trust on first use.
func (in nodeConnInputs) target(recordedPin string) (verify.Target, error) {
	t := verify.Target{
		Host: in.Host.ValueString(),
		Port: 22,
		User: in.User.ValueString(),
		Auth: verify.Auth{
			PrivateKey:  []byte(in.PrivateKey.ValueString()),
			Passphrase:  []byte(in.PrivateKeyPassphrase.ValueString()),
			AgentSocket: in.AgentSocket.ValueString(),
		},
	}
	if !in.Port.IsNull() && !in.Port.IsUnknown() {
		t.Port = int(in.Port.ValueInt64())
	}
	pinText := in.HostKey.ValueString()
	if pinText == "" {
		pinText = recordedPin
	}
	if pinText != "" {
		pin, err := verify.ParseHostKeyPin(pinText)
		if err != nil {
			return t, err
		}
		t.HostKey.Pin = pin
	}
	t.HostKey.TrustOnFirstUse = in.TrustOnFirstUse.ValueBool()
	return t, nil
}

// options builds the verify options and parses the expectations document.
func (in nodeConnInputs) options(ctx context.Context) (*expect.Document, verify.Options, error) {
	opts := verify.Options{Timeout: 5 * time.Minute}
	if known(in.Timeout) {
		d, err := time.ParseDuration(in.Timeout.ValueString())
		if err != nil {
			return nil, opts, fmt.Errorf("timeout: %w", err)
		}
		opts.Timeout = d
	}
	if !in.NotApplicable.IsNull() {
		opts.NotApplicable = map[expect.Kind]string{}
		for k, v := range in.NotApplicable.Elements() {
			if s, ok := v.(types.String); ok {
				opts.NotApplicable[expect.Kind(k)] = s.ValueString()
			}
		}
	}
	opts.Progress = func(p verify.Progress) {
		fields := map[string]any{"attempt": p.Attempt, "elapsed": p.Elapsed.Round(time.Millisecond).String()}
		if p.Err != nil {
			fields["error"] = p.Err.Error()
		}
		tflog.Info(ctx, "hardnode verify: "+p.Message, fields)
	}
	var doc *expect.Document
	if known(in.Expectations) {
		var err error
		if doc, err = expect.Parse([]byte(in.Expectations.ValueString())); err != nil {
			return nil, opts, err
		}
	}
	return doc, opts, nil
}

// connectionErrorDiag turns a connection failure into a diagnostic on the
// attribute that can fix it.
func connectionErrorDiag(err error) diag.Diagnostic {
	var mismatch *verify.HostKeyMismatchError
	if errors.As(err, &mismatch) {
		return diag.NewAttributeErrorDiagnostic(path.Root("host_key"), "Host key changed", err.Error())
	}
	return diag.NewErrorDiagnostic("Cannot verify the node", err.Error())
}

// reportValue renders report rows as the report attribute.
func reportValue(rows []expect.Result) (types.List, diag.Diagnostics) {
	objType := types.ObjectType{AttrTypes: reportRowAttrTypes}
	elems := make([]attr.Value, 0, len(rows))
	var diags diag.Diagnostics
	for _, r := range rows {
		obj, d := types.ObjectValue(reportRowAttrTypes, map[string]attr.Value{
			"id":       types.StringValue(r.ID),
			"kind":     types.StringValue(string(r.Kind)),
			"status":   types.StringValue(string(r.Status)),
			"expected": types.StringValue(r.Expected),
			"actual":   types.StringValue(r.Actual),
			"detail":   types.StringValue(r.Detail),
		})
		diags.Append(d...)
		elems = append(elems, obj)
	}
	list, d := types.ListValue(objType, elems)
	diags.Append(d...)
	return list, diags
}

// checkDiagnostics returns one diagnostic per failed or errored row, and one
// warning per kind with not_applicable rows. A rollback is a warning when
// allowRollback is set.
func checkDiagnostics(rep *verify.Report, doc *expect.Document, declared map[expect.Kind]string,
	allowRollback bool) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, w := range rep.Warnings {
		diags.AddAttributeWarning(path.Root("expectations"), "Expectations do not fit the node", w)
	}
	byID := map[string]*expect.Check{}
	if doc != nil {
		for i := range doc.Checks {
			byID[doc.Checks[i].ID] = &doc.Checks[i]
		}
	}
	notApplicable := map[expect.Kind][]string{}
	var reasons = map[expect.Kind]string{}
	for _, r := range rep.Results {
		switch r.Status {
		case expect.StatusNotApplicable:
			notApplicable[r.Kind] = append(notApplicable[r.Kind], r.ID)
			reasons[r.Kind] = r.Detail
			continue
		case expect.StatusPass:
			continue
		}
		if r.ID == verify.UpdateCheckID && r.Kind == expect.KindOS {
			diags.Append(updateDiagnostic(rep, r, allowRollback))
			continue
		}
		fix := "See the check's detail."
		if c := byID[r.ID]; c != nil {
			fix = verify.FixHint(c, r)
		}
		summary := fmt.Sprintf("Check %q failed", r.ID)
		if r.Status == expect.StatusError {
			summary = fmt.Sprintf("Check %q could not run", r.ID)
		}
		diags.AddAttributeError(path.Root("expectations"), summary, fmt.Sprintf(
			"Kind: %s\nExpected: %s\nFound: %s\nDetail: %s\nFix: %s", r.Kind, r.Expected, orNone(r.Actual), r.Detail, fix))
	}
	for kind, ids := range notApplicable {
		at := path.Root("expectations") // skipped for another os_family
		if _, ok := declared[kind]; ok {
			at = path.Root("not_applicable").AtMapKey(string(kind))
		}
		diags.AddAttributeWarning(at,
			fmt.Sprintf("%d %s check(s) not applicable", len(ids), kind),
			fmt.Sprintf("Not run, and not counted as passed: %s. Reason: %s", strings.Join(ids, ", "), reasons[kind]))
	}
	return diags
}

func updateDiagnostic(rep *verify.Report, r expect.Result, allowRollback bool) diag.Diagnostic {
	u := rep.Update
	switch {
	case u != nil && u.RolledBack && allowRollback:
		return diag.NewAttributeWarningDiagnostic(path.Root("expected_version"), "Node rolled back (allowed)",
			fmt.Sprintf("Expected %s, the node runs %s. %s. allow_rollback is set, so this is the "+
				"accepted outcome; rolled_back and previous_version record it.", r.Expected, r.Actual, r.Detail))
	case u != nil && u.RolledBack:
		return diag.NewAttributeErrorDiagnostic(path.Root("expected_version"), "Node rolled back",
			fmt.Sprintf("Expected: %s\nFound: %s\nDetail: %s\nFix: find why the new version did not "+
				"boot (serial console, journal of the failed boot), or set allow_rollback = true when "+
				"testing a broken update on purpose.", r.Expected, r.Actual, r.Detail))
	}
	return diag.NewAttributeErrorDiagnostic(path.Root("expected_version"), "Node is not on the expected version",
		fmt.Sprintf("Expected: %s\nFound: %s\nDetail: %s\nFix: start the update (or check that it "+
			"started), raise timeout if the node needs longer to reboot, or correct expected_version.",
			r.Expected, r.Actual, r.Detail))
}

func orNone(s string) string {
	if s == "" {
		return "(nothing: the check did not run)"
	}
	return s
}
