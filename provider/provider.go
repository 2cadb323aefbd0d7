// Package provider adapts Terraform's plugin framework to hardnode's plain Go
// packages (butane, harden, verify, testnode). It holds schemas, type
// conversion and diagnostics only; the work happens in those packages.
package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// Address is the provider's registry address.
const Address = "registry.terraform.io/hardnode/hardnode"

var (
	_ provider.Provider              = (*hardnodeProvider)(nil)
	_ provider.ProviderWithFunctions = (*hardnodeProvider)(nil)
)

type hardnodeProvider struct {
	version string
}

// New returns a constructor of the provider for providerserver.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &hardnodeProvider{version: version}
	}
}

func (p *hardnodeProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "hardnode"
	resp.Version = p.version
}

func (p *hardnodeProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Renders hardened Butane/Ignition configs for Flatcar Container Linux and " +
			"openSUSE MicroOS, verifies running nodes over SSH, and boots test nodes in QEMU. " +
			"The provider itself takes no configuration.",
	}
}

func (p *hardnodeProvider) Configure(_ context.Context, _ provider.ConfigureRequest, _ *provider.ConfigureResponse) {
}

// DataSources lists the data sources; each lives in its own data_source_*.go file.
func (p *hardnodeProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		// hardnode_butane, hardnode_node_config, hardnode_node_facts
		NewButaneDataSource,
		NewNodeFactsDataSource,
		NewNodeConfigDataSource,
	}
}

// Resources lists the resources; each lives in its own resource_*.go file.
func (p *hardnodeProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		// hardnode_node_verification, hardnode_test_node
		NewTestNodeResource,
		NewNodeVerificationResource,
	}
}

// Functions lists the provider-defined functions.
func (p *hardnodeProvider) Functions(_ context.Context) []func() function.Function {
	return []func() function.Function{
		// provider::hardnode::butane
		NewButaneFunction,
	}
}
