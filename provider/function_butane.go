package provider

import (
	"context"
	"errors"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/function"

	"github.com/hardnode/terraform-provider-hardnode/butane"
)

var _ function.Function = (*butaneFunction)(nil)

// NewButaneFunction returns provider::hardnode::butane.
func NewButaneFunction() function.Function {
	return &butaneFunction{}
}

type butaneFunction struct{}

func (f *butaneFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "butane"
}

func (f *butaneFunction) Definition(_ context.Context, _ function.DefinitionRequest,
	resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Render a Butane config to Ignition JSON",
		MarkdownDescription: "Renders a Butane config (YAML) to a compact Ignition config (JSON) in the " +
			"spec of its variant, with the same errors as the `hardnode_butane` data source. The " +
			"function is **always strict**: a function cannot return warnings, so any Butane warning " +
			"(an unused key, a decimal file mode, ...) fails the call, with its line and column. " +
			"Use the `hardnode_butane` data source for non-strict use (warnings reported, not fatal), " +
			"snippets, local files (`files_dir`) or another output spec.",
		Parameters: []function.Parameter{
			function.StringParameter{
				Name:                "content",
				MarkdownDescription: "The Butane config (YAML).",
			},
		},
		Return: function.StringReturn{},
	}
}

func (f *butaneFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var content string
	resp.Error = function.ConcatFuncErrors(resp.Error, req.Arguments.Get(ctx, &content))
	if resp.Error != nil {
		return
	}
	res, err := butane.Translate(butane.Options{Content: []byte(content), Strict: true})
	if err != nil {
		resp.Error = function.NewArgumentFuncError(0, functionErrorText(err))
		return
	}
	resp.Error = function.ConcatFuncErrors(resp.Error, resp.Result.Set(ctx, string(res.Rendered)))
}

// functionFilesDirWording rewrites the data source's advice on files_dir,
// which the function does not have.
var functionFilesDirWording = strings.NewReplacer(
	"set files_dir to the directory that holds it", noFilesDirInFunction,
	"a files directory: set files_dir", "a files directory, which is "+noFilesDirInFunction,
)

const noFilesDirInFunction = "not available in the function; use the hardnode_butane data source with files_dir"

// functionErrorText lists each located entry like the data source's details.
func functionErrorText(err error) string {
	var berr *butane.Error
	if !errors.As(err, &berr) || len(berr.Entries) == 0 {
		return err.Error()
	}
	lines := []string{berr.Summary}
	if errors.Is(err, butane.ErrNoFilesDir) {
		lines = []string{"Local files are not available in the function"}
	}
	if berr.Summary == butane.StrictSummary {
		lines = []string{berr.Summary + " (the function is always strict; the hardnode_butane " +
			"data source reports warnings without failing)"}
	}
	for _, e := range berr.Entries {
		lines = append(lines, functionFilesDirWording.Replace(entryDetail(e)))
	}
	return strings.Join(lines, "\n")
}
