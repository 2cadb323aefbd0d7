package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hardnode/terraform-provider-hardnode/butane"
)

// butaneStringCheck validates a string attribute at validate and plan time
// with one of the butane package's Check functions, so that a bad value is
// reported before apply, together with every other bad value.
type butaneStringCheck struct {
	summary string
	check   func(string) error
	forms   string // the accepted forms, for the description
}

var _ validator.String = butaneStringCheck{}

func (v butaneStringCheck) Description(context.Context) string {
	return "must be " + v.forms
}

func (v butaneStringCheck) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v butaneStringCheck) ValidateString(_ context.Context, req validator.StringRequest,
	resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, v.summary, err.Error())
	}
}

var (
	targetValidator = butaneStringCheck{summary: "Unknown target", check: butane.CheckTarget,
		forms: butane.TargetForms}
	ignitionVersionValidator = butaneStringCheck{summary: "Unknown Ignition spec version",
		check: butane.CheckIgnitionVersion, forms: "an Ignition spec version such as 3.3.0"}
	compressionValidator = butaneStringCheck{summary: "Unknown compression",
		check: butane.CheckCompression, forms: `"auto" or "none"`}
)

// noNullElements refuses null elements of a list of strings, naming the
// index, at validate time.
type noNullElements struct{}

var _ validator.List = noNullElements{}

func (noNullElements) Description(context.Context) string { return "elements must not be null" }

func (v noNullElements) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (noNullElements) ValidateList(_ context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for i, e := range req.ConfigValue.Elements() {
		if s, ok := e.(types.String); ok && s.IsNull() {
			resp.Diagnostics.AddAttributeError(req.Path.AtListIndex(i), "Null snippet",
				fmt.Sprintf("snippets[%d] is null: give a Butane document, or leave the element out "+
					"(e.g. with compact() or a for expression that filters nulls)", i))
		}
	}
}
